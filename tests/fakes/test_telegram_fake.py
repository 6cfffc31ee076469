"""The fake Bot API, driven by the real aiogram client over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from aiohttp import web

from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram, scramble

fake_telegram = fixtures.fake_telegram
telegram_bot = fixtures.aiogram_bot

USER = 7001


def keyboard(*callback_data: str) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(text=data, callback_data=data) for data in callback_data]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


async def test_get_me(telegram_bot: Bot) -> None:
    me = await telegram_bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123, True, "cdht_test_bot")


async def test_send_message_with_keyboard_is_recorded(
    fake_telegram: FakeTelegram, telegram_bot: Bot
) -> None:
    first = await telegram_bot.send_message(USER, "Chọn một", reply_markup=keyboard("a", "b"))
    second = await telegram_bot.send_message(USER, "Tiếp")

    assert first.reply_markup.inline_keyboard[0][1].callback_data == "b"
    assert (first.message_id, second.message_id) == (1, 2)
    [sent_first, sent_second] = fake_telegram.sent(USER)
    assert sent_first["text"] == "Chọn một"
    assert sent_first["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "b"
    assert sent_second["message_id"] == 2
    # Form fields are decoded: numbers are numbers, reply_markup is an object.
    assert fake_telegram.calls[0].params["chat_id"] == USER


async def test_callback_data_is_limited_to_64_bytes(telegram_bot: Bot) -> None:
    await telegram_bot.send_message(USER, "ok", reply_markup=keyboard("x" * 64))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await telegram_bot.send_message(USER, "no", reply_markup=keyboard("x" * 65))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):  # 22 letters, 66 bytes
        await telegram_bot.send_message(USER, "no", reply_markup=keyboard("ệ" * 22))


async def test_text_length_limits(telegram_bot: Bot) -> None:
    await telegram_bot.send_message(USER, "a" * 4096)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await telegram_bot.send_message(USER, "a" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await telegram_bot.send_message(USER, "")


async def test_scripted_faults(fake_telegram: FakeTelegram, telegram_bot: Bot) -> None:
    fake_telegram.fail_next("sendMessage", 429, retry_after=7)
    fake_telegram.fail_next("sendmessage", 403, chat_id=USER)  # any case names the method

    with pytest.raises(TelegramRetryAfter) as retry:
        await telegram_bot.send_message(USER, "1")
    assert retry.value.retry_after == 7
    await telegram_bot.send_message(USER + 1, "the 403 is for another chat")
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await telegram_bot.send_message(USER, "2")
    fake_telegram.fail_next("SendMessage", 500, times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await telegram_bot.send_message(USER, "3")
    await telegram_bot.send_message(USER, "4")

    assert [call.status for call in fake_telegram.calls] == [429, 200, 403, 500, 500, 200]
    assert [sent["text"] for sent in fake_telegram.sent(USER)] == ["4"]


async def test_block_and_unblock(fake_telegram: FakeTelegram, telegram_bot: Bot) -> None:
    fake_telegram.block(USER)
    for _ in range(2):
        with pytest.raises(TelegramForbiddenError):
            await telegram_bot.send_message(USER, "hi")
    fake_telegram.unblock(USER)
    await telegram_bot.send_message(USER, "hi")


async def test_random_faults_are_reproducible(
    fake_telegram: FakeTelegram, telegram_bot: Bot
) -> None:
    async def outcomes() -> list[int]:
        fake_telegram.calls.clear()
        fake_telegram.fail_rate(0.5, [429, 500], seed=3)
        for i in range(20):
            with contextlib.suppress(TelegramRetryAfter, TelegramServerError):
                await telegram_bot.send_message(USER, str(i))
        return [call.status for call in fake_telegram.calls]

    first = await outcomes()
    assert await outcomes() == first
    assert {429, 500, 200} == set(first)
    fake_telegram.fail_rate(0)
    await telegram_bot.get_me()  # only sends fail at random
    await telegram_bot.send_message(USER, "no more faults")


async def test_delay_provokes_a_client_timeout(fake_telegram: FakeTelegram) -> None:
    fake_telegram.delay("getMe", 1)
    impatient = fixtures.aiogram_for(fake_telegram, timeout=0.2)
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await impatient.get_me()
    await impatient.session.close()


async def test_long_polling(fake_telegram: FakeTelegram, telegram_bot: Bot) -> None:
    update = fake_telegram.user_command(USER, "/start c_12345")
    asyncio.get_running_loop().call_later(0.2, fake_telegram.queue, update)

    started = time.monotonic()
    [received] = await telegram_bot.get_updates(timeout=5)
    assert time.monotonic() - started < 1  # answered on arrival, not at the timeout
    assert received.message.text == "/start c_12345"
    assert received.message.entities[0].type == "bot_command"

    # Unconfirmed updates come again; an offset past them confirms them for good.
    assert await telegram_bot.get_updates(timeout=0) == [received]
    assert await telegram_bot.get_updates(offset=received.update_id + 1, timeout=1) == []
    assert fake_telegram.pending == []


async def test_a_second_poller_ends_the_first(telegram_bot: Bot) -> None:
    first = asyncio.create_task(telegram_bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert await telegram_bot.get_updates(timeout=0) == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await first


@pytest.fixture
async def webhook_endpoint() -> AsyncIterator[tuple[str, list[tuple[str | None, dict]]]]:
    """A tiny bot-side webhook that checks the secret header as aiogram's handler does."""
    received: list[tuple[str | None, dict]] = []

    async def handle(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        received.append((secret, await request.json()))
        return web.Response(status=200 if secret == "s3cret-token" else 401)

    app = web.Application()
    app.router.add_post("/tg", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/tg", received
    await runner.cleanup()


async def test_webhook_delivery(
    fake_telegram: FakeTelegram,
    telegram_bot: Bot,
    webhook_endpoint: tuple[str, list[tuple[str | None, dict]]],
) -> None:
    url, received = webhook_endpoint
    await telegram_bot.set_webhook(
        url, secret_token="s3cret-token", allowed_updates=["message", "callback_query"]
    )
    info = await telegram_bot.get_webhook_info()
    assert (info.url, info.allowed_updates) == (url, ["message", "callback_query"])
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await telegram_bot.get_updates()

    update = fake_telegram.user_text(USER, "xin chào", first_name="Lan")
    assert await fake_telegram.post_webhook(update) == 200
    assert await fake_telegram.post_webhook(update) == 200  # a redelivery
    assert await fake_telegram.post_webhook(update, secret="wrong") == 401
    assert received[0] == ("s3cret-token", update)
    assert [body["update_id"] for _, body in received] == [update["update_id"]] * 3

    await telegram_bot.delete_webhook()
    assert await telegram_bot.get_updates(timeout=0) == []


async def test_edit_message(fake_telegram: FakeTelegram, telegram_bot: Bot) -> None:
    sent = await telegram_bot.send_message(USER, "Câu 1?", reply_markup=keyboard("yes"))

    edited = await telegram_bot.edit_message_text(
        "Câu 1: đã trả lời", chat_id=USER, message_id=sent.message_id
    )
    assert edited.text == "Câu 1: đã trả lời"
    assert edited.reply_markup is None  # an edit without reply_markup drops the keyboard
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await telegram_bot.edit_message_text(
            "Câu 1: đã trả lời", chat_id=USER, message_id=sent.message_id
        )
    await telegram_bot.edit_message_reply_markup(
        chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("undo")
    )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await telegram_bot.edit_message_text("?", chat_id=USER, message_id=99)

    records = fake_telegram.sent(USER)
    assert [r["method"] for r in records] == [
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
    ]
    assert {r["message_id"] for r in records} == {sent.message_id}
    assert records[-1]["reply_markup"] == {
        "inline_keyboard": [[{"text": "undo", "callback_data": "undo"}]]
    }


async def test_button_press_and_answer(fake_telegram: FakeTelegram, telegram_bot: Bot) -> None:
    sent = await telegram_bot.send_message(USER, "Đồng ý?", reply_markup=keyboard("c:yes"))
    press = Update.model_validate(fake_telegram.user_press(USER, "c:yes", sent.message_id))

    assert press.callback_query.message.text == "Đồng ý?"  # the message the button was on
    assert await telegram_bot.answer_callback_query(press.callback_query.id, text="OK")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await telegram_bot.answer_callback_query(press.callback_query.id)


async def test_injected_updates_parse_as_aiogram_updates(
    fake_telegram: FakeTelegram, telegram_bot: Bot
) -> None:
    text = fake_telegram.user_text(USER, "chào", first_name="Lan", language_code="en")
    photo = fake_telegram.user_photo(USER, caption="bằng khen")
    document = fake_telegram.user_document(USER, "don.pdf", "application/pdf", content=b"%PDF-x")
    blocked = fake_telegram.my_chat_member(USER, blocked=True)
    unblocked = fake_telegram.my_chat_member(USER, blocked=False)
    updates = [Update.model_validate(u) for u in (text, photo, document, blocked, unblocked)]

    assert [u.update_id for u in updates] == sorted({u.update_id for u in updates})
    assert updates[0].message.from_user.language_code == "en"
    assert updates[1].message.from_user.first_name == "Lan"  # the profile is remembered
    assert updates[3].my_chat_member.new_chat_member.status == "kicked"
    assert updates[4].my_chat_member.new_chat_member.status == "member"

    file = await telegram_bot.get_file(updates[2].message.document.file_id)
    assert (await telegram_bot.download_file(file.file_path)).read() == b"%PDF-x"
    largest = updates[1].message.photo[-1]
    assert (await telegram_bot.get_file(largest.file_id)).file_size == largest.file_size


async def test_scramble_duplicates_and_shuffles(fake_telegram: FakeTelegram) -> None:
    updates = [fake_telegram.user_text(USER, str(i)) for i in range(50)]
    delivered = scramble(updates, duplicate=0.2, seed=1)
    ids = [u["update_id"] for u in delivered]
    assert len(ids) > len(set(ids)) == 50
    assert ids != sorted(ids)
    assert scramble(updates, duplicate=0.2, seed=1) == delivered


async def test_uploads_are_recorded(fake_telegram: FakeTelegram, telegram_bot: Bot) -> None:
    pdf = BufferedInputFile(b"%PDF-1.7 data", filename="ket-qua.pdf")
    message = await telegram_bot.send_document(USER, pdf, caption="Kết quả")
    await telegram_bot.send_document(USER, message.document.file_id)  # resend by file_id
    await telegram_bot.send_photo(USER, "https://example.org/a.jpg")

    upload, resend, photo = fake_telegram.sent(USER)
    assert upload["document"]["file_name"] == "ket-qua.pdf"
    assert upload["document"]["size"] == 13
    assert upload["caption"] == "Kết quả"
    assert resend["document"] == {"file_id": message.document.file_id}
    assert photo["photo"]["url"] == "https://example.org/a.jpg"


async def test_commands_per_language_and_scope(
    fake_telegram: FakeTelegram, telegram_bot: Bot
) -> None:
    await telegram_bot.set_my_commands([BotCommand(command="start", description="Bắt đầu")])
    await telegram_bot.set_my_commands(
        [BotCommand(command="start", description="Start")], language_code="en"
    )
    await telegram_bot.set_my_commands(
        [BotCommand(command="menu", description="Menu")], scope=BotCommandScopeAllPrivateChats()
    )

    assert fake_telegram.commands() == [{"command": "start", "description": "Bắt đầu"}]
    assert fake_telegram.commands(language_code="en")[0]["description"] == "Start"
    assert fake_telegram.commands(scope={"type": "all_private_chats"})[0]["command"] == "menu"
    [english] = await telegram_bot.get_my_commands(language_code="en")
    assert english.description == "Start"
    await telegram_bot.delete_my_commands(language_code="en")
    assert await telegram_bot.get_my_commands(language_code="en") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await telegram_bot.set_my_commands([BotCommand(command="Start!", description="x")])


async def test_global_rate_limit(fake_telegram: FakeTelegram, telegram_bot: Bot) -> None:
    fake_telegram.global_rate = 5
    outcomes = []
    for i in range(8):
        try:
            await telegram_bot.send_message(USER + i, "broadcast")
            outcomes.append("ok")
        except TelegramRetryAfter as error:
            outcomes.append(error.retry_after)
    assert outcomes == ["ok"] * 5 + [1] * 3
    assert fake_telegram.rate_limited == 3


async def test_per_chat_rate_limit(fake_telegram: FakeTelegram, telegram_bot: Bot) -> None:
    fake_telegram.per_chat_rate = 1
    await telegram_bot.send_message(USER, "1")
    await telegram_bot.send_message(USER + 1, "other chats have their own budget")
    with pytest.raises(TelegramRetryAfter):
        await telegram_bot.send_message(USER, "2")


async def test_http_shape(fake_telegram: FakeTelegram, telegram_bot: Bot) -> None:
    async with aiohttp.ClientSession(fake_telegram.base_url) as http:
        # Any case for the method name, a JSON body, and a GET with a query string.
        url = f"/bot{fake_telegram.token}/SENDMESSAGE"
        async with http.post(url, json={"chat_id": USER, "text": "hi"}) as response:
            assert response.status == 200
            assert (await response.json())["result"]["text"] == "hi"
        async with http.get(f"/bot{fake_telegram.token}/getme?x=1") as response:
            assert (await response.json())["result"]["is_bot"] is True
        async with http.get(f"/bot{fake_telegram.token}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
    stranger = fixtures.aiogram_for(fake_telegram, token="999:WRONG")
    with pytest.raises(TelegramUnauthorizedError):
        await stranger.get_me()
    await stranger.session.close()
