"""The bot's Bot API client: what calls send and answer, and how failures are told apart,
against the fake Bot API over real HTTP."""

from __future__ import annotations

import logging

import pytest

from bot.channels.telegram import acknowledge
from bot.channels.telegram_api import ApiError, BotApi
from tests.fakes import fixtures
from tests.fakes.telegram import QUERY_TOO_OLD, FakeTelegram

fake_telegram = fixtures.fake_telegram
telegram_bot = fixtures.telegram_bot
CHAT = 42


async def test_a_call_returns_the_result_and_a_failure_says_what_telegram_said(
    fake_telegram: FakeTelegram, telegram_bot: BotApi
) -> None:
    press = fake_telegram.user_press(CHAT, "yes", message_id=1)["callback_query"]
    params = {"callback_query_id": press["id"]}

    assert await telegram_bot.call("answerCallbackQuery", params) is True
    with pytest.raises(ApiError) as raised:  # answered already
        await telegram_bot.call("answerCallbackQuery", params)
    assert (raised.value.status, raised.value.message) == (400, QUERY_TOO_OLD)
    assert raised.value.method == "answerCallbackQuery" and raised.value.retry_after is None


async def test_a_flood_limit_says_when_to_try_again(
    fake_telegram: FakeTelegram, telegram_bot: BotApi
) -> None:
    fake_telegram.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(ApiError) as raised:
        await telegram_bot.call("sendMessage", {"chat_id": CHAT, "text": "xin chào"})
    assert (raised.value.status, raised.value.retry_after) == (429, 3)


async def test_a_press_is_acknowledged_and_its_question_shows_the_answer(
    fake_telegram: FakeTelegram, telegram_bot: BotApi
) -> None:
    markup = {"inline_keyboard": [[{"text": "Có", "callback_data": "yes"}]]}
    question = await telegram_bot.call(
        "sendMessage", {"chat_id": CHAT, "text": "Đồng ý?", "reply_markup": markup}
    )
    press = fake_telegram.user_press(CHAT, "yes", message_id=question["message_id"])

    await acknowledge(telegram_bot, press)

    assert [c.method for c in fake_telegram.calls][-2:] == [
        "answerCallbackQuery",
        "editMessageText",
    ]
    assert fake_telegram.calls[-1].params["text"] == "Đồng ý?\n\n✓ Có"


async def test_an_old_press_is_only_logged(
    fake_telegram: FakeTelegram, telegram_bot: BotApi, caplog: pytest.LogCaptureFixture
) -> None:
    press = fake_telegram.user_press(CHAT, "yes", message_id=1)
    press["callback_query"]["id"] = "gone"

    with caplog.at_level(logging.INFO, logger="bot.channels.telegram"):
        await acknowledge(telegram_bot, press)

    assert [r.getMessage() for r in caplog.records] == [
        f"could not acknowledge callback gone: {QUERY_TOO_OLD}"
    ]
