"""An officer's lists in the chat: the queue (also by commune or unit, or found by name),
the returned ones waiting for their citizens, and the officer's own decisions. A list is a
step: a number typed or a button pressed on it only ever opens a case, never decides one.
The lists are the actions' (handlers/actions/review.py): they check who may see what."""

from __future__ import annotations

from typing import Any

from handlers.actions import Refused
from handlers.actions import review as act
from handlers.actions import staff as staff_act
from handlers.context import Context, steps
from handlers.events import Button, Event
from handlers.flows.common import go_home, me, pick, work
from handlers.flows.results import STATUS_TEXT
from handlers.i18n import N_
from storage.models import AssessmentStatus
from storage.repositories.reviews import AWAITING

FLOW = "triage"
PAGE = 10
TITLES = {
    act.Listing.WAITING: N_("Danh sách chờ xác minh (cũ nhất trước)"),
    act.Listing.RETURNED: N_("Đã trả lại, đang chờ người dân sửa"),
    act.Listing.MINE: N_("Quyết định của tôi (mới nhất trước)"),
}


def not_staff(ctx: Context) -> None:
    ctx.say(ctx._("Lệnh này dành cho cán bộ Hội Khuyến học."))


async def show(
    ctx: Context,
    listing: act.Listing = act.Listing.WAITING,
    *,
    page: int = 0,
    search: str = "",
    commune_code: str | None = None,
    unit_id: int | None = None,
) -> None:
    """Open a list at `page`, narrowed by name words and a birth year, a commune or a
    unit."""
    data: dict[str, Any] = {"list": listing.value, "page": max(page, 0), "q": search[:64]}
    if commune_code is not None:
        data["c"] = commune_code
    if unit_id is not None:
        data["u"] = unit_id
    await ctx.go(FLOW, "list", **data)


async def pending(ctx: Context) -> None:
    await show(ctx)


async def returned(ctx: Context) -> None:
    await show(ctx, act.Listing.RETURNED)


async def decided(ctx: Context) -> None:
    await show(ctx, act.Listing.MINE)


def around(ctx: Context) -> list[Button]:
    """Where a list leads besides its cases: the web console (a sign-in link, `/web`) and
    the officers' menu."""
    return [
        Button(ctx._("Mở trang quản lý trên web"), "*web"),
        Button(ctx._("Việc của cán bộ"), "*staff"),
    ]


def _where(ctx: Context) -> act.Filter:
    return act.Filter(ctx.data.get("q", ""), ctx.data.get("c"), ctx.data.get("u"))


def line(ctx: Context, number: int, x: act.Line) -> str:
    """One case as triage needs it: who, where, how long it has waited, whether it meets
    the rules (✓/✗) and whether it has evidence (📎)."""
    a, p = x.assessment, x.citizen
    commune = ctx.content.units.get(p.commune_code or "")
    place = ", ".join(y for y in (p.subunit_name, commune and commune.name) if y)
    days = (ctx.now - a.submitted_at).days if a.submitted_at else 0
    said = ctx._(
        "{n}. {name}, {year}, {place}; chờ {days} ngày; {total} điểm {passed}{evidence}"
    ).format(
        n=number,
        name=p.full_name,
        year=p.birth_year,
        place=place or "?",
        days=days,
        total=a.total,
        passed="✓" if a.passed else "✗",
        evidence=" 📎" if x.evidence else "",
    )
    if a.status in AWAITING:
        return said
    return f"{said}; {ctx._(STATUS_TEXT[AssessmentStatus(a.status)])} {ctx.t.date(a.decided_at)}"


@steps.step(FLOW, "list")
class List:
    @staticmethod
    async def page(ctx: Context) -> act.Page | None:
        listing, page = act.Listing(ctx.data["list"]), ctx.data["page"]
        try:
            return await act.triage(
                work(ctx), me(ctx), listing, _where(ctx), limit=PAGE, offset=page * PAGE
            )
        except Refused:
            return None

    @staticmethod
    def buttons(ctx: Context, found: act.Page) -> list[Button]:
        page = ctx.data["page"]
        cases = [
            Button(f"{x.citizen.full_name} ({x.citizen.birth_year})", f"*review:{x.assessment.id}")
            for x in found.lines
        ]
        back = [Button(ctx._("« Trang trước"), f"page:{page - 1}")] if page > 0 else []
        more = (page + 1) * PAGE < found.total
        ahead = [Button(ctx._("Trang sau »"), f"page:{page + 1}")] if more else []
        return [*cases, *back, *ahead, *around(ctx)]

    @staticmethod
    async def enter(ctx: Context) -> None:
        found = await List.page(ctx)
        if found is None:
            not_staff(ctx)
            await go_home(ctx)
            return
        listing = act.Listing(ctx.data["list"])
        search = ctx.data.get("q")
        if not found.lines and found.total:  # the list shrank below this page meanwhile
            last = (found.total - 1) // PAGE
            await ctx.go(FLOW, "list", **{**ctx.data, "page": last})
            return
        if not found.lines:
            empty = ctx._("Không tìm thấy bản tự đánh giá nào.")
            if listing == act.Listing.WAITING and not search and "c" not in ctx.data:
                empty = ctx._("Không có bản tự đánh giá nào đang chờ xác minh.")
            ctx.say(empty, around(ctx))
            return
        first = ctx.data["page"] * PAGE
        header = ctx._(TITLES[listing])
        if search:
            header += " · " + ctx._("tìm: {text}").format(text=search)
        if "c" in ctx.data or "u" in ctx.data:
            header += " · " + await staff_act.scope_name(
                work(ctx), ctx.data.get("c"), ctx.data.get("u")
            )
        lines = [
            header,
            ctx._("Tổng: {total} bản; đang xem {first}–{last}.").format(
                total=found.total, first=first + 1, last=first + len(found.lines)
            ),
            ctx._("✓ đạt tiêu chí, ✗ chưa đạt; 📎 có minh chứng. Chọn một người để xem."),
            "",
            *(line(ctx, n, x) for n, x in enumerate(found.lines, start=1)),
        ]
        ctx.say(
            "\n".join(lines),
            List.buttons(ctx, found),
            mentions=tuple(x.citizen.user_id for x in found.lines),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        found = await List.page(ctx)
        if found is None:
            await steps.enter(ctx)
            return
        choice = await pick(ctx, List.buttons(ctx, found))
        if choice is None:
            return
        if choice.startswith("page:"):
            await ctx.go(FLOW, "list", **{**ctx.data, "page": int(choice[5:])})
            return
        from handlers.flows import commands

        await commands.run_payload(ctx, choice)


async def places(ctx: Context) -> None:
    await ctx.go(FLOW, "places")


@steps.step(FLOW, "places")
class Places:
    """The waiting cases counted by commune and unit, each leading to its own queue."""

    @staticmethod
    async def buttons(ctx: Context) -> list[Button] | None:
        try:
            found = await act.listed(work(ctx), me(ctx))
        except Refused:
            return None
        counts: dict[tuple[str | None, int | None], int] = {}
        for row in found:
            place = (row.commune_code, row.unit_id)
            counts[place] = counts.get(place, 0) + 1
        return [
            Button(
                ctx._("{place}: {count} bản").format(
                    place=await staff_act.scope_name(work(ctx), commune, unit), count=count
                ),
                f"at:{commune or ''}:{unit or ''}",
            )
            for (commune, unit), count in sorted(counts.items(), key=lambda kv: -kv[1])
        ] + [Button(ctx._("Việc của cán bộ"), "*staff")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        buttons = await Places.buttons(ctx)
        if buttons is None:
            not_staff(ctx)
            await go_home(ctx)
            return
        if len(buttons) == 1:
            ctx.say(ctx._("Không có bản tự đánh giá nào đang chờ xác minh."), buttons)
            return
        ctx.say(ctx._("Bản tự đánh giá đang chờ, theo xã/phường và đơn vị:"), buttons)

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        buttons = await Places.buttons(ctx)
        if buttons is None:
            await steps.enter(ctx)
            return
        choice = await pick(ctx, buttons)
        if choice is None:
            return
        if choice.startswith("at:"):
            commune, _, unit = choice[3:].partition(":")
            await show(ctx, commune_code=commune or None, unit_id=int(unit) if unit else None)
            return
        from handlers.flows import commands

        await commands.run_payload(ctx, choice)
