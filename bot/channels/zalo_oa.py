"""A Zalo Official Account (Open API v3): webhook events become Events, Replies become
consultation messages.

What the sources say (see /work/shared/domain/tech-notes.md §1b for each):
- Webhook: JSON ``{app_id, event_name, sender.id, recipient.id, message{msg_id, text,
  attachments}, timestamp (ms, a string)}``, signed in ``X-ZEvent-Signature: mac=<hex>`` with
  ``hex = sha256(app_id + raw body + timestamp + OA secret key)``: a plain hash, not an HMAC
  (Chatwoot's ``validate_signature``). Checked over the raw bytes as received.
- Sending: ``POST {api}/v3.0/oa/message/cs`` with the header ``access_token``, JSON
  ``{recipient: {user_id} | {message_id}, message: {text, attachment}}``; a recipient by
  ``message_id`` (the user's message we answer) counts as a free reply (8 within 48 h of the
  user's last message), by ``user_id`` as a proactive message (zalooa.freshdesk.com articles
  64000261136 and 64000263278). Answers ``{error: 0, message, data: {message_id, ...}}``.
- Options: a ``template`` attachment with ``oa.query.show`` buttons; tapping one makes the
  person send the button's payload as a ``user_send_text`` the chat shows. So our payload is
  ``"<label> #cdht:<payload>"``: the chat shows what was chosen, and the marker turns it back
  into a press (never trusted more than any press). Limits: a title of at most 100 characters
  and a payload of at most 1,000 (eTelecom's and RedAI's OA v3 docs); text of at most 2,000
  characters (eSMS's "tin tư vấn" docs).
- Files: ``POST {api}/v2.0/oa/upload/image`` (answers ``data.attachment_id``) and
  ``.../upload/file`` (``data.token``), multipart field ``file``; then a ``media`` template
  (image) or a ``file`` attachment (zalo_sdk's client).

Unconfirmed (no official page was retrieved), handled cautiously:
- the most buttons per message: 4 here (eTelecom "up to 4"; others say 5);
- error codes: -216 (and ZNS's -124) an invalid or expired access token (zalo_sdk); -213 the
  person does not follow the OA; -230 no interaction for 7 days and -211 the quota used up
  (third-party integrations); -32 too many requests. Other codes are refusals;
- the ``follow`` / ``unfollow`` events' shape (``follower.id``); they make the person
  reachable again or not, as a Telegram block does;
- that a query button's payload comes back unchanged, that an image event carries
  ``attachments[].payload.url``, and a ``user_send_file`` event
  ``attachments[].payload.{url, name, size}`` (integrations that read OA file events).

Signed events are refused when their timestamp is older than the dedupe keys are kept
(a captured event replayed later would act again); the signature is checked on the raw
body before it is parsed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import logging
import mimetypes
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot.channels import raw
from bot.channels.capabilities import ZALO_OA
from bot.channels.text import split_text
from bot.channels.zalo_oa_tokens import NoToken, TokenKeeper
from bot.delivery.errors import (
    OutsideWindow,
    Rejected,
    RetryAfter,
    Temporary,
    UnknownOutcome,
    Unreachable,
)
from handlers.events import Attachment, Button, Event, EventKind, FileRef, Reply
from handlers.i18n import N_
from storage.models import utcnow
from storage.repositories.inbox import NewUpdate

log = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
DEFAULT_API_URL = "https://openapi.zalo.me"
SIGNATURE_HEADER = "X-ZEvent-Signature"
SIGNATURE_SHAPE = re.compile(r"mac=[0-9a-fA-F]{64}")
# Where the signed timestamp may be, looked for in the raw body; the first few tried only.
TIMESTAMP_IN_BODY = re.compile(rb'"timestamp"\s*:\s*"?([0-9]{1,19})"?')
MAX_TIMESTAMPS = 3
MARKER = "#cdht:"  # starts a query button's payload in what the person "sends"
MAX_BUTTONS = 4
MAX_TITLE = 100
MAX_PAYLOAD = 1000
MAX_UPDATE_ID = 64  # the inbox's column width

TOKEN_REFUSED = frozenset({-216, -124})
NOT_FOLLOWING = frozenset({-213})
OVER_ALLOWANCE = frozenset({-211, -230})
TOO_MANY_REQUESTS = -32
RETRY_AFTER = 60.0  # Zalo gives no retry-after; a minute's pause on a rate limit

MORE_OPTIONS = N_("Các lựa chọn khác:")
NO_FILE = N_(
    "Tệp “{name}” chưa gửi được qua Zalo. "
    "Anh/Chị vui lòng liên hệ cán bộ Hội Khuyến học để nhận bản giấy hoặc bản điện tử."
)


class ZaloOAError(Exception):
    """An answer with a non-zero ``error``."""

    def __init__(self, code: int, message: str, status: int = 200) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


# ---- webhook -------------------------------------------------------------------------------


def signature(app_id: str, body: bytes, timestamp: str, secret_key: str) -> str:
    """The ``X-ZEvent-Signature`` value Zalo sends with ``body``."""
    data = app_id.encode() + body + timestamp.encode() + secret_key.encode()
    return f"mac={hashlib.sha256(data).hexdigest()}"


def verified(body: bytes, header: str, *, app_id: str, secret_key: str) -> dict[str, Any] | None:
    """The event in ``body`` if ``header`` is its signature, else None. Checked before the
    body is parsed, so that no one without the key gets a byte of it parsed: the header's
    shape first, then the MAC, whose timestamp is found in the raw body (and must then be
    the event's own)."""
    if not app_id or not secret_key or not SIGNATURE_SHAPE.fullmatch(header):
        return None
    given = header.lower().encode()
    stamps = (m.group(1).decode() for m in TIMESTAMP_IN_BODY.finditer(body))
    signed = next(
        (
            stamp
            for stamp in itertools.islice(stamps, MAX_TIMESTAMPS)
            if hmac.compare_digest(given, signature(app_id, body, stamp, secret_key).encode())
        ),
        None,
    )
    if signed is None:
        return None
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(event, dict) or str(event.get("timestamp")) != signed:
        return None
    return event


def fresh(event: Mapping[str, Any], now: datetime, max_age: timedelta) -> bool:
    """Whether a signed event's time is plausible: not older than ``max_age`` (what the
    dedupe keys remember: a captured event replayed later would act again) and not a
    day ahead of ours."""
    try:
        sent = raw.moment(raw.digits(event.get("timestamp"), "timestamp") / 1000, "timestamp")
    except raw.Unreadable:
        return False
    return now - max_age <= sent <= now + timedelta(days=1)


def _person(event: Mapping[str, Any]) -> str:
    """Who an event is from ("" when it names no one usable)."""
    who = event.get("sender") or event.get("follower")
    return raw.usable_id(who.get("id") if isinstance(who, dict) else None) or ""


def _msg_id(event: Mapping[str, Any]) -> str | None:
    message = event.get("message")
    return raw.usable_id(message.get("msg_id") if isinstance(message, dict) else None)


def kept(event: Mapping[str, Any]) -> bool:
    """Whether the inbox keeps this event: what a person sent, and follows and unfollows.
    Deliveries, reads, anonymous chats and the OA's own messages are of no use to the bot."""
    name = event.get("event_name")
    if not isinstance(name, str) or not _person(event):
        return False
    if name.startswith("user_send_"):
        return _msg_id(event) is not None
    return name in ("follow", "unfollow")


def update_key(event: Mapping[str, Any]) -> str:
    """The event's identity: Zalo redelivers with the same message id (a follow has none:
    the follower and the time stand in)."""
    name = event["event_name"]
    msg_id = _msg_id(event)
    key = f"{name}:{msg_id}" if msg_id else f"{name}:{_person(event)}:{event['timestamp']}"
    return key if len(key) <= MAX_UPDATE_ID else hashlib.sha256(key.encode()).hexdigest()


def inbox_row(event: dict[str, Any]) -> NewUpdate:
    """A kept event as the inbox stores it, in the chat's order by its time (ms)."""
    seq = raw.digits(event.get("timestamp"), "timestamp")
    return NewUpdate(CHANNEL, update_key(event), _person(event), seq, event)


def to_event(update: Mapping[str, Any]) -> Event | None:
    """The neutral event, or None for what the bot takes no part in. A message's
    ``event_id`` is Zalo's ``msg_id``: the id a free reply quotes. A field of the wrong
    type raises Unreadable."""
    name = raw.string(update.get("event_name"), "event_name")
    if name not in ("follow", "unfollow") and not name.startswith("user_send_"):
        return None
    person = raw.identifier(_person(update), "sender.id")
    at = _time(update.get("timestamp"))
    if name in ("follow", "unfollow"):
        return Event(
            channel=CHANNEL,
            external_user_id=person,
            chat_id=person,
            event_id=update_key(update),
            at=at,
            kind=EventKind.UNBLOCKED if name == "follow" else EventKind.BLOCKED,
        )
    message = raw.obj(update.get("message"), "message")
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "external_user_id": person,
        "chat_id": person,
        "event_id": raw.identifier(message.get("msg_id"), "message.msg_id"),
        "at": at,
    }
    if name == "user_send_text":
        text = raw.string(message.get("text"), "message.text")
        _, marker, payload = text.rpartition(MARKER)
        if marker and payload.strip():
            return Event(kind=EventKind.BUTTON, payload=payload.strip(), **common)
        if text.startswith("/"):
            head, _, args = text[1:].partition(" ")
            return Event(kind=EventKind.COMMAND, command=head.lower(), args=args.strip(), **common)
        return Event(kind=EventKind.TEXT, text=text, **common)
    if name in ("user_send_image", "user_send_file"):
        kind = "image" if name == "user_send_image" else "file"
        for n, item in enumerate(raw.items(message.get("attachments"), "message.attachments")):
            attachment = raw.obj(item, f"attachments[{n}]")
            if attachment.get("type") == kind:
                payload = raw.obj(attachment.get("payload"), f"attachments[{n}].payload")
                return Event(kind=EventKind.FILE, file=_file(kind, payload), **common)
    return Event(kind=EventKind.UNSUPPORTED, **common)


def _file(kind: str, payload: Mapping[str, Any]) -> FileRef:
    """What a person sent: the URL is the only reference Zalo gives (a media template
    shows an image again). A file also has its name and size, as a Telegram document."""
    url = raw.string(payload.get("url"), "payload.url")
    if kind == "image":
        return FileRef(ref=url, mime="image/jpeg", kind="photo")
    name = raw.optional_string(payload.get("name"), "payload.name") or ""
    size = payload.get("size")
    return FileRef(
        ref=url,
        mime=mimetypes.guess_type(name)[0] or "",
        size=0 if size in (None, "") else raw.digits(size, "payload.size"),
        name=name,
    )


def _time(ms: Any) -> datetime:
    return raw.moment(raw.digits(ms, "timestamp") / 1000, "timestamp") if ms else utcnow()


# ---- API -----------------------------------------------------------------------------------


class ZaloOAApi:
    """A minimal client: the access token comes from the TokenKeeper, and a token Zalo
    refuses is refreshed (or reloaded, if another process refreshed it) and tried once more."""

    def __init__(self, tokens: TokenKeeper, api_url: str = DEFAULT_API_URL, timeout: float = 30):
        self.tokens = tokens
        self.base = api_url.rstrip("/")
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def post(
        self,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        upload: tuple[str, bytes] | None = None,
    ) -> dict[str, Any]:
        """The answer's ``data``; ZaloOAError for an error answer, NoToken before the consent,
        aiohttp's errors or TimeoutError when no answer came. ``upload``: (file name, bytes)
        sent as the multipart field ``file``."""
        token = await self.tokens.current()
        try:
            return await self._post(path, token.value, body, upload)
        except ZaloOAError as exc:
            if exc.code not in TOKEN_REFUSED:
                raise
            log.warning("Zalo OA refused access token version %s (%s)", token.version, exc.code)
            token = await self.tokens.refused(token)
            return await self._post(path, token.value, body, upload)

    async def _post(
        self,
        path: str,
        token: str,
        body: Mapping[str, Any] | None,
        upload: tuple[str, bytes] | None,
    ) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        data: aiohttp.FormData | None = None
        if upload is not None:
            name, content = upload
            data = aiohttp.FormData()
            data.add_field(
                "file",
                content,
                filename=name,
                content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
            )
        async with self._session.post(
            self.base + path,
            json=dict(body) if body is not None and data is None else None,
            data=data,
            headers={"access_token": token},
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        ) as response:
            try:
                answer = await response.json(content_type=None)
            except ValueError:
                answer = None
        if not isinstance(answer, dict):
            status = response.status
            raise ZaloOAError(status, f"not JSON (HTTP {status})", status)
        code = int(answer.get("error") or 0)
        if code != 0:
            raise ZaloOAError(code, str(answer.get("message") or ""), response.status)
        data_part = answer.get("data")
        return data_part if isinstance(data_part, dict) else {}

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


# ---- sending -------------------------------------------------------------------------------


def query_buttons(buttons: tuple[Button, ...]) -> list[dict[str, Any]]:
    """Buttons as ``oa.query.show`` buttons within Zalo's limits."""
    shown = []
    for b in buttons:
        title = b.label if len(b.label) <= MAX_TITLE else b.label[: MAX_TITLE - 1] + "…"
        payload = f"{title} {MARKER}{b.payload}"
        if len(payload) > MAX_PAYLOAD:  # a label long enough to crowd the code out
            payload = f"{MARKER}{b.payload}"
        shown.append({"title": title, "type": "oa.query.show", "payload": payload})
    return shown


def text_messages(text: str, buttons: tuple[Button, ...], limit: int) -> list[dict[str, Any]]:
    """The message bodies for a text and its options: the text in pieces, the options on the
    last piece, MAX_BUTTONS a message (the rest follow under MORE_OPTIONS)."""
    pieces = split_text(text, limit) if text else []
    groups = [buttons[i : i + MAX_BUTTONS] for i in range(0, len(buttons), MAX_BUTTONS)]
    if groups and not pieces:
        pieces = [MORE_OPTIONS]
    messages: list[dict[str, Any]] = [{"text": piece} for piece in pieces]
    for n, group in enumerate(groups):
        if n > 0:
            messages.append({"text": MORE_OPTIONS})
        messages[-1]["attachment"] = {
            "type": "template",
            "payload": {"buttons": query_buttons(group)},
        }
    return messages


class ZaloOASender:
    """Sends one Reply as consultation messages; platform errors become the delivery
    worker's vocabulary."""

    channel = CHANNEL
    capabilities = ZALO_OA

    def __init__(self, api: ZaloOAApi) -> None:
        self.api = api

    def is_group(self, chat_id: str) -> bool:
        return False  # an OA talks with one person at a time

    async def typing(self, chat_id: str) -> None:
        """No "typing" indicator was found in the OA Open API v3 (sources in the module
        docstring); the file simply follows."""

    async def send(self, chat_id: str, reply: Reply, *, reply_to: str | None = None) -> str | None:
        """``reply_to``: the person's message this answers (free within Zalo's reply
        window); without it the message is proactive."""
        recipient = {"message_id": reply_to} if reply_to else {"user_id": chat_id}
        try:
            return await self._send(recipient, reply)
        except ZaloOAError as exc:
            raise _send_error(exc, chat_id) from exc
        except NoToken as exc:
            raise Temporary(str(exc)) from exc
        except aiohttp.ClientConnectorError as exc:
            raise Temporary(str(exc)) from exc  # refused before the request left
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UnknownOutcome(type(exc).__name__) from exc

    async def _send(self, recipient: dict[str, str], reply: Reply) -> str | None:
        text = reply.text
        attached: dict[str, Any] | None = None
        if reply.attachment is not None:
            attached = await self._attachment(reply.attachment)
            if attached is None:
                note = NO_FILE.format(name=reply.attachment.name or "…")
                text = "\n\n".join(part for part in (text, note) if part)
        message_id: str | None = None
        # The file first, so that the options (on the text's last piece) come last.
        bodies = ([{"attachment": attached}] if attached else []) + text_messages(
            text, reply.buttons, self.capabilities.max_text
        )
        for body in bodies:
            sent = await self.api.post(
                "/v3.0/oa/message/cs", {"recipient": recipient, "message": body}
            )
            message_id = str(sent["message_id"]) if sent.get("message_id") else message_id
        return message_id

    async def _attachment(self, att: Attachment) -> dict[str, Any] | None:
        """The attachment as Zalo takes it (uploading its bytes first), or None when it
        cannot be sent (another platform's file reference)."""
        content = att.content
        if not content and att.path:
            content = await asyncio.to_thread(Path(att.path).read_bytes)
        name = att.name or (Path(att.path).name if att.path else "")
        if att.kind == "photo":
            if content:
                up = await self.api.post(
                    "/v2.0/oa/upload/image", upload=(name or "photo.jpg", content)
                )
                element = {"media_type": "image", "attachment_id": up["attachment_id"]}
            elif att.ref.startswith(("https://", "http://")):
                element = {"media_type": "image", "url": att.ref}
            else:
                return None
            media = {"template_type": "media", "elements": [element]}
            return {"type": "template", "payload": media}
        if not content:
            return None
        up = await self.api.post("/v2.0/oa/upload/file", upload=(name or "document.pdf", content))
        return {"type": "file", "payload": {"token": up["token"]}}


def _send_error(exc: ZaloOAError, chat_id: str) -> Exception:
    if exc.code in TOKEN_REFUSED:
        log.error("Zalo OA refused a fresh access token too (%s): check /healthz", exc)
        return Temporary(str(exc))
    if exc.code in NOT_FOLLOWING:
        return Unreachable(str(exc))
    if exc.code in OVER_ALLOWANCE:
        log.warning("Zalo OA allowance used up for chat %s: %s", chat_id, exc)
        return OutsideWindow(str(exc))
    if exc.code == TOO_MANY_REQUESTS or exc.status == 429:
        return RetryAfter(RETRY_AFTER, str(exc))
    if exc.status >= 500:
        return Temporary(str(exc))
    return Rejected(str(exc))


class ZaloOAInbound:
    """What the inbox processor needs of the channel."""

    channel = CHANNEL
    capabilities = ZALO_OA

    def to_event(self, raw: Mapping[str, Any]) -> Event | None:
        return to_event(raw)

    async def acknowledge(self, raw: Mapping[str, Any]) -> None:
        return None  # a query button needs no answer

    def processed_form(self, raw: Mapping[str, Any]) -> Mapping[str, Any]:
        return raw  # quotes none of the bot's messages
