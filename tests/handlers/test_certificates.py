"""Approval issues the certificate in the same transaction and sends it to the citizen, who
can ask for it again; without one, they are told why."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from handlers.engine import Engine
from storage.models import AuditEntry, Certificate, OutboxMessage, utcnow
from storage.repositories import certificates
from tests.handlers.conftest import Chat, register
from tests.handlers.test_review import state, submit, submitted_to_officer


async def approve(chat: Chat, bot_engine: Engine) -> Chat:
    officer, a = await submitted_to_officer(chat, bot_engine)
    await officer.payload(f"*review:{a.id}")
    await officer.press("Duyệt")
    await officer.press("Duyệt")  # confirmed
    assert "Đã duyệt." in officer.text
    return officer


async def the_certificate(engine: Engine) -> Certificate | None:
    async with engine.sessions() as session:
        return await session.scalar(select(Certificate))


async def queued_to(chat: Chat) -> list[dict[str, Any]]:
    async with chat.engine.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.chat_id == f"chat-{chat.user}")
            .order_by(OutboxMessage.id)
        )
        return [r.payload for r in rows]


async def test_approval_issues_the_certificate_and_sends_it(chat: Chat, bot_engine: Engine) -> None:
    await approve(chat, bot_engine)

    issued = await the_certificate(bot_engine)
    a = await state(bot_engine)
    assert issued is not None
    assert (issued.assessment_id, issued.user_id, issued.full_name, issued.total, issued.year) == (
        a.id,
        a.user_id,
        "Nguyễn Thị Lan",
        a.total,
        2026,
    )
    assert issued.number == f"48-2026-{issued.id:06d}"
    sent = [p for p in await queued_to(chat) if p.get("attachment")]
    assert len(sent) == 1
    assert sent[0]["attachment"]["document"] == f"certificate:{issued.code}"
    assert issued.number in sent[0]["text"] and "/certificate" in sent[0]["text"]
    async with bot_engine.sessions() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert "certificate.issued" in actions


async def test_a_rejection_issues_nothing(chat: Chat, bot_engine: Engine) -> None:
    officer, a = await submitted_to_officer(chat, bot_engine, passing=False)
    await officer.payload(f"*review:{a.id}")
    await officer.press("Từ chối")
    await officer.send("Chưa có minh chứng cho chỉ số 5")
    assert await the_certificate(bot_engine) is None
    await chat.command("certificate")
    assert "chưa có giấy chứng nhận" in chat.text and "không được công nhận" in chat.text


async def test_my_certificate_from_the_menu_and_by_command(chat: Chat, bot_engine: Engine) -> None:
    await approve(chat, bot_engine)
    issued = await the_certificate(bot_engine)
    assert issued is not None

    await chat.command("menu")
    await chat.press("Giấy chứng nhận của tôi")
    [with_file] = [r for r in chat.replies if r.attachment is not None]
    assert with_file.attachment is not None
    assert with_file.attachment.document == f"certificate:{issued.code}"
    assert issued.number in with_file.text
    assert "TRANG CHÍNH" in chat.text  # and back home

    await chat.command("chungnhan")  # the Vietnamese alias
    assert any(r.attachment is not None for r in chat.replies)


async def test_without_a_certificate_the_citizen_is_told_why(
    chat: Chat, bot_engine: Engine
) -> None:
    other = Chat(bot_engine, user="binh")
    await other.command("certificate")
    assert "cần hoàn tất đăng ký" in other.text  # not registered yet

    await register(chat)
    assert "Giấy chứng nhận của tôi" not in [b.label for b in chat.buttons]
    await chat.command("certificate")
    assert "chưa có giấy chứng nhận" in chat.text
    assert "chưa có bản tự đánh giá năm 2026" in chat.text
    assert not any(r.attachment for r in chat.replies)

    await submit(Chat(bot_engine, user="chi"), name="Trần Thị Chi")
    waiting = Chat(bot_engine, user="chi")
    await waiting.command("certificate")
    assert "đang chờ Hội Khuyến học xác minh" in waiting.text


async def test_a_revoked_certificate_is_not_offered_and_says_why(
    chat: Chat, bot_engine: Engine
) -> None:
    await approve(chat, bot_engine)
    issued = await the_certificate(bot_engine)
    assert issued is not None
    async with bot_engine.sessions() as session, session.begin():
        await certificates.revoke(session, issued.code, reason="Khai sai minh chứng", now=utcnow())

    await chat.command("menu")
    assert "Giấy chứng nhận của tôi" not in [b.label for b in chat.buttons]
    await chat.command("certificate")
    assert "đã bị Hội Khuyến học thu hồi" in chat.text and "Khai sai minh chứng" in chat.text
    assert not any(r.attachment for r in chat.replies)


async def test_english_speakers_get_their_language(chat: Chat, bot_engine: Engine) -> None:
    await approve(chat, bot_engine)
    await chat.command("lang")
    await chat.press("English")
    await chat.command("certificate")
    assert "Your 2026 Learning Citizen certificate, number 48-2026-" in chat.text


async def test_erasure_removes_the_certificate(chat: Chat, bot_engine: Engine) -> None:
    await approve(chat, bot_engine)
    issued = await the_certificate(bot_engine)
    assert issued is not None
    await chat.command("delete")
    await chat.press("Xóa hết")
    async with bot_engine.sessions() as session:
        assert await certificates.by_code(session, issued.code) is None
    assert not [p for p in await queued_to(chat) if p.get("attachment")]  # queued ones too
