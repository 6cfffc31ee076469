"""Replies in people's own words, on both kinds of channel: with buttons (Telegram, console)
and with numbered options (Zalo Bot, where a typed number picks an option of the last
message, as bot/channels/options.py turns it into a press)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.channels.options import as_presses
from handlers.engine import Engine
from handlers.events import EventKind, Reply
from storage.models import Assessment, AssessmentStatus, Conversation
from tests.handlers.conftest import REGISTER, Chat, register
from tests.handlers.test_assessment import answer, group, option_for


class NumberedChat(Chat):
    """A person on a channel without buttons: they type the option's number."""

    async def send(self, text: str) -> list[Reply]:
        event = self.event(EventKind.TEXT, text=text)
        chat = (event.channel, event.chat_id)
        last = {chat: self.replies[-1].to_payload()} if self.replies else {}
        return await self.deliver(as_presses([event], last)[0])

    async def press(self, label: str) -> list[Reply]:
        labels = [b.label for b in self.buttons]
        found = [n for n, shown in enumerate(labels, start=1) if shown.startswith(label)]
        assert found, f"no option {label!r} among {labels}"
        return await self.send(str(found[0]))


@pytest.fixture(params=["buttons", "numbered"])
def talk(request: pytest.FixtureRequest, bot_engine: Engine) -> Chat:
    if request.param == "buttons":
        return Chat(bot_engine)
    return NumberedChat(bot_engine, channel="zalo_bot")


async def step_of(chat: Chat) -> tuple[str, str]:
    async with chat.engine.sessions() as session:
        c = await session.scalar(select(Conversation))
    assert c is not None
    return c.flow, c.step


@pytest.mark.parametrize("reply", ["đồng ý ạ", "vâng", "co", "ok", "Dạ, đồng ý!", "dduwowcj"])
async def test_consent_in_words(talk: Chat, reply: str) -> None:
    await talk.command("start")
    await talk.send(reply)
    assert await step_of(talk) == ("register", "name")


async def test_refusal_in_words_keeps_nothing(talk: Chat) -> None:
    await talk.command("start")
    await talk.send("không ạ")
    assert "không lưu thông tin" in talk.text


@pytest.mark.parametrize(
    ("reply", "group_id"),
    [
        ("nguoi dan trong xa phuong", "residents"),
        ("ngoi dan", "residents"),
        ("hoc sinh", "learners"),
        ("can bo", "officials"),
        ("nguoi lao dong a", "workers"),
    ],
)
async def test_group_by_its_words(talk: Chat, reply: str, group_id: str) -> None:
    await talk.run(REGISTER[:4])
    assert await step_of(talk) == ("register", "group")
    await talk.send(reply)
    assert await step_of(talk) == ("register", "commune")


async def test_command_words_without_a_slash(talk: Chat) -> None:
    await talk.run(REGISTER[:3])
    await talk.send("tro giup")
    assert "HƯỚNG DẪN" in talk.text
    assert "Hội Khuyến học thành phố Đà Nẵng" in talk.text  # a person to turn to
    await talk.send("menu")
    assert "hoàn tất đăng ký" in talk.text
    await talk.send("English")
    assert "Switched to English." in talk.text
    await talk.send("tieng viet")
    assert "Đã chuyển sang tiếng Việt." in talk.text
    assert await step_of(talk) == ("register", "birth_year")


async def test_a_reprompt_is_one_line_and_the_second_names_a_person(talk: Chat) -> None:
    await talk.run(REGISTER[:4])
    question = talk.replies[-1]
    first = await talk.send("xyz")
    assert len(first) == 1 and "\n" not in first[0].text
    assert [b.label for b in first[0].buttons] == [b.label for b in question.buttons]
    second = await talk.send("abc")
    assert "Cần người giúp?" in second[0].text
    assert len(second[0].text.splitlines()) == 2  # the line and whom to call, no more
    await talk.send("1")  # the options of the re-prompt are numbered like the question's
    assert await step_of(talk) == ("register", "commune")


async def number_question(chat: Chat) -> None:
    """Registered as a resident, at indicator 3, which asks a number (sessions, 0 to 200)."""
    await register(chat)
    await chat.press("Bắt đầu tự đánh giá")
    first, second, third = group(chat).indicators[:3]
    assert third.number_input is not None
    for indicator in (first, second):
        await answer(chat, indicator, indicator.max_points)


async def recorded(chat: Chat, indicator_id: str = "I3") -> float | None:
    async with chat.engine.sessions() as session:
        a = await session.scalar(select(Assessment))
        assert a is not None
        await session.refresh(a, ["answers"])
        return next((x.raw_value for x in a.answers if x.indicator_id == indicator_id), None)


@pytest.mark.parametrize(
    ("reply", "value"),
    [("nam 2025 toi di 4 buoi", 4), ("hai buổi", 2), ("1", 1), ("muoi hai buoi a", 12)],
)
async def test_a_number_answer(talk: Chat, reply: str, value: float) -> None:
    await number_question(talk)
    await talk.send(reply)
    assert await recorded(talk) == value  # on Zalo Bot "1" is one session, not "Quay lại"
    assert "Chỉ số 4/10" in talk.text  # on to the next question


@pytest.mark.parametrize("reply", ["-3", "1000000", "1" * 26, "2025"])
async def test_a_number_out_of_range_is_refused_with_the_range(talk: Chat, reply: str) -> None:
    await number_question(talk)
    replies = await talk.send(reply)
    assert "gõ một số từ 0 đến 200 (buổi)" in replies[0].text
    assert await recorded(talk) is None
    assert await step_of(talk) == ("assess", "question")


async def test_two_numbers_are_asked_about(talk: Chat) -> None:
    await number_question(talk)
    replies = await talk.send("3 hoac 4 buoi")
    assert "một số thôi" in replies[0].text
    assert await recorded(talk) is None


async def test_controls_by_words_on_a_number_question(talk: Chat) -> None:
    await number_question(talk)
    await talk.send("tam dung")  # "tạm dừng", not eight ("tám") sessions
    assert await recorded(talk) is None
    assert await step_of(talk) == ("menu", "main")


async def answer_all(chat: Chat, points_for: dict[str, int]) -> None:
    for indicator in group(chat).indicators:
        points = points_for.get(indicator.id, indicator.max_points)
        if indicator.number_input is not None:
            await chat.send(option_for(indicator, points))
        else:
            await chat.press(option_for(indicator, points))


async def test_a_failing_assessment_is_warned_about_before_it_is_sent(talk: Chat) -> None:
    await register(talk)
    await talk.press("Bắt đầu tự đánh giá")
    indicators = group(talk).indicators
    low = {i.id: min(i.possible_points) for i in indicators[:6]}
    await answer_all(talk, low)
    await talk.press("Nộp bản tự đánh giá")
    text = talk.text
    total = sum(low.values()) + sum(i.max_points for i in indicators[6:])
    threshold = group(talk).pass_rules.min_total.value
    assert total < threshold
    assert "CHƯA ĐẠT" in text
    assert f"còn thiếu {threshold - total} điểm" in text
    assert "Có thể cải thiện: chỉ số 1" in text
    await talk.send("chưa nộp")
    assert await step_of(talk) == ("assess", "summary")
    await talk.press("Nộp bản tự đánh giá")
    await talk.send("vâng")
    async with talk.engine.sessions() as session:
        a = await session.scalar(select(Assessment))
    assert a is not None and a.status == AssessmentStatus.SUBMITTED and not a.passed


async def test_a_passing_assessment_gets_no_warning(talk: Chat) -> None:
    await register(talk)
    await talk.press("Bắt đầu tự đánh giá")
    await answer_all(talk, {})
    await talk.press("Nộp bản tự đánh giá")
    assert "CHƯA ĐẠT" not in talk.text
    assert "Nộp ngay?" in talk.text
