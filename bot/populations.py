"""Units' population figures for the plan's ratios, set one by one or imported from a CSV."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from content import Units
from storage.repositories import reports, staff

HEADER = ["unit_code", "year", "adults", "staff"]
YEARS = range(2020, 2101)


class PopulationError(ValueError):
    """A figure or CSV line that cannot be taken; the message names where."""


def check_figures(year: int, figures: Mapping[str, int | None]) -> None:
    if year not in YEARS:
        raise PopulationError(f"year {year} is outside {YEARS.start}..{YEARS.stop - 1}")
    for name, value in figures.items():
        if value is not None and value < 0:
            raise PopulationError(f"{name} must not be negative, got {value}")


async def check_code(session: AsyncSession, units: Units, code: str) -> None:
    """A commune of the province, or a unit that exists."""
    if "-" in code:
        if await staff.unit_by_code(session, code) is None:
            raise PopulationError(f"unknown unit {code!r} (see `unit list`)")
    elif units.get(code) is None:
        raise PopulationError(f"unknown commune code {code!r} in {units.province_name}")


def _figure(text: str, name: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise PopulationError(f"{name} must be a whole number, got {text!r}")
    return int(text)


async def import_csv(
    session: AsyncSession, units: Units, text: str, path: str, now: datetime
) -> int:
    """Upsert every line of the CSV ``text`` read from ``path`` (an empty figure clears it).
    Every line is checked before anything is written, and a failure names the line: a bad
    file changes nothing."""
    rows = list(csv.reader(text.splitlines()))
    if not rows or [c.strip().lower() for c in rows[0]] != HEADER:
        raise PopulationError(f"{path}:1: the header must be {','.join(HEADER)}")
    parsed: dict[tuple[str, int], tuple[int | None, int | None]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            if len(row) != len(HEADER):
                raise PopulationError(f"expected {len(HEADER)} fields, got {len(row)}")
            code = row[0].strip()
            year = _figure(row[1], "year")
            if year is None:
                raise PopulationError("the year is missing")
            adults, staff_count = _figure(row[2], "adults"), _figure(row[3], "staff")
            check_figures(year, {"adults": adults, "staff": staff_count})
            await check_code(session, units, code)
            if (code, year) in parsed:
                raise PopulationError(f"{code} {year} is given twice")
        except PopulationError as exc:
            raise PopulationError(f"{path}:{line}: {exc}") from None
        parsed[(code, year)] = (adults, staff_count)
    for (code, year), (adults, staff_count) in parsed.items():
        await reports.set_population(session, code, year, now, adults=adults, staff=staff_count)
    return len(parsed)
