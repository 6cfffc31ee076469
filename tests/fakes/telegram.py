"""A fake Telegram Bot API server for tests.

It speaks the real HTTP shape (``/bot{token}/{method}``, the ``{"ok": ...}`` envelope, Telegram's
status codes and error descriptions) on 127.0.0.1, so aiogram or any HTTP client talks to it
over real sockets. Tests inject updates, script faults and read back what the bot sent::

    async with FakeTelegram() as fake:
        api = TelegramAPIServer.from_base(fake.base_url)
        bot = Bot(fake.token, session=AiohttpSession(api=api))
        fake.queue(fake.user_command(42, "/start"))
        ...  # run the bot
        assert fake.sent(42)[0]["text"] == "Xin chào"

Only the methods and checks our bot relies on are modelled; every result parses as the real
type in aiogram. Groups, supergroups and channels come as the updates people cause there
(messages, button presses, the bot added or removed). Not modelled: ``allowed_updates`` filtering
(it is stored, not applied), and Telegram's refusal to write to users who never started the bot.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import math
import random
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import web

from tests.fakes.server import ApiError, LocalServer

Update = dict[str, Any]
Params = dict[str, Any]

# Form fields are text; aiogram encodes every nested object as JSON text inside its field.
OBJECT_FIELDS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "commands",
        "scope",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
    }
)
# Numbers and booleans are decoded too, so that recorded params look the same whichever
# encoding a client used ("@channel" chat ids stay text).
SCALAR_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "max_connections",
        "cache_time",
        "show_alert",
        "drop_pending_updates",
        "disable_notification",
        "protect_content",
    }
)
# Methods that put a message into a chat: flood control and fail_rate apply to these.
SEND_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"}
)
MAX_TEXT = 4096  # characters, after entity parsing
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes, not characters
MAX_UPLOAD = 50 * 1024 * 1024  # the Bot API's upload limit for documents

BLOCKED = "Forbidden: bot was blocked by the user"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup"
    " are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active;"
    " use deleteWebhook to delete the webhook first"
)
OTHER_POLLER = (
    "Conflict: terminated by other getUpdates request;"
    " make sure that only one bot instance is running"
)
DEFAULT_FAULT_DESCRIPTIONS = {
    400: "Bad Request: injected fault",
    403: BLOCKED,
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
}


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request, read into memory."""

    file_name: str
    content_type: str
    content: bytes


@dataclass
class Call:
    """One request the fake answered: canonical method name, decoded parameters, HTTP status."""

    method: str
    params: Params
    time: float  # time.monotonic() when it arrived
    status: int = 200


@dataclass
class Webhook:
    url: str = ""  # empty: no webhook, getUpdates works
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    max_connections: int = 40


@dataclass
class _Fault:
    method: str
    chat_id: int | None  # None: any chat
    times: int
    error: ApiError


@dataclass(frozen=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    kind: str  # photo | document: a file id is sent on only as what it is

    def as_file(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }


class _Window:
    """Times of the sends admitted during the last second: a sliding window, O(1) amortised."""

    def __init__(self) -> None:
        self._times: deque[float] = deque()

    def wait(self, now: float, limit: int) -> float:
        """Seconds until one more send fits; 0 if it fits now."""
        while self._times and self._times[0] <= now - 1:
            self._times.popleft()
        return 0.0 if len(self._times) < limit else self._times[0] + 1 - now

    def add(self, now: float) -> None:
        self._times.append(now)


class FakeTelegram(LocalServer):
    """A Bot API server for one bot token. Use as ``async with FakeTelegram() as fake:``."""

    def __init__(
        self,
        token: str = "123:TEST",
        *,
        username: str = "cdht_test_bot",
        global_rate: int | None = None,
        per_chat_rate: int | None = None,
    ) -> None:
        self.token = token
        # Flood control, in messages per sliding second; None switches it off. May be changed
        # while running.
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.rate_limited = 0  # sends answered 429 by flood control (not by scripted faults)
        self.me: dict[str, Any] = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "CDHT Test Bot",
            "username": username,
        }
        self.calls: list[Call] = []
        self.pending: list[Update] = []  # queued for getUpdates, not yet confirmed by an offset
        self.webhook = Webhook()

        self._methods: dict[str, tuple[str, Callable[[Params], Awaitable[Any]]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "answerCallbackQuery": self._answer_callback_query,
                "setMyCommands": self._set_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "getMyCommands": self._get_my_commands,
                "sendChatAction": self._send_chat_action,
                "getFile": self._get_file,
            }.items()
        }
        self._sent: dict[int, list[dict[str, Any]]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, message id) → Message
        self._last_message_id: dict[int, int] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._file_paths: dict[str, _StoredFile] = {}
        self._open_queries: set[str] = set()
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._update_ids = itertools.count(100_001)
        self._counter = itertools.count(1)  # callback query and file numbers
        # getUpdates long polls wait on this; it is set and replaced whenever something arrives.
        self._arrival = asyncio.Event()
        self._poll_generation = 0
        self._faults: list[_Fault] = []
        self._random_faults: tuple[float, tuple[int, ...], random.Random] | None = None
        self._delays: dict[str, float] = {}
        self._blocked: set[int] = set()
        self._global_window = _Window()
        self._chat_windows: dict[int, _Window] = {}

    # ---- lifecycle ----------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        return app

    # ---- what the bot did ---------------------------------------------------------------------

    def sent(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages sent or edited in a chat, in order: method, message_id, text, caption,
        reply_markup, photo/document (upload info), time (monotonic)."""
        return self._sent.get(chat_id, [])

    def commands(
        self, *, language_code: str = "", scope: dict[str, Any] | None = None
    ) -> list[dict[str, str]]:
        """The command list setMyCommands stored for this scope and language."""
        return self._commands.get(_commands_key(scope, language_code), [])

    # ---- updates ------------------------------------------------------------------------------

    def user_text(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> Update:
        """A private message from a user. Profile fields given once are remembered."""
        user = self._user(user_id, first_name, language_code)
        message = self._store_message(user_id, user, text=text)
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._update(message=message)

    def user_command(
        self,
        user_id: int,
        command: str,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> Update:
        """``user_command(7, "/start c_12345")``: a text with its bot_command entity."""
        if not command.startswith("/"):
            raise ValueError(f"a command starts with '/': {command!r}")
        return self.user_text(user_id, command, first_name=first_name, language_code=language_code)

    def user_press(self, user_id: int, callback_data: str, message_id: int) -> Update:
        """A press on an inline button of one of the bot's messages in the user's chat."""
        query_id = f"cq{next(self._counter)}"
        self._open_queries.add(query_id)
        message = self._messages.get((user_id, message_id)) or {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(user_id),
            "from": self.me,
        }
        return self._update(
            callback_query={
                "id": query_id,
                "from": self._user(user_id),
                "chat_instance": f"ci{user_id}",
                "message": message,
                "data": callback_data,
            }
        )

    def user_photo(
        self, user_id: int, *, caption: str | None = None, content: bytes | None = None
    ) -> Update:
        """A photo in the two sizes Telegram would offer; getFile knows both file ids. The
        full size is ``content`` when given (a real JPEG, for a browser to show)."""
        photo = self._photo_sizes(content or b"\xff\xd8fake-jpeg" * 1000)
        message = self._store_message(user_id, self._user(user_id), photo=photo)
        if caption is not None:
            message["caption"] = caption
        return self._update(message=message)

    def user_document(
        self,
        user_id: int,
        file_name: str = "giay-chung-nhan.pdf",
        mime: str = "application/pdf",
        *,
        content: bytes = b"%PDF-1.4 fake\n" * 100,
    ) -> Update:
        """A document; getFile and the file download URL serve ``content``."""
        stored = self._store_file("document", content, suffix=_suffix(file_name))
        document = {**stored.as_file(), "file_name": file_name, "mime_type": mime}
        message = self._store_message(user_id, self._user(user_id), document=document)
        return self._update(message=message)

    def my_chat_member(self, user_id: int, blocked: bool) -> Update:
        """What Telegram sends when a user blocks (``kicked``) or unblocks (``member``) the bot."""
        now = int(time.time())
        kicked = {"status": "kicked", "user": self.me, "until_date": 0}
        member = {"status": "member", "user": self.me}
        return self._update(
            my_chat_member={
                "chat": self._chat(user_id),
                "from": self._user(user_id),
                "date": now,
                "old_chat_member": member if blocked else kicked,
                "new_chat_member": kicked if blocked else member,
            }
        )

    # ---- groups and channels: the same people, in chats that are not theirs ----------------

    def group_text(
        self, user_id: int, chat_id: int, text: str, *, chat_type: str = "group"
    ) -> Update:
        """A person's message in a group or supergroup (``chat_id`` < 0) the bot is in."""
        chat = {"id": chat_id, "type": chat_type, "title": "Nhóm Khuyến học"}
        message = self._store_message(chat_id, self._user(user_id), text=text)
        return self._update(message={**message, "chat": chat})

    def group_press(self, user_id: int, chat_id: int, callback_data: str) -> Update:
        """A person's press on a button of a bot message posted in a group."""
        query_id = f"cq{next(self._counter)}"
        self._open_queries.add(query_id)
        message = {
            "message_id": self._last_message_id.get(chat_id, 0) + 1,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "supergroup", "title": "Nhóm Khuyến học"},
            "from": self.me,
            "text": "?",
        }
        return self._update(
            callback_query={
                "id": query_id,
                "from": self._user(user_id),
                "chat_instance": f"ci{chat_id}",
                "message": message,
                "data": callback_data,
            }
        )

    def group_membership(
        self, user_id: int, chat_id: int, *, added: bool, chat_type: str = "group"
    ) -> Update:
        """The bot added to (or removed from) a group or channel by a person: Telegram's
        my_chat_member names that person in ``from`` and the group in ``chat``."""
        member = {"status": "member" if chat_type != "channel" else "administrator"}
        left = {"status": "left"}
        return self._update(
            my_chat_member={
                "chat": {"id": chat_id, "type": chat_type, "title": "Nhóm Khuyến học"},
                "from": self._user(user_id),
                "date": int(time.time()),
                "old_chat_member": {**(left if added else member), "user": self.me},
                "new_chat_member": {**(member if added else left), "user": self.me},
            }
        )

    def channel_post(self, chat_id: int, text: str) -> Update:
        """A post in a channel the bot administers: no ``from`` at all."""
        message = {
            "message_id": self._last_message_id.get(chat_id, 0) + 1,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "channel", "title": "Kênh Khuyến học"},
            "text": text,
        }
        return self._update(channel_post=message)

    def queue(self, *updates: Update) -> None:
        """Make updates available to getUpdates (and wake a waiting long poll)."""
        self.pending.extend(updates)
        self._wake_pollers()

    async def post_webhook(
        self, update: Update, *, url: str | None = None, secret: str | None = None
    ) -> int:
        """POST an update as Telegram does and return the HTTP status the bot answered.

        ``url`` and ``secret`` default to what setWebhook registered; ``secret=""`` sends no
        secret header. Posting the same update again is how Telegram redelivers.
        """
        assert self._client is not None, "start() the fake first"
        target = url or self.webhook.url
        if not target:
            raise RuntimeError("no webhook URL: call setWebhook or pass url=")
        token = self.webhook.secret_token if secret is None else secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": token} if token else {}
        async with self._client.post(target, json=update, headers=headers) as response:
            return response.status

    # ---- faults -------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (to ``chat_id``, if given) with an error
        and Telegram's description for it."""
        error = _fault(status, retry_after, description)
        self._faults.append(_Fault(self._canonical(method), chat_id, times, error))

    def fail_rate(self, p: float, statuses: Iterable[int] = (429, 500), *, seed: int = 0) -> None:
        """Fail a fraction ``p`` of send calls at random (reproducibly); ``p=0`` stops it."""
        self._random_faults = (p, tuple(statuses), random.Random(seed)) if p > 0 else None

    def delay(self, method: str, seconds: float) -> None:
        """Answer every call of ``method`` only after ``seconds``; 0 removes the delay."""
        self._delays[self._canonical(method)] = seconds

    def block(self, chat_id: int) -> None:
        """Every call addressed to this chat answers 403 "bot was blocked by the user"."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    # ---- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _answer(ApiError(401, "Unauthorized"))
        requested = request.match_info["method"]
        name, handler = self._methods.get(requested.lower(), (requested, None))
        call = Call(name, {}, time.monotonic())
        self.calls.append(call)
        try:
            call.params = await _read_params(request)
            if handler is None:
                raise ApiError(404, "Not Found")
            if seconds := self._delays.get(name):
                await asyncio.sleep(seconds)
            self._inject_faults(name, call.params)
            result = await handler(call.params)
        except ApiError as error:
            call.status = error.code
            return _answer(error)
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        stored = self._file_paths.get(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return web.Response(status=404)
        return web.Response(body=stored.content)

    def _inject_faults(self, method: str, params: Params) -> None:
        chat_id = _optional_int(params.get("chat_id"))
        for fault in self._faults:
            if fault.method == method and fault.chat_id in (None, chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                raise fault.error
        if chat_id in self._blocked:
            raise ApiError(403, BLOCKED)
        if method not in SEND_METHODS:
            return
        if self._random_faults is not None:
            p, statuses, rng = self._random_faults
            if rng.random() < p:
                raise _fault(rng.choice(statuses))
        self._enforce_rates(chat_id)

    def _enforce_rates(self, chat_id: int | None) -> None:
        now = time.monotonic()
        windows = []
        if self.global_rate:
            windows.append((self._global_window, self.global_rate))
        if self.per_chat_rate and chat_id is not None:
            windows.append((self._chat_windows.setdefault(chat_id, _Window()), self.per_chat_rate))
        wait = max((window.wait(now, limit) for window, limit in windows), default=0.0)
        if wait > 0:
            self.rate_limited += 1
            # Telegram always names whole seconds, at least one.
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for window, _ in windows:
            window.add(now)

    # ---- methods ------------------------------------------------------------------------------

    async def _get_me(self, params: Params) -> dict[str, Any]:
        return self.me

    async def _get_updates(self, params: Params) -> list[Update]:
        if self.webhook.url:
            raise ApiError(409, WEBHOOK_ACTIVE)
        offset = _optional_int(params.get("offset")) or 0
        limit = min(max(_optional_int(params.get("limit")) or 100, 1), 100)
        timeout = _optional_int(params.get("timeout")) or 0
        if offset:  # confirms every update before it, for good
            self.pending = [update for update in self.pending if update["update_id"] >= offset]
        # Like Telegram, a newer long poll ends an older one with 409.
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_pollers()
        deadline = time.monotonic() + timeout
        while not self.pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            try:
                await asyncio.wait_for(self._arrival.wait(), remaining)
            except TimeoutError:
                return []
            if self._poll_generation != generation:
                raise ApiError(409, OTHER_POLLER)
        return self.pending[:limit]

    async def _set_webhook(self, params: Params) -> bool:
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        max_connections = _optional_int(params.get("max_connections")) or 40
        if not 1 <= max_connections <= 100:
            raise ApiError(400, "Bad Request: invalid max_connections specified")
        if params.get("drop_pending_updates") is True:
            self.pending.clear()
        self.webhook = Webhook(
            url=params.get("url", ""),
            secret_token=secret,
            allowed_updates=params.get("allowed_updates"),
            max_connections=max_connections,
        )
        return True

    async def _delete_webhook(self, params: Params) -> bool:
        if params.get("drop_pending_updates") is True:
            self.pending.clear()
        self.webhook = Webhook()
        return True

    async def _get_webhook_info(self, params: Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending),
        }
        if self.webhook.url:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.allowed_updates is not None:
                info["allowed_updates"] = self.webhook.allowed_updates
        return info

    async def _send_message(self, params: Params) -> dict[str, Any]:
        chat_id = _chat_id(params)
        text = params.get("text") or ""
        _check_text(text, params.get("parse_mode"))
        markup = _checked_markup(params.get("reply_markup"))
        message = self._store_message(chat_id, self.me, text=text, **_echoed(markup))
        self._record("sendMessage", message, text=text, reply_markup=markup)
        return message

    async def _send_photo(self, params: Params) -> dict[str, Any]:
        return self._send_file(params, "photo")

    async def _send_document(self, params: Params) -> dict[str, Any]:
        return self._send_file(params, "document")

    def _send_file(self, params: Params, kind: str) -> dict[str, Any]:
        chat_id = _chat_id(params)
        caption = params.get("caption")
        if caption is not None and len(_visible(caption, params.get("parse_mode"))) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        markup = _checked_markup(params.get("reply_markup"))
        stored, info = self._received_file(params.get(kind), params, kind)
        if kind == "photo":
            content: dict[str, Any] = {"photo": self._photo_sizes(stored.content, stored)}
        else:
            file_name = info.get("file_name") or "document"
            content = {"document": {**stored.as_file(), "file_name": file_name}}
        if caption is not None:
            content["caption"] = caption
        message = self._store_message(chat_id, self.me, **content, **_echoed(markup))
        method = "sendPhoto" if kind == "photo" else "sendDocument"
        self._record(method, message, caption=caption, reply_markup=markup, **{kind: info})
        return message

    def _received_file(
        self, value: Any, params: Params, kind: str
    ) -> tuple[_StoredFile, dict[str, Any]]:
        """The file a send refers to (an upload, a file_id we issued, or a URL) and what to
        record about it."""
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))  # aiogram's way to name a part
        if isinstance(value, Upload):
            stored = self._store_file(kind, value.content, suffix=_suffix(value.file_name))
            info = {"file_name": value.file_name, "size": len(value.content)}
            return stored, {**info, "content": value.content, "file_id": stored.file_id}
        if isinstance(value, str) and value in self._files:
            stored = self._files[value]
            if stored.kind != kind:
                raise ApiError(400, f"Bad Request: can't use file of type {stored.kind} as {kind}")
            return stored, {"file_id": value}
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            stored = self._store_file(kind, b"downloaded from " + value.encode(), suffix="")
            return stored, {"url": value, "file_id": stored.file_id}
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    async def _edit_message_text(self, params: Params) -> dict[str, Any]:
        text = params.get("text") or ""
        _check_text(text, params.get("parse_mode"))
        return self._edit("editMessageText", params, text=text)

    async def _edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        return self._edit("editMessageReplyMarkup", params)

    def _edit(self, method: str, params: Params, **change: Any) -> dict[str, Any]:
        key = (_chat_id(params), _optional_int(params.get("message_id")) or 0)
        message = self._messages.get(key)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != self.me["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        if "text" in change and "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        # An edit without reply_markup removes the inline keyboard, as in Telegram.
        markup = _checked_markup(params.get("reply_markup"))
        edited = {**message, **change}
        edited.pop("reply_markup", None)
        edited.update(_echoed(markup))
        if edited == message:
            raise ApiError(400, NOT_MODIFIED)
        edited["edit_date"] = int(time.time())
        self._messages[key] = edited
        self._record(method, edited, text=edited.get("text"), reply_markup=markup)
        return edited

    async def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.get("callback_query_id")
        if not isinstance(query_id, str) or query_id not in self._open_queries:
            raise ApiError(400, QUERY_TOO_OLD)
        self._open_queries.discard(query_id)
        return True

    async def _set_my_commands(self, params: Params) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        key = _commands_key(params.get("scope"), params.get("language_code", ""))
        self._commands[key] = commands
        return True

    async def _delete_my_commands(self, params: Params) -> bool:
        key = _commands_key(params.get("scope"), params.get("language_code", ""))
        self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: Params) -> list[dict[str, str]]:
        key = _commands_key(params.get("scope"), params.get("language_code", ""))
        return self._commands.get(key, [])

    async def _send_chat_action(self, params: Params) -> bool:
        _chat_id(params)
        return True

    async def _get_file(self, params: Params) -> dict[str, Any]:
        stored = self._files.get(params.get("file_id", ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {**stored.as_file(), "file_path": stored.file_path}

    # ---- state helpers ------------------------------------------------------------------------

    def _canonical(self, method: str) -> str:
        return self._methods.get(method.lower(), (method, None))[0]

    def _wake_pollers(self) -> None:
        self._arrival.set()
        self._arrival = asyncio.Event()

    def _update(self, **content: Any) -> Update:
        return {"update_id": next(self._update_ids), **content}

    def _user(
        self, user_id: int, first_name: str | None = None, language_code: str | None = None
    ) -> dict[str, Any]:
        user = self._users.setdefault(
            user_id,
            {"id": user_id, "is_bot": False, "first_name": "Test", "language_code": "vi"},
        )
        if first_name is not None:
            user["first_name"] = first_name
        if language_code is not None:
            user["language_code"] = language_code
        return dict(user)

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id > 0:  # a private chat has the user's id
            return {
                "id": chat_id,
                "type": "private",
                "first_name": self._user(chat_id)["first_name"],
            }
        return {"id": chat_id, "type": "supergroup", "title": "Test group"}

    def _store_message(
        self, chat_id: int, sender: dict[str, Any], **content: Any
    ) -> dict[str, Any]:
        # User and bot messages share one id sequence per chat, as in Telegram's private chats.
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": sender,
            **content,
        }
        self._messages[chat_id, message_id] = message
        return message

    def _record(self, method: str, message: dict[str, Any], **fields: Any) -> None:
        record = {
            "method": method,
            "message_id": message["message_id"],
            "text": None,
            "caption": None,
            "reply_markup": None,
            "photo": None,
            "document": None,
            **fields,
            "time": time.monotonic(),
        }
        self._sent.setdefault(message["chat"]["id"], []).append(record)

    def _store_file(self, kind: str, content: bytes, suffix: str) -> _StoredFile:
        number = next(self._counter)
        stored = _StoredFile(
            file_id=f"fake-{kind}-{number}",
            file_unique_id=f"u{number}",
            file_path=f"{kind}s/file_{number}{suffix}",
            content=content,
            kind=kind,
        )
        self._files[stored.file_id] = self._file_paths[stored.file_path] = stored
        return stored

    def _photo_sizes(self, content: bytes, full: _StoredFile | None = None) -> list[dict[str, Any]]:
        """A thumbnail and the full size, smallest first, as Telegram lists them."""
        thumbnail = self._store_file("photo", content[:100], suffix=".jpg")
        full = full or self._store_file("photo", content, suffix=".jpg")
        return [
            {**thumbnail.as_file(), "width": 90, "height": 60},
            {**full.as_file(), "width": 1280, "height": 853},
        ]


def scramble(
    updates: Iterable[Update], *, duplicate: float = 0.0, shuffle: bool = True, seed: int = 0
) -> list[Update]:
    """Updates as an unreliable network delivers them: each one repeated with probability
    ``duplicate`` (same update_id) and, if ``shuffle``, in random order. Reproducible by seed."""
    rng = random.Random(seed)
    result = []
    for update in updates:
        result.append(update)
        if rng.random() < duplicate:
            result.append(update)
    if shuffle:
        rng.shuffle(result)
    return result


async def _read_params(request: web.Request) -> Params:
    """Query string plus body (JSON, urlencoded or multipart), with JSON-in-a-field decoded."""
    params: Params = dict(request.query)
    if request.body_exists:
        if request.content_type == "application/json":
            params.update(await request.json())
        else:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    params[key] = Upload(value.filename, value.content_type, value.file.read())
                else:
                    params[key] = value
    for key in (OBJECT_FIELDS | SCALAR_FIELDS) & params.keys():
        if isinstance(params[key], str):
            try:
                params[key] = json.loads(params[key])
            except ValueError:
                if key in OBJECT_FIELDS:
                    raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
    return params


def _fault(status: int, retry_after: int | None = None, description: str | None = None) -> ApiError:
    if status == 429 and retry_after is None:
        retry_after = 1  # aiogram raises TelegramRetryAfter only when retry_after is present
    if description is None:
        template = DEFAULT_FAULT_DESCRIPTIONS.get(status, HTTPStatus(status).phrase)
        description = template.format(retry_after=retry_after)
    return ApiError(status, description, retry_after)


def _optional_int(value: Any) -> int | None:
    """The value if it is a whole number (``@channel`` chat ids are not), else None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _chat_id(params: Params) -> int:
    if "chat_id" not in params:
        raise ApiError(400, "Bad Request: chat_id is empty")
    chat_id = _optional_int(params["chat_id"])
    if chat_id is None:
        raise ApiError(400, "Bad Request: chat not found")
    return chat_id


def _visible(text: str, parse_mode: str | None) -> str:
    """The text a user sees: Telegram applies its length limits after parsing the markup."""
    if parse_mode == "HTML":
        return html.unescape(re.sub(r"<[^>]*>", "", text))
    return text


def _check_text(text: str, parse_mode: str | None) -> None:
    visible = _visible(text, parse_mode)
    if not visible.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(visible) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")


def _checked_markup(markup: Any) -> dict[str, Any] | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def _echoed(markup: dict[str, Any] | None) -> dict[str, Any]:
    """A Message carries its markup only when it is an inline keyboard."""
    return {"reply_markup": markup} if markup and "inline_keyboard" in markup else {}


def _commands_key(scope: dict[str, Any] | None, language_code: str) -> tuple[str, str]:
    return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code


def _suffix(file_name: str) -> str:
    return file_name[file_name.rfind(".") :] if "." in file_name else ""


def _answer(error: ApiError) -> web.Response:
    """The Bot API answers a failure with its error code as the HTTP status too."""
    return web.json_response(error.body(), status=error.code)
