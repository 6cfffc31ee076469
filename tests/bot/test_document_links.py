"""Download links for channels that cannot carry files: signed, expiring, answered by making
the document then; and the worker sending a link instead of the file on such channels."""

from __future__ import annotations

import types
from datetime import timedelta

import itsdangerous.timed
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.capabilities import ZALO_BOT
from bot.documents.document_links import DocumentLinks
from bot.documents.makers import Document, Documents
from bot.settings import Settings
from bot.web.server import make_app
from handlers.events import Attachment, Reply
from storage.repositories import outbox
from tests.bot.test_delivery import FakeSender, Platform, make_worker
from tests.storage.factories import T0, Sessions

SITE = "https://cdht.example.vn"
INSTEAD = "Tải giấy chứng nhận (tệp PDF) tại: {link}"


async def certificate(session: AsyncSession, code: str) -> Document | None:
    return Document(b"%PDF-1.7 " + code.encode(), f"giấy-chứng-nhận-{code}.pdf") if code else None


@pytest.fixture
def links() -> DocumentLinks:
    return DocumentLinks("a-secret", SITE, timedelta(hours=24))


def token(url: str) -> str:
    assert url.startswith(f"{SITE}/files/")
    return url.rsplit("/", 1)[1]


def test_a_link_names_its_document_until_it_expires_and_cannot_be_altered(
    links: DocumentLinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = links.url("certificate:AB12")
    assert links.document(token(url)) == "certificate:AB12"
    other = links.url("certificate:ZZ99")
    # Another document's signature on this one's name, or another key: refused.
    forged = token(url).split(".")[0] + "." + token(other).split(".", 1)[1]
    assert links.document(forged) is None
    assert DocumentLinks("another", SITE, links.ttl).document(token(url)) is None
    now = itsdangerous.timed.time.time()
    later = types.SimpleNamespace(time=lambda: now + 25 * 3600)
    monkeypatch.setattr(itsdangerous.timed, "time", later)
    assert links.document(token(url)) is None


def test_the_secret_is_derived_from_the_tokens_when_not_set() -> None:
    bare = Settings(_env_file=None)
    assert DocumentLinks.of(bare) is None
    one = DocumentLinks.of(Settings(_env_file=None, zalo_bot_token="1:abc"))
    same = DocumentLinks.of(Settings(_env_file=None, zalo_bot_token="1:abc", port=9000))
    other = DocumentLinks.of(Settings(_env_file=None, zalo_bot_token="2:xyz"))
    assert one is not None and same is not None and other is not None
    url = one.url("export:7")
    assert same.document(token(url.replace("http://127.0.0.1:8080", SITE))) == "export:7"
    assert other.document(url.rsplit("/", 1)[1]) is None


def test_a_reply_gets_the_handlers_words_with_the_link_instead_of_the_file(
    links: DocumentLinks,
) -> None:
    reply = Reply(
        "Giấy chứng nhận của Anh/Chị",
        attachment=Attachment(document="certificate:AB12", instead=INSTEAD),
    )
    linked = links.instead_of_file(reply)
    assert linked.attachment is None
    head, tail = linked.text.split("\n\n")
    assert head == "Giấy chứng nhận của Anh/Chị"
    assert links.document(token(tail.removeprefix("Tải giấy chứng nhận (tệp PDF) tại: "))) == (
        "certificate:AB12"
    )
    photo = Reply("Ảnh", attachment=Attachment(ref="https://x/1.jpg", kind="photo"))
    assert links.instead_of_file(photo) == photo  # nothing to make: the channel decides


async def fetch(sessions: Sessions, links: DocumentLinks, path: str):
    documents = Documents(sessions, {"certificate": certificate}, links)
    async with TestClient(
        TestServer(make_app(sessions, webhook_secret="s", documents=documents))
    ) as client:
        response = await client.get(path)
        return response.status, await response.read(), dict(response.headers)


async def test_the_web_server_makes_the_document_a_link_names(
    session_factory: Sessions, links: DocumentLinks
) -> None:
    path = links.url("certificate:AB12").removeprefix(SITE)
    status, body, headers = await fetch(session_factory, links, path)
    assert (status, body) == (200, b"%PDF-1.7 AB12")
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Cache-Control"] == "no-store"
    assert (
        "filename*=UTF-8''gi%E1%BA%A5y-ch%E1%BB%A9ng-nh%E1%BA%ADn-AB12.pdf"
        in (headers["Content-Disposition"])
    )

    status, body, _ = await fetch(session_factory, links, path[:-3] + "xyz")
    assert status == 404 and "hết hạn hoặc không đúng" in body.decode()
    gone = links.url("certificate:").removeprefix(SITE)  # the maker finds nothing
    status, body, _ = await fetch(session_factory, links, gone + "?lang=en")
    assert status == 404 and "has expired or is not valid" in body.decode()


class NoUploads(FakeSender):
    channel = "zalo_bot"
    capabilities = ZALO_BOT


async def test_on_a_channel_without_uploads_the_worker_sends_the_link_and_makes_nothing(
    session_factory: Sessions, platform: Platform, user_id: int, links: DocumentLinks
) -> None:
    made: list[str] = []

    async def counted(session: AsyncSession, code: str) -> Document | None:
        made.append(code)
        return await certificate(session, code)

    reply = Reply(
        "Giấy chứng nhận", attachment=Attachment(document="certificate:AB12", instead=INSTEAD)
    )
    async with session_factory() as session, session.begin():
        await outbox.enqueue(
            session,
            [outbox.NewMessage(user_id, "zalo_bot", "z1", "notice", reply.to_payload())],
            T0,
        )
    worker = make_worker(
        session_factory,
        platform,
        documents=Documents(session_factory, {"certificate": counted}, links),
    )
    worker.sender = NoUploads(platform)

    await worker.run_once()

    [received] = platform.received
    assert received.text.startswith("Giấy chứng nhận\n\nTải giấy chứng nhận (tệp PDF) tại: ")
    assert (made, platform.typing) == ([], [])
