"""Report files: XLSX (``bot.documents.reports.xlsx``) or CSV, chosen by the file's extension.

In the XLSX numbers stay numbers (so officers can add them up), with formats that Excel shows
the Vietnamese way under a Vietnamese locale (1.234.567; 45,6%), and dates show as dd/mm/yyyy;
each sheet prints landscape, one page wide, with its header block and signature block.
The CSV is for other programs: the same sheets one after another, raw values whatever the
reader's locale (numbers without grouping and with a decimal point, ratios as fractions,
ISO dates), a first line saying so, and a byte-order mark so that Excel reads it as UTF-8.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from bot.documents.reports.columns import Cell, Column, Page, Writer
from bot.documents.reports.xlsx import XlsxWriter


def raw(value: Cell) -> str:
    """A cell as text any locale reads back: 108000, 0.456789, 2026-12-06."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class CsvWriter:
    def __init__(self, path: Path, note: str) -> None:
        self.file = path.open("w", encoding="utf-8-sig", newline="")
        self.out = csv.writer(self.file)
        self.out.writerow([note])

    def sheet(self, name: str, page: Page, columns: Sequence[Column]) -> None:
        self.out.writerow([])
        self.out.writerows([line] for line in [*page.lines, *page.notes])
        self.out.writerow([column.header for column in columns])

    def rows(self, rows: Iterable[Sequence[Cell]], *, strong: bool = False) -> None:
        self.out.writerows([raw(value) for value in values] for values in rows)

    def close(self) -> None:
        self.file.close()


def writer_for(path: Path, csv_note: str) -> Writer:
    """By the file's extension: .xlsx or .csv (ValueError otherwise); ``csv_note`` opens a
    CSV, saying how its values are written."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return XlsxWriter(path)
    if suffix == ".csv":
        return CsvWriter(path, csv_note)
    raise ValueError(f"the report is written as .xlsx or .csv, not {suffix or 'no extension'}")
