"""Certificates as the association prints them: the wording of each target group, the
signature block with or without a scanned signature and seal, a unit's certificates in one
PDF for a ceremony, and revocation dates in Vietnam's time."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest
from PIL import Image
from pydantic import ValidationError
from typer.testing import CliRunner

from bot.cli import app
from bot.documents.certificates import Certificates, Signature
from bot.settings import Settings
from content import Content, load_content
from storage import migrate
from storage.db import create_engine, make_sessionmaker
from storage.repositories import certificates as repository
from storage.repositories import staff
from tests.bot.test_certificates import SITE, make, qr_codes
from tests.storage.factories import T0, Sessions
from tests.storage.test_certificates import approved, issue

ISSUER = "Hội Khuyến học thành phố Đà Nẵng"
runner = CliRunner()


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def text_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize(
    ("group", "typed", "line"),
    [
        ("residents", "Tổ 5", "Nơi cư trú: Phường Hải Châu"),
        ("workers", "Công ty May Hòa Thọ", "Nơi làm việc: Công ty May Hòa Thọ, Phường Hải Châu"),
        ("officials", None, "Nơi công tác: Phường Hải Châu"),
        ("learners", "Trường THCS Lê Lợi", "Nơi học tập: Trường THCS Lê Lợi, Phường Hải Châu"),
    ],
)
async def test_each_group_is_certified_where_it_lives_works_or_studies(
    content: Content, session_factory: Sessions, group: str, typed: str | None, line: str
) -> None:
    office = Certificates(content, issuer=ISSUER, public_url=SITE)
    holder = await approved(session_factory, group=group, typed_place=typed)
    c = await issue(session_factory, holder)

    made = await make(office, session_factory, c.code)

    assert made is not None
    [text] = text_of(made.content)
    assert f"{line}, Thành phố Đà Nẵng" in text
    place = line.partition(":")[0]
    others = {"Nơi cư trú", "Nơi làm việc", "Nơi công tác", "Nơi học tập"} - {place}
    assert not [o for o in others if o in text]


async def test_the_signature_block_names_the_signer_and_carries_the_scan(
    content: Content, session_factory: Sessions, tmp_path: Path
) -> None:
    seal = tmp_path / "con-dau.png"
    Image.new("RGBA", (240, 120), (200, 0, 0, 255)).save(seal)
    c = await issue(session_factory, await approved(session_factory))
    signed = Certificates(
        content,
        issuer=ISSUER,
        public_url=SITE,
        signature=Signature("Chủ tịch", "Nguyễn Văn Bình", seal),
    )
    plain = Certificates(content, issuer=ISSUER, public_url=SITE)

    with_scan = await make(signed, session_factory, c.code)
    without = await make(plain, session_factory, c.code)

    assert with_scan is not None and without is not None
    [text] = text_of(with_scan.content)
    lines = text.splitlines()
    issuer = lines.index("TM. HỘI KHUYẾN HỌC THÀNH PHỐ ĐÀ NẴNG")
    assert lines[issuer + 1] == "CHỦ TỊCH" and "Nguyễn Văn Bình" in lines[issuer + 2 :]
    assert len(pypdf.PdfReader(io.BytesIO(with_scan.content)).pages[0].images) == 1
    [text] = text_of(without.content)
    assert "TM. HỘI KHUYẾN HỌC THÀNH PHỐ ĐÀ NẴNG" in text and "CHỦ TỊCH" not in text
    assert not pypdf.PdfReader(io.BytesIO(without.content)).pages[0].images


def test_a_missing_signature_image_is_refused_when_the_settings_load(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="certificate_signature_image"):
        Settings(_env_file=None, certificate_signature_image=str(tmp_path / "none.png"))


def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PUBLIC_URL", SITE)
    migrate.upgrade(url)

    async def run():
        db = create_engine(url)
        try:
            return await seed(make_sessionmaker(db))
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_a_ceremonys_batch_holds_every_valid_certificate_of_the_unit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def seed(sessions: Sessions):
        async with sessions() as session, session.begin():
            unit = await staff.add_unit(
                session, commune_code="20242", name="Tổ 1", kind="village", now=T0
            )
        names = ["Lê Thị Ánh", "Trần Văn Bảo", "Phạm Thị Cúc", "Võ Văn Dũng", "Đỗ Thị Én"]
        made = [
            await issue(sessions, await approved(sessions, names[0], unit_id=unit.id)),
            await issue(sessions, await approved(sessions, names[1], group="workers")),
            await issue(sessions, await approved(sessions, names[2])),  # revoked below
            await issue(sessions, await approved(sessions, names[3], commune="20257")),
            await issue(sessions, await approved(sessions, names[4], year=2025)),
        ]
        async with sessions() as session, session.begin():
            await repository.revoke(session, made[2].code, reason="Sai", now=T0)
        return unit.code, [c.code for c in made]

    unit_code, codes = seeded(tmp_path, monkeypatch, seed)
    out = tmp_path / "le-trao.pdf"

    done = runner.invoke(
        app, ["certificate", "batch", "--unit", "20242", "--year", "2026", "--out", str(out)]
    )

    assert done.exit_code == 0, done.output
    assert "2 certificates of Phường Hải Châu, 2026" in done.output
    pages = text_of(out.read_bytes())
    assert ["Lê Thị Ánh" in p for p in pages] == [True, False]
    assert ["Trần Văn Bảo" in p and "Nơi làm việc" in p for p in pages] == [False, True]
    document = pypdf.PdfReader(out)
    assert all(float(p.mediabox.width) > float(p.mediabox.height) for p in document.pages)
    assert qr_codes(out.read_bytes()) == [f"{SITE}/verify/{codes[0]}"]  # the first page's

    unit = tmp_path / "to-1.pdf"
    args = ["certificate", "batch", "--unit", unit_code, "--year", "2026", "--out", str(unit)]
    assert runner.invoke(app, args).exit_code == 0
    assert len(pypdf.PdfReader(unit).pages) == 1
    nothing = runner.invoke(
        app, ["certificate", "batch", "--unit", "20257", "--year", "2024", "--out", str(unit)]
    )
    assert nothing.exit_code == 1 and "no valid certificate of 2024" in nothing.output
    unknown = runner.invoke(
        app, ["certificate", "batch", "--unit", "99999", "--year", "2026", "--out", str(unit)]
    )
    assert unknown.exit_code == 2 and "unknown commune code" in unknown.output
    not_pdf = runner.invoke(
        app, ["certificate", "batch", "--unit", "20242", "--year", "2026", "--out", "x.xlsx"]
    )
    assert not_pdf.exit_code == 2 and ".pdf" in not_pdf.output


def test_a_revocation_is_dated_in_vietnams_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 20:30 UTC on 1 March is 03:30 on 2 March in Vietnam.
    evening = datetime(2026, 3, 1, 20, 30, tzinfo=UTC)

    async def seed(sessions: Sessions) -> str:
        c = await issue(sessions, await approved(sessions))
        async with sessions() as session, session.begin():
            await repository.revoke(session, c.code, reason="Khai sai", now=evening)
        return c.code

    code = seeded(tmp_path, monkeypatch, seed)

    verified = runner.invoke(app, ["certificate", "verify", code])

    assert verified.exit_code == 1
    assert "status: REVOKED on 2026-03-02 (Khai sai)" in verified.output
