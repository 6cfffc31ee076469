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
- that a query button's payload comes back unchanged, and that an image event carries
  ``attachments[].payload.url``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import mimetypes
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

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
    """The event in ``body`` if ``header`` is its signature, else None (a body that is not
    a JSON object cannot be checked, so it is refused too)."""
    if not header or not app_id or not secret_key:
        return None
    try:
        event = json.loads(body)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    expected = signature(app_id, body, str(event.get("timestamp", "")), secret_key)
    return event if hmac.compare_digest(header.encode(), expected.encode()) else None


def _person(event: Mapping[str, Any]) -> str:
    return str((event.get("sender") or event.get("follower") or {}).get("id", ""))


def kept(event: Mapping[str, Any]) -> bool:
    """Whether the inbox keeps this event: what a person sent, and follows and unfollows.
    Deliveries, reads, anonymous chats and the OA's own messages are of no use to the bot."""
    name = str(event.get("event_name", ""))
    if name.startswith("user_send_"):
        return bool((event.get("message") or {}).get("msg_id")) and bool(_person(event))
    return name in ("follow", "unfollow") and bool(_person(event))


def update_key(event: Mapping[str, Any]) -> str:
    """The event's identity: Zalo redelivers with the same message id (a follow has none:
    the follower and the time stand in)."""
    name = event["event_name"]
    msg_id = (event.get("message") or {}).get("msg_id")
    key = f"{name}:{msg_id}" if msg_id else f"{name}:{_person(event)}:{event['timestamp']}"
    return key if len(key) <= MAX_UPDATE_ID else hashlib.sha256(key.encode()).hexdigest()


def inbox_row(event: dict[str, Any]) -> NewUpdate:
    """A kept event as the inbox stores it, in the chat's order by its time (ms)."""
    seq = int(event.get("timestamp") or time.time() * 1000)
    return NewUpdate(CHANNEL, update_key(event), _person(event), seq, event)


def to_event(raw: Mapping[str, Any]) -> Event | None:
    """The neutral event, or None for what the bot takes no part in. A message's
    ``event_id`` is Zalo's ``msg_id``: the id a free reply quotes."""
    name = raw["event_name"]
    person = _person(raw)
    at = _time(raw.get("timestamp"))
    if name in ("follow", "unfollow"):
        return Event(
            channel=CHANNEL,
            external_user_id=person,
            chat_id=person,
            event_id=update_key(raw),
            at=at,
            kind=EventKind.UNBLOCKED if name == "follow" else EventKind.BLOCKED,
        )
    if not name.startswith("user_send_"):
        return None
    message = raw["message"]
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "external_user_id": person,
        "chat_id": person,
        "event_id": str(message["msg_id"]),
        "at": at,
    }
    text = message.get("text")
    if name == "user_send_text" and isinstance(text, str):
        _, marker, payload = text.rpartition(MARKER)
        if marker and payload.strip():
            return Event(kind=EventKind.BUTTON, payload=payload.strip(), **common)
        if text.startswith("/"):
            head, _, args = text[1:].partition(" ")
            return Event(kind=EventKind.COMMAND, command=head.lower(), args=args.strip(), **common)
        return Event(kind=EventKind.TEXT, text=text, **common)
    if name == "user_send_image":
        url = next(
            (
                a["payload"]["url"]
                for a in message.get("attachments") or []
                if a.get("type") == "image" and (a.get("payload") or {}).get("url")
            ),
            None,
        )
        if url:
            # The URL is the only reference Zalo gives; a media template shows it again.
            return Event(
                kind=EventKind.FILE,
                file=FileRef(ref=url, mime="image/jpeg", kind="photo"),
                **common,
            )
    return Event(kind=EventKind.UNSUPPORTED, **common)


def _time(ms: Any) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC) if ms else utcnow()


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
