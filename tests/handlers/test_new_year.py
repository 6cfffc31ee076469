"""The assessed year ends at midnight on 31 December, Vietnam time, whatever step a person is
at: whoever is mid-assessment then is told the year changed and offered this year's
assessment, from last year's answers if that one was never submitted; every step of the
assessment answers sensibly for a person with no assessment this year."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from content import Content
from handlers.engine import Engine
from storage.models import Assessment, AssessmentStatus, Conversation
from tests.handlers.conftest import Chat, register
from tests.handlers.test_assessment import answer, best

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
NEW_YEARS_EVE = datetime(2026, 12, 31, 23, 50, tzinfo=VIETNAM)
NEW_YEAR = datetime(2027, 1, 1, 0, 1, tzinfo=VIETNAM)
# Every step of the assessment flow (handlers/flows/assessment.py).
STEPS = ("question", "evidence", "summary", "change", "confirm", "locked", "new_year")


@pytest.fixture
def traveller() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NEW_YEARS_EVE, tick=False) as traveller:
        yield traveller


@pytest.fixture
def chat(
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    traveller: time_machine.Coordinates,
) -> Chat:
    """A person on the engine's own clock, which the test moves."""
    return Chat(Engine(session_factory, content))


async def assessments(chat: Chat) -> dict[int, Assessment]:
    async with chat.engine.sessions() as session:
        found = await session.scalars(select(Assessment).options(selectinload(Assessment.answers)))
        return {a.year: a for a in found}


async def half_way_through_2026(chat: Chat) -> None:
    await register(chat)
    await chat.press("Bắt đầu tự đánh giá")
    indicators = chat.engine.content.criteria_for("residents", 2026).indicators
    for indicator in indicators[:2]:
        await answer(chat, indicator, best(indicator))
        await chat.file()  # evidence of the answer just given
        assert f"Đã nhận minh chứng cho chỉ số {indicator.number}" in chat.text


async def test_mid_assessment_at_midnight_the_new_years_starts_from_last_years_answers(
    chat: Chat, traveller: time_machine.Coordinates
) -> None:
    await half_way_through_2026(chat)
    traveller.move_to(NEW_YEAR)

    await chat.press_nth(1)  # an answer to 2026's third question
    assert "Đã sang năm 2027" in chat.text
    assert "năm 2026 chưa được nộp" in chat.text
    assert [b.label for b in chat.buttons] == ["Tự đánh giá năm 2027", "Về trang chính"]

    await chat.press("Tự đánh giá năm 2027")
    assert "Bắt đầu tự đánh giá năm 2027" in chat.text
    assert "Bản tự đánh giá năm 2026 chưa được nộp" in chat.text
    assert "câu trả lời của năm đó đã được chép sang" in chat.text
    assert "Chỉ số 3/10" in chat.text  # the first one last year left unanswered

    by_year = await assessments(chat)
    old, new = by_year[2026], by_year[2027]
    assert new.status == AssessmentStatus.DRAFT and old.status == AssessmentStatus.DRAFT
    assert {(a.indicator_id, a.option_id, a.raw_value, a.points) for a in new.answers} == {
        (a.indicator_id, a.option_id, a.raw_value, a.points) for a in old.answers
    }
    assert [len(a.evidence) for a in new.answers] == [1, 1]

    # Confirming or changing them is the usual way through.
    await chat.press("Tạm dừng")
    await chat.command("menu")
    await chat.press("Tiếp tục tự đánh giá")
    assert "Chỉ số 3/10" in chat.text


async def test_from_the_menu_in_the_new_year_last_years_unsubmitted_answers_come_along(
    chat: Chat, traveller: time_machine.Coordinates
) -> None:
    await half_way_through_2026(chat)
    await chat.press("Tạm dừng")
    traveller.move_to(NEW_YEAR)

    await chat.command("menu")
    await chat.press("Bắt đầu tự đánh giá")
    assert "Bắt đầu tự đánh giá năm 2027" in chat.text
    assert "Bản tự đánh giá năm 2026 chưa được nộp" in chat.text
    assert "Chỉ số 3/10" in chat.text
    assert len((await assessments(chat))[2027].answers) == 2


async def test_after_a_submitted_year_the_new_one_starts_afresh(
    chat: Chat, traveller: time_machine.Coordinates
) -> None:
    await half_way_through_2026(chat)
    async with chat.engine.sessions() as session, session.begin():
        await session.execute(update(Assessment).values(status=AssessmentStatus.SUBMITTED))
    traveller.move_to(NEW_YEAR)

    await chat.send("xin chào")
    assert "Đã sang năm 2027. Anh/Chị có thể bắt đầu tự đánh giá năm 2027." in chat.text
    await chat.press("Tự đánh giá năm 2027")
    assert "Chỉ số 1/10" in chat.text and "chép sang" not in chat.text
    assert (await assessments(chat))[2027].answers == []


async def at_step(chat: Chat, step: str) -> None:
    async with chat.engine.sessions() as session, session.begin():
        await session.execute(
            update(Conversation).values(flow="assess", step=step, data={"i": 2, "review": True})
        )


@pytest.mark.parametrize("last_year", ["draft", "none"])
async def test_every_step_answers_a_person_with_no_assessment_this_year(
    chat: Chat, traveller: time_machine.Coordinates, last_year: str
) -> None:
    if last_year == "draft":
        await half_way_through_2026(chat)
    else:
        await register(chat)
    traveller.move_to(NEW_YEAR)
    for step in STEPS:
        # Typed text, and presses on the buttons the step showed last year.
        for typed, say in (
            (True, lambda: chat.send("3")),
            (False, lambda: chat.payload("x:0")),
            (False, lambda: chat.payload("next")),
        ):
            await at_step(chat, step)
            await say()
            if step == "new_year" and typed:  # its own re-prompt: one line, the same choices
                assert "bấm một nút bên dưới" in chat.text, (step, chat.text)
            else:
                assert "Đã sang năm 2027" in chat.text, (step, chat.text)
                assert ("năm 2026 chưa được nộp" in chat.text) == (last_year == "draft")
            assert [b.label for b in chat.buttons] == ["Tự đánh giá năm 2027", "Về trang chính"]
    await chat.press("Về trang chính")
    assert "TRANG CHÍNH" in chat.text
    await chat.press("Bắt đầu tự đánh giá")
    assert "Bắt đầu tự đánh giá năm 2027" in chat.text
