"""The review queue, the console's home page: submissions in the viewer's scope, filtered,
searched and sorted, a page at a time, with the counts per state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiMapping
from sqlalchemy.ext.asyncio import AsyncSession

from bot.web.console import render
from bot.web.console.auth import see_other
from bot.web.console.config import Viewer, config, viewer, work
from bot.web.console.places import Places, places
from content import Content
from content.scoring import ScoreResult
from handlers.actions import Refused, review, rules
from handlers.context import Context
from handlers.i18n import N_, Translator
from handlers.scores import result_of
from storage.repositories import console_queue, staff
from storage.repositories.console_queue import SORTS, STATES, Filters

PAGE = 50


def _flag(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _number(value: str | None, low: int, high: int) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    number = int(value)
    return number if low <= number <= high else None


def filters(query: MultiMapping[str], now: datetime) -> Filters:
    """The filters a query string asks for; anything unreadable is simply not applied."""
    year = _number(query.get("year"), 2000, 2100) or Context.year_of(now)
    unit = query.get("unit", "")
    commune, _, unit_id = unit.partition("-")
    return Filters(
        year=year,
        state=query.get("state", "waiting") if query.get("state") in STATES else "waiting",
        commune_code=commune or None,
        unit_id=int(unit_id) if unit_id.isdigit() else None,
        group=query.get("group") or None,
        passed=_flag(query.get("passed")),
        has_evidence=_flag(query.get("evidence")),
        waiting_days=_number(query.get("days"), 0, 3650),
        query=query.get("q", "")[:80],
        sort=query.get("sort", "oldest") if query.get("sort") in SORTS else "oldest",
    )


def days_waiting(now: datetime, since: datetime) -> int:
    return max(0, (now - since).days)


def first_failure(t: Translator, content: Content, year: int, group: str, r: ScoreResult) -> str:
    """The first rule a result misses, in a few words (the case page lists them all)."""
    criteria = content.criteria_for(group, year)
    if r.missing:
        return t._("còn {count} chỉ số chưa trả lời").format(count=len(r.missing))
    if "min_total" in r.failed_rules:
        return t._("tổng điểm {total} thấp hơn mức cần đạt {threshold}").format(
            total=r.total, threshold=r.threshold
        )
    low = r.low_indicators[0]
    return t._("chỉ số {number} chỉ đạt {points} điểm, dưới {minimum}").format(
        number=criteria.indicator(low).number,
        points=r.per_indicator[low],
        minimum=criteria.pass_rules.min_indicator.value,
    )


async def _fails(
    db: AsyncSession, content: Content, t: Translator, rows: list[console_queue.Row]
) -> dict[int, str]:
    failing = [row.assessment_id for row in rows if not row.passed]
    return {
        a.id: first_failure(t, content, a.year, a.target_group, result_of(content, a, p))
        for a, p in await console_queue.with_answers(db, failing)
    }


async def _own(db: AsyncSession, who: Viewer, rows: list[console_queue.Row]) -> set[int]:
    """The rows of the viewer's own person: the scope above decides those."""
    mine = (await rules.keys_of(db, [who.user_id])).get(who.user_id)
    return {
        row.assessment_id
        for row in rows
        if rules.same_person(
            row.user_id,
            rules.key_of(row.full_name, row.birth_year, row.commune_code),
            who.user_id,
            mine,
        )
    }


async def _entered(db: AsyncSession, who: Viewer, rows: list[console_queue.Row]) -> set[int]:
    """The rows of forms the viewer entered: another officer decides those, unless the
    viewer is their scope's only officer and allowed to."""
    if not any(row.entered_by == who.user_id for row in rows):
        return set()
    sole = await staff.sole_places(db, who.user_id)
    return {
        row.assessment_id
        for row in rows
        if row.entered_by == who.user_id
        and not staff.in_places(sole, row.commune_code, row.unit_id)
    }


async def home(request: web.Request) -> web.Response:
    cfg, who = config(request), viewer(request)
    now = cfg.clock()
    f = filters(request.query, now)
    async with cfg.sessions() as db:
        rows, next_cursor = await console_queue.page(
            db, who.roles, f, now, after=request.query.get("after"), limit=PAGE
        )
        counts = await cfg.figures.get(
            db,
            ("queue", *who.roles, f.year, f.commune_code, f.unit_id, f.group),
            lambda: console_queue.counts(db, who.roles, f, now),
        )
        where = await places(db, cfg.content, who)
        fails = await _fails(db, cfg.content, who.t, rows)
        own = await _own(db, who, rows)
        entered = await _entered(db, who, rows)
        twice = await console_queue.twice(db, f.year, rows)
    context = _context(request, who, f, rows, next_cursor, counts, where, now)
    done = request.query.get("done", "")
    return render.page(
        request,
        "queue.html",
        context
        | {
            "fails": fails,
            "own": own,
            "entered": entered,
            "twice": twice,
            "message": _done(who.t, done),
        },
    )


def _done(t: Translator, done: str) -> str | None:
    """What the last bulk decision did (`approved-3-1`: 3 approved, 1 not)."""
    kind, _, figures = done.partition("-")
    made, _, left = figures.partition("-")
    if not (made.isdigit() and left.isdigit()) or kind not in BULK_DONE:
        return None
    return t._(BULK_DONE[kind]).format(done=int(made), left=int(left))


BULK_DONE = {
    "approved": N_("Đã duyệt {done} bản. {left} bản không duyệt được (xem trong danh sách)."),
    "returned": N_("Đã trả lại {done} bản để sửa. {left} bản không trả lại được."),
}


def _context(
    request: web.Request,
    who: Viewer,
    f: Filters,
    rows: list[console_queue.Row],
    next_cursor: str | None,
    counts: dict[str, int],
    where: Places,
    now: datetime,
) -> dict[str, Any]:
    content = config(request).content
    groups = {g.id: who.t.text(g.title) for g in content.groups(f.year)}
    kept = {k: v for k, v in request.query.items() if k != "after" and v}
    return {
        "f": f,
        "rows": rows,
        "counts": counts,
        "places": where,
        "groups": groups,
        "now": now,
        "days": lambda since: days_waiting(now, since),
        "commune_name": where.commune_name,
        "next_query": {**kept, "after": next_cursor} if next_cursor else None,
        "state_query": lambda state: {**kept, "state": state},
        "paged": "after" in request.query,
        "bulk": f.state == "waiting",
    }


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in dict.fromkeys(values) if v.isdigit() and len(v) <= 12][: PAGE * 4]


async def bulk(request: web.Request) -> web.Response:
    """The selected submissions: approve those that meet the rules (after a confirmation
    naming how many), or return them all with one comment. Each goes through the action,
    which checks it again."""
    cfg, who = config(request), viewer(request)
    form = await request.post()
    ids = _ids([str(v) for v in form.getall("id", [])])
    action = str(form.get("do", ""))
    if action == "approve" and form.get("confirm") != "yes":
        async with cfg.sessions() as db:
            chosen = await console_queue.selected(db, who.roles, ids)
        passing = [row for row in chosen if row.passed]
        return render.page(request, "bulk_confirm.html", {"passing": passing, "selected": len(ids)})
    if action not in ("approve", "return") or not ids:
        return see_other("/web/")
    async with cfg.sessions() as db, db.begin():
        w = work(request, db)
        if action == "approve":
            done = await review.bulk_approve(w, who.actor, ids)
            made, left = len(done.approved), len(done.refused)
        else:
            made = left = 0
            comment = str(form.get("comment", ""))
            for assessment_id in ids:
                try:
                    # One comment for many people cannot name each one's indicators: every
                    # indicator is open to correction.
                    await review.return_(
                        w, who.actor, assessment_id, indicators=_every(cfg.content), comment=comment
                    )
                    made += 1
                except Refused:
                    left += 1
    kind = "approved" if action == "approve" else "returned"
    return see_other(f"/web/?done={kind}-{made}-{left}")


def _every(content: Content) -> list[str]:
    """Every indicator id of every criteria set (the action keeps those of the case)."""
    return sorted(
        {
            indicator.id
            for criteria in content.criteria_sets.values()
            for group in criteria.groups.values()
            for indicator in group.indicators
        }
    )
