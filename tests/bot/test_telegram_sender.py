"""Replies become Bot API calls, and Bot API failures become the delivery worker's errors,
through the real aiogram client against the fake Bot API."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiogram import Bot

from bot.channels.telegram import TelegramSender
from bot.delivery.errors import Rejected, RetryAfter, Temporary, UnknownOutcome, Unreachable
from handlers.events import Attachment, Button, Reply
from tests.e2e.telegram_stack import free_port
from tests.fakes import fixtures
from tests.fakes.fixtures import bot_for
from tests.fakes.telegram import FakeTelegram

fake_telegram = fixtures.fake_telegram
telegram_bot = fixtures.telegram_bot
CHAT = 42


async def test_a_long_text_is_split_and_only_its_last_piece_has_the_buttons(
    fake_telegram: FakeTelegram, telegram_bot: Bot
) -> None:
    text = "\n\n".join(f"Đoạn {n}. " + "chữ " * 400 for n in range(4))  # about 6,500 chars
    reply = Reply(text, buttons=(Button("Tiếp tục", "next"),))
    message_id = await TelegramSender(telegram_bot).send(str(CHAT), reply)
    sent = fake_telegram.sent(CHAT)
    assert len(sent) == 2 and all(len(m["text"]) <= 4096 for m in sent)
    assert sent[1]["text"].startswith("Đoạn 2.") or sent[1]["text"].startswith("Đoạn 3.")
    assert sent[0]["reply_markup"] is None and sent[1]["reply_markup"] is not None
    assert message_id == str(sent[1]["message_id"])


async def test_documents_and_photos_go_as_such(
    fake_telegram: FakeTelegram, telegram_bot: Bot, tmp_path: Path
) -> None:
    pdf = tmp_path / "giay-chung-nhan.pdf"
    pdf.write_bytes(b"%PDF-1.4 test\n")
    sender = TelegramSender(telegram_bot)
    await sender.send(
        str(CHAT),
        Reply("Giấy chứng nhận", attachment=Attachment(path=str(pdf), name="giay-chung-nhan.pdf")),
    )
    # A photo the platform already has (one a person sent), by its file id.
    known = fake_telegram.user_photo(CHAT)["message"]["photo"][-1]["file_id"]
    await sender.send(str(CHAT), Reply("", attachment=Attachment(ref=known, kind="photo")))

    ours = [m for m in fake_telegram.sent(CHAT) if m["method"].startswith("send")]
    assert [m["method"] for m in ours] == ["sendMessage", "sendDocument", "sendPhoto"]
    assert ours[1]["document"]["file_name"] == "giay-chung-nhan.pdf"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, RetryAfter),
        (403, Unreachable),
        (400, Rejected),
        (500, Temporary),
    ],
)
async def test_platform_errors_become_delivery_errors(
    fake_telegram: FakeTelegram, telegram_bot: Bot, status: int, error: type[Exception]
) -> None:
    fake_telegram.fail_next("sendMessage", status, retry_after=7 if status == 429 else None)
    with pytest.raises(error) as raised:
        await TelegramSender(telegram_bot).send(str(CHAT), Reply("xin chào"))
    if status == 429:
        assert raised.value.seconds == 7


async def test_a_timeout_is_an_unknown_outcome_and_a_refused_connection_is_temporary(
    fake_telegram: FakeTelegram,
) -> None:
    fake_telegram.delay("sendMessage", 2)
    slow = bot_for(fake_telegram, timeout=0.3)
    try:
        with pytest.raises(UnknownOutcome):
            await TelegramSender(slow).send(str(CHAT), Reply("xin chào"))
    finally:
        await slow.session.close()
    nowhere = FakeTelegram()
    nowhere.base_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    refused = bot_for(nowhere)
    try:
        with pytest.raises(Temporary):
            await TelegramSender(refused).send(str(CHAT), Reply("xin chào"))
    finally:
        await refused.session.close()
