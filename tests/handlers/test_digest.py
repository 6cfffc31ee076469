"""The officers' daily digest: who hears about what, escalation to the scope above, and
one digest a day however many schedulers run."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot import jobs
from bot.scheduler import Scheduler
from handlers.engine import Engine
from storage.models import JobRun, OutboxMessage, StaffRole, utcnow
from storage.repositories import staff
from tests.handlers.conftest import REGISTER, Chat, Clock
from tests.handlers.test_notices import join, submit


def scheduler(engine: Engine, clock: Clock) -> Scheduler:
    job = jobs.review_digest(
        engine.content, engine.catalogs, hour=8, remind_days=3, escalate_days=10
    )
    return Scheduler(engine.sessions, [job], clock=clock)


async def digests(engine: Engine, user: str) -> list[str]:
    async with engine.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.chat_id == f"chat-{user}", OutboxMessage.kind == "reminder")
            .order_by(OutboxMessage.id)
        )
        return [r.payload["text"] for r in rows]


async def test_each_officer_hears_of_their_own_and_long_waits_go_up_a_level(
    chat: Chat, bot_engine: Engine, clock: Clock
) -> None:
    async with bot_engine.sessions() as session, session.begin():
        village = await staff.add_unit(
            session, commune_code="20242", name="Tổ dân phố 7", kind="village", now=utcnow()
        )
    await join(bot_engine, "village-officer", StaffRole.OFFICER, "20242", village.id)
    await join(bot_engine, "commune-officer", StaffRole.OFFICER, "20242")
    admin = await join(bot_engine, "admin", StaffRole.ADMIN, english=True)
    await submit(chat, [*REGISTER[:-1], "#Tổ dân phố 7"])  # Lan, in the unit
    hoa = Chat(bot_engine, user="hoa")
    await submit(hoa, [*REGISTER[:2], "Trần Thị Hoa", *REGISTER[3:]])  # no unit: the commune

    clock.advance(days=2)
    await scheduler(bot_engine, clock).tick()
    assert await digests(bot_engine, "commune-officer") == []  # not yet three days

    clock.advance(days=2)  # four days: each hears of their own, once, with two schedulers
    ran = await asyncio.gather(
        scheduler(bot_engine, clock).tick(), scheduler(bot_engine, clock).tick()
    )
    assert sorted(ran) == [[], ["review.digest"]]
    [village_digest] = await digests(bot_engine, "village-officer")
    assert "1 bản tự đánh giá đang chờ xác minh quá 3 ngày" in village_digest
    assert "- Nguyễn Thị Lan: 4 ngày" in village_digest
    [commune_digest] = await digests(bot_engine, "commune-officer")
    assert "- Trần Thị Hoa: 4 ngày" in commune_digest and "Lan" not in commune_digest
    assert await digests(bot_engine, "admin") == []

    clock.advance(days=7)  # eleven days: also to the scope above
    await scheduler(bot_engine, clock).tick()
    assert "- Nguyễn Thị Lan: 11 ngày" in (await digests(bot_engine, "village-officer"))[-1]
    commune_digest = (await digests(bot_engine, "commune-officer"))[-1]
    assert "2 bản tự đánh giá" in commune_digest and "Trong đó 1 bản" in commune_digest
    assert "- Nguyễn Thị Lan: 11 ngày (từ cấp dưới)" in commune_digest
    assert "- Trần Thị Hoa: 11 ngày" in commune_digest
    [admin_digest] = await digests(bot_engine, "admin")  # in the admin's language
    assert admin_digest.startswith("Reminder: 1 self-assessment")
    assert "Trần Thị Hoa: 11 days (from the level below)" in admin_digest
    assert "Lan" not in admin_digest  # the commune has officers: that is Lan's next level

    # The digest's button opens the queue.
    async with bot_engine.sessions() as session:
        [row] = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.chat_id == "chat-admin", OutboxMessage.kind == "reminder"
            )
        )
    [[label, payload]] = row.payload["buttons"]
    assert label == "Waiting list"
    await admin.payload(payload)
    names = [b.label.split(" (")[0] for b in admin.buttons]
    assert names[:2] == ["Nguyễn Thị Lan", "Trần Thị Hoa"]


async def test_nothing_is_sent_when_nothing_waits_too_long(
    chat: Chat, bot_engine: Engine, clock: Clock
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await submit(chat)
    await officer.command("pending")
    await officer.press("Nguyễn Thị Lan")
    await officer.press("Từ chối")
    await officer.send("Chưa đủ minh chứng cho các chỉ số")
    clock.advance(days=5)
    assert await scheduler(bot_engine, clock).tick() == ["review.digest"]
    async with bot_engine.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(JobRun)) == 1
        reminders = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "reminder")
        )
    assert reminders == 0


async def test_an_officers_own_submission_is_recalled_to_the_scope_above(
    bot_engine: Engine, clock: Clock
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await join(bot_engine, "admin", StaffRole.ADMIN)
    await submit(officer)  # the commune's officer is also a citizen of it
    clock.advance(days=4)
    assert await scheduler(bot_engine, clock).tick() == ["review.digest"]
    assert await digests(bot_engine, "officer") == []
    [admin_digest] = await digests(bot_engine, "admin")
    assert "- Nguyễn Thị Lan: 4 ngày" in admin_digest and "cấp dưới" not in admin_digest
