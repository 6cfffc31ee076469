"""`paper template` and `paper import`: a branch's workbook filled as Excel would (openpyxl),
every bad row named by sheet, row and column, nothing written unless all rows are valid,
the same file imported twice changing nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from storage.db import create_engine, make_sessionmaker
from storage.models import Answer, Assessment, AuditEntry, Profile

runner = CliRunner()
NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
RESIDENT = [
    "Gần như mỗi ngày",
    "Có, và đã làm theo",
    6,
    "Thường xuyên",
    "Tự làm được hầu hết các việc này",
    "Nói chuyện được",
    "Thường xuyên",
    "Luôn kiểm tra",
    "Luôn như vậy",
    "Thường xuyên",
]


def _count(url: str, what: type) -> int:
    async def count() -> int:
        engine = create_engine(url)
        try:
            async with make_sessionmaker(engine)() as session:
                return await session.scalar(select(func.count()).select_from(what)) or 0
        finally:
            await engine.dispose()

    return asyncio.run(count())


@pytest.fixture
def url(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


def filled(tmp_path: Path, rows: list[list[object]]) -> Path:
    template = tmp_path / "mau.xlsx"
    made = runner.invoke(
        app,
        ["paper", "template", "--unit", "20242", "--group", "residents", "--out", str(template)],
    )
    assert made.exit_code == 0, made.output
    book = load_workbook(template)
    sheet = book["Danh sách"]
    for row in rows:
        sheet.append(row)
    out = tmp_path / "to5.xlsx"
    book.save(out)
    return out


def person(name: str, born: object = 1958, **answers: object) -> list[object]:
    given = list(RESIDENT)
    for n, value in answers.items():
        given[int(n.removeprefix("i")) - 1] = value
    return [
        name,
        born,
        "Người dân trong xã, phường",
        "Phường Hải Châu",
        "Tổ 5",
        "15/11/2026",
        *given,
        "",
    ]


@time_machine.travel(NOW, tick=False)
def test_the_template_has_columns_dropdowns_a_guide_and_prints_on_a4(
    tmp_path: Path, url: str
) -> None:
    out = tmp_path / "mau.xlsx"
    made = runner.invoke(
        app, ["paper", "template", "--unit", "20242", "--group", "residents", "--out", str(out)]
    )
    assert made.exit_code == 0, made.output
    book = load_workbook(out)
    sheet = book["Danh sách"]
    header = [c.value for c in sheet[1]]
    assert header[:6] == [
        "Họ và tên",
        "Năm sinh",
        "Nhóm",
        "Xã/phường",
        "Thôn/tổ/đơn vị",
        "Ngày đánh giá",
    ]
    assert header[6] == "Chỉ số 1: Đọc sách báo, cập nhật thông tin" and header[-1] == "Ghi chú"
    lists = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert "C2:C501" in lists and "D2:D501" in lists and "G2:G501" in lists
    assert lists["I2:I501"].type == "decimal" and lists["I2:I501"].formula2 == "200"
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.page_setup.orientation == "landscape"
    guide = "\n".join(str(c.value) for row in book["Hướng dẫn"].iter_rows() for c in row if c.value)
    assert "Chỉ số 6" in guide and "Nói chuyện được: 10 điểm" in guide


@time_machine.travel(NOW, tick=False)
def test_bad_rows_are_named_and_nothing_is_written(tmp_path: Path, url: str) -> None:
    rows = [
        person("Nguyễn Văn An"),
        person("Lê Thị Bình", i3="nhiều buổi"),
        person("Phạm Văn Chung", born="19x8", i6="giỏi"),
        person("Nguyễn Văn An"),
    ]
    result = runner.invoke(app, ["paper", "import", str(filled(tmp_path, rows))])
    assert result.exit_code == 1
    assert "[Danh sách] Hàng 3, cột Chỉ số 3: 'nhiều buổi' không phải số" in result.output
    assert "[Danh sách] Hàng 4, cột Năm sinh: '19x8' không phải năm sinh hợp lệ" in result.output
    assert (
        "[Danh sách] Hàng 4, cột Chỉ số 6: 'giỏi' không phải câu trả lời nào của chỉ số này"
        in result.output
    )
    assert "[Danh sách] Hàng 5: cùng một người với hàng 2" in result.output
    assert _count(url, Assessment) == 0 and _count(url, Profile) == 0


@time_machine.travel(NOW, tick=False)
def test_valid_rows_import_once_and_rejects_go_to_a_file(tmp_path: Path, url: str) -> None:
    rows = [person("Nguyễn Văn An", i3="mười"), person("Lê Thị Bình"), person("Sai", i1="?")]
    book = filled(tmp_path, rows)
    dry = runner.invoke(app, ["paper", "import", str(book), "--dry-run", "--skip-invalid"])
    assert dry.exit_code == 0 and "dry run" in dry.output and _count(url, Assessment) == 0
    done = runner.invoke(app, ["paper", "import", str(book), "--skip-invalid"])
    assert done.exit_code == 0, done.output
    assert "2 created" in done.output
    assert _count(url, Assessment) == 2 and _count(url, Answer) == 20
    rejected = load_workbook(tmp_path / "to5-loi.xlsx")["Danh sách"]
    assert rejected.cell(2, 1).value == "Sai"
    assert "cột Chỉ số 1" in rejected.cell(2, rejected.max_column).value
    again = runner.invoke(app, ["paper", "import", str(book), "--skip-invalid"])
    assert again.exit_code == 0 and "0 created" in again.output and "2 unchanged" in again.output
    assert _count(url, Assessment) == 2 and _count(url, Profile) == 2
    assert _count(url, AuditEntry) >= 3  # two forms entered, the import noted
