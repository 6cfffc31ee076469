"""Who a broadcast reaches: each option, options together, the counts of a preview, batches
by user id, and how far an officer may reach."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.models import StaffRole
from storage.repositories import segments, staff
from storage.repositories.segments import NOT_STARTED, UNCHECKED, Reach, Segment
from tests.storage.factories import T0, Sessions, create_person, create_user


async def members(session_factory: Sessions, segment: Segment) -> set[int]:
    async with session_factory() as session:
        return {p.user_id for p in await segments.people(session, segment, after=0, limit=10_000)}


async def test_each_option_narrows_and_options_combine(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        unit = await staff.add_unit(
            session, commune_code="20242", name="Tổ 5", kind="village", now=T0
        )
    lan = await create_person(session_factory, unit_id=unit.id, assessment="approved")
    an = await create_person(session_factory, group="workers", assessment="draft", skills="basic")
    binh = await create_person(
        session_factory, commune="20257", locale="en", skills="proficient", active_at=T0
    )
    chi = await create_person(
        session_factory, commune="20257", active_at=T0 + timedelta(days=30), skills="none"
    )
    everyone = {lan, an, binh, chi}

    assert await members(session_factory, Segment()) == everyone
    assert await members(session_factory, Segment(communes=("20242",))) == {lan, an}
    assert await members(session_factory, Segment(units=(unit.id,))) == {lan}
    # Places: any of them.
    assert await members(session_factory, Segment(communes=("20257",), units=(unit.id,))) == {
        lan,
        binh,
        chi,
    }
    assert await members(session_factory, Segment(groups=("workers",))) == {an}
    assert await members(session_factory, Segment(statuses=("approved",), year=2025)) == {lan}
    assert await members(session_factory, Segment(statuses=("draft", NOT_STARTED), year=2025)) == {
        an,
        binh,
        chi,
    }
    # Another year: nobody has started it.
    assert await members(session_factory, Segment(statuses=(NOT_STARTED,), year=2026)) == everyone
    assert await members(session_factory, Segment(skills=("basic", "proficient"))) == {an, binh}
    assert await members(session_factory, Segment(skills=(UNCHECKED,))) == {lan}
    assert await members(session_factory, Segment(locales=("en",))) == {binh}
    assert await members(session_factory, Segment(active_since=T0 + timedelta(days=1))) == {chi}
    # Options: all of them.
    assert await members(
        session_factory,
        Segment(communes=("20257",), skills=("none", "proficient"), locales=("vi",)),
    ) == {chi}
    assert (
        await members(session_factory, Segment(communes=("20242",), groups=("officials",))) == set()
    )


async def test_the_latest_finished_skills_check_counts(session_factory: Sessions) -> None:
    from storage.models import SkillCheck

    person = await create_person(session_factory, skills="none")
    async with session_factory() as session, session.begin():
        session.add_all(
            [
                SkillCheck(
                    user_id=person,
                    framework_version="v1",
                    overall="basic",
                    started_at=T0,
                    finished_at=T0 + timedelta(days=2),
                ),
                SkillCheck(user_id=person, framework_version="v1", started_at=T0),  # unfinished
            ]
        )
    assert await members(session_factory, Segment(skills=("basic",))) == {person}
    assert await members(session_factory, Segment(skills=("none",))) == set()


async def test_a_segment_round_trips_through_json(session_factory: Sessions) -> None:
    segment = Segment(
        communes=("20242",),
        units=(3,),
        groups=("residents",),
        statuses=(NOT_STARTED,),
        year=2026,
        skills=(UNCHECKED,),
        locales=("vi",),
        active_since=T0,
    )
    assert Segment.from_json(segment.to_json()) == segment
    assert Segment().to_json() == {}


async def test_audience_counts_the_skipped_and_batches_cover_everyone_once(
    session_factory: Sessions,
) -> None:
    created = [await create_person(session_factory) for _ in range(7)]
    created.append(await create_person(session_factory, opted_out=True))
    created.append(await create_person(session_factory, unreachable=True))
    created.append(await create_person(session_factory, opted_out=True, unreachable=True))
    await create_user(session_factory)  # no profile (no consent): never in a segment

    async with session_factory() as session:
        audience = await segments.audience(session, Segment())
        assert (audience.total, audience.opted_out, audience.unreachable) == (10, 2, 1)
        assert audience.reachable == 7
        seen, cursor = [], 0
        while batch := await segments.people(session, Segment(), after=cursor, limit=3):
            seen += [p.user_id for p in batch]
            cursor = batch[-1].user_id
    assert seen == sorted(created)


@pytest.mark.parametrize(
    ("segment", "allowed"),
    [
        (Segment(), False),  # the whole province
        (Segment(communes=("20242",)), True),
        (Segment(communes=("20242", "20257")), False),
        (Segment(units=(1,)), True),  # a unit of the officer's commune
        (Segment(units=(2,)), True),  # the officer's own unit elsewhere
        (Segment(units=(3,)), False),  # another commune's unit
        (Segment(communes=("20242",), units=(3,)), False),
    ],
)
async def test_an_officer_reaches_only_their_commune_and_unit(
    session_factory: Sessions, segment: Segment, allowed: bool
) -> None:
    officer = await create_user(session_factory)
    async with session_factory() as session, session.begin():
        ours = await staff.add_unit(
            session, commune_code="20242", name="Tổ 1", kind="village", now=T0
        )
        own = await staff.add_unit(
            session, commune_code="20257", name="Tổ 2", kind="village", now=T0
        )
        await staff.add_unit(session, commune_code="20257", name="Tổ 3", kind="village", now=T0)
        for commune, unit in (("20242", None), ("20257", own.id)):
            code = await staff.invite(
                session, role=StaffRole.OFFICER, commune_code=commune, unit_id=unit, now=T0
            )
            await staff.redeem(session, code, officer, T0)
    assert (ours.id, own.id) == (1, 2)
    async with session_factory() as session:
        who = await segments.reach(session, officer)
        assert who == Reach(communes=frozenset({"20242"}), units={2: "20257"})
        assert await segments.allowed(session, who, segment) is allowed


async def test_admins_reach_their_scope_citizens_and_revoked_officers_nobody(
    session_factory: Sessions,
) -> None:
    admin, commune_admin, former, citizen = [await create_user(session_factory) for _ in range(4)]
    async with session_factory() as session, session.begin():
        for user, role, commune in (
            (admin, StaffRole.ADMIN, None),
            (commune_admin, StaffRole.ADMIN, "20242"),
            (former, StaffRole.OFFICER, "20242"),
        ):
            code = await staff.invite(
                session, role=role, commune_code=commune, unit_id=None, now=T0
            )
            joined = await staff.redeem(session, code, user, T0)
        assert joined is not None
        await staff.revoke(session, joined.id, T0)
    async with session_factory() as session:
        assert (await segments.reach(session, admin)).everyone
        assert await segments.reach(session, commune_admin) == Reach(
            communes=frozenset({"20242"}), admin=True
        )
        for nobody in (former, citizen):
            who = await segments.reach(session, nobody)
            assert not who.anyone
            assert not await segments.allowed(session, who, Segment(communes=("20242",)))
