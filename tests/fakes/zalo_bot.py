"""A fake Zalo Bot Platform API server for tests.

It speaks the documented HTTP shape (``POST /bot{token}/{method}`` with a JSON body, answers
``{"ok": ..., "result" | "error_code", "description"}``) on 127.0.0.1. Tests inject updates,
script faults and read back what the bot sent, as with the Telegram fake::

    async with FakeZaloBot() as fake:
        fake.queue(fake.user_text("u1", "/start"))
        ...  # run the bot against fake.base_url
        assert "Xin chào" in fake.sent("u1")[0]["text"]

Modelled from the docs (see /work/shared/domain/tech-notes.md §1a): getUpdates hands over ONE
update per call and answers error 408 when its wait ends empty, and refuses to work while a
webhook is set; text and captions are 1-2,000 characters; sendPhoto takes a URL only; the
webhook carries the secret in ``X-Bot-Api-Secret-Token``; getWebhookInfo answers ``{url,
updated_at}``. Like the real server it takes GET and form-encoded requests as well as JSON,
and answers an error with its code as the HTTP status too (408 for an empty poll). Guessed,
because Zalo documents no error table: 403 for a user who blocked the bot, 429 with
``parameters.retry_after``. What the real platform was seen to do is scriptable: hand an
update over again (``redeliver``), answer polls at once with nothing (``hasty_polls``).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.server import ApiError, LocalServer

Update = dict[str, Any]
Params = dict[str, Any]

MAX_TEXT = 2000
SEND_METHODS = frozenset({"sendMessage", "sendPhoto"})


@dataclass
class Call:
    method: str
    params: Params
    time: float  # time.monotonic() when it arrived
    error_code: int | None = None


@dataclass
class Webhook:
    url: str = ""
    secret_token: str = ""
    updated_at: int = 0  # ms


@dataclass
class _Fault:
    method: str
    chat_id: str | None  # None: any chat
    times: int
    error: ApiError


class FakeZaloBot(LocalServer):
    """A Zalo Bot API server for one bot token. Use as ``async with FakeZaloBot() as fake:``."""

    def __init__(self, token: str = "2233445566:zalo-TEST-secret") -> None:
        self.token = token
        self.calls: list[Call] = []
        self.pending: deque[Update] = deque()  # for getUpdates, one per call
        self.webhook = Webhook()
        self._methods: dict[str, Callable[[Params], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
        }
        self._sent: dict[str, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._arrival = asyncio.Event()
        self._faults: list[_Fault] = []
        self._blocked: set[str] = set()
        self.hasty = False  # see hasty_polls

    # ---- lifecycle ----------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        return app

    # ---- what the bot did ---------------------------------------------------------------------

    def sent(self, chat_id: str) -> list[dict[str, Any]]:
        """Messages sent to a chat, in order: method, message_id, text, photo, caption."""
        return self._sent.get(chat_id, [])

    # ---- updates ------------------------------------------------------------------------------

    def user_text(self, user_id: str, text: str, *, name: str = "Người dùng Zalo") -> Update:
        return self._update("message.text.received", user_id, name, text=text)

    def user_photo(self, user_id: str, *, caption: str | None = None) -> Update:
        n = next(self._ids)
        extra = {"caption": caption} if caption is not None else {}
        return self._update(
            "message.image.received",
            user_id,
            "Người dùng Zalo",
            photo_url=f"https://photo.fake-zalo.test/{user_id}/{n}.jpg",
            **extra,
        )

    def user_sticker(self, user_id: str) -> Update:
        return self._update("message.sticker.received", user_id, "Người dùng Zalo", sticker="s1")

    def group_text(self, user_id: str, group_id: str, text: str) -> Update:
        """A message in a group chat (a bot that could join one would see these)."""
        update = self._update("message.text.received", user_id, "Người dùng Zalo", text=text)
        update["message"]["chat"] = {"id": group_id, "chat_type": "GROUP"}
        return update

    def redeliver(self, update: Update) -> None:
        """Hand an update over again, as Zalo does."""
        self.queue(update)

    def hasty_polls(self, on: bool = True) -> None:
        """getUpdates answers at once (408, nothing) instead of waiting for an update."""
        self.hasty = on

    def queue(self, *updates: Update) -> None:
        """Make updates available to getUpdates (one per call) and wake a waiting poll."""
        self.pending.extend(updates)
        self._arrival.set()
        self._arrival = asyncio.Event()

    async def post_webhook(
        self,
        update: Update,
        *,
        url: str | None = None,
        secret: str | None = None,
        envelope: bool = False,
    ) -> int:
        """POST an update to the webhook and return the HTTP status the bot answered: bare, or
        with ``envelope`` inside ``{ok, result}``. ``secret=""`` sends no secret header."""
        assert self._client is not None, "start() the fake first"
        target = url or self.webhook.url
        if not target:
            raise RuntimeError("no webhook URL: call setWebhook or pass url=")
        token = self.webhook.secret_token if secret is None else secret
        headers = {"X-Bot-Api-Secret-Token": token} if token else {}
        body = {"ok": True, "result": update} if envelope else update
        async with self._client.post(target, json=body, headers=headers) as response:
            return response.status

    # ---- faults -------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        code: int,
        *,
        description: str = "injected fault",
        retry_after: int | None = None,
        times: int = 1,
        chat_id: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (to ``chat_id``, if given) with an
        error of this code."""
        self._faults.append(
            _Fault(method, chat_id, times, ApiError(code, description, retry_after))
        )

    def block(self, chat_id: str) -> None:
        """Sends to this chat answer 403 (the code Zalo uses is not documented)."""
        self._blocked.add(chat_id)

    # ---- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _answer(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        params = await _read_params(request)
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        try:
            handler = self._methods.get(method)
            if handler is None:
                raise ApiError(404, "Method not found")
            self._inject_faults(method, params)
            result = await handler(params)
        except ApiError as error:
            call.error_code = error.code
            return _answer(error)
        return web.json_response({"ok": True, "result": result})

    def _inject_faults(self, method: str, params: Params) -> None:
        chat_id = params.get("chat_id")
        for fault in self._faults:
            if fault.method == method and fault.chat_id in (None, chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                raise fault.error
        if method in SEND_METHODS and chat_id in self._blocked:
            raise ApiError(403, "User has blocked the bot")

    # ---- methods ------------------------------------------------------------------------------

    async def _get_me(self, params: Params) -> dict[str, Any]:
        return {
            "id": self.token.split(":")[0],
            "account_name": "bot.cdht",
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    async def _get_updates(self, params: Params) -> Update:
        if self.webhook.url:
            raise ApiError(400, "Webhook is active; call deleteWebhook first")
        if self.hasty and not self.pending:
            raise ApiError(408, "Request timeout")
        deadline = time.monotonic() + float(params.get("timeout") or 30)
        while not self.pending:
            remaining = deadline - time.monotonic()
            try:
                await asyncio.wait_for(self._arrival.wait(), max(remaining, 0))
            except TimeoutError:
                raise ApiError(408, "Request timeout") from None
        return self.pending.popleft()

    async def _set_webhook(self, params: Params) -> dict[str, Any]:
        url, secret = params.get("url", ""), params.get("secret_token", "")
        if not url.startswith(("https://", "http://127.0.0.1")):
            raise ApiError(400, "url must be HTTPS")
        if not 8 <= len(secret) <= 256:
            raise ApiError(400, "secret_token must be 8-256 characters")
        self.webhook = Webhook(url, secret, int(time.time() * 1000))
        return {"url": url, "updated_at": self.webhook.updated_at}

    async def _delete_webhook(self, params: Params) -> dict[str, Any]:
        self.webhook = Webhook(updated_at=int(time.time() * 1000))
        return {"url": "", "updated_at": self.webhook.updated_at}

    async def _get_webhook_info(self, params: Params) -> dict[str, Any]:
        return {"url": self.webhook.url, "updated_at": self.webhook.updated_at}

    async def _send_message(self, params: Params) -> dict[str, Any]:
        text = params.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
            raise ApiError(400, "text must be 1-2000 characters")
        return self._record("sendMessage", params, text=text)

    async def _send_photo(self, params: Params) -> dict[str, Any]:
        photo = params.get("photo")
        if not isinstance(photo, str) or not photo.startswith(("https://", "http://")):
            raise ApiError(400, "photo must be a URL")
        caption = params.get("caption")
        if caption is not None and not 1 <= len(caption) <= MAX_TEXT:
            raise ApiError(400, "caption must be 1-2000 characters")
        return self._record("sendPhoto", params, photo=photo, caption=caption)

    async def _send_chat_action(self, params: Params) -> bool:
        if params.get("action") != "typing":
            raise ApiError(400, "action must be typing")
        return True

    # ---- helpers ------------------------------------------------------------------------------

    def _record(self, method: str, params: Params, **fields: Any) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            raise ApiError(400, "chat_id is required")
        message_id = f"m{next(self._ids):08d}"
        self._sent.setdefault(chat_id, []).append(
            {"method": method, "message_id": message_id, "time": time.monotonic(), **fields}
        )
        return {"message_id": message_id, "date": int(time.time() * 1000)}

    def _update(self, event_name: str, user_id: str, name: str, **content: Any) -> Update:
        message = {
            "message_id": f"{next(self._ids):032x}",
            "date": int(time.time() * 1000),
            "chat": {"id": user_id, "chat_type": "PRIVATE"},
            "from": {"id": user_id, "display_name": name, "is_bot": False},
            **content,
        }
        return {"event_name": event_name, "message": message}


async def _read_params(request: web.Request) -> Params:
    """A call's parameters, however sent: the query string (GET), a form or JSON."""
    params: Params = dict(request.query)
    if request.can_read_body:
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            params |= {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        else:
            try:
                body = await request.json()
            except ValueError:
                body = None
            params |= body if isinstance(body, dict) else {}
    return params


def _answer(error: ApiError) -> web.Response:
    """An error answer, its code as the HTTP status too."""
    status = error.code if 400 <= error.code <= 599 else 400
    return web.json_response(error.body(), status=status)
