"""Bot API calls as plain JSON: what they send and answer, and failures raised as aiogram
raises them, against the fake Bot API over real HTTP."""

from __future__ import annotations

import logging

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, SendMessage

from bot.channels import telegram_json
from bot.channels.telegram import acknowledge
from tests.fakes import fixtures
from tests.fakes.telegram import QUERY_TOO_OLD, FakeTelegram

fake_telegram = fixtures.fake_telegram
telegram_bot = fixtures.telegram_bot
CHAT = 42


async def test_a_call_returns_the_result_and_a_failure_is_aiograms_exception(
    fake_telegram: FakeTelegram, telegram_bot: Bot
) -> None:
    press = fake_telegram.user_press(CHAT, "yes", message_id=1)["callback_query"]
    params = {"callback_query_id": press["id"]}

    assert await telegram_json.call(telegram_bot, AnswerCallbackQuery, params) is True
    with pytest.raises(TelegramBadRequest) as raised:  # answered already
        await telegram_json.call(telegram_bot, AnswerCallbackQuery, params)
    assert raised.value.message == QUERY_TOO_OLD
    assert isinstance(raised.value.method, AnswerCallbackQuery)


async def test_a_press_is_acknowledged_and_its_question_shows_the_answer(
    fake_telegram: FakeTelegram, telegram_bot: Bot
) -> None:
    markup = {"inline_keyboard": [[{"text": "Có", "callback_data": "yes"}]]}
    question = await telegram_json.call(
        telegram_bot, SendMessage, {"chat_id": CHAT, "text": "Đồng ý?", "reply_markup": markup}
    )
    press = fake_telegram.user_press(CHAT, "yes", message_id=question["message_id"])

    await acknowledge(telegram_bot, press)

    assert [c.method for c in fake_telegram.calls][-2:] == [
        "answerCallbackQuery",
        "editMessageText",
    ]
    assert fake_telegram.calls[-1].params["text"] == "Đồng ý?\n\n✓ Có"


async def test_an_old_press_is_only_logged(
    fake_telegram: FakeTelegram, telegram_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    press = fake_telegram.user_press(CHAT, "yes", message_id=1)
    press["callback_query"]["id"] = "gone"

    with caplog.at_level(logging.INFO, logger="bot.channels.telegram"):
        await acknowledge(telegram_bot, press)

    assert [r.getMessage() for r in caplog.records] == [
        f"could not acknowledge callback gone: {QUERY_TOO_OLD}"
    ]
