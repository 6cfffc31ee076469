"""What every fake platform server shares: it listens on a free local port, and holds an
HTTP client of its own for calling the bot's webhook."""

from __future__ import annotations

import socket
from abc import ABC, abstractmethod
from typing import Any, Self

import aiohttp
from aiohttp import web


class ApiError(Exception):
    """An ``ok: false`` answer, raised anywhere while handling a call."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class LocalServer(ABC):
    base_url = ""
    _runner: web.AppRunner | None = None
    _client: aiohttp.ClientSession | None = None

    @abstractmethod
    def app(self) -> web.Application:
        """The platform's routes."""

    async def start(self) -> None:
        # A short shutdown timeout: a long poll or a delayed answer must not hold close() up.
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        # Binding port 0 ourselves gives a free port with no pick-then-bind race.
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._client = aiohttp.ClientSession()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
