"""A reply a step does not understand gets one line naming what that step expects, as the
channel shows it (buttons, or numbered options typed), in the person's form of address; from
the second miss in a row, whom to ask as well."""

from __future__ import annotations

import pytest

from bench.conversation import Person
from bot.channels.capabilities import numbered_options
from content import Content
from handlers.engine import Engine
from handlers.events import FileRef
from tests.handlers.conftest import Clock
from tests.storage.factories import Sessions

CHOICE = {
    "buttons": "Ông/Bà bấm một nút bên dưới, hoặc gõ vài chữ của câu trả lời.",
    "numbered": "Ông/Bà gõ số thứ tự (1–4) hoặc vài chữ của câu trả lời.",
}


@pytest.fixture
def engine(session_factory: Sessions, content: Content, clock: Clock) -> Engine:
    return Engine(session_factory, content, clock=clock, numbered_options=numbered_options())


def said(person: Person) -> str:
    assert person.last is not None
    return person.last.text


@pytest.mark.parametrize("kind", ["buttons", "numbered"])
async def test_each_step_asks_again_in_one_line_naming_what_it_expects(
    engine: Engine, kind: str
) -> None:
    person = Person(engine, kind, f"p-{kind}")
    await person.command("start")
    await person.choose("Đồng ý")
    await person.type("Nguyễn Văn Ba")
    await person.type("không nhớ")  # the year, in 2026: ages 6 to 110
    assert said(person) == "Ông/Bà gõ năm sinh từ 1916 đến 2020, ví dụ 1958."
    await person.type("1950")

    asked = person.last
    await person.type("nhóm gì cũng được")
    assert said(person) == CHOICE[kind]  # the groups' buttons again, not the question
    assert person.last is not None and asked is not None
    assert person.last.buttons == asked.buttons
    await person.type("không biết")  # the second miss: the commune association's contact
    line, contact = said(person).split("\n")
    assert line == CHOICE[kind] and contact.startswith("Cần người giúp? Ông/Bà")

    await person.choose("Người dân")
    photo = FileRef(ref="file-1", mime="image/jpeg", size=1234, name="a.jpg", kind="photo")
    await person.send_file(photo)
    assert said(person) == "Ông/Bà gõ tên xã/phường, ví dụ: Hải Châu."
    await person.type("hai chau")
    await person.choose("Đúng")
    await person.type("bỏ qua")
    await person.choose("Bắt đầu tự đánh giá")

    question = person.last
    assert question is not None and "Chỉ số 1/" in question.text
    await person.type("để tôi nghĩ đã")
    if kind == "numbered":  # the question's options and controls, all by number
        numbered = sum(1 for b in question.buttons if not b.word)
        assert said(person) == f"Ông/Bà gõ số thứ tự (1–{numbered}) hoặc vài chữ của câu trả lời."
    else:
        assert said(person) == CHOICE[kind]
