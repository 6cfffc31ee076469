"""Progress in the viewer's scope (the province for its admins): per commune or unit and
target group, the funnel from registration to recognition, the plan's ratios against the
year's targets and the recognised citizens' digital skills, as charts; the days left until
the report is due; and the annual report to download."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from markupsafe import Markup

from bot.documents.reports.annual import AnnualReport, ReportScope, UnknownScope, resolve
from bot.documents.reports.summary import Place, Tally
from bot.web.console import charts, render
from bot.web.console.config import Viewer, config, viewer, work
from bot.web.console.queue import filters
from content.targets import TargetRatios
from handlers.flows.reports import document, scope_codes
from handlers.i18n import LOCAL_TZ, N_, Translator

RATIO_TITLES = {
    "adults_in_learning_communities_titled": N_("Tỷ lệ người lớn đạt danh hiệu"),
    "staff_in_learning_units_titled": N_(
        "Tỷ lệ cán bộ, công chức, viên chức, người lao động đạt danh hiệu"
    ),
}

SKILLS_TITLE = N_(
    "Kỹ năng số: có kỹ năng (trong số được công nhận), thành thạo (trong số có kỹ năng)"
)


def _percent(t: Translator, share: float | None) -> str:
    return "" if share is None else f"{t.number(round(share * 100, 1))} %"


def _scopes(request: web.Request, who: Viewer) -> list[str]:
    """The scopes the viewer may look at: their own, and each commune for a province admin."""
    codes = scope_codes(who.roles)
    if codes == [""]:
        codes += list(config(request).content.units.communes)
    return codes


def _chosen_scope(request: web.Request, who: Viewer) -> str:
    """The scope asked for, if the viewer has it; else their first."""
    codes = _scopes(request, who)
    asked = request.query.get("scope")
    return asked if asked in codes else codes[0]


def _whole(places: list[Place]) -> Tally | None:
    """The scope's figures: the province's total, or its one commune's or unit's."""
    total = next((p for p in places if p.level == 0), places[0] if places else None)
    return total.total if total is not None else None


def charts_for(
    t: Translator, places: list[Place], scope: ReportScope, targets: TargetRatios | None
) -> list[Markup]:
    parts = [p for p in places if p.level == (1 if scope.province else 2)] or places
    whole = _whole(places)
    found: list[Markup] = []
    if whole is not None:
        funnel = [
            charts.Bar(t._("Đăng ký"), whole.registered, t.number(whole.registered)),
            charts.Bar(t._("Đã nộp"), whole.submitted, t.number(whole.submitted)),
            charts.Bar(t._("Được công nhận"), whole.approved, t.number(whole.approved)),
        ]
        found.append(
            Markup(
                charts.bars(
                    t._("Từ đăng ký đến công nhận"),
                    funnel,
                    maximum=max(whole.registered, whole.submitted, 1),
                    chart_id="funnel",
                )
            )
        )
    for ratio, title in RATIO_TITLES.items():
        target = getattr(targets, ratio) if targets is not None else None
        rows = [
            charts.Bar(
                p.name or p.code,
                (r.value * 100) if (r := p.ratios.get(ratio)) and r.value is not None else None,
                _percent(t, r.value) if (r := p.ratios.get(ratio)) else "",
            )
            for p in parts
        ]
        found.append(
            Markup(
                charts.bars(
                    t._(title),
                    rows,
                    maximum=100,
                    target=target,
                    target_text=t._("chỉ tiêu {target} %").format(target=target),
                    missing=t._("chưa khai báo dân số"),
                    chart_id=ratio,
                )
            )
        )
    if whole is not None:
        skills = [
            charts.Bar(
                t._("Có kỹ năng số"),
                None if whole.skilled_share is None else whole.skilled_share * 100,
                _percent(t, whole.skilled_share),
            ),
            charts.Bar(
                t._("Thành thạo"),
                None if whole.proficient_share is None else whole.proficient_share * 100,
                _percent(t, whole.proficient_share),
            ),
        ]
        found.append(
            Markup(
                charts.bars(
                    t._(SKILLS_TITLE),
                    skills,
                    maximum=100,
                    target=targets.titled_with_digital_skills if targets else None,
                    target_text=t._("chỉ tiêu {target} %").format(
                        target=targets.titled_with_digital_skills if targets else ""
                    ),
                    missing=t._("chưa có số liệu"),
                    chart_id="skills",
                )
            )
        )
    return found


async def page(request: web.Request) -> web.Response:
    cfg, who = config(request), viewer(request)
    now = cfg.clock()
    year = filters(request.query, now).year
    code = _chosen_scope(request, who)
    report = AnnualReport(cfg.content, who.t, year, now, cfg.association)
    async with cfg.sessions() as db:
        try:
            scope = await resolve(db, cfg.content, code or None)
        except UnknownScope as exc:
            raise web.HTTPNotFound(text="unknown scope") from exc
        places = await cfg.figures.get(
            db, ("dashboard", year, code, who.t.locale), lambda: report.places(db, scope)
        )
    province = cfg.content.targets.provinces.get(cfg.content.units.province_code)
    milestone = province.milestone(year) if province else None
    due = (
        date(year, province.report_due.month, province.report_due.day)
        if province is not None and province.report_due is not None
        else None
    )
    today = now.astimezone(LOCAL_TZ).date()
    context: dict[str, Any] = {
        "year": year,
        "scope": scope,
        "codes": _scopes(request, who),
        "communes": {c: x.name for c, x in cfg.content.units.communes.items()},
        "province_name": cfg.content.units.province_name,
        "code": code,
        "places": places,
        "whole": _whole(places),
        "groups": report.groups,
        "charts": charts_for(who.t, places, scope, milestone[1] if milestone else None),
        "milestone": milestone,
        "due": due,
        "days_left": (due - today).days if due is not None else None,
    }
    return render.page(request, "dashboard.html", context)


MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}


async def download(request: web.Request) -> web.Response:
    """The annual report (XLSX or CSV) of a scope the viewer has: the chat's `/report`
    document, which checks who asked again when it is made. It lists people by name, so it
    is noted as the chat's request is."""
    cfg, who = config(request), viewer(request)
    if cfg.documents is None:
        raise web.HTTPNotFound(text="reports are not served here")
    year = filters(request.query, cfg.clock()).year
    code, file_format = _chosen_scope(request, who), request.match_info["format"]
    made = await cfg.documents.make(document(year, code, who.user_id, file_format))
    if made is None:
        raise web.HTTPNotFound(text="no such report")
    async with cfg.sessions() as db, db.begin():
        await work(request, db).record(
            who.actor, "report.requested", str(year), scopes=[code], format=file_format
        )
    return web.Response(
        body=made.content,
        content_type=MEDIA_TYPES[file_format],
        charset="utf-8" if file_format == "csv" else None,
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )
