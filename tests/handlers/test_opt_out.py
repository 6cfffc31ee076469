"""Opting out of pushes works from anywhere, in words or by command, and /start undoes it."""

from __future__ import annotations

import pytest

from storage.models import Profile
from tests.handlers.conftest import Chat, register


async def opted_out(chat: Chat) -> bool:
    async with chat.engine.sessions() as session:
        profile = await session.get(Profile, 1)
    assert profile is not None
    return profile.opted_out


@pytest.mark.parametrize("typed", ["Ngừng nhận tin", "ngung nhan tin!", "STOP"])
async def test_typed_in_the_middle_of_a_questionnaire(chat: Chat, typed: str) -> None:
    await register(chat)
    await chat.press("Bắt đầu tự đánh giá")
    await chat.payload("I1:0")

    await chat.send(typed)

    assert await opted_out(chat)
    assert "Đã ngừng gửi thông báo và nhắc việc" in chat.replies[0].text
    assert "Chỉ số 2/10" in chat.text  # the questionnaire goes on where it was


async def test_start_resumes_pushes(chat: Chat) -> None:
    await register(chat)
    await chat.command("stop")
    assert await opted_out(chat)

    await chat.command("start")

    assert not await opted_out(chat)
    assert "nhận lại thông báo" in chat.text


async def test_the_phrase_inside_a_sentence_is_an_answer_not_an_opt_out(chat: Chat) -> None:
    await chat.run(["/start", "#Đồng ý"])
    await chat.send("Ngừng nhận tin Lan")  # a (strange) name, not the phrase alone

    async with chat.engine.sessions() as session:
        profile = await session.get(Profile, 1)
    assert profile is not None and not profile.opted_out
    assert profile.full_name == "Ngừng nhận tin Lan"
