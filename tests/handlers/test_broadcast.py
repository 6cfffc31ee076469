"""Broadcasts from the chat: staff only, within their scope whatever the buttons or the
saved state say, with a preview and a confirmation; controls on the progress message; and
an opt-out that drops what is queued, from the middle of a questionnaire."""

from __future__ import annotations

from sqlalchemy import select, update

from handlers.engine import Engine
from storage.models import (
    AuditEntry,
    Broadcast,
    BroadcastStatus,
    Conversation,
    OutboxMessage,
    OutboxStatus,
    StaffRole,
)
from storage.repositories import broadcasts, outbox
from storage.repositories.segments import Segment
from tests.handlers.conftest import REGISTER, Chat, register
from tests.handlers.test_notices import join


async def audited(engine: Engine) -> list[str]:
    async with engine.sessions() as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def made(engine: Engine) -> list[Broadcast]:
    async with engine.sessions() as session:
        return list(await session.scalars(select(Broadcast).order_by(Broadcast.id)))


async def citizen(engine: Engine, name: str, commune: str = "hai chau") -> Chat:
    person = Chat(engine, user=name)
    steps = list(REGISTER)
    steps[5] = commune
    steps[6] = "#Đúng"  # one commune of that name: confirmed, not picked
    await register(person, steps)
    return person


async def compose(staff: Chat, text: str = "Họp chi hội thứ Bảy, 19 giờ.") -> None:
    await staff.command("broadcast")
    assert "GỬI THÔNG BÁO" in staff.text
    await staff.send(text)
    assert "Gửi cho ai?" in staff.text


async def test_citizens_are_refused_and_it_is_noted(chat: Chat, bot_engine: Engine) -> None:
    await register(chat)
    await chat.command("broadcast")
    assert "không có quyền" in chat.text and "TRANG CHÍNH" in chat.text
    await chat.payload("*bcpause:1")  # a forged control
    assert "không có quyền" in chat.text
    assert (await audited(bot_engine)).count("broadcast.refused") == 2
    assert await made(bot_engine) == []


async def test_an_admin_sends_to_the_province_after_a_preview(
    chat: Chat, bot_engine: Engine
) -> None:
    await register(chat)
    await citizen(bot_engine, "binh", "thanh khe")
    stopped = await citizen(bot_engine, "chi")
    await stopped.command("stop")
    admin = await join(bot_engine, "admin", StaffRole.ADMIN)

    await compose(admin)
    assert [b.label for b in admin.buttons] == ["Toàn Thành phố Đà Nẵng", "Một xã/phường", "Hủy"]
    await admin.press("Toàn")
    assert "Gửi đến: toàn Thành phố Đà Nẵng." in admin.text
    await admin.press("Xem trước")
    assert "XEM TRƯỚC" in admin.text and "Họp chi hội thứ Bảy" in admin.text
    assert "Gõ /stop để ngừng nhận thông báo." in admin.text
    assert "Số người sẽ nhận: 2 (không gửi cho 1 người đã ngừng nhận" in admin.text
    await admin.press("Gửi ngay")
    assert "Đã bắt đầu gửi thông báo #1" in admin.text

    [b] = await made(bot_engine)
    assert (b.status, b.text, b.segment) == ("scheduled", "Họp chi hội thứ Bảy, 19 giờ.", {})
    assert (b.progress_channel, b.progress_chat_id) == ("console", "chat-admin")
    assert "broadcast.created" in await audited(bot_engine)
    await admin.payload("send")  # pressed again on the preview
    assert len(await made(bot_engine)) == 1


async def test_an_admin_narrows_to_a_commune_a_group_and_a_status(
    chat: Chat, bot_engine: Engine
) -> None:
    await register(chat)
    await citizen(bot_engine, "binh", "thanh khe")
    admin = await join(bot_engine, "admin", StaffRole.ADMIN)
    await compose(admin)
    await admin.press("Một xã/phường")
    await admin.send("hai chau")
    await admin.press("Phường Hải Châu")
    assert "Gửi đến: Phường Hải Châu." in admin.text
    await admin.press("Lọc theo nhóm")
    await admin.press("Người dân")
    await admin.press("Lọc theo trạng thái")
    await admin.press("Chưa bắt đầu")
    assert "nhóm: Người dân trong xã, phường; năm 2026: chưa bắt đầu tự đánh giá" in admin.text
    await admin.press("Xem trước")
    assert "Số người sẽ nhận: 1 " in admin.text
    await admin.press("Gửi ngay")
    [b] = await made(bot_engine)
    assert Segment.from_json(b.segment) == Segment(
        communes=("20242",), groups=("residents",), statuses=("none",), year=2026
    )


async def test_an_officer_stays_within_their_scope(chat: Chat, bot_engine: Engine) -> None:
    await register(chat)
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await compose(officer)
    assert [b.label for b in officer.buttons] == ["Phường Hải Châu", "Hủy"]
    await officer.payload("all")  # the admin's button, forged
    assert "không còn dùng được" in officer.text
    await officer.press("Phường Hải Châu")
    await officer.press("Xem trước")
    assert "Số người sẽ nhận: 1 " in officer.text

    # The saved state altered to reach another commune: refused at the last step.
    async with bot_engine.sessions() as session, session.begin():
        conversation = await session.scalar(
            select(Conversation).where(Conversation.step == "preview")
        )
        conversation.data = {**conversation.data, "segment": {"communes": ["20257"]}}
    await officer.payload("send")
    assert "không có quyền" in officer.text
    assert await made(bot_engine) == []
    assert "broadcast.refused" in await audited(bot_engine)


async def test_controls_on_the_progress_message_check_who_presses(
    chat: Chat, bot_engine: Engine
) -> None:
    await register(chat)
    author = await join(bot_engine, "author", StaffRole.OFFICER, "20242")
    other = await join(bot_engine, "other", StaffRole.OFFICER, "20257")
    admin = await join(bot_engine, "admin", StaffRole.ADMIN)
    await compose(author)
    await author.press("Phường Hải Châu")
    await author.press("Xem trước")
    await author.press("Gửi ngay")
    [b] = await made(bot_engine)

    await other.payload(f"*bcpause:{b.id}")
    assert "không có quyền" in other.text
    await author.payload(f"*bcpause:{b.id}")
    assert f"Thông báo #{b.id}: tạm dừng." in author.text
    await admin.payload(f"*bcresume:{b.id}")
    assert f"Thông báo #{b.id}: chờ đến giờ gửi." in admin.text
    commune_admin = await join(bot_engine, "commune-admin", StaffRole.ADMIN, "20242")
    other_admin = await join(bot_engine, "other-admin", StaffRole.ADMIN, "20257")
    await other_admin.payload(f"*bcpause:{b.id}")  # another commune's broadcast
    assert "không có quyền" in other_admin.text
    await commune_admin.payload(f"*bcpause:{b.id}")  # their commune's, by an officer of it
    assert f"Thông báo #{b.id}: tạm dừng." in commune_admin.text
    await author.payload(f"*bccancel:{b.id}")
    assert f"Thông báo #{b.id}: đã hủy." in author.text
    await author.payload(f"*bcresume:{b.id}")  # too late: it stays cancelled
    assert f"Thông báo #{b.id}: đã hủy." in author.text
    assert [b.status for b in await made(bot_engine)] == [BroadcastStatus.CANCELLED]
    actions = await audited(bot_engine)
    assert actions.count("broadcast.refused") == 2
    assert {"broadcast.paused", "broadcast.resumed", "broadcast.cancelled"} <= set(actions)


async def queued_for(engine: Engine, person: Chat) -> list[OutboxMessage]:
    async with engine.sessions() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.chat_id == f"chat-{person.user}", OutboxMessage.lane == 1)
                .order_by(OutboxMessage.id)
            )
        )


async def test_stop_typed_mid_questionnaire_drops_queued_broadcasts(
    chat: Chat, bot_engine: Engine
) -> None:
    await register(chat)
    await chat.press("Bắt đầu tự đánh giá")
    await chat.payload("I1:0")
    assert "Chỉ số 2/10" in chat.text
    async with bot_engine.sessions() as session, session.begin():
        b = await broadcasts.create(
            session, text="Tin", segment=Segment(), author_user_id=None, now=bot_engine.clock()
        )
        broadcasts.schedule(b, bot_engine.clock(), bot_engine.clock())
        await broadcasts.start(session, b, bot_engine.clock())
        await broadcasts.enqueue_next(
            session, b, limit=10, texts={"vi": "Tin"}, now=bot_engine.clock()
        )
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.broadcast_id == b.id).values(status="held")
        )
        user_id = b.cursor
        await outbox.enqueue(
            session,
            [outbox.NewMessage(user_id, "console", "chat-an", "reminder", {"text": "Nhắc"})],
            bot_engine.clock(),
        )
    assert [m.status for m in await queued_for(bot_engine, chat)] == ["held", "pending"]

    await chat.send("Ngừng nhận tin")
    assert "Đã ngừng gửi thông báo" in chat.text
    assert "Chỉ số 2/10" in chat.text  # the question again, the answers kept
    queued = await queued_for(bot_engine, chat)
    assert [(m.status, m.last_error) for m in queued] == [(OutboxStatus.CANCELLED, "opted out")] * 2
    await chat.command("start")
    assert "nhận lại thông báo" in chat.text
