"""The console's review queue: submissions in a staff member's scope, filtered, searched,
sorted and read a page at a time by keyset (a page costs the same on page 1 and page 900),
with the counts per state that the filters leave."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, exists, func, or_, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from content.text import normalize
from storage.models import Answer, Assessment, AssessmentStatus, Profile, Unit, person_key
from storage.repositories.reviews import AWAITING, Scope, listing

# What the state filter offers: each a set of assessment states. Drafts never reach it.
STATES: dict[str, tuple[AssessmentStatus, ...]] = {
    "waiting": AWAITING,
    "returned": (AssessmentStatus.RETURNED,),
    "approved": (AssessmentStatus.APPROVED,),
    "rejected": (AssessmentStatus.REJECTED,),
}
STATES["all"] = tuple(s for states in STATES.values() for s in states)
SORTS = ("oldest", "newest", "total", "name")


@dataclass(frozen=True)
class Filters:
    year: int
    state: str = "waiting"
    commune_code: str | None = None
    unit_id: int | None = None
    group: str | None = None
    passed: bool | None = None
    has_evidence: bool | None = None
    waiting_days: int | None = None  # submitted more than this many days ago
    query: str = ""  # part of the name, accents optional, or a birth year
    sort: str = "oldest"


@dataclass(frozen=True)
class Row:
    assessment_id: int
    user_id: int
    full_name: str
    birth_year: int | None
    commune_code: str | None
    place: str  # the unit chosen from the list, or the village typed
    group: str
    status: str
    submitted_at: datetime
    total: int | None
    passed: bool | None
    evidence: int
    unit_id: int | None
    entered_by: int | None  # the officer who entered a paper form


def _evidence_count() -> Any:
    return (
        select(func.coalesce(func.sum(func.json_array_length(Answer.evidence)), 0))
        .where(Answer.assessment_id == Assessment.id)
        .scalar_subquery()
    )


def _conditions(f: Filters, now: datetime) -> list[ColumnElement[bool]]:
    """Every filter but the state's and the scope's (`listing` has those)."""
    found: list[ColumnElement[bool]] = [Assessment.year == f.year]
    if f.commune_code:
        found.append(Profile.commune_code == f.commune_code)
    if f.unit_id is not None:
        found.append(Profile.unit_id == f.unit_id)
    if f.group:
        found.append(Assessment.target_group == f.group)
    if f.passed is not None:
        found.append(Assessment.passed.is_(f.passed))
    if f.has_evidence is not None:
        # As text, not parsed: an empty list is stored as "[]" by both databases.
        with_files = exists().where(
            Answer.assessment_id == Assessment.id, cast(Answer.evidence, Text) != "[]"
        )
        found.append(with_files if f.has_evidence else ~with_files)
    if f.waiting_days is not None:
        found.append(Assessment.submitted_at < now - timedelta(days=f.waiting_days))
    query = f.query.strip()
    if query.isdigit() and len(query) == 4:
        found.append(Profile.birth_year == int(query))
    elif query:
        key = normalize(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        found.append(Profile.name_key.like(f"%{key}%", escape="\\"))
    return found


def _keys(sort: str) -> tuple[list[Any], bool]:
    """The sort's columns (a unique one last, so that every row has its own place) and
    whether they descend. By name: the folded name, then the person (one submission a
    year each), read in that order from the name's index."""
    if sort == "newest":
        return [Assessment.submitted_at, Assessment.id], True
    if sort == "total":
        return [func.coalesce(Assessment.total, -1), Assessment.id], True
    if sort == "name":
        return [Profile.name_key, Profile.user_id], False
    return [Assessment.submitted_at, Assessment.id], False


def _after(keys: list[Any], values: list[Any], descending: bool) -> ColumnElement[bool]:
    """Rows strictly after `values` in the sort's order, as a row-value comparison, which
    both databases read from an index in that order."""
    if descending:
        return tuple_(*keys) < tuple_(*values)
    return tuple_(*keys) > tuple_(*values)


def _in_order(columns: list[Any], descending: bool) -> list[Any]:
    return [c.desc() for c in columns] if descending else columns


def _encode(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> list[Any] | None:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        first, last_id = values
        if sort in ("oldest", "newest"):
            first = datetime.fromisoformat(first)
        elif sort == "total":
            first = int(first)
        else:
            first = str(first)
        return [first, int(last_id)]
    except (ValueError, TypeError, json.JSONDecodeError):
        return None


COLUMNS = (
    Assessment.id,
    Assessment.user_id,
    func.coalesce(Profile.full_name, ""),
    Profile.birth_year,
    Profile.commune_code,
    func.coalesce(Unit.name, Profile.subunit_name, ""),
    Assessment.target_group,
    Assessment.status,
    Assessment.submitted_at,
    Assessment.total,
    Assessment.passed,
    _evidence_count(),
    Profile.unit_id,
    Assessment.entered_by,
)


async def page(
    session: AsyncSession,
    roles: list[Scope],
    f: Filters,
    now: datetime,
    *,
    after: str | None = None,
    limit: int = 50,
) -> tuple[list[Row], str | None]:
    """One page of the queue and the cursor of the next (None on the last page).

    The page's ids are found first, one ordered, limited read per state (each walks the
    index of that year's state in the sort's order and stops at the page's end), merged;
    only then are the page's rows read with their names and evidence counts. By name, one
    read walks the names' index for every state at once: a read per state would walk all
    the names for a state that has few or none."""
    keys, descending = _keys(f.sort)
    start = _decode(after, f.sort) if after else None
    states = STATES.get(f.state, STATES["waiting"])
    branches = []
    for statuses in [states] if f.sort == "name" else [(status,) for status in states]:
        branch = listing(
            roles,
            statuses,
            Assessment.id.label("id"),
            keys[0].label("k"),
            keys[1].label("t"),
        ).where(*_conditions(f, now))
        if start is not None:
            branch = branch.where(_after(keys, start, descending))
        branches.append(
            select(branch.order_by(*_in_order(keys, descending)).limit(limit + 1).subquery())
        )
    ids = union_all(*branches).subquery()
    found = (
        select(ids.c.id, ids.c.k, ids.c.t)
        .order_by(*_in_order([ids.c.k, ids.c.t], descending))
        .limit(limit + 1)
        .subquery()
    )
    stmt = (
        select(*COLUMNS, found.c.k, found.c.t)
        .join(found, found.c.id == Assessment.id)
        .join(Profile, Profile.user_id == Assessment.user_id)
        .outerjoin(Unit, Unit.id == Profile.unit_id)
        .order_by(*_in_order([found.c.k, found.c.t], descending))
    )
    read = (await session.execute(stmt)).all()
    rows = [Row(*r[:-2]) for r in read[:limit]]
    if len(read) <= limit:
        return rows, None
    return rows, _encode(list(read[limit - 1][-2:]))


async def counts(
    session: AsyncSession, roles: list[Scope], f: Filters, now: datetime
) -> dict[str, int]:
    """How many submissions each state holds in the scope, for the chosen year, place and
    group. The search and the other filters narrow the list, not these figures: counted
    under them, every page would read each answer of the year (100,000 submissions: a
    second on this machine)."""
    place = Filters(year=f.year, commune_code=f.commune_code, unit_id=f.unit_id, group=f.group)
    rows = await session.execute(
        listing(roles, STATES["all"], Assessment.status, func.count())
        .where(*_conditions(place, now))
        .group_by(Assessment.status)
    )
    by_status: dict[str, int] = {status: n for status, n in rows}
    return {
        name: sum(by_status.get(status, 0) for status in states) for name, states in STATES.items()
    }


async def selected(session: AsyncSession, roles: list[Scope], ids: list[int]) -> list[Row]:
    """The rows of these ids that are in scope (ids from a form are never trusted)."""
    if not ids:
        return []
    stmt = (
        listing(roles, STATES["all"], *COLUMNS)
        .outerjoin(Unit, Unit.id == Profile.unit_id)
        .where(Assessment.id.in_(ids))
    )
    return [Row(*r) for r in await session.execute(stmt.order_by(Assessment.id))]


async def twice(session: AsyncSession, year: int, rows: list[Row]) -> set[int]:
    """The rows whose person may be registered twice, as the duplicate rule has it
    (`handlers.actions.rules.likeness`): someone else with a submission this year under the
    same name (`person_key`), birth year and commune. One index probe a row, whatever the
    size of the scope."""
    keys = {
        (row.commune_code, row.birth_year, person_key(row.full_name))
        for row in rows
        if row.commune_code and row.birth_year is not None and row.full_name
    }
    if not keys:
        return set()
    found = await session.execute(
        select(Profile.commune_code, Profile.birth_year, Profile.person_key)
        .join(Assessment, Assessment.user_id == Profile.user_id)
        .where(
            Assessment.year == year,
            Assessment.status != AssessmentStatus.DRAFT,
            or_(
                *(
                    and_(
                        Profile.commune_code == commune,
                        Profile.birth_year == born,
                        Profile.person_key == name,
                    )
                    for commune, born, name in keys
                )
            ),
        )
        .group_by(Profile.commune_code, Profile.birth_year, Profile.person_key)
        .having(func.count() > 1)
    )
    people = {tuple(key) for key in found}
    return {
        row.assessment_id
        for row in rows
        if (row.commune_code, row.birth_year, person_key(row.full_name)) in people
    }


async def with_answers(session: AsyncSession, ids: list[int]) -> list[tuple[Assessment, Profile]]:
    """These submissions with their answers, in one query each (for their results)."""
    if not ids:
        return []
    rows = await session.execute(
        select(Assessment, Profile)
        .join(Profile, Profile.user_id == Assessment.user_id)
        .where(Assessment.id.in_(ids))
        .options(selectinload(Assessment.answers))
    )
    return [(a, p) for a, p in rows.all()]
