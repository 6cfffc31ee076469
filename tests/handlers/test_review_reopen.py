"""In the chat: reopening a decided case with a reason, and the duplicate hint with its
confirmation. The rules are the actions' (tests/handlers/test_actions_review.py)."""

from __future__ import annotations

from sqlalchemy import select

from handlers.engine import Engine
from storage.models import Assessment, AssessmentStatus, Certificate
from tests.handlers.actions_helpers import state_of
from tests.handlers.conftest import Chat
from tests.handlers.test_certificates import approve
from tests.handlers.test_review import state, submit, told


async def test_an_officer_reopens_an_approval_from_the_case_and_decides_again(
    chat: Chat, bot_engine: Engine
) -> None:
    officer = await approve(chat, bot_engine)
    a = await state(bot_engine)
    await officer.payload(f"*review:{a.id}")
    assert "Duyệt" not in [b.label for b in officer.buttons]
    await officer.press("Mở lại")
    assert "ghi lý do" in officer.text
    await officer.send("sai")
    assert "Lý do quá ngắn" in officer.text
    await officer.send("Duyệt nhầm người, cần xem lại minh chứng")
    async with bot_engine.sessions() as session:
        certificate = await session.scalar(select(Certificate))
    assert "Đã mở lại" in officer.text and f"số {certificate.number} đã bị thu hồi" in officer.text
    assert certificate.revoke_reason == "Duyệt nhầm người, cần xem lại minh chứng"
    assert (await state(bot_engine)).status == AssessmentStatus.REOPENED
    assert any("mở lại" in t and "Duyệt nhầm người" in t for t in await told(chat))
    await chat.command("certificate")
    assert "thu hồi" in chat.text

    assert "Trạng thái: Hội Khuyến học đã mở lại" in officer.text  # the case again, waiting
    await officer.press("Duyệt")
    await officer.press("Duyệt")
    assert "Đã duyệt." in officer.text
    await chat.command("certificate")
    assert certificate.number in chat.text and "thu hồi" not in chat.text


async def test_the_same_person_twice_is_flagged_and_a_second_title_is_asked_about(
    chat: Chat, bot_engine: Engine
) -> None:
    officer = await approve(chat, bot_engine)  # Nguyễn Thị Lan, 1968, Hải Châu: approved
    again = Chat(bot_engine, user="lan-on-zalo")
    await submit(again, name="Nguyen Thi Lan")  # the same, typed without accents
    async with bot_engine.sessions() as session:
        first, second = list(await session.scalars(select(Assessment.id).order_by(Assessment.id)))
    await officer.payload(f"*review:{second}")
    assert f"Có thể trùng với: Nguyễn Thị Lan (mã {first}, đã được công nhận)" in officer.text
    await officer.press("Duyệt")
    await officer.press("Duyệt")
    assert "có thể đã được công nhận năm nay" in officer.text
    await officer.press("Hủy")
    assert (await state_of(bot_engine, second)) == AssessmentStatus.SUBMITTED
    await officer.press("Duyệt")
    await officer.press("Duyệt")
    await officer.press("Vẫn duyệt")
    assert "Đã duyệt." in officer.text
    assert (await state_of(bot_engine, second)) == AssessmentStatus.APPROVED
