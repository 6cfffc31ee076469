"""Certificates: numbered from their row, an unguessable code that survives hand typing, what
they show copied at issue, revocation kept once, and gone with their holder."""

from __future__ import annotations

import unicodedata

from sqlalchemy import delete, func, select

from storage.models import Assessment, AssessmentStatus, Certificate, Profile, User
from storage.repositories import certificates, staff
from storage.repositories.reports import Scope
from tests.storage.factories import T0, Sessions, create_user

# "Nguyễn" typed as "e" + combining marks, as some keyboards send it.
DECOMPOSED = unicodedata.normalize("NFD", "Nguyễn Thị Ợt")


async def approved(
    session_factory: Sessions,
    name: str = "Lê Văn Đức",
    year: int = 2026,
    *,
    commune: str = "20242",
    group: str = "residents",
    unit_id: int | None = None,
    typed_place: str | None = None,
) -> int:
    """A registered citizen with an approved assessment; returns the user id."""
    user_id = await create_user(session_factory)
    async with session_factory() as session, session.begin():
        session.add(
            Profile(
                user_id=user_id,
                full_name=name,
                birth_year=1970,
                target_group=group,
                commune_code=commune,
                unit_id=unit_id,
                subunit_name=typed_place,
                consent_at=T0,
                notice_version="2026-01",
                registered_at=T0,
            )
        )
        session.add(
            Assessment(
                user_id=user_id,
                year=year,
                criteria_set_id="khvn-2023",
                criteria_set_version="1",
                target_group=group,
                status=AssessmentStatus.APPROVED,
                total=88,
            )
        )
    return user_id


async def issue(session_factory: Sessions, user_id: int, province: int = 48) -> Certificate:
    async with session_factory() as session, session.begin():
        a = await session.scalar(select(Assessment).where(Assessment.user_id == user_id))
        holder = await session.get_one(Profile, user_id)
        return await certificates.issue(session, a, holder, province_code=province, now=T0)


async def test_issue_numbers_codes_and_copies_what_it_shows(session_factory: Sessions) -> None:
    first = await issue(session_factory, await approved(session_factory, DECOMPOSED))
    second = await issue(session_factory, await approved(session_factory))

    assert first.number == f"48-2026-{first.id:06d}" and second.number == f"48-2026-{second.id:06d}"
    assert first.number != second.number
    for c in (first, second):
        assert len(c.code) == certificates.CODE_LENGTH
        assert set(c.code) <= set(certificates.CODE_ALPHABET)
    assert first.code != second.code
    assert first.full_name == "Nguyễn Thị Ợt" == unicodedata.normalize("NFC", DECOMPOSED)
    assert (first.birth_year, first.commune_code, first.target_group, first.year, first.total) == (
        1970,
        "20242",
        "residents",
        2026,
        88,
    )

    # A later change of profile does not alter what was issued.
    async with session_factory() as session, session.begin():
        (await session.get_one(Profile, second.user_id)).full_name = "Tên Khác"
    async with session_factory() as session:
        found = await certificates.by_code(session, second.code)
    assert found is not None and found.full_name == "Lê Văn Đức"


async def test_a_code_is_found_as_people_type_it(session_factory: Sessions) -> None:
    c = await issue(session_factory, await approved(session_factory))
    shown = certificates.shown_code(c.code)
    assert shown.count("-") == 2 and shown.replace("-", "") == c.code
    async with session_factory() as session:
        for typed in (c.code, shown, shown.lower(), f" {shown[:4]} {shown[5:]} "):
            found = await certificates.by_code(session, typed)
            assert found is not None and found.id == c.id, typed
        assert await certificates.by_code(session, c.code[:-1]) is None
        assert await certificates.by_code(session, c.code + "A") is None
        assert await certificates.by_code(session, "") is None


async def test_revocation_keeps_its_first_date_and_reason(session_factory: Sessions) -> None:
    c = await issue(session_factory, await approved(session_factory))
    async with session_factory() as session, session.begin():
        done = await certificates.revoke(session, c.code, reason="Khai sai minh chứng", now=T0)
        assert done is not None and done.id == c.id
        assert await certificates.holds_one(session, c.user_id) is False
    async with session_factory() as session, session.begin():
        assert await certificates.revoke(session, c.code, reason="Lần hai", now=T0) is None
        assert await certificates.revoke(session, "ZZZZZZZZZZZZ", reason="x", now=T0) is None
        again = await certificates.by_code(session, c.code)
    assert again is not None and (again.revoked_at, again.revoke_reason) == (
        T0,
        "Khai sai minh chứng",
    )


async def test_listing_by_holder_and_year(session_factory: Sessions) -> None:
    user_id = await approved(session_factory, year=2025)
    old = await issue(session_factory, user_id)
    async with session_factory() as session, session.begin():
        session.add(
            Assessment(
                user_id=user_id,
                year=2026,
                criteria_set_id="khvn-2023",
                criteria_set_version="1",
                target_group="residents",
                status=AssessmentStatus.APPROVED,
                total=91,
            )
        )
        a = await session.scalar(select(Assessment).where(Assessment.year == 2026))
        holder = await session.get_one(Profile, user_id)
        new = await certificates.issue(session, a, holder, province_code=48, now=T0)
    async with session_factory() as session:
        assert [c.id for c in await certificates.of_user(session, user_id)] == [new.id, old.id]
        assert [c.id for c in await certificates.of_year(session, 2025)] == [old.id]
        assert await certificates.holds_one(session, user_id) is True


async def test_erasing_the_holder_erases_the_certificate(session_factory: Sessions) -> None:
    c = await issue(session_factory, await approved(session_factory))
    async with session_factory() as session, session.begin():
        await session.execute(delete(User).where(User.id == c.user_id))
    async with session_factory() as session:
        assert await certificates.by_code(session, c.code) is None
        assert await session.scalar(select(func.count()).select_from(Certificate)) == 0


async def test_a_units_valid_certificates_by_commune_then_issue_order(
    session_factory: Sessions,
) -> None:
    async with session_factory() as session, session.begin():
        unit = await staff.add_unit(
            session, commune_code="20242", name="Tổ 1", kind="village", now=T0
        )
    later = await issue(session_factory, await approved(session_factory, "B", commune="20257"))
    first = await issue(session_factory, await approved(session_factory, "A", unit_id=unit.id))
    second = await issue(session_factory, await approved(session_factory, "C"))
    gone = await issue(session_factory, await approved(session_factory, "D"))
    await issue(session_factory, await approved(session_factory, "E", year=2025))
    async with session_factory() as session, session.begin():
        await certificates.revoke(session, gone.code, reason="Sai", now=T0)

    async with session_factory() as session:
        everywhere = await certificates.valid_in(session, 2026, Scope())
        hai_chau = await certificates.valid_in(session, 2026, Scope(commune_code="20242"))
        in_unit = await certificates.valid_in(session, 2026, Scope(unit_id=unit.id))
    assert [c.id for c in everywhere] == [first.id, second.id, later.id]
    assert [c.id for c in hai_chau] == [first.id, second.id]
    assert [c.id for c in in_unit] == [first.id]


async def test_the_place_is_the_unit_chosen_or_the_one_typed(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        unit = await staff.add_unit(
            session, commune_code="20242", name="Trường THCS Lê Lợi", kind="school", now=T0
        )
    chosen = await approved(session_factory, group="learners", unit_id=unit.id)
    typed = await approved(session_factory, group="workers", typed_place="Công ty May Hòa Thọ")
    neither = await approved(session_factory)

    places = [(await issue(session_factory, u)).place for u in (chosen, typed, neither)]

    assert places == ["Trường THCS Lê Lợi", "Công ty May Hòa Thọ", None]
