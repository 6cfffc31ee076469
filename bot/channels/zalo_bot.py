"""The Zalo Bot Platform: updates become Events, Replies become Bot API calls.

Zalo's Bot API copies Telegram's shape (``POST {base}/bot{token}/{method}`` with a JSON body,
answers ``{ok, result, error_code, description}``) with far fewer methods: text, a photo by
URL, a sticker and a typing action; no keyboards, no file upload. So options go out as a
numbered list (bot/channels/options.py) and a made document cannot be sent at all.

Like the Telegram channel this module only translates; updates arrive by long polling or by
webhook (bot/web/server.py) and are stored in the inbox before anything else happens.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

import aiohttp

from bot.channels import raw
from bot.channels.capabilities import ZALO_BOT
from bot.channels.options import with_options
from bot.channels.text import split_text
from bot.delivery.errors import Rejected, RetryAfter, Temporary, UnknownOutcome, Unreachable
from handlers.events import Event, EventKind, FileRef, Reply
from handlers.i18n import N_
from storage.models import utcnow
from storage.repositories.inbox import NewUpdate

log = logging.getLogger(__name__)

CHANNEL = "zalo_bot"
# The current official base; the older https://bot-api.zapps.me is still used by some SDKs.
DEFAULT_API_URL = "https://bot-api.zaloplatforms.com"
POLL_TIMEOUT = 408  # getUpdates' answer when nothing arrived during the wait
# Zalo documents no 429 and no retry_after: if either comes, wait this long by default.
DEFAULT_RETRY_AFTER = 5.0
MAX_UPDATE_ID = 64  # the inbox's column width
RECENT_KEYS = 1000  # updates a poller remembers having stored, to drop Zalo's redeliveries

NO_UPLOAD = N_(
    "Tệp “{name}” chưa gửi được qua Zalo vì Zalo Bot chưa cho gửi tệp. "
    "Anh/Chị vui lòng liên hệ cán bộ Hội Khuyến học để nhận bản giấy hoặc bản điện tử."
)


class ZaloApiError(Exception):
    """An ``ok: false`` answer."""

    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after


class ZaloBotApi:
    """A minimal client: one aiohttp session, one method call at a time per request."""

    def __init__(self, token: str, api_url: str = DEFAULT_API_URL, timeout: float = 30) -> None:
        self.base = f"{api_url.rstrip('/')}/bot{token}/"
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def call(
        self, method: str, params: Mapping[str, Any] | None = None, *, wait: float | None = None
    ) -> Any:
        """The call's result; ZaloApiError for an ``ok: false`` answer, aiohttp's errors or
        TimeoutError when no answer came within ``wait`` seconds (default: the client's)."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(
            self.base + method,
            json=dict(params or {}),
            timeout=aiohttp.ClientTimeout(total=wait or self.timeout),
        ) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = None
        if not isinstance(body, dict):
            raise ZaloApiError(response.status, f"not JSON (HTTP {response.status})")
        if not body.get("ok"):
            retry_after = (body.get("parameters") or {}).get("retry_after")
            raise ZaloApiError(
                int(body.get("error_code") or response.status),
                str(body.get("description") or ""),
                float(retry_after) if retry_after is not None else None,
            )
        return body.get("result")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def unwrap(body: Mapping[str, Any]) -> dict[str, Any]:
    """An update as sent: bare ``{event_name, message}`` or inside ``{ok, result}`` (sources
    disagree on which the webhook sends)."""
    update = body.get("result") if "event_name" not in body else body
    if not isinstance(update, dict) or not update.get("event_name"):
        raise raw.Unreadable("not a Zalo Bot update")
    return update


def _message(update: Mapping[str, Any]) -> Mapping[str, Any]:
    return raw.obj(update.get("message"), "message")


def update_key(update: Mapping[str, Any]) -> str:
    """The update's identity: Zalo gives no update id, and redelivers with the same event
    name and message id."""
    name = raw.string(update.get("event_name"), "event_name")
    message_id = raw.identifier(_message(update).get("message_id"), "message.message_id")
    key = f"{name}:{message_id}"
    return key if len(key) <= MAX_UPDATE_ID else hashlib.sha256(key.encode()).hexdigest()


def inbox_row(update: dict[str, Any]) -> NewUpdate:
    """A raw update as the inbox keeps it, in the chat's order by the message's time (ms).
    Unreadable when it has no usable key or time."""
    message = _message(update)
    sender = message.get("from") or message.get("chat")
    date = message.get("date")
    seq = raw.digits(date, "message.date") if date else int(time.time() * 1000)
    key = update_key(update)
    # An update of no one we can tell queues behind no other such update.
    person = raw.usable_id(sender.get("id") if isinstance(sender, dict) else None)
    return NewUpdate(CHANNEL, key, person or f"#{key}"[: raw.MAX_ID], seq, update)


def to_event(update: Mapping[str, Any]) -> Event | None:
    """The neutral event for an update, or None for what the bot does not take part in
    (group chats: Zalo Bot Creator bots cannot join groups anyway). A field of the wrong
    type raises Unreadable."""
    message = _message(update)
    chat = raw.obj(message.get("chat"), "message.chat")
    chat_type = raw.optional_string(chat.get("chat_type"), "chat.chat_type") or "PRIVATE"
    if chat_type.upper() != "PRIVATE":
        log.info("ignored update %s from a %s chat", update.get("event_name"), chat_type)
        return None
    sender = raw.optional_obj(message.get("from"), "message.from") or chat
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "external_user_id": raw.identifier(sender.get("id"), "message.from.id"),
        "chat_id": raw.identifier(chat.get("id"), "message.chat.id"),
        "event_id": update_key(update),
        "at": _time(message.get("date")),
    }
    name = raw.string(update.get("event_name"), "event_name")
    if name == "message.text.received":
        text = raw.string(message.get("text"), "message.text")
        if text.startswith("/"):
            head, _, args = text[1:].partition(" ")
            return Event(kind=EventKind.COMMAND, command=head.lower(), args=args.strip(), **common)
        return Event(kind=EventKind.TEXT, text=text, **common)
    # The photo's URL is its only reference (what sendPhoto takes to show it again); older
    # updates carry it as ``photo``.
    url = raw.optional_string(message.get("photo_url") or message.get("photo"), "message.photo")
    if name == "message.image.received" and url:
        return Event(
            kind=EventKind.FILE,
            file=FileRef(ref=url, mime="image/jpeg", kind="photo"),
            **common,
        )
    return Event(kind=EventKind.UNSUPPORTED, **common)


def _time(ms: Any) -> datetime:
    return raw.moment(raw.digits(ms, "message.date") / 1000, "message.date") if ms else utcnow()


def is_url(ref: str) -> bool:
    return ref.startswith(("https://", "http://"))


class ZaloBotSender:
    """Sends one Reply; platform errors become the delivery worker's vocabulary."""

    channel = CHANNEL
    capabilities = ZALO_BOT

    def __init__(self, api: ZaloBotApi) -> None:
        self.api = api

    def is_group(self, chat_id: str) -> bool:
        return False  # a Zalo Bot Creator bot cannot be added to a group

    async def send(self, chat_id: str, reply: Reply, *, reply_to: str | None = None) -> None:
        """Zalo Bot lets the bot write at any time: nothing to quote (``reply_to``). Its
        messages cannot be edited, so no message id is returned."""
        try:
            return await self._send(chat_id, reply)
        except ZaloApiError as exc:
            raise _send_error(exc) from exc
        except aiohttp.ClientConnectorError as exc:
            raise Temporary(str(exc)) from exc  # refused before the request left
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Later than that, the message may have arrived.
            raise UnknownOutcome(type(exc).__name__) from exc

    async def typing(self, chat_id: str) -> None:
        try:
            await self.api.call("sendChatAction", {"chat_id": chat_id, "action": "typing"})
        except (ZaloApiError, aiohttp.ClientError, TimeoutError) as exc:
            # A nicety: the reply comes all the same.
            log.info("no chat action in %s: %s", chat_id, exc)

    async def _send(self, chat_id: str, reply: Reply) -> None:
        text = with_options(reply.text, reply.buttons)
        att = reply.attachment
        photo = att.ref if att is not None and att.kind == "photo" and is_url(att.ref) else ""
        if att is not None and not photo:
            # No upload on Zalo: say so rather than drop the file silently.
            text = "\n\n".join(
                part for part in (text, NO_UPLOAD.format(name=att.name or "…")) if part
            )
        caption = text if photo and len(text) <= self.capabilities.max_caption else ""
        pieces = split_text(text, self.capabilities.max_text) if text and not caption else []
        if photo:
            # The photo first, so that the numbered options (at the text's end) come last.
            params = {"chat_id": chat_id, "photo": photo}
            if caption:
                params["caption"] = caption
            await self.api.call("sendPhoto", params)
        for piece in pieces:
            await self.api.call("sendMessage", {"chat_id": chat_id, "text": piece})


def _send_error(exc: ZaloApiError) -> Exception:
    """Zalo publishes no error table; the codes follow HTTP's meaning, as Telegram's do."""
    if exc.code == 429:
        return RetryAfter(exc.retry_after or DEFAULT_RETRY_AFTER, exc.description)
    if exc.code == 403:
        return Unreachable(exc.description)
    if exc.code >= 500:
        return Temporary(exc.description)
    return Rejected(str(exc))


class ZaloBotInbound:
    """What the inbox processor needs of the channel."""

    channel = CHANNEL
    capabilities = ZALO_BOT

    def to_event(self, raw: Mapping[str, Any]) -> Event | None:
        return to_event(raw)

    async def acknowledge(self, raw: Mapping[str, Any]) -> None:
        return None  # no buttons, so nothing to acknowledge

    def processed_form(self, raw: Mapping[str, Any]) -> Mapping[str, Any]:
        return raw  # quotes none of the bot's messages


Store = Callable[[dict[str, Any]], Awaitable[None]]


async def poll(
    api: ZaloBotApi, store: Store, stop: asyncio.Event, wait: int = 25, pause: float = 1.0
) -> None:
    """Long polling: getUpdates hands over one update per call and takes no offset, so Zalo
    counts an update delivered once it answered; it is stored at once.

    Zalo hands updates over again, and may answer at once with nothing (not after the wait
    asked for), many times a second: an update seen lately is not stored again (the
    inbox's key would drop it too, at the cost of a commit), and an answer that came at
    once with nothing new is followed by a ``pause`` before the next call."""
    stopping = asyncio.create_task(stop.wait())
    recent: deque[str] = deque(maxlen=RECENT_KEYS)
    try:
        while not stop.is_set():
            started = time.monotonic()
            request = asyncio.create_task(
                api.call("getUpdates", {"timeout": str(wait)}, wait=wait + 10)
            )
            await asyncio.wait({request, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not request.done():
                request.cancel()
                break
            new = 0
            try:
                result = request.result()
            except ZaloApiError as exc:
                if exc.code != POLL_TIMEOUT:
                    log.warning("getUpdates failed: %s; retrying", exc)
                    await asyncio.sleep(1)
                    continue
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("getUpdates failed: %s; retrying", type(exc).__name__)
                await asyncio.sleep(1)
                continue
            else:
                # One update is documented; a list is taken too, should Zalo ever batch them.
                for update in result if isinstance(result, list) else [result]:
                    if not isinstance(update, dict) or not update.get("event_name"):
                        continue
                    try:
                        key = update_key(update)
                        if key in recent:
                            continue
                        await store(update)
                    except raw.Unreadable as exc:
                        # Nothing to key it by: it cannot be kept, only reported.
                        log.warning("unusable update from getUpdates dropped: %s", exc)
                        continue
                    recent.append(key)
                    new += 1
            if not new and time.monotonic() - started < pause:
                await asyncio.sleep(pause)
    finally:
        stopping.cancel()
