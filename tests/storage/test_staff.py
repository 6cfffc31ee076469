"""Invites are one-time, expire, and are stored only as hashes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.models import Invite, StaffRole
from storage.repositories import staff
from tests.storage.factories import T0, Sessions, create_user


async def test_an_invite_works_once_and_only_before_it_expires(session_factory: Sessions) -> None:
    first, second = await create_user(session_factory), await create_user(session_factory)
    async with session_factory() as session, session.begin():
        unit = await staff.add_unit(
            session, commune_code="20242", name="Tổ 5", kind="village", now=T0
        )
        code = await staff.invite(
            session, role=StaffRole.OFFICER, commune_code="20242", unit_id=unit.id, now=T0
        )
        late = await staff.invite(
            session, role=StaffRole.ADMIN, commune_code=None, unit_id=None, now=T0
        )
    async with session_factory() as session, session.begin():
        joined = await staff.redeem(session, code, first, T0 + timedelta(days=1))
        assert joined is not None
        assert (joined.role, joined.commune_code, joined.unit_id) == ("officer", "20242", unit.id)
        assert await staff.redeem(session, code, second, T0 + timedelta(days=1)) is None
        assert await staff.redeem(session, late, second, T0 + timedelta(days=7)) is None
        assert await staff.redeem(session, "not-a-code", second, T0) is None
        stored = list(await session.scalars(select(Invite.code_hash)))
    assert code not in stored and late not in stored  # only hashes are kept
    async with session_factory() as session, session.begin():
        assert [r.user_id for r in await staff.roles(session)] == [first]
        assert await staff.revoke(session, joined.id, T0) is True
        assert await staff.revoke(session, joined.id, T0) is False
        assert await staff.roles(session) == []
        assert len(await staff.roles(session, include_revoked=True)) == 1


async def test_units_by_code(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        unit = await staff.add_unit(
            session, commune_code="20242", name="Trường THCS Lê Lợi", kind="school", now=T0
        )
    async with session_factory() as session:
        assert (await staff.unit_by_code(session, f"20242-{unit.id}")).name == "Trường THCS Lê Lợi"
        assert await staff.unit_by_code(session, f"20257-{unit.id}") is None  # other commune
        assert await staff.unit_by_code(session, "20242") is None
        assert [u.code for u in await staff.units(session, "20242")] == [unit.code]


async def test_a_communes_admin_verifies_with_its_officers_and_not_elsewhere(
    session_factory: Sessions,
) -> None:
    officer, commune_admin, province_admin, other_admin = [
        await create_user(session_factory) for _ in range(4)
    ]
    async with session_factory() as session, session.begin():
        for user_id, role, commune in [
            (officer, StaffRole.OFFICER, "20242"),
            (commune_admin, StaffRole.ADMIN, "20242"),
            (province_admin, StaffRole.ADMIN, None),
            (other_admin, StaffRole.ADMIN, "20257"),
        ]:
            code = await staff.invite(
                session, role=role, commune_code=commune, unit_id=None, now=T0
            )
            assert await staff.redeem(session, code, user_id, T0) is not None
    async with session_factory() as session:
        here = await staff.roster(session, commune_code="20242")
        assert here.levels("20242", None, {"village"}) == [
            [officer, commune_admin],
            [province_admin],
        ]
        everyone = await staff.roster(session)
        assert everyone.communes == {"20242": [officer, commune_admin], "20257": [other_admin]}


async def test_open_invites_can_be_cancelled_and_codes_typed_loosely(
    session_factory: Sessions,
) -> None:
    user = await create_user(session_factory)
    async with session_factory() as session, session.begin():
        code = await staff.invite(
            session, role=StaffRole.ADMIN, commune_code=None, unit_id=None, now=T0
        )
        ended = await staff.invite(
            session, role=StaffRole.OFFICER, commune_code="20242", unit_id=None, now=T0
        )
    async with session_factory() as session, session.begin():
        first, second = await staff.open_invites(session, T0)
        assert await staff.cancel_invite(session, second.id, T0) is True
        assert await staff.cancel_invite(session, second.id, T0) is False
        assert [i.id for i in await staff.open_invites(session, T0)] == [first.id]
        assert await staff.redeem(session, ended, user, T0) is None
        assert await staff.redeem(session, f" {code[:6].lower()}-{code[6:]}", user, T0) is not None
        assert await staff.open_invites(session, T0) == []
