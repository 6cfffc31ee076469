"""The Zalo Bot adapter against the fake Zalo Bot API: updates in, replies out, errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels import raw, zalo_bot
from bot.channels.options import as_presses, chosen
from bot.delivery.errors import Rejected, RetryAfter, Temporary, Unreachable
from handlers.events import Attachment, Button, Event, EventKind, Reply
from storage.models import OutboxStatus
from storage.repositories import outbox
from tests.fakes import fixtures
from tests.fakes.zalo_bot import FakeZaloBot

fake_zalo = fixtures.fake_zalo


@pytest.fixture
async def api(fake_zalo: FakeZaloBot) -> AsyncIterator[zalo_bot.ZaloBotApi]:
    client = zalo_bot.ZaloBotApi(fake_zalo.token, fake_zalo.base_url, timeout=5)
    yield client
    await client.close()


def test_updates_become_events_keyed_by_event_name_and_message_id(
    fake_zalo: FakeZaloBot,
) -> None:
    text = fake_zalo.user_text("u1", "Xin chào")
    event = zalo_bot.to_event(text)
    assert event is not None and (event.kind, event.text) == (EventKind.TEXT, "Xin chào")
    assert (event.external_user_id, event.chat_id) == ("u1", "u1")
    assert event.event_id == f"message.text.received:{text['message']['message_id']}"
    assert event.at == datetime.fromtimestamp(text["message"]["date"] / 1000, UTC)
    command = zalo_bot.to_event(fake_zalo.user_text("u1", "/Start abc"))
    assert command is not None and (command.kind, command.command, command.args) == (
        EventKind.COMMAND,
        "start",
        "abc",
    )
    photo = zalo_bot.to_event(fake_zalo.user_photo("u1"))
    assert photo is not None and photo.file is not None
    assert (photo.kind, photo.file.kind) == (EventKind.FILE, "photo")
    assert photo.file.ref.startswith("https://")
    sticker = zalo_bot.to_event(fake_zalo.user_sticker("u1"))
    assert sticker is not None and sticker.kind is EventKind.UNSUPPORTED
    group = fake_zalo.user_text("u1", "hi")
    group["message"]["chat"]["chat_type"] = "GROUP"
    assert zalo_bot.to_event(group) is None
    row = zalo_bot.inbox_row(text)
    assert (row.channel, row.update_id, row.chat_key, row.seq) == (
        "zalo_bot",
        event.event_id,
        "u1",
        text["message"]["date"],
    )
    assert zalo_bot.unwrap({"ok": True, "result": text}) == zalo_bot.unwrap(text) == text
    with pytest.raises(ValueError):
        zalo_bot.unwrap({"ok": True, "result": []})


def test_the_older_photo_field_is_read_and_wrong_types_are_unreadable(
    fake_zalo: FakeZaloBot,
) -> None:
    older = fake_zalo.user_photo("u1")
    older["message"]["photo"] = older["message"].pop("photo_url")
    event = zalo_bot.to_event(older)
    assert event is not None and event.file is not None
    assert (event.kind, event.file.ref) == (EventKind.FILE, older["message"]["photo"])
    for field, value in (("chat", None), ("text", 5), ("date", 10**30), ("from", "u1")):
        update = fake_zalo.user_text("u1", "hi")
        update["message"][field] = value
        with pytest.raises(raw.Unreadable, match=field):
            zalo_bot.to_event(update)


async def test_options_are_numbered_lines_and_long_texts_split_at_2000(
    fake_zalo: FakeZaloBot, api: zalo_bot.ZaloBotApi
) -> None:
    sender = zalo_bot.ZaloBotSender(api)
    buttons = (Button("Có", "yes"), Button("Không", "no"))
    await sender.send("u1", Reply("Anh/Chị đồng ý?", buttons))
    assert fake_zalo.sent("u1")[0]["text"] == "Anh/Chị đồng ý?\n[1] Có\n[2] Không"
    long = ("Một đoạn văn khá dài. " * 60 + "\n\n") * 4
    # Zalo Bot messages cannot be edited: no id is kept for a later edit.
    assert await sender.send("u2", Reply(long, buttons)) is None
    sent = fake_zalo.sent("u2")
    assert len(sent) > 1 and all(len(m["text"]) <= 2000 for m in sent)
    assert sent[-1]["text"].endswith("[1] Có\n[2] Không")


async def test_a_photo_goes_by_url_and_a_file_it_cannot_upload_becomes_a_note(
    fake_zalo: FakeZaloBot, api: zalo_bot.ZaloBotApi
) -> None:
    sender = zalo_bot.ZaloBotSender(api)
    url = "https://photo.fake-zalo.test/u1/1.jpg"
    await sender.send("u1", Reply("Minh chứng 1", attachment=Attachment(ref=url, kind="photo")))
    assert fake_zalo.sent("u1") == [
        {**fake_zalo.sent("u1")[0], "method": "sendPhoto", "photo": url, "caption": "Minh chứng 1"}
    ]
    certificate = Attachment(document="certificate:7", name="giay-chung-nhan.pdf", content=b"%")
    await sender.send("u3", Reply("Giấy chứng nhận của Anh/Chị", attachment=certificate))
    [note] = fake_zalo.sent("u3")
    assert note["method"] == "sendMessage"
    assert note["text"].startswith("Giấy chứng nhận của Anh/Chị\n\n")
    assert "“giay-chung-nhan.pdf” chưa gửi được qua Zalo" in note["text"]
    assert not [
        c for c in fake_zalo.calls if c.method == "sendPhoto" and c.params["chat_id"] == "u3"
    ]


@pytest.mark.parametrize(
    ("code", "error"), [(400, Rejected), (403, Unreachable), (500, Temporary), (502, Temporary)]
)
async def test_platform_errors_map_to_delivery_errors(
    fake_zalo: FakeZaloBot, api: zalo_bot.ZaloBotApi, code: int, error: type[Exception]
) -> None:
    fake_zalo.fail_next("sendMessage", code)
    with pytest.raises(error):
        await zalo_bot.ZaloBotSender(api).send("u1", Reply("xin chào"))


async def test_throttling_pauses_for_what_zalo_says_or_a_default(
    fake_zalo: FakeZaloBot, api: zalo_bot.ZaloBotApi
) -> None:
    sender = zalo_bot.ZaloBotSender(api)
    fake_zalo.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as told:
        await sender.send("u1", Reply("a"))
    fake_zalo.fail_next("sendMessage", 429)
    with pytest.raises(RetryAfter) as guessed:
        await sender.send("u1", Reply("a"))
    assert (told.value.seconds, guessed.value.seconds) == (7, zalo_bot.DEFAULT_RETRY_AFTER)
    fake_zalo.block("u9")
    with pytest.raises(Unreachable):
        await sender.send("u9", Reply("a"))


async def test_the_typing_action_is_shown_and_its_failure_is_no_error(
    fake_zalo: FakeZaloBot, api: zalo_bot.ZaloBotApi
) -> None:
    sender = zalo_bot.ZaloBotSender(api)
    await sender.typing("u1")
    fake_zalo.fail_next("sendChatAction", 500)
    await sender.typing("u1")  # best effort: nothing raised
    actions = [c.params for c in fake_zalo.calls if c.method == "sendChatAction"]
    assert actions == [{"chat_id": "u1", "action": "typing"}] * 2


async def test_a_refused_connection_is_temporary() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = zalo_bot.ZaloBotApi("1:x", f"http://127.0.0.1:{port}", timeout=5)
    try:
        with pytest.raises(Temporary):
            await zalo_bot.ZaloBotSender(client).send("u1", Reply("a"))
    finally:
        await client.close()


async def test_polling_takes_one_update_per_call_and_an_empty_wait_is_no_error(
    fake_zalo: FakeZaloBot, api: zalo_bot.ZaloBotApi
) -> None:
    stored: list[dict[str, Any]] = []
    stop = asyncio.Event()

    async def store(update: dict[str, Any]) -> None:
        stored.append(update)

    polling = asyncio.create_task(zalo_bot.poll(api, store, stop, wait=1))
    first, second = fake_zalo.user_text("u1", "một"), fake_zalo.user_text("u1", "hai")
    fake_zalo.queue(first, second)
    async with asyncio.timeout(10):
        while len(stored) < 2:
            await asyncio.sleep(0.01)
        # Then a wait with nothing to hand over: answered 408, and polling goes on.
        while not [c for c in fake_zalo.calls if c.error_code == 408]:
            await asyncio.sleep(0.05)
        third = fake_zalo.user_text("u1", "ba")
        fake_zalo.queue(third)
        while len(stored) < 3:
            await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(polling, 5)
    assert stored == [first, second, third]


def test_a_typed_number_picks_from_the_options_last_shown() -> None:
    shown = Reply("Duyệt?", (Button("Xem", "*review:1"), Button("Duyệt", "*approve:1")))
    assert chosen(" 2 ", shown) == Button("Duyệt", "*approve:1")
    assert chosen("3", shown) is None and chosen("hai", shown) is None
    points = Reply("Bao nhiêu điểm?", (Button("5", "p5"),), number_answer=True)
    assert chosen("1", points) is None  # a number of the officer's own
    at = datetime(2026, 1, 1, tzinfo=UTC)
    typed = [
        Event("zalo_bot", "u1", "u1", "e1", EventKind.TEXT, at, text="2"),
        Event("zalo_bot", "u2", "u2", "e2", EventKind.TEXT, at, text="2"),
    ]
    pressed = as_presses(typed, {("zalo_bot", "u1"): shown.to_payload()})
    assert (pressed[0].kind, pressed[0].payload, pressed[0].event_id) == (
        EventKind.BUTTON,
        "*approve:1",
        "e1",
    )
    assert pressed[1] == typed[1]  # nothing shown to u2: the step reads the number itself


async def test_last_sent_is_the_newest_message_sent_or_being_sent_per_chat(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    async with session_factory() as session, session.begin():
        await outbox.enqueue(
            session,
            [
                outbox.NewMessage(None, "zalo_bot", "u1", "answer", {"text": t})
                for t in ("old", "new", "queued")
            ]
            + [outbox.NewMessage(None, "telegram", "u1", "answer", {"text": "elsewhere"})],
            now,
        )
        claimed = await outbox.claim(
            session, channel="zalo_bot", limit=5, now=now, lease=timedelta(seconds=60)
        )
        await outbox.mark_sent(session, {claimed[0].id: "m1"}, now)
    async with session_factory() as session, session.begin():
        claimed = await outbox.claim(
            session, channel="zalo_bot", limit=5, now=now, lease=timedelta(seconds=60)
        )
        assert claimed[0].status == OutboxStatus.SENDING
    async with session_factory() as session:
        found = await outbox.last_sent(session, "zalo_bot", ["u1", "u2"])
    assert found == {"u1": {"text": "new"}}


async def test_the_fake_answers_as_zalo_does_get_forms_and_http_statuses(
    fake_zalo: FakeZaloBot,
) -> None:
    base = f"{fake_zalo.base_url}/bot{fake_zalo.token}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/getMe") as response:
            assert response.status == 200 and (await response.json())["ok"] is True
        async with http.post(
            f"{base}/sendMessage", data={"chat_id": "u1", "text": "chào"}
        ) as response:
            assert response.status == 200
        async with http.get(f"{base}/nosuchMethod") as response:
            assert (response.status, (await response.json())["error_code"]) == (404, 404)
        async with http.get(f"{fake_zalo.base_url}/botwrong/getMe") as response:
            assert response.status == 401
        async with http.post(f"{base}/getWebhookInfo") as response:
            info = (await response.json())["result"]
    assert set(info) == {"url", "updated_at"}
    assert fake_zalo.sent("u1")[0]["text"] == "chào"
