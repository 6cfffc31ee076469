"""What to learn next: after a self-assessment or a skills check, a few resources for what
is weak; a "done" press records progress, and a done resource can back its indicator as
evidence while the assessment is open for changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from content.resources import Need, Resource, recommend
from handlers.context import Context, steps
from handlers.events import Button, Event
from handlers.flows.common import pick
from storage.models import Assessment, Recommendation
from storage.repositories import learning
from storage.repositories import skills as checks

FLOW = "learn"
AT_ONCE = 3  # open suggestions at a time: more is noise on a small screen
GOOD_ENOUGH = 8  # indicators under this many points get suggestions
FOLLOW_UP_AFTER = timedelta(days=7)


def indicator_needs(ctx: Context, a: Assessment) -> list[Need]:
    """Indicators under GOOD_ENOUGH points, weakest first."""
    group = ctx.content.criteria_for(a.target_group, a.year)
    weak = sorted(
        (x for x in a.answers if x.points < GOOD_ENOUGH),
        key=lambda x: (x.points, group.indicator(x.indicator_id).number),
    )
    return [
        Need("indicator", x.indicator_id, tuple(group.indicator(x.indicator_id).resource_tags))
        for x in weak
    ]


def area_needs(ctx: Context, levels: dict[str, str]) -> list[Need]:
    """Skills areas below the target level, weakest first."""
    framework = ctx.content.digital_skills
    target = framework.rank(framework.target_level)
    weak = [a for a in framework.areas if framework.rank(levels[a.id]) < target]
    weak.sort(key=lambda a: framework.rank(levels[a.id]))
    return [Need("area", a.id, tuple(a.resource_tags)) for a in weak]


async def suggest(ctx: Context, needs: Iterable[Need]) -> bool:
    """Add suggestions for ``needs`` up to AT_ONCE open ones; whether any is open."""
    had = await learning.of(ctx.session, ctx.user.id)
    still_open = [r for r in had if r.done_at is None]
    covered = {(r.need_kind, r.need_id) for r in had}
    p = ctx.profile
    picked = recommend(
        # Needs without any suggestion yet go first (the sort is stable: weakest first still).
        sorted(needs, key=lambda need: (need.kind, need.id) in covered),
        ctx.content.resources,
        ctx.user.locale,
        exclude={r.resource_id for r in had},
        limit=AT_ONCE - len(still_open),
        group=p.target_group if p else None,
        age=ctx.year - p.birth_year if p and p.birth_year else None,
    )
    for need, resource in picked:
        ctx.session.add(
            Recommendation(
                user_id=ctx.user.id,
                resource_id=resource.id,
                need_kind=need.kind,
                need_id=need.id,
                created_at=ctx.now,
                follow_up_at=ctx.now + FOLLOW_UP_AFTER,
            )
        )
    if picked:
        await ctx.session.flush()  # the new ones' ids go into the buttons
        ctx.audit("learning.suggested", resources=[r.id for _, r in picked])
    return bool(still_open or picked)


async def show(ctx: Context) -> None:
    await ctx.go(FLOW, "list")


async def _listed(ctx: Context) -> list[tuple[Recommendation, Resource]]:
    """The open suggestions still in the catalog, as numbered on screen."""
    had = await learning.of(ctx.session, ctx.user.id)
    found = [(r, _resource(ctx, r.resource_id)) for r in had if r.done_at is None]
    return [(r, resource) for r, resource in found if resource is not None]


@steps.step(FLOW, "list")
class Suggestions:
    """The open suggestions, each marked done by its own option: their own step, so that
    where options are numbered the typed number picks from them (not from a menu after)."""

    @staticmethod
    async def buttons(ctx: Context) -> list[Button]:
        done = [
            Button(ctx._("Đã học xong mục {n}").format(n=n), f"*learned:{suggestion.id}")
            for n, (suggestion, _) in enumerate(await _listed(ctx), start=1)
        ]
        just_done = await _just_done(ctx)
        offer = _evidence_offer(ctx, just_done) if just_done is not None else []
        return [*done, *offer, Button(ctx._("Về trang chính"), "*menu")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        lines = []
        just_done = await _just_done(ctx)
        if just_done is not None:
            lines.append(_well_done(ctx, just_done))
        listed = await _listed(ctx)
        if listed:
            lines.append(ctx._("GỢI Ý HỌC TẬP (bấm nút khi Anh/Chị đã học xong):"))
            lines += [
                f"{n}. {ctx.t.text(resource.title)}\n   {resource.url}"
                for n, (_, resource) in enumerate(listed, start=1)
            ]
        elif just_done is None:
            lines.append(ctx._("Hiện chưa có gợi ý học tập nào mới cho Anh/Chị."))
        ctx.say("\n".join(lines), await Suggestions.buttons(ctx))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        from handlers.flows import commands

        choice = await pick(ctx, await Suggestions.buttons(ctx))
        if choice is not None:
            await commands.run_payload(ctx, choice)


async def _just_done(ctx: Context) -> Recommendation | None:
    """The suggestion the list was opened to mark done, if any."""
    done_id = ctx.data.get("done")
    return None if done_id is None else await learning.one(ctx.session, ctx.user.id, done_id)


def _well_done(ctx: Context, suggestion: Recommendation) -> str:
    resource = _resource(ctx, suggestion.resource_id)
    return ctx._("Tuyệt vời! Đã ghi nhận Anh/Chị học xong: {title}.").format(
        title=ctx.t.text(resource.title) if resource else suggestion.resource_id
    )


def _resource(ctx: Context, resource_id: str) -> Resource | None:
    return next((r for r in ctx.content.resources if r.id == resource_id), None)


async def open_(ctx: Context) -> None:
    """From the menu: the open suggestions, or new ones from the latest results."""
    had = await learning.of(ctx.session, ctx.user.id)
    if not any(r.done_at is None for r in had):
        needs = indicator_needs(ctx, ctx.assessment) if ctx.assessment is not None else []
        last = await checks.latest_finished(ctx.session, ctx.user.id)
        if last is not None:
            needs += area_needs(ctx, last.levels)
        await suggest(ctx, needs)
    await show(ctx)


async def done(ctx: Context, recommendation_id: int) -> None:
    """Marked done: the list again, with the way to use it as evidence, unless the person
    is in the middle of their self-assessment (a reminder's button): then back to it."""
    suggestion = await learning.one(ctx.session, ctx.user.id, recommendation_id)
    if suggestion is None:
        ctx.say(ctx._("Nút này không còn dùng được."))
        await steps.enter(ctx)
        return
    if suggestion.done_at is None:
        suggestion.done_at = ctx.now
        suggestion.follow_up_at = None
        ctx.audit("learning.done", subject=suggestion.resource_id)
    if ctx.conversation.flow != "assess":
        await ctx.go(FLOW, "list", done=suggestion.id)
        return
    ctx.say(_well_done(ctx, suggestion), _evidence_offer(ctx, suggestion))
    await steps.enter(ctx)


def _evidence_offer(ctx: Context, suggestion: Recommendation) -> list[Button]:
    a = ctx.assessment
    if suggestion.need_kind != "indicator" or a is None or not a.may_change(suggestion.need_id):
        return []
    number = ctx.content.criteria_for(a.target_group, a.year).indicator(suggestion.need_id).number
    return [
        Button(
            ctx._("Dùng làm minh chứng cho chỉ số {n}").format(n=number),
            f"*learnproof:{suggestion.id}",
        )
    ]


async def as_evidence(ctx: Context, recommendation_id: int) -> None:
    """The finished resource backs its indicator: re-checked now, whatever was pressed."""
    suggestion = await learning.one(ctx.session, ctx.user.id, recommendation_id)
    a = ctx.assessment
    answer = resource = None
    if suggestion is not None and suggestion.done_at and _evidence_offer(ctx, suggestion):
        assert a is not None  # an offer needs an open assessment
        answer = next((x for x in a.answers if x.indicator_id == suggestion.need_id), None)
        resource = _resource(ctx, suggestion.resource_id)
    if a is None or answer is None or resource is None:
        ctx.say(ctx._("Không thể thêm minh chứng lúc này: bản tự đánh giá đã nộp hoặc đã khóa."))
        return
    if not any(e.get("resource") == resource.id for e in answer.evidence):
        # A new list, so the change is seen and saved (JSON columns do not track edits).
        answer.evidence = [
            *answer.evidence,
            {
                "resource": resource.id,
                "name": resource.title.vi,
                "url": resource.url,
                "at": ctx.now.isoformat(),
            },
        ]
        ctx.audit("learning.evidence", subject=suggestion.need_id)
    number = ctx.content.criteria_for(a.target_group, a.year).indicator(answer.indicator_id).number
    ctx.say(ctx._("Đã thêm vào minh chứng của chỉ số {n}.").format(n=number))


async def after_evidence(ctx: Context) -> None:
    """Back where the person was; in the list, without the offer just taken."""
    await (show(ctx) if ctx.conversation.flow == FLOW else steps.enter(ctx))
