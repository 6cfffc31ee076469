"""Population figures for the plan's ratios (adults in learning families and communities,
staff in learning units), per commune or unit and year: set one by one, or many from a CSV
that is taken whole or not at all. A commune's admin sets their commune's and its units';
a province admin (and the command line) any."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from handlers.actions.base import Actor, Work
from handlers.actions.staff import manager, manages
from handlers.i18n import N_, Translator
from storage.models import UnitPopulation
from storage.repositories import reports, staff
from storage.repositories.reviews import Scope

HEADER = ["unit_code", "year", "adults", "staff"]
YEARS = range(2020, 2101)
FIGURES = {
    "adults": N_("số người lớn"),
    "staff": N_("số cán bộ, người lao động"),
    "year": N_("năm"),
}


@dataclass
class BadFigures(Exception):
    """Figures that cannot be taken: the problem (a message with `{placeholders}`), its
    values, and the CSV line it is on. Nothing was written."""

    problem: str
    values: dict[str, Any] = field(default_factory=dict)
    line: int | None = None

    def say(self, t: Translator) -> str:
        """The problem in the viewer's language, without the line."""
        values = {k: t._(FIGURES[v]) if k == "figure" else v for k, v in self.values.items()}
        return t._(self.problem).format(**values)


HEADER_WRONG = N_("dòng tiêu đề phải là {header}")
FIELD_COUNT = N_("cần {expected} cột, có {got}")
NOT_WHOLE = N_("{figure} phải là số nguyên, không phải “{value}”")
NO_YEAR = N_("thiếu năm")
YEAR_OUTSIDE = N_("năm {year} nằm ngoài khoảng {first}–{last}")
NEGATIVE = N_("{figure} không được âm ({value})")
UNKNOWN_UNIT = N_("không có đơn vị mã {code}")
UNKNOWN_COMMUNE = N_("không có xã/phường mã {code} ở {province}")
OUTSIDE = N_("{code} không thuộc phạm vi bạn quản lý")
TWICE = N_("{code} năm {year} có hai lần")


def _check(year: int, figures: Mapping[str, int | None]) -> None:
    if year not in YEARS:
        raise BadFigures(YEAR_OUTSIDE, {"year": year, "first": YEARS.start, "last": YEARS[-1]})
    for name, value in figures.items():
        if value is not None and value < 0:
            raise BadFigures(NEGATIVE, {"figure": name, "value": value})


async def _place(work: Work, roles: list[Scope], code: str) -> None:
    """A commune of the province or a unit that exists, within the actor's scope."""
    if "-" in code:
        unit = await staff.unit_by_code(work.session, code)
        if unit is None:
            raise BadFigures(UNKNOWN_UNIT, {"code": code})
        commune = unit.commune_code
    else:
        if work.content.units.get(code) is None:
            province = work.content.units.province_name
            raise BadFigures(UNKNOWN_COMMUNE, {"code": code, "province": province})
        commune = code
    if not manages(roles, commune):
        raise BadFigures(OUTSIDE, {"code": code})


async def set_figures(
    work: Work, actor: Actor, code: str, year: int, *, adults: int | None, staff: int | None
) -> dict[str, int]:
    """Set a commune's or unit's figures for a year; only those given change. Returns what
    was set."""
    roles = await manager(work, actor)
    figures = {k: v for k, v in (("adults", adults), ("staff", staff)) if v is not None}
    _check(year, figures)
    await _place(work, roles, code)
    await reports.set_population(work.session, code, year, work.now, **figures)
    await work.record(actor, "population.set", code, year=year, **figures)
    return figures


def _whole(text: str, name: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise BadFigures(NOT_WHOLE, {"figure": name, "value": text})
    return int(text)


async def import_csv(work: Work, actor: Actor, text: str, *, source: str | None = None) -> int:
    """Create or update every line's figures (an empty figure clears it). Every line is
    checked before anything is written and the first bad one is named: a bad file changes
    nothing. Returns how many lines were taken. Like every action here: NOT_STAFF (Refused)
    for anyone but an admin."""
    roles = await manager(work, actor)
    rows = list(csv.reader(text.splitlines()))
    if not rows or [c.strip().lower() for c in rows[0]] != HEADER:
        raise BadFigures(HEADER_WRONG, {"header": ",".join(HEADER)}, line=1)
    parsed: dict[tuple[str, int], tuple[int | None, int | None]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            if len(row) != len(HEADER):
                raise BadFigures(FIELD_COUNT, {"expected": len(HEADER), "got": len(row)})
            code = row[0].strip()
            year = _whole(row[1], "year")
            if year is None:
                raise BadFigures(NO_YEAR)
            adults, staff_count = _whole(row[2], "adults"), _whole(row[3], "staff")
            _check(year, {"adults": adults, "staff": staff_count})
            await _place(work, roles, code)
            if (code, year) in parsed:
                raise BadFigures(TWICE, {"code": code, "year": year})
        except BadFigures as bad:
            bad.line = line
            raise
        parsed[(code, year)] = (adults, staff_count)
    for (code, year), (adults, staff_count) in parsed.items():
        await reports.set_population(
            work.session, code, year, work.now, adults=adults, staff=staff_count
        )
    source_detail = {"file": source} if source else {}
    await work.record(actor, "population.imported", None, rows=len(parsed), **source_detail)
    return len(parsed)


async def figures(work: Work, actor: Actor, year: int) -> dict[str, UnitPopulation]:
    """The year's figures of the communes and units the actor manages, by code."""
    roles = await manager(work, actor)
    return {
        code: row
        for code, row in (await reports.populations(work.session, year)).items()
        if manages(roles, code.partition("-")[0])
    }
