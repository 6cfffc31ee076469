"""Staff actions: a commune admin's reach is what the bot tells them, invites say what they
give and can be ended, and only admins manage people."""

from __future__ import annotations

from sqlalchemy import select

from handlers.actions import Actor, Reason, review, staff
from handlers.engine import Engine
from handlers.flows.reports import scope_codes
from storage.models import Assessment, AuditEntry, StaffRole
from storage.repositories import certificates, reviews, segments
from tests.handlers.actions_helpers import act as run
from tests.handlers.actions_helpers import actor, refused
from tests.handlers.conftest import REGISTER, Chat
from tests.handlers.test_notices import join, notices
from tests.handlers.test_notices import submit as submit_in
from tests.handlers.test_review import submit


async def joined(engine: Engine, name: str, code: str) -> Chat:
    chat = Chat(engine, user=name)
    await chat.command("officer", code)
    return chat


async def test_a_commune_admin_reaches_exactly_the_commune_the_bot_names(
    chat: Chat, bot_engine: Engine
) -> None:
    operator = Actor.operator()
    invited = await run(bot_engine, staff.invite, operator, role=StaffRole.ADMIN, scope="20242")
    assert isinstance(invited, staff.Invited) and invited.scope == "Phường Hải Châu"
    admin = await joined(bot_engine, "admin", invited.code)
    assert "quản trị viên của Phường Hải Châu" in admin.text

    await submit(chat)  # Hải Châu: the commune admin is told and decides
    other = Chat(bot_engine, user="hoa")  # Hoa lives in Phường Hòa Cường
    await submit_in(
        other,
        [
            *REGISTER[:2],
            "Trần Thị Hoa",
            "1970",
            "#Người dân",
            "hoa cuong",
            "#Đúng",
            "Tổ 1",
        ],
    )
    async with bot_engine.sessions() as session:
        here, there = list(await session.scalars(select(Assessment.id).order_by(Assessment.id)))
    assert len(await notices(chat, "admin")) == 1
    me = await actor(admin)
    assert [a.id for a, _ in await run(bot_engine, review.queue, me, limit=10)] == [here]
    assert refused(await run(bot_engine, review.approve, me, there), Reason.OUT_OF_SCOPE)
    assert isinstance(await run(bot_engine, review.approve, me, here), review.Decided)

    async with bot_engine.sessions() as session:
        roles = await reviews.scopes(session, me.user_id, bot_engine.content.routing)
        reach = await segments.reach(session, me.user_id)
    assert scope_codes(roles) == ["20242"]  # their commune's report, not the province's
    assert (reach.everyone, reach.communes) == (False, frozenset({"20242"}))

    # Inside the commune they manage people; outside it they cannot.
    officer = await run(bot_engine, staff.invite, me, role=StaffRole.OFFICER, scope="20242")
    assert isinstance(officer, staff.Invited)
    outside = await run(bot_engine, staff.invite, me, role=StaffRole.OFFICER, scope="20257")
    assert refused(outside, Reason.OUT_OF_SCOPE)
    province = await run(bot_engine, staff.invite, me, role=StaffRole.ADMIN, scope=None)
    assert refused(province, Reason.OUT_OF_SCOPE)
    elsewhere = await run(bot_engine, staff.invite, operator, role=StaffRole.OFFICER, scope="20257")
    assert [i.invite.commune_code for i in await run(bot_engine, staff.invites, me)] == ["20242"]
    assert len(await run(bot_engine, staff.invites, operator)) == 2
    assert isinstance(elsewhere, staff.Invited)


async def test_invites_print_role_and_scope_can_be_cancelled_and_avoid_look_alikes(
    bot_engine: Engine,
) -> None:
    operator = Actor.operator()
    bad = await run(bot_engine, staff.invite, operator, role=StaffRole.OFFICER, scope="99999")
    assert refused(bad, Reason.BAD_SCOPE)
    unit_admin = await run(bot_engine, staff.invite, operator, role=StaffRole.ADMIN, scope="1-1")
    assert refused(unit_admin, Reason.BAD_SCOPE)
    nowhere = await run(bot_engine, staff.invite, operator, role=StaffRole.OFFICER, scope=None)
    assert refused(nowhere, Reason.BAD_SCOPE)

    first = await run(bot_engine, staff.invite, operator, role=StaffRole.OFFICER, scope="20242")
    second = await run(bot_engine, staff.invite, operator, role=StaffRole.ADMIN, scope=None)
    for code in (first.code, second.code):
        assert set(code) <= set(certificates.CODE_ALPHABET) and not set(code) & set("01IO")
    assert second.scope == "Thành phố Đà Nẵng"
    [open_first, open_second] = await run(bot_engine, staff.invites, operator)
    assert (open_second.invite.role, open_second.scope) == ("admin", "Thành phố Đà Nẵng")

    ended = await run(bot_engine, staff.cancel_invite, operator, open_first.invite.id)
    assert ended.expires_at == bot_engine.clock()
    again = await run(bot_engine, staff.cancel_invite, operator, open_first.invite.id)
    assert refused(again, Reason.NOT_FOUND)
    cancelled = await joined(bot_engine, "late", first.code)
    assert "Mã mời không đúng" in cancelled.text
    # Typed by hand, in lower case and in groups: the same code.
    typed = "-".join(second.code[i : i + 4] for i in range(0, 12, 4)).lower()
    admin = await joined(bot_engine, "admin", typed)
    assert "quản trị viên của Thành phố Đà Nẵng" in admin.text
    async with bot_engine.sessions() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert actions.count("staff.invited") == 2 and "staff.invite_cancelled" in actions


async def test_only_admins_manage_people_and_the_roster_has_names(
    chat: Chat, bot_engine: Engine
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await submit(officer, name="Lê Văn Bình")  # the officer also registered as a citizen
    me = await actor(officer)
    assert refused(await run(bot_engine, staff.people, me), Reason.NOT_STAFF)
    assert refused(
        await run(bot_engine, staff.invite, me, role=StaffRole.OFFICER, scope="20242"),
        Reason.NOT_STAFF,
    )
    [member] = await run(bot_engine, staff.people, Actor.operator())
    assert (member.name, member.scope, member.role.role) == (
        "Lê Văn Bình",
        "Phường Hải Châu",
        "officer",
    )
    revoked = await run(bot_engine, staff.revoke, Actor.operator(), member.role.id)
    assert revoked.id == member.role.id
    assert refused(
        await run(bot_engine, staff.revoke, Actor.operator(), member.role.id), "not_found"
    )
    assert await run(bot_engine, staff.people, Actor.operator()) == []
