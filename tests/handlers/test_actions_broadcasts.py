"""Broadcast actions, as the console and the CLI call them: whom staff may reach, the
message and time checked, who may control which broadcast, which state allows what, and
every refusal noted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from handlers.actions import Actor, Reason
from handlers.actions import broadcasts as act
from handlers.engine import Engine
from storage.models import AuditEntry, BroadcastStatus, StaffRole
from storage.repositories.segments import Segment
from tests.handlers.actions_helpers import act as run
from tests.handlers.actions_helpers import actor, refused
from tests.handlers.conftest import Chat, register
from tests.handlers.test_notices import join

HAI_CHAU, THANH_KHE = Segment(communes=("20242",)), Segment(communes=("20257",))


async def test_whom_staff_reach_and_what_they_may_send(chat: Chat, bot_engine: Engine) -> None:
    await register(chat)  # a citizen of Phường Hải Châu
    citizen = await actor(chat)
    officer_chat = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    officer = await actor(officer_chat)
    await officer_chat.command("broadcast")  # the chat asks the same action about the text
    await officer_chat.send("x" * (act.MAX_TEXT + 1))
    assert "Nội dung dài 3.501 ký tự, quá 3.500." in officer_chat.text

    assert refused(await run(bot_engine, act.reach, citizen), Reason.NOT_STAFF)
    assert refused(await run(bot_engine, act.audience, citizen, HAI_CHAU), Reason.NOT_STAFF)
    everyone = Segment()
    assert refused(await run(bot_engine, act.audience, officer, everyone), Reason.OUT_OF_SCOPE)
    assert refused(await run(bot_engine, act.audience, officer, THANH_KHE), Reason.OUT_OF_SCOPE)
    audience = await run(bot_engine, act.audience, officer, HAI_CHAU)
    assert not refused(audience, Reason.OUT_OF_SCOPE) and audience.reachable == 1  # the citizen

    def create(who: Actor, text: str, segment: Segment = HAI_CHAU, **kw: object) -> object:
        return run(bot_engine, act.create, who, text=text, segment=segment, **kw)

    assert refused(await create(officer, "  \n "), Reason.EMPTY)
    assert refused(await create(officer, "x" * (act.MAX_TEXT + 1)), Reason.TOO_LONG)
    assert refused(await create(officer, "Họp", THANH_KHE), Reason.OUT_OF_SCOPE)
    past = bot_engine.clock() - timedelta(minutes=1)
    assert refused(await create(officer, "Họp", send_at=past), Reason.IN_THE_PAST)
    draft = await create(officer, "  Họp chi hội  ")
    assert draft.status == BroadcastStatus.DRAFT and draft.text == "Họp chi hội"
    assert draft.author_user_id == officer.user_id

    async with bot_engine.sessions() as session:
        rows = list(await session.execute(select(AuditEntry.action, AuditEntry.actor_user_id)))
    # Each refusal of whom is noted, with who asked; a message's wording is not a refusal.
    assert rows.count(("broadcast.refused", citizen.user_id)) == 2
    assert rows.count(("broadcast.refused", officer.user_id)) == 3
    assert ("broadcast.created", officer.user_id) in rows


async def test_who_controls_a_broadcast_and_which_state_allows_what(
    chat: Chat, bot_engine: Engine
) -> None:
    await register(chat)
    author = await actor(await join(bot_engine, "author", StaffRole.OFFICER, "20242"))
    colleague = await actor(await join(bot_engine, "colleague", StaffRole.OFFICER, "20242"))
    elsewhere = await actor(await join(bot_engine, "elsewhere", StaffRole.ADMIN, "20257"))
    commune_admin = await actor(await join(bot_engine, "admin", StaffRole.ADMIN, "20242"))
    operator = Actor.operator("cli:lan")
    made = await run(bot_engine, act.create, author, text="Họp", segment=HAI_CHAU)
    b = made.id

    for stranger in (colleague, elsewhere):  # another officer's; another commune's
        assert refused(await run(bot_engine, act.send, stranger, b), Reason.NOT_FOUND)
    assert refused(await run(bot_engine, act.figures, elsewhere, b), Reason.NOT_FOUND)
    assert refused(await run(bot_engine, act.pause, author, 999), Reason.NOT_FOUND)
    assert [f.broadcast.id for f in await run(bot_engine, act.history, elsewhere)] == []
    seen = await run(bot_engine, act.figures, colleague, b)  # within reach: seen, not controlled
    assert seen.stats.total == 1 and not seen.controllable

    soon = bot_engine.clock() + timedelta(hours=2)
    sent = await run(bot_engine, act.send, author, b, soon)
    assert sent.status == BroadcastStatus.SCHEDULED and sent.send_at == soon
    wrong = await run(bot_engine, act.send, author, b)
    assert refused(wrong, Reason.WRONG_STATE) and wrong.broadcast.status == "scheduled"
    assert (await run(bot_engine, act.pause, commune_admin, b)).before == "scheduled"
    assert refused(await run(bot_engine, act.pause, author, b), Reason.WRONG_STATE)
    resumed = await run(bot_engine, act.resume, operator, b)
    assert (resumed.before, resumed.broadcast.status) == ("paused", "scheduled")
    assert (await run(bot_engine, act.cancel, author, b)).broadcast.status == "cancelled"
    for change in (act.resume, act.pause, act.cancel):
        assert refused(await run(bot_engine, change, author, b), Reason.WRONG_STATE)
    [shown] = await run(bot_engine, act.history, commune_admin)
    assert shown.controllable and shown.broadcast.status == "cancelled"

    async with bot_engine.sessions() as session:
        rows = list(
            await session.execute(
                select(AuditEntry.action, AuditEntry.actor_name).where(
                    AuditEntry.subject == f"broadcast:{b}"
                )
            )
        )
    assert ("broadcast.resumed", "cli:lan") in rows  # the command line's operator, by name
    assert [a for a, _ in rows].count("broadcast.refused") == 3
