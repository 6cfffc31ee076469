"""People are addressed as Vietnamese address them: ông/bà from 60, em for a pupil, anh/chị
for other adults, on both kinds of channel; capitalised only where a sentence starts."""

from __future__ import annotations

import re

import pytest

from handlers.engine import Engine
from handlers.events import Reply
from tests.handlers.conftest import REGISTER, Chat
from tests.handlers.test_assessment import answer, best, group
from tests.handlers.test_natural_replies import NumberedChat
from tests.handlers.test_registration import guardian_code

FORMS = ("ông/bà", "anh/chị", "em")
# A form written with a capital: "Ông/Bà", "Anh/Chị", "Em".
CAPITALISED = re.compile(r"Ông/Bà|Anh/Chị|\bEm\b")


class Heard:
    """Keeps every reply a chat got, not only the last event's."""

    heard: list[Reply]

    async def deliver(self, event):  # type: ignore[no-untyped-def]
        replies = await super().deliver(event)  # type: ignore[misc]
        self.heard = [*getattr(self, "heard", []), *replies]
        return replies


class ButtonsChat(Heard, Chat):
    pass


class NumbersChat(Heard, NumberedChat):
    pass


@pytest.fixture(params=["buttons", "numbered"])
def talk(request: pytest.FixtureRequest, bot_engine: Engine) -> Chat:
    if request.param == "buttons":
        return ButtonsChat(bot_engine)
    return NumbersChat(bot_engine, channel="zalo_bot")


def texts(chat: Chat) -> list[str]:
    """Every text the person read: messages and the labels of their options."""
    heard: list[Reply] = chat.heard  # type: ignore[attr-defined]
    return [t for r in heard for t in (r.text, *(b.label for b in r.buttons))]


def forms_in(text: str) -> set[str]:
    """The forms of address a text uses (a whole-word "em", not "con em", a child)."""
    found = {f for f in FORMS[:2] if f in text.lower()}
    if re.search(r"(?<!con )\bem\b", text, re.IGNORECASE):
        found.add("em")
    return found


def capitalised_mid_sentence(text: str) -> list[str]:
    """Capitalised forms that do not start a sentence, a line or a list item."""
    wrong = []
    for line in text.split("\n"):
        for sentence in re.split(r"(?<=[.!?…])\s+", line):
            start = re.match(r"[\W\d_]*", sentence)
            first = start.end() if start else 0
            wrong += [m.group() for m in CAPITALISED.finditer(sentence) if m.start() != first]
    return wrong


async def assess_a_little(chat: Chat, group_id: str) -> None:
    """Into the self-assessment, one answer, then help and home."""
    await chat.press("Bắt đầu tự đánh giá")
    first = group(chat, group_id).indicators[0]
    await answer(chat, first, best(first))
    await chat.command("help")
    await chat.command("menu")


def addressed_as(chat: Chat, form: str, since: int) -> None:
    later = texts(chat)[since:]
    used = set().union(*(forms_in(t) for t in later))
    assert form in used, later
    assert used == {form}, [t for t in later if forms_in(t) - {form}]
    assert [w for t in texts(chat) for w in capitalised_mid_sentence(t)] == []


async def test_a_74_year_old_is_ong_ba(talk: Chat) -> None:
    await talk.run(REGISTER[:3])
    # Before the birth year: the neutral form.
    assert "Ông/Bà sinh năm nào?" in talk.text
    known = len(texts(talk))
    await talk.run(["1952", *REGISTER[4:]])
    await assess_a_little(talk, "residents")
    addressed_as(talk, "ông/bà", known)
    assert "TRANG CHÍNH: ông/bà chọn việc muốn làm." in talk.text


async def test_a_35_year_old_is_anh_chi(talk: Chat) -> None:
    await talk.run(REGISTER[:3])
    known = len(texts(talk))
    await talk.run(["1991", *REGISTER[4:]])
    await assess_a_little(talk, "residents")
    addressed_as(talk, "anh/chị", known)


async def test_a_13_year_old_pupil_is_em(talk: Chat) -> None:
    await talk.run(REGISTER[:3])
    known = len(texts(talk))
    await talk.send("2013")
    assert "Vì em dưới 16 tuổi" in talk.text
    parent = Chat(talk.engine, user="me", channel="zalo_bot")
    await parent.command("guardian", await guardian_code(talk))
    await parent.press("Tôi là cha mẹ")
    await talk.press("Đã xác nhận")
    await talk.run(["#Học sinh", *REGISTER[5:7], "Trường THCS Kim Đồng"])
    await assess_a_little(talk, "learners")
    addressed_as(talk, "em", known)
    assert "Em có tự lập kế hoạch" not in talk.text  # a question of their own group
    first = group(talk, "learners").indicators[0].question.vi
    assert first.replace("Anh/Chị", "em") in "\n".join(texts(talk))


async def test_english_says_you_whatever_the_age(bot_engine: Engine) -> None:
    chat = ButtonsChat(bot_engine)
    await chat.run(["/start", "/lang", "#English", "#I agree", "Nguyễn Thị Lan", "1952"])
    english = texts(chat)[texts(chat).index("Switched to English.") :]
    assert "What year were you born?" in "\n".join(english)
    assert [t for t in english if forms_in(t)] == []
