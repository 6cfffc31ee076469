"""The digital-skills check in the chat: questions, levels, resuming, progress, and refusals."""

from __future__ import annotations

from sqlalchemy import select

from content import Content
from storage.models import SkillCheck
from tests.handlers.conftest import Chat, Clock, register

LABELS = {
    0: "Chưa làm được",
    1: "Làm được khi có người hướng dẫn",
    2: "Tự làm được",
    3: "Tự làm được và hướng dẫn được người khác",
}


async def checks(chat: Chat) -> list[SkillCheck]:
    async with chat.engine.sessions() as session:
        return list(await session.scalars(select(SkillCheck).order_by(SkillCheck.id)))


async def take(chat: Chat, points: list[int]) -> None:
    if not any(b.label == "Kiểm tra kỹ năng số" for b in chat.buttons):
        await chat.command("menu")  # after a check: its learning suggestions on screen
    await chat.press("Kiểm tra kỹ năng số")
    await chat.press("Bắt đầu")
    for p in points:
        await chat.press(LABELS[p])


async def test_a_full_check_gives_a_level_per_area_and_overall(
    chat: Chat, content: Content
) -> None:
    await register(chat)
    # Strong everywhere except public services (VNeID, online services, payment).
    await take(chat, [3] * 12 + [1, 0, 1])

    text = chat.replies[0].text
    assert "Thông tin và dữ liệu: Nâng cao" in text
    assert "Dịch vụ công và môi trường số: Bắt đầu" in text
    assert "Mức chung: Bắt đầu" in text
    assert "GỢI Ý HỌC TẬP" in chat.text  # the weak area's suggestions end the check
    assert chat.buttons[-1].label == "Về trang chính"
    [check] = await checks(chat)
    assert check.finished_at is not None and check.overall == "none"
    assert check.levels["safety"] == "advanced"
    assert check.answers["vneid"] == 1 and len(check.answers) == 15
    assert check.framework_version == content.digital_skills.version


async def test_a_paused_check_resumes_at_the_first_unanswered_question(chat: Chat) -> None:
    await register(chat)
    await chat.press("Kiểm tra kỹ năng số")
    await chat.press("Bắt đầu")
    await chat.press(LABELS[2])
    await chat.send("2")  # typed: the second option
    await chat.press("Tạm dừng")
    assert "Đã lưu" in chat.text

    await chat.press("Kiểm tra kỹ năng số")

    assert "Câu 3/15" in chat.text
    [check] = await checks(chat)
    assert check.answers == {"search": 2, "judge": 1} and check.finished_at is None


async def test_an_old_questions_button_is_refused(chat: Chat) -> None:
    await register(chat)
    await chat.press("Kiểm tra kỹ năng số")
    await chat.press("Bắt đầu")
    stale = chat.buttons[0].payload  # question 1's "Chưa làm được"
    await chat.press(LABELS[3])

    await chat.payload(stale)

    assert "không còn dùng được" in chat.text and "Câu 2/15" in chat.text
    [check] = await checks(chat)
    assert check.answers == {"search": 3}


async def test_a_retake_shows_progress_against_the_last_check(chat: Chat, clock: Clock) -> None:
    await register(chat)
    await take(chat, [1] * 15)
    assert "Mức chung: Bắt đầu" in chat.text
    clock.advance(days=30)

    await chat.command("skills")
    assert "Lần kiểm tra trước (10/03/2026): Bắt đầu." in chat.text
    await chat.press("Bắt đầu")
    for _ in range(15):
        await chat.press(LABELS[2])

    text = chat.replies[0].text
    assert "Mức chung: Khá" in text  # everything alone
    assert "Tiến bộ so với lần trước (10/03/2026): Bắt đầu → Khá." in text
    assert "(lần trước: Bắt đầu)" in text
    assert [c.overall for c in await checks(chat)] == ["none", "fair"]


async def test_the_check_speaks_english(chat: Chat) -> None:
    await register(chat)
    await chat.command("lang")
    await chat.press("English")
    await chat.command("skills")
    await chat.press("Start")
    assert "Question 1/15 · Information and data" in chat.text
    assert [b.label for b in chat.buttons][:2] == ["Not yet", "With someone's help"]


async def test_only_registered_people_take_the_check(chat: Chat) -> None:
    await chat.command("start")
    await chat.command("skills")
    assert "cần hoàn tất đăng ký" in chat.text
    assert await checks(chat) == []
