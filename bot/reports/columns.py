"""What a report file is made of: sheets of typed columns, written row by row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

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


class Writer(Protocol):
    def sheet(self, name: str, lines: Sequence[str], columns: Sequence[Column]) -> None:
        """Start a sheet: its title and note lines, then the column headers."""

    def rows(self, rows: Iterable[Sequence[Cell]], *, strong: bool = False) -> None: ...

    def close(self) -> None: ...
