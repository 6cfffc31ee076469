"""Reading a file a person sent on a channel, by the reference the channel gave for it
(Telegram's file id, the URL of Zalo's media server), as a stream of chunks. The console shows
evidence through the bot: an officer's browser never sees the bot's token nor the platform's
address of the file, and nothing here logs either."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Collection
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
TIMEOUT = 30
# Zalo's media servers (its CDN names end so); the API's own host is added for a
# self-hosted gateway or a test fake.
ZALO_MEDIA = ("zdn.vn", "zadn.vn", "zalo.me", "zaloapp.com")
REDIRECTS = 3


class Unavailable(Exception):
    """The platform no longer has the file, refuses it, or could not be reached."""


# A file by its reference, chunk after chunk; Unavailable before the first chunk when it
# cannot be read at all.
Reader = Callable[[str], AsyncIterator[bytes]]


def local() -> Reader:
    """The console channel's files: paths on this machine."""

    async def read(ref: str) -> AsyncIterator[bytes]:
        try:
            f = await asyncio.to_thread(Path(ref).open, "rb")
        except OSError:
            raise Unavailable from None
        try:
            while chunk := await asyncio.to_thread(f.read, CHUNK):
                yield chunk
        finally:
            await asyncio.to_thread(f.close)

    return read


def telegram(bot: Bot) -> Reader:
    """Telegram's two steps: getFile gives the file's path, then the file server gives
    the bytes at an address that holds the bot's token."""

    async def read(ref: str) -> AsyncIterator[bytes]:
        try:
            file = await bot.get_file(ref)
        except TelegramAPIError as exc:
            log.warning("Telegram getFile refused a file: %s", type(exc).__name__)
            raise Unavailable from None
        if not file.file_path:
            raise Unavailable
        address = bot.session.api.file_url(bot.token, file.file_path)
        try:
            async for chunk in bot.session.stream_content(
                address, timeout=TIMEOUT, chunk_size=CHUNK
            ):
                yield chunk
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Not the exception's text: it holds the address, with the token.
            log.warning("Telegram's file server did not give a file: %s", type(exc).__name__)
            raise Unavailable from None

    return read


def media(api_url: str, hosts: Collection[str] = ZALO_MEDIA) -> Reader:
    """Files a platform gives by URL (both Zalo channels): fetched only from its media
    servers (`hosts` and their subdomains, and the API's own host), following a few
    redirects that stay among them."""
    allowed = {*hosts, urlsplit(api_url).hostname or ""} - {""}

    def permitted(url: str) -> bool:
        parts = urlsplit(url)
        host = parts.hostname or ""
        return parts.scheme in ("https", "http") and any(
            host == h or host.endswith(f".{h}") for h in allowed
        )

    async def read(ref: str) -> AsyncIterator[bytes]:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            url = ref
            for _ in range(REDIRECTS + 1):
                if not permitted(url):
                    log.warning("A media file's address is not the platform's; not fetched")
                    raise Unavailable
                try:
                    async with session.get(url, allow_redirects=False) as response:
                        if response.status in (301, 302, 303, 307, 308):
                            url = urljoin(url, response.headers.get("Location", ""))
                            continue
                        if response.status != 200:
                            log.warning("A media server answered HTTP %s", response.status)
                            raise Unavailable
                        async for chunk in response.content.iter_chunked(CHUNK):
                            yield chunk
                        return
                except (aiohttp.ClientError, TimeoutError) as exc:
                    log.warning("A media server did not give a file: %s", type(exc).__name__)
                    raise Unavailable from None
            raise Unavailable

    return read
