"""Hostile bodies on every webhook get a 4xx for that request alone, with no traceback; the
OA's signature is checked before its body is parsed; /healthz tells the truth."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.channels import zalo_oa
from bot.web.server import HealthRules, make_app
from storage.models import InboxUpdate
from storage.repositories import inbox, outbox
from tests.fakes.zalo_oa import FakeZaloOA
from tests.storage.factories import Sessions

SECRET = "webhook-secret_1"
TOKEN = "health-token-1"
TELEGRAM = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
ZALO = {"X-Bot-Api-Secret-Token": SECRET}
OA = FakeZaloOA()  # only its signing: never started


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def app(session_factory: Sessions, clock: Clock, **oa: Any) -> TestServer:
    return TestServer(
        make_app(
            session_factory,
            webhook_secret=SECRET,
            zalo_webhook_secret=SECRET,
            clock=clock,
            health_rules=HealthRules(TOKEN, timedelta(seconds=60), timedelta(hours=24)),
            zalo_oa_max_age=timedelta(days=30),
            **oa,
        )
    )


@pytest.fixture
async def client(session_factory: Sessions, clock: Clock) -> AsyncIterator[TestClient]:
    async with TestClient(app(session_factory, clock, zalo_oa=(OA.app_id, OA.secret_key))) as c:
        yield c


@pytest.fixture
async def without_oa(session_factory: Sessions, clock: Clock) -> AsyncIterator[TestClient]:
    """An OA without tokens is unhealthy: the health test leaves it out."""
    async with TestClient(app(session_factory, clock)) as c:
        yield c


async def post(client: TestClient, path: str, body: bytes, headers: dict[str, str]) -> int:
    async with client.post(path, data=body, headers=headers) as response:
        return response.status


async def signed(client: TestClient, event: dict[str, Any], body: bytes | None = None) -> int:
    body = OA.body(event) if body is None else body
    return await post(
        client, "/zalo-oa/webhook", body, {"X-ZEvent-Signature": OA.signature(event, body)}
    )


def telegram_text(update_id: Any, **message: Any) -> dict[str, Any]:
    chat = {"id": 7, "type": "private"}
    return {
        "update_id": update_id,
        "message": {"message_id": 1, "date": 1_780_000_000, "chat": chat, "from": chat, **message},
    }


def zalo_text(**message: Any) -> dict[str, Any]:
    base = {"message_id": "m1", "date": 1_780_000_000_000, "chat": {"id": "u1"}, "text": "hi"}
    return {"event_name": "message.text.received", "message": {**base, **message}}


DEEP = b"[" * 200_000 + b"]" * 200_000  # 400 KB of [[[...]]]
DEEP_IN_AN_OBJECT = b'{"update_id": 1, "message": ' + b"[" * 100 + b"]" * 100 + b"}"


@pytest.mark.parametrize(
    "body",
    [
        DEEP,
        DEEP_IN_AN_OBJECT,
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        json.dumps(telegram_text(10**30)).encode(),  # id out of range
        json.dumps(telegram_text(-1)).encode(),
        json.dumps(telegram_text("12")).encode(),  # a string, not a number
        json.dumps(telegram_text(None)).encode(),
        json.dumps(telegram_text(True)).encode(),
    ],
)
async def test_telegram_webhook_refuses_what_is_no_update(
    client: TestClient, session_factory: Sessions, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert await post(client, "/telegram/webhook", body, TELEGRAM) == 400
    assert not [r for r in caplog.records if r.exc_info]
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 0


@pytest.mark.parametrize(
    "update",
    [
        zalo_text(date=10**30),
        zalo_text(date="yesterday"),
        zalo_text(message_id=None),
        zalo_text(message_id=["m"]),
        zalo_text(message_id="m\x00"),  # no text column of PostgreSQL's holds a NUL
        {"event_name": "message.text.received", "message": None},
        {"event_name": "message.text.received", "message": "hi"},
        {"event_name": 5, "message": {"message_id": "m"}},
        {"ok": True, "result": [1]},
    ],
)
async def test_zalo_webhook_refuses_what_is_no_update(
    client: TestClient, update: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert await post(client, "/zalo/webhook", json.dumps(update).encode(), ZALO) == 400
        assert await post(client, "/zalo/webhook", DEEP, ZALO) == 400
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_body_over_the_size_limit_is_refused(client: TestClient) -> None:
    huge = json.dumps(telegram_text(1, text="x" * 2_000_000)).encode()
    assert await post(client, "/telegram/webhook", huge, TELEGRAM) == 413


async def test_an_authentic_update_of_odd_types_is_stored_for_the_processor(
    client: TestClient, session_factory: Sessions
) -> None:
    # Readable enough to key; what is wrong inside is the processor's to set aside.
    assert (
        await post(
            client, "/telegram/webhook", json.dumps(telegram_text(3, text=5)).encode(), TELEGRAM
        )
        == 200
    )
    assert (
        await post(client, "/zalo/webhook", json.dumps(zalo_text(chat=None)).encode(), ZALO) == 200
    )
    nul = json.dumps(zalo_text(message_id="m2", chat={"id": "u\x00"})).encode()
    assert await post(client, "/zalo/webhook", nul, ZALO) == 200
    async with session_factory() as session:
        assert await inbox.pending_count(session) == 3


async def test_the_oa_signature_is_checked_before_the_body_is_parsed(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[bytes] = []
    real_loads = json.loads
    monkeypatch.setattr(zalo_oa.json, "loads", lambda b: parsed.append(b) or real_loads(b))
    event = OA.user_text("u1", "xin chào")
    for header in ("", "mac=xyz", "sha256=" + "0" * 64, "mac=" + "0" * 64):
        assert await post(client, "/zalo-oa/webhook", DEEP, {"X-ZEvent-Signature": header}) == 401
        assert (
            await post(client, "/zalo-oa/webhook", OA.body(event), {"X-ZEvent-Signature": header})
            == 401
        )
    assert parsed == []
    # Signed: parsed once, then taken.
    assert await signed(client, event) == 200
    assert len(parsed) == 1


async def test_signed_but_hostile_or_stale_oa_events_are_refused(
    client: TestClient, clock: Clock, session_factory: Sessions
) -> None:
    deep = OA.user_text("u1", "a")
    deep["message"]["attachments"] = json.loads("[" * 60 + "]" * 60)
    assert await signed(client, deep) == 400
    odd_time = OA.user_text("u1", "b")
    odd_time["timestamp"] = "9" * 19
    assert await signed(client, odd_time) == 400
    # A captured event, replayed once its dedupe key may be gone, is refused.
    old = OA.user_text("u1", "c")
    clock.now += timedelta(days=31)
    assert await signed(client, old) == 400
    clock.now -= timedelta(days=31)
    assert await signed(client, old) == 200
    # The timestamp the MAC covers must be the event's own.
    two = OA.user_text("u1", "d")
    two["message"]["timestamp"] = two["timestamp"]
    two["timestamp"] = str(int(two["timestamp"]) + 1)
    body = OA.body(two)
    forged = OA.signature({"timestamp": two["message"]["timestamp"]}, body)
    assert await post(client, "/zalo-oa/webhook", body, {"X-ZEvent-Signature": forged}) == 401
    async with session_factory() as session:
        assert await inbox.pending_count(session) == 1


async def health(client: TestClient, **auth: str) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {auth['bearer']}"} if "bearer" in auth else {}
    params = {"token": auth["token"]} if "token" in auth else {}
    async with client.get("/healthz", headers=headers, params=params) as response:
        return response.status, await response.json()


async def test_health_is_ok_or_not_and_says_why_only_with_the_token(
    without_oa: TestClient, clock: Clock, session_factory: Sessions
) -> None:
    client = without_oa
    assert await health(client) == (200, {"status": "ok"})
    assert await health(client, token="wrong") == (200, {"status": "ok"})
    status, report = await health(client, bearer=TOKEN)
    assert (status, report["problems"], report["database"]) == (200, [], "ok")

    # An update waiting longer than allowed.
    assert (
        await post(
            client, "/telegram/webhook", json.dumps(telegram_text(5, text="a")).encode(), TELEGRAM
        )
        == 200
    )
    clock.now += timedelta(seconds=61)
    assert await health(client) == (503, {"status": "not ok"})
    status, report = await health(client, token=TOKEN)
    assert report["problems"] == ["inbox"] and report["inbox_oldest_waiting_seconds"] == 61
    async with session_factory() as session, session.begin():
        row = await session.scalar(select(InboxUpdate))
        await inbox.mark_dead(session, {row.id: "TypeError: x"}, clock.now)
    # Set aside: no longer waiting, but a recent dead letter.
    status, report = await health(client, bearer=TOKEN)
    assert (status, report["problems"], report["dead_letters_recent"]) == (503, ["dead_letters"], 1)
    clock.now += timedelta(hours=25)
    status, report = await health(client, bearer=TOKEN)
    assert (status, report["dead_letters"], report["dead_letters_recent"]) == (200, 1, 0)

    # A reply overdue (bulk messages may wait: a broadcast takes hours).
    async with session_factory() as session, session.begin():
        await outbox.enqueue(
            session,
            [
                outbox.NewMessage(None, "telegram", "7", "broadcast", {"text": "b"}),
                outbox.NewMessage(None, "telegram", "8", "answer", {"text": "a"}),
            ],
            clock.now,
        )
    clock.now += timedelta(seconds=30)
    assert (await health(client))[0] == 200
    clock.now += timedelta(seconds=31)
    status, report = await health(client, bearer=TOKEN)
    assert (status, report["problems"], report["outbox_oldest_due_seconds"]) == (
        503,
        ["outbox"],
        61,
    )
