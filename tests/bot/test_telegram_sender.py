"""Replies become Bot API calls, and Bot API failures become the delivery worker's errors,
through the bot's own client against the fake Bot API."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.telegram import TelegramSender
from bot.channels.telegram_api import BotApi
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
    fake_telegram: FakeTelegram, telegram_bot: BotApi
) -> None:
    text = "\n\n".join(f"Đoạn {n}. " + "chữ " * 400 for n in range(4))  # about 6,500 chars
    reply = Reply(text, buttons=(Button("Tiếp tục", "next"),))
    message_id = await TelegramSender(telegram_bot).send(str(CHAT), reply)
    sent = fake_telegram.sent(CHAT)
    assert len(sent) == 2 and all(len(m["text"]) <= 4096 for m in sent)
    assert sent[1]["text"].startswith("Đoạn 2.") or sent[1]["text"].startswith("Đoạn 3.")
    assert sent[0]["reply_markup"] is None and sent[1]["reply_markup"] is not None
    assert message_id == str(sent[1]["message_id"])


async def test_an_edit_replaces_a_message_in_place_and_repeating_it_is_harmless(
    fake_telegram: FakeTelegram, telegram_bot: BotApi
) -> None:
    sender = TelegramSender(telegram_bot)
    first = await sender.send(str(CHAT), Reply("Đã gửi 0/10", buttons=(Button("Dừng", "p"),)))
    edit = Reply("Đã gửi 5/10", buttons=(Button("Dừng", "p"),), edit=str(first))
    assert await sender.send(str(CHAT), edit) == first
    assert await sender.send(str(CHAT), edit) == first  # sent again after a crash
    sent = fake_telegram.sent(CHAT)
    assert [m["method"] for m in sent] == ["sendMessage", "editMessageText"]
    assert sent[1]["message_id"] == int(first) and sent[1]["text"] == "Đã gửi 5/10"
    assert sent[1]["reply_markup"] is not None
    with pytest.raises(Rejected):  # a message that is not there
        await sender.send(str(CHAT), Reply("x", edit="999"))


async def test_documents_and_photos_go_as_such_with_a_short_text_as_their_caption(
    fake_telegram: FakeTelegram, telegram_bot: BotApi, tmp_path: Path
) -> None:
    pdf = tmp_path / "giay-chung-nhan.pdf"
    pdf.write_bytes(b"%PDF-1.4 test\n")
    sender = TelegramSender(telegram_bot)
    await sender.send(
        str(CHAT),
        Reply("Giấy chứng nhận", attachment=Attachment(path=str(pdf), name="giay-chung-nhan.pdf")),
    )
    # A photo the platform already has (one a person sent), by its file id, with buttons.
    known = fake_telegram.user_photo(CHAT)["message"]["photo"][-1]["file_id"]
    photo = Attachment(ref=known, kind="photo")
    await sender.send(str(CHAT), Reply("Chỉ số 3", (Button("Duyệt", "ok"),), attachment=photo))

    # A document made just before sending (a certificate): its bytes, uploaded; a text too
    # long for a caption goes before it.
    made = Attachment(document="certificate:AB12", content=b"%PDF-1.4 made\n", name="ab12.pdf")
    await sender.send(str(CHAT), Reply("chữ " * 300, attachment=made))

    ours = [m for m in fake_telegram.sent(CHAT) if m["method"].startswith("send")]
    assert [m["method"] for m in ours] == [
        "sendDocument",
        "sendPhoto",
        "sendMessage",
        "sendDocument",
    ]
    assert ours[0]["document"]["file_name"] == "giay-chung-nhan.pdf"
    assert ours[0]["caption"] == "Giấy chứng nhận"
    assert ours[1]["caption"] == "Chỉ số 3" and ours[1]["reply_markup"] is not None
    assert ours[3]["document"]["file_name"] == "ab12.pdf" and ours[3]["caption"] is None


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
    fake_telegram: FakeTelegram, telegram_bot: BotApi, status: int, error: type[Exception]
) -> None:
    fake_telegram.fail_next("sendMessage", status, retry_after=7 if status == 429 else None)
    with pytest.raises(error) as raised:
        await TelegramSender(telegram_bot).send(str(CHAT), Reply("xin chào"))
    if status == 429:
        assert raised.value.seconds == 7


async def test_the_chat_shows_a_document_on_its_way_and_a_failure_there_is_no_error(
    fake_telegram: FakeTelegram, telegram_bot: BotApi
) -> None:
    sender = TelegramSender(telegram_bot)
    await sender.typing(str(CHAT))
    fake_telegram.fail_next("sendChatAction", 400)
    await sender.typing(str(CHAT))  # best effort: nothing raised
    actions = [c for c in fake_telegram.calls if c.method == "sendChatAction"]
    assert [c.status for c in actions] == [200, 400]
    assert actions[0].params["action"] == "upload_document"


async def test_a_timeout_is_an_unknown_outcome_and_a_refused_connection_is_temporary(
    fake_telegram: FakeTelegram,
) -> None:
    fake_telegram.delay("sendMessage", 2)
    slow = bot_for(fake_telegram, timeout=0.3)
    try:
        with pytest.raises(UnknownOutcome):
            await TelegramSender(slow).send(str(CHAT), Reply("xin chào"))
    finally:
        await slow.close()
    nowhere = FakeTelegram()
    nowhere.base_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    refused = bot_for(nowhere)
    try:
        with pytest.raises(Temporary):
            await TelegramSender(refused).send(str(CHAT), Reply("xin chào"))
    finally:
        await refused.close()
