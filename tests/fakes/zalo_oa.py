"""A fake Zalo Official Account platform for tests: the OA Open API v3 and the OAuth v4
server on one local port, and an OA that posts signed webhook events to the bot::

    async with FakeZaloOA() as fake:
        access, refresh = fake.issue()   # as if the consent had been given
        ...  # run the bot with ZALO_OA_API_URL = ZALO_OAUTH_URL = fake.base_url
        await fake.post_webhook(fake.user_text("u1", "/start"), url)
        assert "Xin chào" in fake.sent("u1")[0]["text"]

Shapes as in bot/channels/zalo_oa.py and zalo_oa_tokens.py (and their sources): answers
``{error, message, data}``; the header ``access_token``; consultation messages to a
``user_id`` or quoting a ``message_id`` the person sent; uploads answering ``attachment_id``
or ``token``; OAuth answers with single-use refresh tokens (a used one is refused, like an
unknown one, with error -14014). Events are signed ``mac=sha256(app_id + body + timestamp +
OA secret key)``. Faults: error codes for the next calls of a path, delays, a refresh whose
answer is lost (applied, never answered), people who do not follow the OA.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.server import LocalServer

Event = dict[str, Any]

SEND = "/v3.0/oa/message/cs"
OAUTH = "/v4/oa/access_token"
MAX_TEXT = 2000
MAX_BUTTONS = 4
MAX_TITLE = 100
MAX_PAYLOAD = 1000


@dataclass
class _Fault:
    path: str
    times: int
    code: int
    message: str
    delay: float


class FakeZaloOA(LocalServer):
    def __init__(
        self,
        app_id: str = "3141592653589793",
        app_secret: str = "app-secret-TEST",
        secret_key: str = "oa-secret-key-TEST",
        *,
        oa_id: str = "2718281828459045",
        expires_in: int = 90000,
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.secret_key = secret_key
        self.oa_id = oa_id
        self.expires_in = expires_in
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.refresh_calls = 0
        self.uploads: dict[str, tuple[str, bytes]] = {}  # attachment id or token -> file
        self._codes: dict[str, str] = {}  # authorization code -> code challenge
        self._messages: dict[str, str] = {}  # a person's message id -> their user id
        self._sent: dict[str, list[dict[str, Any]]] = {}
        self._faults: list[_Fault] = []
        self._lose_refresh = 0
        self._not_following: set[str] = set()
        self._ids = itertools.count(1)
        self._media: dict[str, bytes] = {}  # path on the fake's media server -> file

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/media/{path:.+}", self._download)
        app.router.add_post(SEND, self._send)
        app.router.add_post("/v2.0/oa/upload/image", self._upload_image)
        app.router.add_post("/v2.0/oa/upload/file", self._upload_file)
        app.router.add_post(OAUTH, self._oauth)
        return app

    # ---- tokens ---------------------------------------------------------------------------

    def issue(self) -> tuple[str, str]:
        """A new valid (access token, refresh token)."""
        access, refresh = f"at-{secrets.token_hex(8)}", f"rt-{secrets.token_hex(8)}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return access, refresh

    def consent(self, code_challenge: str) -> str:
        """The code Zalo's consent page would hand back for this PKCE challenge."""
        code = f"code-{secrets.token_hex(6)}"
        self._codes[code] = code_challenge
        return code

    def expire_access_tokens(self) -> None:
        """Every access token handed out so far stops working (their refresh tokens do not)."""
        self.access_tokens.clear()

    def lose_next_refresh(self, times: int = 1) -> None:
        """The next refreshes are applied (the refresh token used up, new ones issued) but
        never answered."""
        self._lose_refresh += times

    # ---- what the bot sent ----------------------------------------------------------------

    def sent(self, user_id: str) -> list[dict[str, Any]]:
        """Messages to a person, in order: message_id, recipient, text, buttons (as sent),
        attachment, reply (whether it quoted their message)."""
        return self._sent.get(user_id, [])

    # ---- events ---------------------------------------------------------------------------

    def user_text(self, user_id: str, text: str) -> Event:
        return self._event("user_send_text", user_id, {"text": text})

    def _media_url(self, path: str, content: bytes | None, host: str) -> str:
        """Where Zalo's media server gives a file: on this fake when it has ``content`` to
        serve (the bot may download it), else on a host that is never reached."""
        if content is None:
            return f"https://{host}/{path}"
        self._media[path] = content
        return f"{self.base_url}/media/{path}"

    def user_image(self, user_id: str, *, content: bytes | None = None) -> Event:
        n = next(self._ids)
        url = self._media_url(f"{user_id}/{n}.jpg", content, "photo.fake-zalo-oa.test")
        attachment = {"type": "image", "payload": {"thumbnail": url, "url": url}}
        return self._event("user_send_image", user_id, {"text": "", "attachments": [attachment]})

    def user_photo(self, user_id: str) -> Event:
        """The same as user_image (the name the shared end-to-end script uses)."""
        return self.user_image(user_id)

    def user_file(
        self,
        user_id: str,
        name: str = "giay-khen.pdf",
        size: int = 48213,
        *,
        content: bytes | None = None,
    ) -> Event:
        """A document: Zalo hands over its URL, name and size (as text, as it does)."""
        n = next(self._ids)
        payload = {
            "url": self._media_url(f"{user_id}/{n}/{name}", content, "file.fake-zalo-oa.test"),
            "name": name,
            "size": str(size),
            "type": name.rpartition(".")[2],
            "checksum": f"{n:032x}",
        }
        return self._event(
            "user_send_file", user_id, {"attachments": [{"type": "file", "payload": payload}]}
        )

    def user_sticker(self, user_id: str) -> Event:
        sticker = {"type": "sticker", "payload": {"id": "s1", "url": "https://s.test/1.png"}}
        return self._event("user_send_sticker", user_id, {"attachments": [sticker]})

    def press(self, user_id: str, button: dict[str, Any]) -> Event:
        """A tap on a query button: the person "sends" its payload."""
        return self.user_text(user_id, button["payload"])

    def follow(self, user_id: str, *, unfollow: bool = False) -> Event:
        return {
            "app_id": self.app_id,
            "oa_id": self.oa_id,
            "event_name": "unfollow" if unfollow else "follow",
            "follower": {"id": user_id},
            "source": "oa_profile",
            "user_id_by_app": f"app-{user_id}",
            "timestamp": str(int(time.time() * 1000) + next(self._ids)),
        }

    def seen(self, user_id: str) -> Event:
        return {
            "app_id": self.app_id,
            "event_name": "user_seen_message",
            "sender": {"id": self.oa_id},
            "recipient": {"id": user_id},
            "message": {"msg_ids": ["x"]},
            "timestamp": str(int(time.time() * 1000)),
        }

    def body(self, event: Event) -> bytes:
        return json.dumps(event, ensure_ascii=False).encode()

    def signature(self, event: Event, body: bytes | None = None) -> str:
        body = self.body(event) if body is None else body
        data = self.app_id.encode() + body + str(event["timestamp"]).encode()
        return f"mac={hashlib.sha256(data + self.secret_key.encode()).hexdigest()}"

    async def post_webhook(self, event: Event, url: str, *, signature: str | None = None) -> int:
        """POST an event as Zalo does and return the HTTP status the bot answered; the
        signature is right unless given (``""`` sends none)."""
        assert self._client is not None, "start() the fake first"
        body = self.body(event)
        mac = self.signature(event, body) if signature is None else signature
        headers = {"Content-Type": "application/json"}
        if mac:
            headers["X-ZEvent-Signature"] = mac
        async with self._client.post(url, data=body, headers=headers) as response:
            return response.status

    # ---- faults ---------------------------------------------------------------------------

    def fail_next(
        self, path: str, code: int, *, message: str = "injected fault", times: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``path`` with this error code."""
        self._faults.append(_Fault(path, times, code, message, 0.0))

    def delay_next(self, path: str, seconds: float, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``path`` only after ``seconds``."""
        self._faults.append(_Fault(path, times, 0, "", seconds))

    def not_following(self, user_id: str) -> None:
        """Messages to this person answer -213 (they do not follow the OA)."""
        self._not_following.add(user_id)

    # ---- HTTP -----------------------------------------------------------------------------

    async def _fault(self, path: str) -> web.Response | None:
        for fault in self._faults:
            if fault.path == path:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                    return None
                return _error(fault.code, fault.message)
        return None

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("access_token", "") in self.access_tokens

    async def _download(self, request: web.Request) -> web.Response:
        content = self._media.get(request.match_info["path"])
        return web.Response(status=404) if content is None else web.Response(body=content)

    async def _send(self, request: web.Request) -> web.Response:
        if (fault := await self._fault(SEND)) is not None:
            return fault
        if not self._authorised(request):
            return _error(-216, "Access token is invalid")
        body = await request.json()
        recipient, message = body.get("recipient") or {}, body.get("message") or {}
        if "message_id" in recipient:
            user_id = self._messages.get(str(recipient["message_id"]))
            if user_id is None:
                return _error(-201, "message_id is invalid")
        else:
            user_id = str(recipient.get("user_id") or "")
        if not user_id:
            return _error(-201, "recipient is required")
        if user_id in self._not_following:
            return _error(-213, "User has not followed the OA")
        problem = _check(message)
        if problem:
            return _error(-201, problem)
        attachment = message.get("attachment") or {}
        buttons = (attachment.get("payload") or {}).get("buttons") or []
        message_id = f"oa{next(self._ids):012d}"
        self._sent.setdefault(user_id, []).append(
            {
                "message_id": message_id,
                "recipient": recipient,
                "reply": "message_id" in recipient,
                "text": message.get("text") or "",
                "buttons": buttons,
                "attachment": attachment if not buttons else None,
                "time": time.monotonic(),
            }
        )
        return _ok({"message_id": message_id, "user_id": user_id})

    async def _upload(self, request: web.Request, path: str, kind: str) -> web.Response:
        if (fault := await self._fault(path)) is not None:
            return fault
        if not self._authorised(request):
            return _error(-216, "Access token is invalid")
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            return _error(-201, "file is required")
        key = f"{kind}-{next(self._ids)}"
        self.uploads[key] = (upload.filename, upload.file.read())
        return _ok({"attachment_id" if kind == "image" else "token": key})

    async def _upload_image(self, request: web.Request) -> web.Response:
        return await self._upload(request, "/v2.0/oa/upload/image", "image")

    async def _upload_file(self, request: web.Request) -> web.Response:
        return await self._upload(request, "/v2.0/oa/upload/file", "file")

    async def _oauth(self, request: web.Request) -> web.Response:
        if (fault := await self._fault(OAUTH)) is not None:
            return fault
        form = await request.post()
        if request.headers.get("secret_key") != self.app_secret or form.get("app_id") != (
            self.app_id
        ):
            return web.json_response({"error": -14001, "error_name": "Invalid app"})
        grant = form.get("grant_type")
        if grant == "refresh_token":
            self.refresh_calls += 1
            used = str(form.get("refresh_token"))
            if used not in self.refresh_tokens:
                return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
            self.refresh_tokens.discard(used)  # single use
        elif grant == "authorization_code":
            expected = self._codes.pop(str(form.get("code")), None)
            if expected is None or expected != _challenge(str(form.get("code_verifier"))):
                return web.json_response({"error": -14005, "error_name": "Invalid code"})
        else:
            return web.json_response({"error": -14002, "error_name": "Invalid grant type"})
        access, refresh = self.issue()
        if grant == "refresh_token" and self._lose_refresh:
            self._lose_refresh -= 1
            await asyncio.sleep(3600)  # the answer never comes
        return web.json_response(
            {"access_token": access, "refresh_token": refresh, "expires_in": str(self.expires_in)}
        )

    # ---- helpers --------------------------------------------------------------------------

    def _event(self, name: str, user_id: str, message: dict[str, Any]) -> Event:
        msg_id = f"{secrets.token_hex(10)}"
        self._messages[msg_id] = user_id
        return {
            "app_id": self.app_id,
            "user_id_by_app": f"app-{user_id}",
            "event_name": name,
            "sender": {"id": user_id},
            "recipient": {"id": self.oa_id},
            "message": {"msg_id": msg_id, **message},
            # Distinct and rising, as the person's messages are.
            "timestamp": str(int(time.time() * 1000) + next(self._ids)),
        }


def _check(message: dict[str, Any]) -> str:
    """What Zalo would refuse in a message, or ""."""
    text = message.get("text")
    attachment = message.get("attachment")
    if text is None and attachment is None:
        return "message needs text or attachment"
    if text is not None and not 1 <= len(text) <= MAX_TEXT:
        return "text must be 1-2000 characters"
    buttons = ((attachment or {}).get("payload") or {}).get("buttons")
    if buttons is not None:
        if not 1 <= len(buttons) <= MAX_BUTTONS:
            return "a template holds 1-4 buttons"
        for b in buttons:
            if b.get("type") != "oa.query.show" or not 1 <= len(b.get("title", "")) <= MAX_TITLE:
                return "button title must be 1-100 characters"
            if not 1 <= len(b.get("payload", "")) <= MAX_PAYLOAD:
                return "button payload must be 1-1000 characters"
    return ""


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _ok(data: dict[str, Any]) -> web.Response:
    return web.json_response({"error": 0, "message": "Success", "data": data})


def _error(code: int, message: str) -> web.Response:
    # Zalo answers errors with HTTP 200 and the code in the body.
    return web.json_response({"error": code, "message": message})
