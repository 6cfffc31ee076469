"""Options answered by typing their number (Zalo Bot) beside buttons (Telegram): a typed
number answers the question being answered, never a reminder that came in between; controls
that must not take a number are words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from bench.conversation import Person
from bot.channels.options import with_options
from bot.pushes import Pushes, PushRules
from content import Content
from handlers.engine import Engine
from handlers.events import Reply
from handlers.flows import reminders
from handlers.i18n import Translator
from storage.models import Answer, OutboxMessage, OutboxStatus, Profile
from storage.repositories import outbox
from tests.storage.factories import Sessions

# 3 December, 09:00 in Vietnam: inside the 1-10 December campaign to finish and submit.
DECEMBER = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def december() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(DECEMBER, tick=False) as traveller:
        yield traveller


@pytest.fixture
def real_time_engine(session_factory: Sessions, content: Content) -> Engine:
    return Engine(session_factory, content)  # the clock time-machine moves


async def registered(engine: Engine, kind: str) -> Person:
    person = Person(engine, kind, f"p-{kind}")
    await person.command("start")
    for step in ("#Đồng ý", "Nguyễn Văn Ba", "1950", "#Người dân", "hai chau", "#Đúng"):
        await (person.choose(step[1:]) if step.startswith("#") else person.type(step))
    return person


async def answers(engine: Engine) -> dict[str, Answer]:
    async with engine.sessions() as session:
        return {a.indicator_id: a for a in await session.scalars(select(Answer))}


async def pushes_arrive(engine: Engine, person: Person) -> Reply:
    """The day's pushes go out; the person's last message is now what the inbox reads."""
    rules = PushRules(quiet_from=datetime.min.time(), quiet_until=datetime.min.time())
    counted = await Pushes(engine.sessions, engine.content, engine.catalogs, rules).run(
        engine.clock()
    )
    assert counted["campaign"] == 1, counted
    async with engine.sessions() as session, session.begin():
        ids = await session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
        await outbox.mark_sent(session, {i: None for i in ids}, engine.clock())
        last = await outbox.last_sent(session, person.channel, [person.user])
    person.last = Reply.from_payload(last[person.user])
    return person.last


@pytest.mark.parametrize("kind", ["buttons", "numbered"])
async def test_the_december_campaign_mid_questionnaire_takes_no_typed_number(
    december: time_machine.Coordinates, real_time_engine: Engine, content: Content, kind: str
) -> None:
    person = await registered(real_time_engine, kind)
    await person.type("bỏ qua")
    await person.choose("Bắt đầu tự đánh giá")
    first, second = content.criteria_for("residents", 2026).indicators[:2]
    await person.choose(first.options[0].label.vi)
    await person.expect("Chỉ số 2/10")
    question = person.last

    campaign = await pushes_arrive(real_time_engine, person)
    assert "15/12" in campaign.text
    # Its controls are words: no number for a reply to capture.
    assert "[1]" not in with_options(campaign.text, campaign.buttons)
    assert "[Ngừng nhận nhắc việc]" in with_options(campaign.text, campaign.buttons)

    if person.numbered:
        await person.type("1")
    else:  # a button of the question, still on screen above the campaign
        person.last = question
        await person.choose(second.options[0].label.vi)
    assert (await answers(real_time_engine))[second.id].option_id == second.options[0].id
    await person.expect("Chỉ số 3/10")
    async with real_time_engine.sessions() as session:
        assert not (await session.scalar(select(Profile))).opted_out

    await person.type("ngừng nhắc việc")  # the control, typed as its words
    async with real_time_engine.sessions() as session:
        assert (await session.scalar(select(Profile))).opted_out


async def test_controls_beside_a_number_question_are_words(
    bot_engine: Engine, content: Content
) -> None:
    person = await registered(bot_engine, "numbered")
    village = person.last
    assert village is not None
    assert "[Bỏ qua]" in with_options(village.text, village.buttons)
    await person.type("bỏ qua")
    await person.choose("Bắt đầu tự đánh giá")
    indicators = content.criteria_for("residents", 2026).indicators
    counted = next(i for i in indicators if i.number_input is not None)
    for indicator in indicators[: counted.number - 1]:
        await person.choose(indicator.options[0].label.vi)
    shown = person.last
    assert shown is not None and shown.number_answer
    text = with_options(shown.text, shown.buttons)
    assert "[« Quay lại]" in text and "[1]" not in text

    await person.type("quay lại")  # the way back, by its words
    await person.expect(f"Chỉ số {counted.number - 1}/10")
    await person.choose(indicators[counted.number - 2].options[0].label.vi)
    await person.type("1")  # now a number of sessions, not "« Quay lại"
    assert (await answers(bot_engine))[counted.id].raw_value == 1


async def test_a_typed_number_on_the_village_step_is_a_name(bot_engine: Engine) -> None:
    person = await registered(bot_engine, "numbered")
    await person.type("1")  # "Tổ 1": this commune lists no villages to pick from
    async with bot_engine.sessions() as session:
        profile = await session.scalar(select(Profile))
    assert profile is not None and profile.subunit_name == "1"


async def test_learning_done_by_its_number_after_submitting(
    bot_engine: Engine, content: Content
) -> None:
    person = await registered(bot_engine, "numbered")
    await person.type("bỏ qua")
    await person.choose("Bắt đầu tự đánh giá")
    for indicator in content.criteria_for("residents", 2026).indicators:
        if indicator.number_input is not None:
            await person.type(str(indicator.number_input.bands[-1].min))
        else:  # the weakest answers, for suggestions
            await person.choose(indicator.options[-1].label.vi)
    await person.choose("Nộp bản tự đánh giá")
    await person.choose("Nộp ngay")
    await person.expect("GỢI Ý HỌC TẬP")  # the last message: its numbers are the list's

    await person.type("1")

    await person.expect("Đã ghi nhận ông/bà học xong")


# What each reminder control's command shows first (a typed "Đã học xong" opens the list, where
# each suggestion has its number).
SHOWN = {
    "*assess": "Chỉ số 1/10",
    "*stop": "Đã ngừng gửi thông báo",
    "*learn": "gợi ý học tập",
    "*learned:1": "gợi ý học tập",
}


async def test_every_reminder_control_is_understood_as_typed_words(
    bot_engine: Engine, content: Content
) -> None:
    t = Translator(bot_engine.catalogs, "vi")
    pushes = [
        reminders.assessment_reminder(t, 2026),
        reminders.follow_up(t, content.resources[0], 1),
    ]
    person = await registered(bot_engine, "numbered")
    await person.type("bỏ qua")
    for push in pushes:
        for control in push.buttons:
            assert control.word, control
            replies = await person.type(control.label)  # from whatever step they are at
            shown = "\n".join(r.text for r in replies).lower()
            assert SHOWN[control.payload].lower() in shown, (control, shown)
