"""A minimal Telegram Bot API client: each call one HTTP request on one aiohttp session, its
parameters as JSON (or a multipart form for an uploaded file), its answer read as JSON.

Not aiogram: importing aiogram builds a pydantic model for each of the Bot API's several
hundred types and methods, about 120 MB of memory in every process and seconds of start-up,
while the bot uses a handful of methods and reads updates as JSON. Failures are classified
as the Bot API documents them (and as aiogram did): the HTTP status, with ``retry_after`` for
a flood limit.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

PUBLIC_API = "https://api.telegram.org"


class TelegramError(Exception):
    """A call that did not succeed; ``message`` says why in Telegram's words (or ours)."""

    def __init__(self, method: str, message: str) -> None:
        super().__init__(message)
        self.method = method
        self.message = message


class ApiError(TelegramError):
    """An answer that refuses the call: HTTP ``status`` (400 bad request, 403 blocked by the
    person, 429 flood limit with ``retry_after`` seconds, 5xx Telegram's own trouble)."""

    def __init__(
        self, method: str, status: int, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(method, message)
        self.status = status
        self.retry_after = retry_after


class NetworkError(TelegramError):
    """No answer. ``connected``: the request may have reached Telegram (a timeout, a dropped
    connection), so it may have taken effect; False only when the connection was refused."""

    def __init__(self, method: str, message: str, *, connected: bool) -> None:
        super().__init__(method, message)
        self.connected = connected


class BotApi:
    """One bot's calls to the Bot API at ``api_url`` (the public one, a self-hosted
    telegram-bot-api, or the fake one in tests)."""

    def __init__(self, token: str, api_url: str | None = None, timeout: float = 30) -> None:
        self.token = token
        root = (api_url or PUBLIC_API).rstrip("/")
        self.base = f"{root}/bot{token}/"
        # The file server's addresses hold the token too: never logged.
        self.files = f"{root}/file/bot{token}/"
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def call(
        self, method: str, params: dict[str, Any] | None = None, *, wait: float | None = None
    ) -> Any:
        """The result of ``method`` called with ``params`` (as the Bot API names them).
        ``wait``: seconds to wait for the answer (default: the client's timeout)."""
        return await self._request(method, wait, json=params or {})

    async def upload(
        self,
        method: str,
        params: dict[str, Any],
        field: str,
        content: bytes | Path,
        filename: str,
    ) -> Any:
        """``method`` with a file uploaded as its ``field`` (sendDocument's document, say);
        the other parameters as form fields, objects among them as JSON text."""
        form = aiohttp.FormData(quote_fields=False)
        for name, value in params.items():
            if value is not None:
                form.add_field(name, value if isinstance(value, str) else json.dumps(value))
        if isinstance(content, Path):
            content = await asyncio.to_thread(content.read_bytes)
        form.add_field(field, content, filename=filename)
        return await self._request(method, None, data=form)

    async def download(self, file_path: str, chunk_size: int) -> AsyncIterator[bytes]:
        """A file's bytes from the file server, chunk after chunk, by the ``file_path``
        that getFile gave."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with self._session.get(self.files + file_path, timeout=timeout) as answer:
            answer.raise_for_status()
            async for chunk in answer.content.iter_chunked(chunk_size):
                yield chunk

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _request(self, method: str, wait: float | None, **body: Any) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        timeout = aiohttp.ClientTimeout(total=wait or self.timeout)
        try:
            async with self._session.post(self.base + method, timeout=timeout, **body) as answer:
                status, content = answer.status, await answer.read()
        except TimeoutError as exc:
            raise NetworkError(method, "Request timeout error", connected=True) from exc
        except aiohttp.ClientConnectorError as exc:
            raise NetworkError(method, f"{type(exc).__name__}: {exc}", connected=False) from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(method, f"{type(exc).__name__}: {exc}", connected=True) from exc
        return _result(method, status, content)


def _result(method: str, status: int, content: bytes) -> Any:
    try:
        answer = json.loads(content)
        ok, result = answer["ok"], answer.get("result")
        description = str(answer.get("description") or f"HTTP {status}")
        parameters = answer.get("parameters") or {}
        retry_after = parameters.get("retry_after")
    except (ValueError, KeyError, TypeError, AttributeError):
        # What the call did is unknown when a success cannot be read; a refusal is a refusal.
        if 200 <= status < 300:
            raise NetworkError(
                method, f"unreadable answer (HTTP {status})", connected=True
            ) from None
        raise ApiError(method, status, f"unreadable answer (HTTP {status})") from None
    if ok is True and 200 <= status < 300:
        return result
    raise ApiError(
        method,
        status,
        description,
        float(retry_after) if isinstance(retry_after, int | float) and retry_after else None,
    )
