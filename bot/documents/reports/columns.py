"""What a report file is made of: sheets of typed columns, written row by row, each with the
blocks a filed document carries around its table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import NamedTuple, Protocol

Cell = str | int | float | date | None


class Kind(StrEnum):
    TEXT = "text"
    COUNT = "count"  # grouped thousands: 1.234.567
    NUMBER = "number"  # a year, a score, a row number: never grouped
    PERCENT = "percent"  # a fraction shown as 45,6%
    DATE = "date"


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    kind: Kind
    width: int = 12


class Halves(NamedTuple):
    """One line of a header or signature block: a text over the left half of the page and
    one over the right half, centred, as Vietnamese official documents lay them out."""

    left: str
    right: str
    strong: bool = True


@dataclass(frozen=True, slots=True)
class Page:
    """What a sheet shows around its table: the header block, the title and the lines under
    it (the first line is the title), notes under the table, the signature block, and the
    footer of each printed page ({page} and {pages} are filled by the spreadsheet)."""

    lines: Sequence[str]
    head: Sequence[Halves] = ()
    notes: Sequence[str] = ()
    sign: Sequence[Halves] = ()
    footer: str = ""


class Writer(Protocol):
    def sheet(self, name: str, page: Page, columns: Sequence[Column]) -> None:
        """Start a sheet: its blocks, then the column headers; the rows follow."""

    def rows(self, rows: Iterable[Sequence[Cell]], *, strong: bool = False) -> None: ...

    def close(self) -> None: ...
