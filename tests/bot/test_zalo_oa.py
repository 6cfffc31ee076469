"""The Zalo OA adapter against the fake OA: signed events in, consultation messages out,
query buttons both ways, errors, and the webhook."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.channels import raw, zalo_oa
from bot.channels.zalo_oa_tokens import OAuthClient, TokenKeeper
from bot.delivery.errors import OutsideWindow, Rejected, RetryAfter, Temporary, Unreachable
from bot.web.server import make_app
from handlers.events import Attachment, Button, EventKind, Reply
from storage.models import InboxUpdate
from storage.repositories import oa_tokens
from tests.fakes import fixtures
from tests.fakes.zalo_oa import SEND, FakeZaloOA
from tests.storage.factories import Sessions

fake_zalo_oa = fixtures.fake_zalo_oa


async def store_grant(sessions: Sessions, fake: FakeZaloOA, hours: float = 25) -> None:
    """Tokens as `zalo-oa exchange` leaves them."""
    access, refresh = fake.issue()
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        await oa_tokens.start_consent(session, fake.app_id, "v", now)
        await oa_tokens.store_tokens(
            session,
            fake.app_id,
            access_token=access,
            refresh_token=refresh,
            expires_at=now + timedelta(hours=hours),
            now=now,
        )


def keeper_for(sessions: Sessions, fake: FakeZaloOA, **kw: object) -> TokenKeeper:
    oauth = OAuthClient(fake.app_id, fake.app_secret, fake.base_url, timeout=5)
    return TokenKeeper(sessions, oauth, **kw)  # type: ignore[arg-type]


@pytest.fixture
async def sender(
    session_factory: Sessions, fake_zalo_oa: FakeZaloOA
) -> AsyncIterator[zalo_oa.ZaloOASender]:
    await store_grant(session_factory, fake_zalo_oa)
    api = zalo_oa.ZaloOAApi(keeper_for(session_factory, fake_zalo_oa), fake_zalo_oa.base_url)
    yield zalo_oa.ZaloOASender(api)
    await api.close()


# ---- events ------------------------------------------------------------------------------


def test_events_map_to_neutral_events_keyed_by_zalos_message_id(fake_zalo_oa: FakeZaloOA) -> None:
    text = fake_zalo_oa.user_text("u1", "Xin chào")
    event = zalo_oa.to_event(text)
    assert event is not None and (event.kind, event.text) == (EventKind.TEXT, "Xin chào")
    assert (event.channel, event.external_user_id, event.chat_id) == ("zalo_oa", "u1", "u1")
    # The id a free reply quotes.
    assert event.event_id == text["message"]["msg_id"]
    assert event.at == datetime.fromtimestamp(int(text["timestamp"]) / 1000, UTC)
    command = zalo_oa.to_event(fake_zalo_oa.user_text("u1", "/Start abc"))
    assert command is not None
    assert (command.kind, command.command, command.args) == (EventKind.COMMAND, "start", "abc")
    image = fake_zalo_oa.user_image("u1")
    photo = zalo_oa.to_event(image)
    assert photo is not None and photo.file is not None
    assert (photo.kind, photo.file.kind) == (EventKind.FILE, "photo")
    assert photo.file.ref == image["message"]["attachments"][0]["payload"]["url"]
    sticker = zalo_oa.to_event(fake_zalo_oa.user_sticker("u1"))
    assert sticker is not None and sticker.kind is EventKind.UNSUPPORTED
    follow = zalo_oa.to_event(fake_zalo_oa.follow("u1"))
    unfollow = zalo_oa.to_event(fake_zalo_oa.follow("u1", unfollow=True))
    assert follow is not None and unfollow is not None
    assert (follow.kind, unfollow.kind) == (EventKind.UNBLOCKED, EventKind.BLOCKED)
    seen = fake_zalo_oa.seen("u1")
    assert not zalo_oa.kept(seen) and zalo_oa.to_event(seen) is None
    row = zalo_oa.inbox_row(text)
    assert (row.channel, row.update_id, row.chat_key, row.seq) == (
        "zalo_oa",
        f"user_send_text:{event.event_id}",
        "u1",
        int(text["timestamp"]),
    )


def test_a_file_becomes_evidence_like_a_telegram_document(fake_zalo_oa: FakeZaloOA) -> None:
    sent = fake_zalo_oa.user_file("u1", "giay-khen.pdf", 48213)
    event = zalo_oa.to_event(sent)
    assert event is not None and event.kind is EventKind.FILE and event.file is not None
    url = sent["message"]["attachments"][0]["payload"]["url"]
    assert (event.file.ref, event.file.name, event.file.size) == (url, "giay-khen.pdf", 48213)
    assert (event.file.mime, event.file.kind) == ("application/pdf", "document")
    assert zalo_oa.kept(sent)
    # A payload of the wrong shape is unreadable (a dead letter), not a file of nothing.
    sent["message"]["attachments"][0]["payload"]["url"] = None
    with pytest.raises(raw.Unreadable, match=r"payload\.url"):
        zalo_oa.to_event(sent)


async def test_query_buttons_come_back_as_presses_of_their_payload(
    sender: zalo_oa.ZaloOASender, fake_zalo_oa: FakeZaloOA
) -> None:
    buttons = (Button("Đồng ý", "consent:yes"), Button("Không đồng ý", "consent:no"))
    await sender.send("u1", Reply("Anh/Chị đồng ý?", buttons))
    [message] = fake_zalo_oa.sent("u1")
    assert message["text"] == "Anh/Chị đồng ý?"
    assert [b["title"] for b in message["buttons"]] == ["Đồng ý", "Không đồng ý"]
    assert {b["type"] for b in message["buttons"]} == {"oa.query.show"}
    tapped = fake_zalo_oa.press("u1", message["buttons"][1])
    # The chat shows what was chosen: the label leads what the person "sends".
    assert tapped["message"]["text"].startswith("Không đồng ý ")
    event = zalo_oa.to_event(tapped)
    assert event is not None
    assert (event.kind, event.payload, event.text) == (EventKind.BUTTON, "consent:no", "")


async def test_options_go_four_a_message_and_long_texts_split_at_2000(
    sender: zalo_oa.ZaloOASender, fake_zalo_oa: FakeZaloOA
) -> None:
    buttons = tuple(Button(f"Lựa chọn {n}", f"p{n}") for n in range(1, 7))
    long = ("Một đoạn văn khá dài. " * 60 + "\n\n") * 4
    last_id = await sender.send("u2", Reply(long, buttons))
    sent = fake_zalo_oa.sent("u2")
    assert all(1 <= len(m["text"]) <= 2000 for m in sent)
    with_buttons = [m for m in sent if m["buttons"]]
    assert [len(m["buttons"]) for m in with_buttons] == [4, 2]
    assert with_buttons[-1] is sent[-1] and with_buttons[-1]["text"] == zalo_oa.MORE_OPTIONS
    # The text's pieces, then the options that did not fit on its last one.
    assert "".join("".join(m["text"] for m in sent[:-1]).split()) == "".join(long.split())
    assert last_id == sent[-1]["message_id"]
    title = "Rất dài " * 20
    await sender.send("u3", Reply("?", (Button(title, "x"),)))
    [button] = fake_zalo_oa.sent("u3")[0]["buttons"]
    assert len(button["title"]) == 100 and button["title"].endswith("…")
    assert zalo_oa.to_event(fake_zalo_oa.press("u3", button)).payload == "x"  # type: ignore[union-attr]


async def test_a_reply_quotes_the_persons_message_and_a_proactive_one_names_them(
    sender: zalo_oa.ZaloOASender, fake_zalo_oa: FakeZaloOA
) -> None:
    asked = fake_zalo_oa.user_text("u1", "Xin chào")
    await sender.send("u1", Reply("Chào Anh/Chị"), reply_to=asked["message"]["msg_id"])
    await sender.send("u1", Reply("Nhắc nhở"))
    reply, push = fake_zalo_oa.sent("u1")
    assert reply["recipient"] == {"message_id": asked["message"]["msg_id"]} and reply["reply"]
    assert push["recipient"] == {"user_id": "u1"} and not push["reply"]


async def test_files_are_uploaded_photos_by_url_go_as_they_are_and_others_become_a_note(
    sender: zalo_oa.ZaloOASender, fake_zalo_oa: FakeZaloOA
) -> None:
    url = "https://photo.fake-zalo-oa.test/u1/1.jpg"
    await sender.send("u1", Reply("Minh chứng 1", attachment=Attachment(ref=url, kind="photo")))
    photo, caption = fake_zalo_oa.sent("u1")
    assert photo["attachment"]["payload"] == {
        "template_type": "media",
        "elements": [{"media_type": "image", "url": url}],
    }
    assert caption["text"] == "Minh chứng 1"
    pdf = Attachment(document="certificate:7", name="giay-chung-nhan.pdf", content=b"%PDF-1.7")
    await sender.send("u2", Reply("Giấy chứng nhận của Anh/Chị", attachment=pdf))
    document, text = fake_zalo_oa.sent("u2")
    token = document["attachment"]["payload"]["token"]
    assert document["attachment"]["type"] == "file"
    assert fake_zalo_oa.uploads[token] == ("giay-chung-nhan.pdf", b"%PDF-1.7")
    assert text["text"] == "Giấy chứng nhận của Anh/Chị"
    chart = Attachment(content=b"\x89PNG", name="bieu-do.png", kind="photo")
    await sender.send("u3", Reply("", attachment=chart))
    [image] = fake_zalo_oa.sent("u3")
    [element] = image["attachment"]["payload"]["elements"]
    assert fake_zalo_oa.uploads[element["attachment_id"]] == ("bieu-do.png", b"\x89PNG")
    elsewhere = Attachment(ref="AgACAgIAAxkBAAIB", name="don.pdf")  # another platform's file
    await sender.send("u4", Reply("Hồ sơ", attachment=elsewhere))
    [note] = fake_zalo_oa.sent("u4")
    assert note["text"].startswith("Hồ sơ\n\n") and "“don.pdf” chưa gửi được" in note["text"]


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (-213, Unreachable),
        (-230, OutsideWindow),
        (-211, OutsideWindow),
        (-32, RetryAfter),
        (-201, Rejected),
    ],
)
async def test_platform_errors_map_to_delivery_errors(
    sender: zalo_oa.ZaloOASender, fake_zalo_oa: FakeZaloOA, code: int, error: type[Exception]
) -> None:
    fake_zalo_oa.fail_next(SEND, code)
    with pytest.raises(error):
        await sender.send("u1", Reply("xin chào"))


async def test_an_unfollowed_person_is_unreachable(
    sender: zalo_oa.ZaloOASender, fake_zalo_oa: FakeZaloOA
) -> None:
    fake_zalo_oa.not_following("u9")
    with pytest.raises(Unreachable):
        await sender.send("u9", Reply("a"))


async def test_a_refused_token_is_refreshed_once_and_the_send_repeated(
    sender: zalo_oa.ZaloOASender, fake_zalo_oa: FakeZaloOA, session_factory: Sessions
) -> None:
    await sender.send("u1", Reply("một"))
    fake_zalo_oa.expire_access_tokens()
    await sender.send("u1", Reply("hai"))
    assert [m["text"] for m in fake_zalo_oa.sent("u1")] == ["một", "hai"]
    assert fake_zalo_oa.refresh_calls == 1
    async with session_factory() as session:
        row = await oa_tokens.get(session, fake_zalo_oa.app_id)
    assert row is not None and row.version == 2 and row.access_token in fake_zalo_oa.access_tokens
    # Refused again right after a refresh: no loop, a temporary failure.
    fake_zalo_oa.fail_next(SEND, -216, times=2)
    with pytest.raises(Temporary):
        await sender.send("u1", Reply("ba"))


async def test_no_token_yet_and_a_refused_connection_are_temporary(
    session_factory: Sessions, fake_zalo_oa: FakeZaloOA
) -> None:
    api = zalo_oa.ZaloOAApi(keeper_for(session_factory, fake_zalo_oa), fake_zalo_oa.base_url)
    try:
        with pytest.raises(Temporary, match="zalo-oa authorize"):
            await zalo_oa.ZaloOASender(api).send("u1", Reply("a"))
    finally:
        await api.close()
    await store_grant(session_factory, fake_zalo_oa)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = zalo_oa.ZaloOAApi(keeper_for(session_factory, fake_zalo_oa), f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(Temporary):
            await zalo_oa.ZaloOASender(api).send("u1", Reply("a"))
    finally:
        await api.close()


# ---- webhook -----------------------------------------------------------------------------


@pytest.fixture
async def webhook(session_factory: Sessions, fake_zalo_oa: FakeZaloOA) -> AsyncIterator[str]:
    app = make_app(
        session_factory,
        webhook_secret="unused-secret",
        zalo_oa=(fake_zalo_oa.app_id, fake_zalo_oa.secret_key),
    )
    runner = web.AppRunner(app)
    await runner.setup()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/zalo-oa/webhook"
    finally:
        await runner.cleanup()


async def test_webhook_takes_only_signed_events_once(
    webhook: str, fake_zalo_oa: FakeZaloOA, session_factory: Sessions
) -> None:
    event = fake_zalo_oa.user_text("u1", "xin chào")
    assert await fake_zalo_oa.post_webhook(event, webhook, signature="") == 401
    assert await fake_zalo_oa.post_webhook(event, webhook, signature="mac=" + "0" * 64) == 401
    # Signed by someone without our OA secret key.
    other = FakeZaloOA(app_id=fake_zalo_oa.app_id, secret_key="not-our-key")
    assert await fake_zalo_oa.post_webhook(event, webhook, signature=other.signature(event)) == 401
    # The signature covers the bytes as sent: the same event re-serialised differs.
    respaced = fake_zalo_oa.body(event).replace(b'": "', b'":"')
    mac = fake_zalo_oa.signature(event)
    async with fake_zalo_oa._client.post(  # type: ignore[union-attr]
        webhook, data=respaced, headers={"X-ZEvent-Signature": mac}
    ) as response:
        assert response.status == 401
    assert await fake_zalo_oa.post_webhook(event, webhook) == 200
    assert await fake_zalo_oa.post_webhook(event, webhook) == 200  # a redelivery
    assert await fake_zalo_oa.post_webhook(fake_zalo_oa.seen("u1"), webhook) == 200  # not kept
    assert await fake_zalo_oa.post_webhook(fake_zalo_oa.user_image("u1"), webhook) == 200
    async with session_factory() as session:
        keys = list(await session.scalars(select(InboxUpdate.update_id).order_by(InboxUpdate.seq)))
    assert keys[0] == f"user_send_text:{event['message']['msg_id']}"
    assert len(keys) == 2 and keys[1].startswith("user_send_image:")
