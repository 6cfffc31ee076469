"""What every response of the web server shares: headers that keep its pages out of frames and
its files from being sniffed into something else, a rate limit per client address on the
pages whose path is a secret (certificate codes, download links), and an access log that
never writes those secrets down.

A code or a link in a log file is as good as the link itself: anyone who reads the log can
download the document, so the log keeps the route and drops the secret. The rate limit makes
guessing codes slow; it lives in memory (a restart forgives everyone, which is fine).
"""

from __future__ import annotations

import ipaddress
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Handler

# The routes whose last path segment is a bearer secret.
SECRET_PATH = re.compile(r"^/(verify|files)/[^/?#]*")
FRAMES = "frame-ancestors 'none'"


def redacted(path: str) -> str:
    """A request path with any bearer secret replaced: "/files/abc?x" -> "/files/…?x"."""
    return SECRET_PATH.sub(lambda match: f"/{match.group(1)}/…", path)


class AccessLogger(AbstractAccessLogger):
    """aiohttp's access log line (address, time, request, status, size, user agent, seconds
    taken) with secrets cut out of the path, and without the Referer, which may hold a code
    of the page the client came from."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s HTTP/%d.%d" %d %s "%s" %.3f',
            request.remote,
            request.method,
            redacted(request.path_qs),
            request.version.major,
            request.version.minor,
            response.status,
            response.body_length,
            request.headers.get("User-Agent", "-"),
            time,
        )


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response, whoever made it (a handler, a 404, an error): no content sniffing,
    no framing (clickjacking a verification page)."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    policy = response.headers.get("Content-Security-Policy")
    if policy is None:
        response.headers["Content-Security-Policy"] = FRAMES
    elif "frame-ancestors" not in policy:
        response.headers["Content-Security-Policy"] = f"{policy}; {FRAMES}"


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimit:
    """A token bucket per client address: ``burst`` requests at once, then one every
    ``1 / rate`` seconds. Buckets that have filled up again are forgotten."""

    def __init__(
        self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def wait(self, client: str) -> float:
        """Take a request from the client's bucket: 0 when it may go, otherwise the seconds
        until it may."""
        now = self.clock()
        if len(self._buckets) > 10_000:
            self._forget_full(now)
        bucket = self._buckets.setdefault(client, _Bucket(self.burst, now))
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        self._buckets = {
            client: bucket
            for client, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.at) * self.rate < self.burst
        }


def client_address(request: web.Request) -> str:
    """Who is asking: the peer's address, or, when the peer is a reverse proxy on this host,
    the address it appended to X-Forwarded-For (the last one: those before it are whatever
    the client claimed)."""
    peer = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For")
    try:
        local = ipaddress.ip_address(peer).is_loopback
    except ValueError:  # a Unix socket: the proxy is local too
        local = True
    if forwarded and local:
        return forwarded.rsplit(",", 1)[-1].strip()
    return peer


def _limiting(limit: RateLimit) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if SECRET_PATH.match(request.path):
            wait = limit.wait(client_address(request))
            if wait:
                return web.Response(
                    status=429,
                    text="too many requests",
                    headers={"Retry-After": str(math.ceil(wait))},
                )
        return await handler(request)

    return middleware


def protect(app: web.Application, limit: RateLimit | None = None) -> None:
    """Give ``app`` the shared headers and the rate limit on secret paths (by default 20 at
    once, then one every 3 seconds per address: a person checks a few certificates, a
    guesser thousands)."""
    app.middlewares.append(_limiting(limit or RateLimit(rate=1 / 3, burst=20)))
    app.on_response_prepare.append(_headers)
