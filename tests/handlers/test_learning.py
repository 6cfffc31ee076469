"""What to learn next: suggestions for weak indicators and skills areas, at most three open,
never repeated; done presses; a finished resource as evidence while the assessment is open."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.models import Answer, Recommendation
from tests.handlers.conftest import Chat, Clock, register
from tests.handlers.test_skills import take

# Option positions per indicator: 0 is the best answer (10 points), 2 gives 5, 3 gives 0.
WEAK_5_AND_6 = {"I5": 2, "I6": 3}


async def suggestions(chat: Chat) -> list[Recommendation]:
    async with chat.engine.sessions() as session:
        return list(await session.scalars(select(Recommendation).order_by(Recommendation.id)))


async def answer_all(chat: Chat, choices: dict[str, int]) -> None:
    await chat.press("Bắt đầu tự đánh giá")
    for indicator in chat.engine.content.criteria_for("residents", 2026).indicators:
        if indicator.number_input is not None:
            await chat.send(str(indicator.number_input.bands[-1].min))
        else:
            await chat.payload(f"{indicator.id}:{choices.get(indicator.id, 0)}")


async def test_a_submission_brings_suggestions_for_weak_indicators_weakest_first(
    chat: Chat, clock: Clock
) -> None:
    await register(chat)
    await answer_all(chat, WEAK_5_AND_6)
    await chat.press("Nộp bản tự đánh giá")
    await chat.press("Nộp ngay")

    assert "GỢI Ý HỌC TẬP" in chat.text and "https://" in chat.text
    rows = await suggestions(chat)
    assert [(r.need_kind, r.need_id) for r in rows] == [("indicator", "I6"), ("indicator", "I5")]
    assert all(r.follow_up_at == clock.now + timedelta(days=7) for r in rows)
    resources = {r.id: r for r in chat.engine.content.resources}
    assert "foreign_language" in resources[rows[0].resource_id].tags
    assert {"digital_basics", "vneid", "dvc_online", "online_safety"} & set(
        resources[rows[1].resource_id].tags
    )


async def test_at_most_three_open_and_none_suggested_twice(chat: Chat) -> None:
    await register(chat)
    await take(chat, [0] * 15)  # every area weak: five needs
    first = await suggestions(chat)
    assert len(first) == 3
    shown = next(r for r in chat.replies if "GỢI Ý HỌC TẬP" in r.text)
    assert [b.label for b in shown.buttons] == [
        "Đã học xong mục 1",
        "Đã học xong mục 2",
        "Đã học xong mục 3",
        "Về trang chính",
    ]

    await take(chat, [0] * 15)  # still three open: nothing new
    assert len(await suggestions(chat)) == 3

    await chat.payload(f"*learned:{first[0].id}")
    assert "Đã ghi nhận anh/chị học xong" in chat.text
    await chat.command("learn")  # two still open: those are shown, nothing added
    assert len(await suggestions(chat)) == 3
    await chat.payload(f"*learned:{first[1].id}")
    await chat.payload(f"*learned:{first[2].id}")

    await chat.command("learn")

    rows = await suggestions(chat)
    # The two areas without a suggestion yet first, then another for the weakest one.
    new = rows[3:]
    assert len(new) == 3
    assert {r.need_id for r in new[:2]}.isdisjoint({r.need_id for r in first})
    assert new[2].need_id == first[0].need_id
    assert len({r.resource_id for r in rows}) == 6
    done = [r for r in rows if r.done_at is not None]
    assert len(done) == 3 and all(r.follow_up_at is None for r in done)


async def test_someone_elses_suggestion_cannot_be_marked(chat: Chat, bot_engine) -> None:
    await register(chat)
    await take(chat, [0] * 15)
    theirs = (await suggestions(chat))[0]
    other = Chat(bot_engine, user="binh")
    await register(other)

    await other.payload(f"*learned:{theirs.id}")

    assert "không còn dùng được" in other.text
    assert (await suggestions(chat))[0].done_at is None


async def test_a_finished_resource_backs_its_indicator_while_the_draft_is_open(
    chat: Chat,
) -> None:
    await register(chat)
    await answer_all(chat, WEAK_5_AND_6)  # at the summary, not submitted
    await chat.command("learn")
    i5 = next(r for r in await suggestions(chat) if r.need_id == "I5")

    await chat.payload(f"*learned:{i5.id}")
    [offer] = [b for b in chat.buttons if b.label.startswith("Dùng làm minh chứng")]
    assert offer.label == "Dùng làm minh chứng cho chỉ số 5"
    await chat.payload(offer.payload)
    await chat.payload(offer.payload)  # pressed twice: kept once

    assert "Đã thêm vào minh chứng của chỉ số 5" in chat.text
    async with chat.engine.sessions() as session:
        answer = await session.scalar(select(Answer).where(Answer.indicator_id == "I5"))
    assert answer is not None
    assert [e["resource"] for e in answer.evidence] == [i5.resource_id]


async def test_no_evidence_once_submitted(chat: Chat) -> None:
    await register(chat)
    await answer_all(chat, WEAK_5_AND_6)
    await chat.command("learn")
    i5 = next(r for r in await suggestions(chat) if r.need_id == "I5")
    await chat.command("menu")
    await chat.press("Tiếp tục tự đánh giá")
    await chat.press("Nộp bản tự đánh giá")
    await chat.press("Nộp ngay")

    await chat.payload(f"*learned:{i5.id}")
    assert not any(b.label.startswith("Dùng làm minh chứng") for b in chat.buttons)
    await chat.payload(f"*learnproof:{i5.id}")  # forged or old

    assert "Không thể thêm minh chứng lúc này" in chat.text
    async with chat.engine.sessions() as session:
        answer = await session.scalar(select(Answer).where(Answer.indicator_id == "I5"))
    assert answer is not None and answer.evidence == []
