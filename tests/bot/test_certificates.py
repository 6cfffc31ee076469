"""The certificate as people get it: a PDF whose text holds the holder's name with every
diacritic and whose QR code opens the verification page; the page and the CLI say whether
it is valid and show only name, commune, year and status."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pypdfium2
import pytest
import zxingcpp
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from typer.testing import CliRunner

from bot.channels.console import ConsoleChannel
from bot.cli import app
from bot.documents.certificates import Certificates
from bot.documents.makers import Document, Documents
from bot.settings import Settings
from bot.web.server import make_app
from content import Content, load_content
from handlers.engine import Engine
from handlers.events import Attachment, Reply
from storage import migrate
from storage.db import create_engine, make_sessionmaker
from storage.models import AuditEntry, Certificate, utcnow
from storage.repositories import certificates as repository
from tests.storage.factories import Sessions
from tests.storage.test_certificates import approved, issue

NAME = "Đặng Thị Hường Ẳng Ữ Ợ"  # a name and some letters few fonts have
SITE = "https://cdht.example.vn"


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture
def office(content: Content) -> Certificates:
    return Certificates(content, issuer="Hội Khuyến học thành phố Đà Nẵng", public_url=SITE + "/")


async def make(office: Certificates, sessions: Sessions, code: str) -> Document | None:
    async with sessions() as session:
        return await office.make(session, code)


def qr_codes(pdf: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=2).to_pil()
    return [b.text for b in zxingcpp.read_barcodes(image)]


async def test_the_pdf_holds_the_name_and_a_qr_of_the_verification_url(
    office: Certificates, session_factory: Sessions
) -> None:
    c = await issue(session_factory, await approved(session_factory, NAME))

    made = await make(office, session_factory, c.code)

    assert made is not None
    assert made.content.startswith(b"%PDF") and made.filename == f"giay-chung-nhan-{c.number}.pdf"
    text = pypdf.PdfReader(io.BytesIO(made.content)).pages[0].extract_text()
    assert NAME in text
    assert c.number in text and "Phường Hải Châu" in text and "Hội Khuyến học thành phố" in text
    assert "88/100" in text and "năm 2026" in text
    assert qr_codes(made.content) == [f"{SITE}/verify/{c.code}"]


@pytest.mark.parametrize(
    ("born", "group", "title"),
    [(1952, "residents", "Ông/Bà"), (1991, "workers", "Ông/Bà"), (2013, "learners", "Em")],
)
def test_the_holder_is_titled_as_a_formal_document_addresses_them(
    office: Certificates, born: int, group: str, title: str
) -> None:
    c = Certificate(
        code="ABCDEFGHJKLM",
        number="48-2026-000001",
        full_name=NAME,
        birth_year=born,
        commune_code="20242",
        target_group=group,
        year=2026,
        total=88,
        issued_at=datetime(2026, 12, 1, 3, tzinfo=UTC),
    )
    values = office.fields(c)
    assert office.content.certificate.holder.format_map(values) == f"{title}: {NAME}"


async def test_a_revoked_or_unknown_certificate_is_not_made(
    office: Certificates, session_factory: Sessions
) -> None:
    c = await issue(session_factory, await approved(session_factory))
    async with session_factory() as session, session.begin():
        await repository.revoke(session, c.code, reason="Sai thông tin", now=utcnow())

    assert await make(office, session_factory, c.code) is None
    assert await make(office, session_factory, "ABCDEFGHJKLM") is None


async def test_the_console_saves_a_made_document_and_shows_where(
    office: Certificates, session_factory: Sessions, content: Content, tmp_path: Path
) -> None:
    c = await issue(session_factory, await approved(session_factory))
    console = ConsoleChannel(
        Engine(session_factory, content),
        "an",
        documents=Documents(session_factory, {"certificate": office.make}),
        folder=tmp_path,
    )

    sent = Reply("x", attachment=Attachment(document=f"certificate:{c.code}"))
    shown = await console.save(sent, c.user_id)

    # In the person's own folder, which their erasure removes.
    assert Path(shown) == tmp_path / str(c.user_id) / f"giay-chung-nhan-{c.number}.pdf"
    assert (await asyncio.to_thread(Path(shown).read_bytes)).startswith(b"%PDF")
    gone = Reply("x", attachment=Attachment(document="certificate:X"))
    assert await console.save(gone, c.user_id) == ""


async def page(sessions: Sessions, office: Certificates, path: str) -> tuple[int, str, dict]:
    async with TestClient(
        TestServer(make_app(sessions, webhook_secret="s", certificates=office))
    ) as client:
        response = await client.get(path)
        return response.status, await response.text(), dict(response.headers)


async def test_the_verification_page(office: Certificates, session_factory: Sessions) -> None:
    c = await issue(session_factory, await approved(session_factory, "<b>Lê</b> & Đức"))

    status, html, headers = await page(session_factory, office, f"/verify/{c.code}")
    assert status == 200 and 'lang="vi"' in html
    assert "Còn hiệu lực" in html and "Phường Hải Châu" in html and "2026" in html
    assert "&lt;b&gt;Lê&lt;/b&gt; &amp; Đức" in html and "<b>Lê" not in html
    assert "1970" not in html and "88" not in html and c.number not in html  # nothing else
    assert headers["Cache-Control"] == "no-store" and "noindex" in headers["X-Robots-Tag"]

    status, html, _ = await page(session_factory, office, f"/verify/{c.code.lower()}?lang=en")
    assert status == 200 and 'lang="en"' in html and "Valid" in html

    async with session_factory() as session, session.begin():
        await repository.revoke(session, c.code, reason="Khai sai", now=utcnow())
    status, html, _ = await page(session_factory, office, f"/verify/{c.code}")
    assert status == 200 and "Đã bị thu hồi" in html and "Khai sai" not in html

    status, html, _ = await page(session_factory, office, "/verify/ZZZZ2222ZZZZ")
    assert status == 404 and "Không tìm thấy giấy chứng nhận" in html


runner = CliRunner()


def test_cli_verify_revoke_and_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate.upgrade(url)

    async def seed() -> str:
        db = create_engine(url)
        try:
            sessions = make_sessionmaker(db)
            return (await issue(sessions, await approved(sessions, NAME))).code
        finally:
            await db.dispose()

    code = asyncio.run(seed())

    valid = runner.invoke(app, ["certificate", "verify", repository.shown_code(code).lower()])
    assert valid.exit_code == 0, valid.output
    assert valid.output.splitlines() == [
        f"name: {NAME}",
        "commune: Phường Hải Châu",
        "year: 2026",
        "status: valid",
    ]
    unknown = runner.invoke(app, ["certificate", "verify", "ZZZZ2222ZZZZ"])
    assert unknown.exit_code == 1 and "no certificate" in unknown.output
    assert runner.invoke(app, ["certificate", "revoke", code, "--reason", " "]).exit_code == 2

    revoked = runner.invoke(app, ["certificate", "revoke", code, "--reason", "Khai sai minh chứng"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    again = runner.invoke(app, ["certificate", "revoke", code, "--reason", "Lần hai"])
    assert again.exit_code == 1 and "revoked before" in again.output
    after = runner.invoke(app, ["certificate", "verify", code])
    assert (
        after.exit_code == 1 and "REVOKED" in after.output and "Khai sai minh chứng" in after.output
    )
    listed = runner.invoke(app, ["certificate", "list", "--year", "2026"])
    assert listed.exit_code == 0 and f"\t{NAME}\tPhường Hải Châu\trevoked" in listed.output
    assert runner.invoke(app, ["certificate", "list", "--year", "2025"]).output == ""

    async def audited() -> list[str]:
        db = create_engine(url)
        try:
            async with make_sessionmaker(db)() as session:
                return list(await session.scalars(select(AuditEntry.action)))
        finally:
            await db.dispose()

    assert asyncio.run(audited()) == ["certificate.revoked"]


def test_cli_reopen_revokes_the_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate.upgrade(url)

    async def seed() -> tuple[int, str]:
        db = create_engine(url)
        try:
            sessions = make_sessionmaker(db)
            certificate = await issue(sessions, await approved(sessions, NAME))
            return certificate.assessment_id, certificate.code
        finally:
            await db.dispose()

    assessment_id, code = asyncio.run(seed())
    short = runner.invoke(app, ["review", "reopen", str(assessment_id), "--reason", "x"])
    assert short.exit_code == 2
    done = runner.invoke(
        app, ["review", "reopen", str(assessment_id), "--reason", "Duyệt nhầm người"]
    )
    assert done.exit_code == 0, done.output
    assert "reopened (was approved)" in done.output and "revoked" in done.output
    after = runner.invoke(app, ["certificate", "verify", code])
    assert after.exit_code == 1 and "Duyệt nhầm người" in after.output
    again = runner.invoke(app, ["review", "reopen", str(assessment_id), "--reason", "Lần nữa"])
    assert again.exit_code == 1 and "not approved or rejected" in again.output
    assert runner.invoke(app, ["review", "reopen", "999", "--reason", "Lần nữa"]).exit_code == 1


def test_issuer_and_link_default_to_the_data_controller_and_this_server(content: Content) -> None:
    plain = Settings(_env_file=None, host="0.0.0.0", port=9000)
    assert plain.issuer == plain.data_controller
    assert plain.site_url == "http://0.0.0.0:9000"
    named = Settings(
        _env_file=None,
        association_name="Hội Khuyến học phường Hải Châu",
        public_url="https://cdht.example.vn",
    )
    assert named.issuer == "Hội Khuyến học phường Hải Châu"
    assert Certificates.of(named, content).verify_url("AB") == f"{SITE}/verify/AB"
