"""Report files: XLSX (``bot.reports.xlsx``) or CSV, chosen by the file's extension.

In the XLSX numbers stay numbers (so officers can add them up), with formats that Excel shows
the Vietnamese way under a Vietnamese locale (1.234.567; 45,6%), and dates show as dd/mm/yyyy.
The CSV carries the same sheets one after another, with numbers and dates already written the
Vietnamese way, and a byte-order mark so that Excel reads it as UTF-8.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from babel.numbers import format_decimal, format_percent

from bot.reports.columns import Cell, Column, Kind, Writer
from bot.reports.xlsx import XlsxWriter


def vietnamese(kind: Kind, value: Cell) -> str:
    """A cell as text, the Vietnamese way."""
    if value is None:
        return ""
    if kind == Kind.COUNT:
        return format_decimal(value, locale="vi")
    if kind == Kind.PERCENT:
        return format_percent(value, "#,##0.0%", locale="vi")
    if kind == Kind.DATE and isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


class CsvWriter:
    def __init__(self, path: Path) -> None:
        self.file = path.open("w", encoding="utf-8-sig", newline="")
        self.out = csv.writer(self.file)
        self.kinds: list[Kind] = []

    def sheet(self, name: str, lines: Sequence[str], columns: Sequence[Column]) -> None:
        if self.kinds:
            self.out.writerow([])
        self.out.writerows([line] for line in lines)
        self.out.writerow([column.header for column in columns])
        self.kinds = [column.kind for column in columns]

    def rows(self, rows: Iterable[Sequence[Cell]], *, strong: bool = False) -> None:
        kinds = self.kinds
        self.out.writerows(
            [vietnamese(kind, value) for kind, value in zip(kinds, values, strict=True)]
            for values in rows
        )

    def close(self) -> None:
        self.file.close()


def writer_for(path: Path) -> Writer:
    """By the file's extension: .xlsx or .csv (ValueError otherwise)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return XlsxWriter(path)
    if suffix == ".csv":
        return CsvWriter(path)
    raise ValueError(f"the report is written as .xlsx or .csv, not {suffix or 'no extension'}")
