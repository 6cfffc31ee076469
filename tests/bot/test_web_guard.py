"""The web server's shared protections: no secret (a certificate code, a download link) in
the access log, headers against sniffing and framing on every response, and a rate limit
per client address on the paths that carry such secrets."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.documents.certificates import Certificates
from bot.documents.document_links import DocumentLinks
from bot.documents.makers import Documents
from bot.web.guard import AccessLogger, RateLimit, redacted
from bot.web.server import make_app
from content import Content, load_content
from tests.bot.test_certificates import SITE
from tests.bot.test_document_links import certificate
from tests.storage.factories import Sessions
from tests.storage.test_certificates import approved, issue

CODE = "AB12CD34EF56"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@asynccontextmanager
async def site(
    sessions: Sessions, content: Content, limit: RateLimit | None = None
) -> AsyncIterator[tuple[TestClient, str]]:
    """The web app with certificates and download links; yields a client and a valid link."""
    links = DocumentLinks("secret", SITE, timedelta(hours=1))
    app = make_app(
        sessions,
        webhook_secret="s",
        certificates=Certificates(content, issuer="Hội Khuyến học", public_url=SITE + "/"),
        documents=Documents(sessions, {"certificate": certificate}, links),
        rate_limit=limit,
    )
    server = TestServer(app)
    await server.start_server(access_log_class=AccessLogger)  # as bot/services.py runs it
    async with TestClient(server) as client:
        yield client, links.url("certificate:AB12").removeprefix(SITE)


def test_secrets_are_cut_out_of_paths_and_the_rest_is_kept() -> None:
    assert redacted(f"/verify/{CODE}?lang=en") == "/verify/…?lang=en"
    assert redacted("/files/eyJhbGciOi.x-y_z") == "/files/…"
    assert redacted("/healthz") == "/healthz"
    assert redacted("/telegram/webhook") == "/telegram/webhook"


async def test_the_access_log_never_holds_a_code_or_a_link(
    session_factory: Sessions, content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    c = await issue(session_factory, await approved(session_factory, "Lê Đức"))
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    async with site(session_factory, content) as (client, link):
        token = link.removeprefix("/files/")
        for path in (f"/verify/{c.code}", f"/verify/{c.code}?lang=en", link, "/healthz"):
            response = await client.get(path, headers={"Referer": f"https://x/verify/{c.code}"})
            assert response.status in (200, 503)
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(lines) == 4
    assert not any(c.code in line or token in line for line in lines), lines
    assert '"GET /verify/… HTTP/1.1" 200' in lines[0]
    assert '"GET /verify/…?lang=en HTTP/1.1" 200' in lines[1]
    assert '"GET /files/… HTTP/1.1" 200' in lines[2]
    assert '"GET /healthz HTTP/1.1"' in lines[3]


async def test_every_page_and_file_forbids_sniffing_and_framing(
    session_factory: Sessions, content: Content
) -> None:
    c = await issue(session_factory, await approved(session_factory, "Lê Đức"))
    async with site(session_factory, content) as (client, link):
        for path in (f"/verify/{c.code}", "/verify/ZZZZ2222ZZZZ", link, link + "x", "/nowhere"):
            response = await client.get(path)
            headers = response.headers
            assert headers["X-Content-Type-Options"] == "nosniff", path
            policy = headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in policy, path
        # The page's own policy is kept, the framing rule added to it.
        response = await client.get(f"/verify/{c.code}")
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


async def test_codes_and_links_are_rate_limited_per_client(
    session_factory: Sessions, content: Content
) -> None:
    clock = Clock()
    limit = RateLimit(rate=0.5, burst=3, clock=clock)
    async with site(session_factory, content, limit) as (client, link):
        statuses = [(await client.get(f"/verify/Z{n:011d}")).status for n in range(3)]
        assert statuses == [404, 404, 404]
        refused = await client.get(link)  # the same bucket for both paths
        assert refused.status == 429 and refused.headers["Retry-After"] == "2"
        assert (await client.get("/healthz")).status != 429  # the rest is not limited
        clock.now += 2
        assert (await client.get(link)).status == 200
        assert (await client.get(link)).status == 429


async def test_behind_a_local_proxy_each_forwarded_client_has_its_own_bucket(
    session_factory: Sessions, content: Content
) -> None:
    limit = RateLimit(rate=0.5, burst=1, clock=Clock())

    def by(chain: str) -> dict[str, str]:
        return {"X-Forwarded-For": chain}

    async with site(session_factory, content, limit) as (client, link):
        assert (await client.get(link, headers=by("203.0.113.7"))).status == 200
        assert (await client.get(link, headers=by("203.0.113.7"))).status == 429
        # A client cannot pick its bucket: the proxy's own entry is the last one.
        assert (await client.get(link, headers=by("1.2.3.4, 203.0.113.7"))).status == 429
        assert (await client.get(link, headers=by("203.0.113.7, 198.51.100.2"))).status == 200


def test_each_address_has_its_own_bucket_and_idle_ones_are_forgotten() -> None:
    clock = Clock()
    limit = RateLimit(rate=1, burst=2, clock=clock)
    assert [limit.wait("a"), limit.wait("a"), limit.wait("a")] == [0, 0, 1]
    assert limit.wait("b") == 0
    for n in range(10_001):
        limit.wait(f"10.0.{n}")
    clock.now += 5  # every bucket full again
    limit.wait("c")
    assert len(limit._buckets) == 1
