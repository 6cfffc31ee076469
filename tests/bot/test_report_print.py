"""The annual report as the association prints it: LibreOffice (headless) converts the XLSX
to PDF, and each page is read back. Skipped, saying why, where LibreOffice is not installed
(`.ci/run` installs libreoffice-calc)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest

from content import Content, load_content
from tests.bot.test_report import SHEETS, generated
from tests.storage.factories import Sessions

SOFFICE = shutil.which("soffice")
pytestmark = [
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed"),
    # The layout does not depend on the database: SQLite is enough.
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]
# Labels every printed page of a sheet carries: its repeated header row.
LABELS = {
    "Tổng hợp": ["STT", "Nội dung", "Tỷ lệ", "Đánh giá"],
    "Theo xã, phường": ["STT", "Xã, phường", "Đăng ký", "Công nhận:"],
    "Chi tiết": ["Mã", "Đơn vị", "Nhóm đối tượng", "Đăng ký", "Đã thu"],
    "Danh sách công nhận": ["STT", "Họ và tên", "Xã, phường", "Số giấy chứng", "Điểm"],
    "Danh sách chờ xác minh": ["STT", "Họ và tên", "Xã, phường", "Điểm tự"],
    "Đã thu hồi": ["STT", "Họ và tên", "Số giấy chứng", "Lý do thu hồi"],
}
A4_LANDSCAPE = (842, 595)  # points


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def to_pdf(xlsx: Path) -> Path:
    assert SOFFICE is not None
    # A profile of its own: parallel runs must not share LibreOffice's lock.
    profile = (xlsx.parent / "lo-profile").as_uri()
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(xlsx.parent),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return xlsx.with_suffix(".pdf")


async def test_the_printed_report_is_a_few_landscape_pages_each_with_its_labels(
    session_factory: Sessions, db_url: str, content: Content, tmp_path: Path
) -> None:
    _, path = await generated(session_factory, db_url, content, tmp_path)

    pages = pypdf.PdfReader(to_pdf(path)).pages
    texts = [page.extract_text() for page in pages]
    sheets = []
    for number, (page, text) in enumerate(zip(pages, texts, strict=True), 1):
        size = (round(float(page.mediabox.width)), round(float(page.mediabox.height)))
        assert size == A4_LANDSCAPE, number
        # The footer names the sheet and the page out of all pages.
        footer = re.search(r"^(.+) – trang (\d+)/(\d+)$", text, re.MULTILINE)
        assert footer is not None, text[:200]
        assert (int(footer[2]), int(footer[3])) == (number, len(pages))
        sheet = footer[1]
        sheets.append(sheet)
        for label in LABELS[sheet]:
            assert label in text, (number, sheet, label)
    # Every sheet printed, in order; the summaries one page each, the whole report a few
    # pages for 300 citizens (it was 65 portrait pages before).
    assert list(dict.fromkeys(sheets)) == SHEETS
    for sheet in ("Tổng hợp", "Theo xã, phường", "Đã thu hồi"):
        assert sheets.count(sheet) == 1, sheet
    assert sheets.count("Danh sách công nhận") <= 2
    assert len(pages) <= 15
    # Names beside their figures: each listed person's line carries the certificate number,
    # the score and the date on the same page.
    listed = [
        line
        for text, sheet in zip(texts, sheets, strict=True)
        if sheet == "Danh sách công nhận"
        for line in text.splitlines()
        if "Nguyễn Văn" in line
    ]
    assert listed
    for line in listed:
        assert re.search(r"48-2026-\d{6} \d+ \d\d/\d\d/2026$", line), line
    # The first page opens with the header block and ends with the signature block.
    assert "HỘI KHUYẾN HỌC THÀNH PHỐ ĐÀ NẴNG" in texts[0]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts[0]
    assert "NGƯỜI LẬP BIỂU" in texts[0] and "TM. HỘI KHUYẾN HỌC" in texts[0]
