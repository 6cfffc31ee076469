"""Officers decide from their chat; the server checks who may decide what, every time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from handlers.engine import Engine
from storage.models import (
    Assessment,
    AssessmentStatus,
    AuditEntry,
    ChannelIdentity,
    Conversation,
    OutboxMessage,
    StaffRole,
)
from tests.handlers.conftest import REGISTER, Chat, register
from tests.handlers.test_notices import join


async def submit(
    chat: Chat,
    *,
    passing: bool = True,
    name: str = "Nguyễn Thị Lan",
    files: dict[int, list[str]] | None = None,
) -> None:
    """Register and submit; `files` are evidence by indicator number (a .jpg goes as a
    photo, anything else as a document)."""
    await register(chat, [*REGISTER[:2], name, *REGISTER[3:]])
    await chat.press("Bắt đầu")
    for indicator in chat.engine.content.criteria_for("residents", 2026).indicators:
        if indicator.number_input is not None:
            bands = indicator.number_input.bands
            await chat.send(str((bands[-1] if passing else bands[0]).min))
        else:
            await chat.payload(f"{indicator.id}:0")  # the first option is the best one
        for file in (files or {}).get(indicator.number, []):
            photo = file.endswith(".jpg")
            await chat.file(
                file, "image/jpeg" if photo else "application/pdf", "photo" if photo else "document"
            )
    await chat.press("Nộp bản tự đánh giá")
    await chat.press("Nộp ngay")


async def submitted_to_officer(
    chat: Chat, bot_engine: Engine, **submission: Any
) -> tuple[Chat, Assessment]:
    """An officer of Phường Hải Châu joins, then the citizen in `chat` submits (`submission`
    as `submit` takes it): the officer's chat and the submitted assessment."""
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await submit(chat, **submission)
    return officer, await state(bot_engine)


async def state(engine: Engine) -> Assessment:
    async with engine.sessions() as session:
        return await session.scalar(select(Assessment))


async def state_with_answers(engine: Engine) -> Assessment:
    async with engine.sessions() as session:
        return await session.scalar(select(Assessment).options(selectinload(Assessment.answers)))


async def told(chat: Chat) -> list[str]:
    """Notices that reached this person's chat."""
    async with chat.engine.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.chat_id == f"chat-{chat.user}", OutboxMessage.kind == "notice"
            )
        )
        return [r.payload["text"] for r in rows]


async def audited(engine: Engine) -> list[str]:
    async with engine.sessions() as session:
        return list(await session.scalars(select(AuditEntry.action)))


async def test_approve_from_the_notice_and_the_citizen_is_told(
    chat: Chat, bot_engine: Engine
) -> None:
    officer, a = await submitted_to_officer(chat, bot_engine)
    await officer.payload(f"*review:{a.id}")  # the notice's button
    assert "Nguyễn Thị Lan, sinh năm 1968, Tổ 5, Phường Hải Châu" in officer.text
    assert "BẢN TỰ ĐÁNH GIÁ NĂM 2026" in officer.text
    await officer.press("Duyệt")  # asks first, with the name and the total
    assert "Duyệt bản tự đánh giá của Nguyễn Thị Lan" in officer.text
    assert "Tổng điểm: 100/100" in officer.text
    assert (await state(bot_engine)).status == AssessmentStatus.SUBMITTED
    await officer.press("Duyệt")
    assert "Đã duyệt." in officer.text
    decided = await state(bot_engine)
    assert decided.status == AssessmentStatus.APPROVED and decided.decided_by is not None
    assert any("đã duyệt" in text for text in await told(chat))
    assert "review.approved" in await audited(bot_engine)


async def test_a_failing_result_cannot_be_approved_but_can_be_rejected_with_a_reason(
    chat: Chat, bot_engine: Engine
) -> None:
    officer, a = await submitted_to_officer(chat, bot_engine, passing=False)
    await officer.command("review", str(a.id))
    await officer.press("Duyệt")
    assert "CHƯA ĐẠT" in officer.text
    await officer.press("Duyệt")
    assert "Không thể duyệt" in officer.text and "chỉ đạt 0 điểm, dưới 5" in officer.text
    assert (await state(bot_engine)).status == AssessmentStatus.SUBMITTED
    await officer.press("Hủy")
    await officer.press("Từ chối")
    await officer.send("ít")
    assert "Lý do quá ngắn" in officer.text
    await officer.send("Chỉ số 5 chưa có minh chứng từ chi hội")
    assert "Đã từ chối." in officer.text
    rejected = await state(bot_engine)
    assert (rejected.status, rejected.decision_note) == (
        AssessmentStatus.REJECTED,
        "Chỉ số 5 chưa có minh chứng từ chi hội",
    )
    assert any("Lý do: Chỉ số 5 chưa có" in t for t in await told(chat))


async def test_two_officers_at_once_the_first_wins_and_the_second_is_told(
    chat: Chat, bot_engine: Engine
) -> None:
    first = await join(bot_engine, "first", StaffRole.OFFICER, "20242")
    second = await join(bot_engine, "second", StaffRole.ADMIN)
    await submit(chat)
    a = await state(bot_engine)
    await first.payload(f"*review:{a.id}")
    await second.payload(f"*review:{a.id}")
    await first.press("Duyệt")
    await first.press("Duyệt")
    await second.payload(f"approve:{a.id}")  # still on screen, pressed after the first decided
    assert "đã được quyết định trước" in second.text
    assert "đã được công nhận" in second.text
    assert (await state(bot_engine)).status == AssessmentStatus.APPROVED
    assert "review.too_late" in await audited(bot_engine)


async def test_forged_and_cross_scope_actions_are_refused_and_noted(
    chat: Chat, bot_engine: Engine
) -> None:
    elsewhere = await join(bot_engine, "elsewhere", StaffRole.OFFICER, "20257")
    await submit(chat)
    a = await state(bot_engine)
    await elsewhere.payload(f"*review:{a.id}")
    assert "không có quyền" in elsewhere.text
    await elsewhere.command("pending")
    assert "Không có bản tự đánh giá nào" in elsewhere.text
    citizen = Chat(bot_engine, user="binh")
    await citizen.command("review", str(a.id))
    assert "không có quyền" in citizen.text
    await citizen.command("pending")
    assert "dành cho cán bộ" in citizen.text
    await chat.payload("approve")  # the citizen forging an officer's button
    assert (await state(bot_engine)).status == AssessmentStatus.SUBMITTED
    assert (await audited(bot_engine)).count("review.refused") == 2


async def test_the_queue_is_oldest_first_in_pages(chat: Chat, bot_engine: Engine) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    people = [Chat(bot_engine, user=f"p{n}") for n in range(11)]
    for n, person in enumerate(people):
        await submit(person, name=f"Người Thứ {chr(65 + n)}")
    await officer.command("pending")
    labels = [b.label for b in officer.buttons]
    assert labels[0].startswith("Người Thứ A") and labels[9].startswith("Người Thứ J")
    assert "Trang sau »" in labels and "« Trang trước" not in labels
    assert "Tổng: 11 bản; đang xem 1–10." in officer.text
    await officer.press("Trang sau")
    assert officer.buttons[0].label.startswith("Người Thứ K")
    assert "« Trang trước" in [b.label for b in officer.buttons]
    await officer.press("« Trang trước")
    assert officer.buttons[0].label.startswith("Người Thứ A")


async def test_return_reopens_only_the_flagged_indicators_and_comes_back_showing_changes(
    chat: Chat, bot_engine: Engine
) -> None:
    officer, a = await submitted_to_officer(chat, bot_engine)
    indicators = bot_engine.content.criteria_for("residents", 2026).indicators
    third = next(ind for ind in indicators[1:] if ind.options)  # one answered by options
    n = third.number
    await officer.payload(f"*review:{a.id}")
    await officer.press("Trả lại để sửa")
    await officer.press("Xong")
    assert "ít nhất một chỉ số" in officer.text
    await officer.press(f"{n}.")
    await officer.press("10.")
    await officer.press("✓ 10.")  # changed their mind
    await officer.press("Xong")
    await officer.send("Chỉ số 3 cần giấy xác nhận của chi hội")
    assert "Đã trả lại" in officer.text
    returned = await state(bot_engine)
    assert (returned.status, returned.reopened) == (AssessmentStatus.RETURNED, [third.id])
    assert any(f"sửa các chỉ số: {n}" in t for t in await told(chat))

    # The citizen goes straight to that indicator; the others stay locked.
    await chat.command("menu")
    await chat.press("Sửa bản tự đánh giá")
    assert f"Chỉ số {n}/10" in chat.text
    await chat.payload(f"{third.id}:{len(third.options) - 1}")  # a lower answer
    assert f"đề nghị sửa chỉ số: {n}" in chat.text  # back at the summary
    await chat.file("xac-nhan.jpg")  # evidence of the corrected answer
    assert f"Đã nhận minh chứng cho chỉ số {n}" in chat.text
    await chat.press("Sửa câu trả lời")
    assert [b.label for b in chat.buttons][:-1] == [f"{n}. {third.title.vi}"]
    await chat.press("« Quay lại")
    await chat.press("Nộp bản tự đánh giá")
    await chat.press("Nộp ngay")
    assert (await state(bot_engine)).status == AssessmentStatus.SUBMITTED
    old, new = third.options[0].points, third.options[-1].points
    notice = [t for t in await told(officer) if "Đã sửa so với lần nộp trước" in t]
    assert notice and f"{n} ({old} → {new})" in notice[0]


async def test_a_returned_assessment_refuses_changes_elsewhere(
    chat: Chat, bot_engine: Engine
) -> None:
    officer, a = await submitted_to_officer(chat, bot_engine)
    await officer.payload(f"*review:{a.id}")
    await officer.press("Trả lại để sửa")
    await officer.press("2.")
    await officer.press("Xong")
    await officer.send("Cần bổ sung minh chứng")
    await chat.command("menu")
    await chat.press("Sửa bản tự đánh giá")
    first = bot_engine.content.criteria_for("residents", 2026).indicators[0]
    async with bot_engine.sessions() as session, session.begin():
        conversation = await session.scalar(
            select(Conversation)
            .join(ChannelIdentity, ChannelIdentity.user_id == Conversation.user_id)
            .where(ChannelIdentity.external_user_id == chat.user)
        )
        conversation.data = {"i": 0, "review": True}  # a state left from before the return
    await chat.send("1")
    assert "Chỉ số 1 không cần sửa" in chat.text
    points = {x.indicator_id: x.points for x in (await state_with_answers(bot_engine)).answers}
    assert points[first.id] == first.options[0].points
