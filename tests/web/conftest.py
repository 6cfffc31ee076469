"""The console served by the real web server over the real database (SQLite, and
PostgreSQL when TEST_POSTGRES_URL is set), signed in as the chat does it: a one-time link."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import segno
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.files import Reader, local
from bot.documents.makers import Documents
from bot.documents.reports.document import report_maker
from bot.web.console import ConsoleConfig
from bot.web.server import make_app
from content import Content, load_content
from handlers.actions import Actor, Work, console
from handlers.i18n import load_catalogs
from storage.models import AssessmentStatus, StaffRole
from tests.web import seed
from tests.web.seed import HAI_CHAU, OTHER, Citizen

YEAR = 2026
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
NONCE = re.compile(r'name="nonce" value="([^"]+)"')


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))  # 09:00 in Vietnam


@dataclass
class World:
    admin: int
    officer: int  # of Phường Hải Châu
    other_officer: int  # of Phường Thanh Khê
    mine: list[int]  # submissions in Hải Châu
    theirs: list[int]  # submissions in Thanh Khê


@pytest.fixture
async def world(
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
    tmp_path: Path,
) -> World:
    now = clock()
    picture = tmp_path / "giay-xac-nhan.png"  # a real image, for the thumbnails
    segno.make("minh chứng").save(str(picture), scale=6)
    async with session_factory() as session, session.begin():
        admin = await seed.staff(session, "Quản Trị", StaffRole.ADMIN, None, now)
        officer = await seed.staff(session, "Cán Bộ Hải Châu", StaffRole.OFFICER, HAI_CHAU, now)
        other = await seed.staff(session, "Cán Bộ Thanh Khê", StaffRole.OFFICER, OTHER, now)
        mine = await seed.citizens(
            session,
            content,
            [
                Citizen("Nguyễn Thị Lan", passed=True, evidence=2, days_ago=12, birth_year=1968),
                Citizen("Trần Văn Ánh", passed=False, days_ago=2, group="workers"),
                Citizen("Lê Thị Hồng", passed=True, days_ago=5),
                Citizen("Phạm Đức Minh", status=AssessmentStatus.APPROVED, days_ago=20),
            ],
            YEAR,
            now,
            evidence_file=str(picture),
        )
        theirs = await seed.citizens(
            session, content, [Citizen("Võ Thị Đào", commune=OTHER)], YEAR, now
        )
    return World(admin, officer, other, mine, theirs)


class Browser:
    """A signed-in browser: the session cookie, and the CSRF token from the pages."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    async def get(self, path: str, **kw: object) -> tuple[int, str]:
        response = await self.client.get(path, allow_redirects=False, **kw)
        text = await response.text()
        if found := CSRF.search(text):
            self.csrf = found.group(1)
        return response.status, text

    async def open_link(self, token: str) -> tuple[int, str, str]:
        """Open the chat's sign-in link, then press its button."""
        _, page = await self.get(f"/web/signin/{token}")
        nonce = NONCE.search(page)
        assert nonce is not None
        return await self.post("/web/signin", {"token": token, "nonce": nonce.group(1)}, csrf=False)

    async def post(
        self, path: str, data: dict[str, object], *, csrf: bool = True
    ) -> tuple[int, str, str]:
        form = {**data, "csrf": self.csrf} if csrf else data
        response = await self.client.post(path, data=form, allow_redirects=False)
        return response.status, response.headers.get("Location", ""), await response.text()


@pytest.fixture
def readers() -> dict[str, Reader]:
    """How the console reads evidence sent on chat channels (a test of those gives its
    fakes'); the console channel's files are always read."""
    return {}


@pytest.fixture
async def client(
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
    db_url: str,
    tmp_path: Path,
    readers: dict[str, Reader],
) -> AsyncIterator[TestClient]:
    catalogs = load_catalogs()
    documents = Documents(
        session_factory,
        {"report": report_maker(db_url, content, catalogs, association="Hội Khuyến học Đà Nẵng")},
    )
    app = make_app(
        session_factory,
        webhook_secret="s",
        clock=clock,
        console=ConsoleConfig(
            sessions=session_factory,
            content=content,
            catalogs=catalogs,
            clock=clock,
            documents=documents,
            scans=tmp_path / "files",
            files={"console": local(), **readers},
        ),
    )
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def link_for(
    session_factory: async_sessionmaker[AsyncSession], content: Content, user_id: int, now: datetime
) -> str:
    async with session_factory() as session, session.begin():
        return await console.signin_link(
            Work(session, content, load_catalogs(), now), Actor(user_id, "chat")
        )


@pytest.fixture
def sign_in(
    client: TestClient,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
):
    async def signed_in(user_id: int) -> Browser:
        token = await link_for(session_factory, content, user_id, clock())
        browser = Browser(client)
        status, location, _ = await browser.open_link(token)
        assert (status, location) == (303, "/web/")
        await browser.get("/web/")
        return browser

    return signed_in
