"""One submission: each indicator with the citizen's own answer and points, the evidence
inline, the history, and the decisions the viewer may take."""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.web.console import render
from bot.web.console.config import Viewer, config, viewer
from bot.web.console.queue import days_waiting
from content import Content, CriteriaGroup, Indicator
from content.scoring import ScoreResult, score
from storage.models import Answer, Assessment, Profile, Unit
from storage.repositories import audit, case_history, reviews

# Shown in the page as images; any other file is a download.
INLINE = ("image/png", "image/jpeg", "image/gif", "image/webp")


def result_of(content: Content, a: Assessment, citizen: Profile) -> ScoreResult:
    group = content.criteria_for(a.target_group, a.year)
    points = {x.indicator_id: x.points for x in a.answers} | {
        i: int(adj["points"]) for i, adj in a.adjustments.items()
    }
    return score(group, points, content.units.is_disadvantaged(citizen.commune_code or ""))


@dataclass(frozen=True)
class Item:
    """An indicator as the case page shows it."""

    indicator: Indicator
    answer: Answer | None
    shown: str  # the option's words, or the number typed with its unit
    files: list[tuple[int, dict[str, Any]]]  # (position, evidence item) of the files
    learned: list[dict[str, Any]]  # learning finished in the bot, offered as evidence


def items(group: CriteriaGroup, a: Assessment, locale: str) -> list[Item]:
    by_id = {x.indicator_id: x for x in a.answers}
    found = []
    for indicator in group.indicators:
        answer = by_id.get(indicator.id)
        shown = ""
        if answer is not None and answer.option_id is not None:
            option = next((o for o in indicator.options if o.id == answer.option_id), None)
            shown = option.label.get(locale) if option else answer.option_id
        elif answer is not None and answer.raw_value is not None and indicator.number_input:
            value = answer.raw_value
            number = int(value) if value == int(value) else value
            shown = f"{number} {indicator.number_input.unit.get(locale)}"
        evidence = answer.evidence if answer is not None else []
        files = [(n, e) for n, e in enumerate(evidence) if "ref" in e]
        learned = [e for e in evidence if "resource" in e]
        found.append(Item(indicator, answer, shown, files, learned))
    return found


async def covered(
    db: AsyncSession, request: web.Request, who: Viewer, assessment_id: int
) -> tuple[Assessment, Profile]:
    """The submission if it is in the viewer's scope; otherwise 404, noted (the same answer
    as for one that does not exist: a URL tells nothing about other communes)."""
    found = await reviews.load(db, assessment_id)
    if found is None or not reviews.covers(who.roles, *found):
        await audit.record(
            db,
            [audit.NewEntry(who.user_id, "console.refused", str(assessment_id))],
            config(request).clock(),
        )
        await db.commit()
        raise web.HTTPNotFound(text="not found")
    return found


def _id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound(text="not found")
    return int(raw)


async def show(request: web.Request) -> web.Response:
    cfg, who = config(request), viewer(request)
    async with cfg.sessions() as db:
        a, citizen = await covered(db, request, who, _id(request))
        events = await case_history.history(db, a.id)
        unit = await db.get(Unit, citizen.unit_id) if citizen.unit_id else None
    return render.page(request, "case.html", context(request, who, a, citizen, unit, events))


def context(
    request: web.Request,
    who: Viewer,
    a: Assessment,
    citizen: Profile,
    unit: Unit | None,
    events: list[case_history.Event],
    **extra: Any,
) -> dict[str, Any]:
    content = config(request).content
    group = content.criteria_for(a.target_group, a.year)
    commune = content.units.get(citizen.commune_code or "")
    return {
        "a": a,
        "citizen": citizen,
        "group": group,
        "place": ", ".join(
            x for x in (unit.name if unit else citizen.subunit_name, commune and commune.name) if x
        ),
        "items": items(group, a, who.t.locale),
        "result": result_of(content, a, citizen),
        "events": events,
        "days": days_waiting(config(request).clock(), a.submitted_at) if a.submitted_at else 0,
        "error": extra.get("error"),
        "message": extra.get("message"),
    }


# Reads a file a citizen sent on a channel, by its reference there.
Fetch = Callable[[str], Awaitable[bytes | None]]


async def _local(ref: str) -> bytes | None:
    """The console channel's files are paths on this machine."""
    path = Path(ref)
    return await asyncio.to_thread(path.read_bytes) if path.is_file() else None


FETCHERS: Mapping[str, Fetch] = {"console": _local}


async def evidence(request: web.Request) -> web.Response:
    """One evidence file, to a viewer whose scope covers the submission."""
    cfg, who = config(request), viewer(request)
    indicator, position = request.match_info["indicator"], request.match_info["n"]
    async with cfg.sessions() as db:
        a, _ = await covered(db, request, who, _id(request))
    answer = next((x for x in a.answers if x.indicator_id == indicator), None)
    if answer is None or not position.isdigit() or int(position) >= len(answer.evidence):
        raise web.HTTPNotFound(text="not found")
    item = answer.evidence[int(position)]
    fetch = FETCHERS.get(item.get("channel", ""))
    data = await fetch(item["ref"]) if fetch is not None and "ref" in item else None
    if data is None:
        raise web.HTTPNotFound(text="file not available here")
    name = Path(str(item.get("name") or "minh-chung")).name
    kind = str(item.get("mime") or mimetypes.guess_type(name)[0] or "")
    inline = kind in INLINE
    return web.Response(
        body=data,
        content_type=kind if inline or kind == "application/pdf" else "application/octet-stream",
        headers={
            "Content-Disposition": "inline" if inline else "attachment",
            "Cache-Control": "private, no-store",
        },
    )


def routes(app: web.Application) -> None:
    app.router.add_get("/case/{id}", show, name="case")
    app.router.add_get("/case/{id}/evidence/{indicator}/{n}", evidence)
