"""Approving a submission: a confirmation screen with the points, total, threshold and
verdict, and a few taps to adjust an indicator's points (one its answers can give) with a
required reason. The adjustments wait in the conversation until approval; every step
re-checks the officer's right and the submission's state."""

from __future__ import annotations

from typing import Any

from content import Indicator
from handlers.context import Context, steps
from handlers.events import Button, Event
from handlers.flows.common import pick, reprompt, typed_text
from handlers.flows.results import answered, evaluate, group_of, level, verdict
from handlers.flows.review import (
    FLOW,
    approve,
    cancel_buttons,
    decision,
    waiting,
    written_note,
)
from handlers.scores import adjustment_lines, own_points
from storage.models import Assessment


def adjusting(ctx: Context) -> dict[str, Any]:
    """Adjustments made so far in this approval: kept in the conversation until approved."""
    return dict(ctx.data.get("adj", {}))


@steps.step(FLOW, "approve")
class Approve:
    """The approval as it would be recorded: each indicator's points (the citizen's, and the
    officer's where adjusted, with why), the total, the threshold and the verdict."""

    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        # Named for their case, as on the case screen: an older screen's press decides nothing.
        return [
            Button(ctx._("Duyệt"), f"approve:{ctx.data['id']}"),
            Button(ctx._("Điều chỉnh điểm"), "adjust"),
            Button(ctx._("Hủy"), "cancel"),
        ]

    @staticmethod
    async def enter(ctx: Context) -> None:
        found = await waiting(ctx)
        if found is None:
            return
        a, citizen = found
        adj = adjusting(ctx)
        group = group_of(ctx, a)
        result = evaluate(ctx, a, citizen, adj)
        own = own_points(a)
        answers = {x.indicator_id: x for x in a.answers}
        lines = [ctx._("Duyệt bản tự đánh giá của {name}:").format(name=citizen.full_name)]
        for ind in group.indicators:
            points = f"{own.get(ind.id)}"
            if ind.id in adj:
                points += f" → {adj[ind.id]['points']}"
            lines.append(
                ctx._("  {n}. {title}: {answer}: {points}/{max} điểm").format(
                    n=ind.number,
                    title=ctx.t.text(ind.title),
                    answer=answered(ctx, ind, answers.get(ind.id)),
                    points=points,
                    max=ind.max_points,
                )
            )
        if adj:
            lines += ["", ctx._("Điểm điều chỉnh:"), *adjustment_lines(ctx.t, group, a, adj)]
        lines += [
            "",
            ctx._("Tổng điểm: {total}/{max}. Mức cần đạt: {threshold} điểm.").format(
                total=result.total,
                max=sum(i.max_points for i in group.indicators),
                threshold=result.threshold,
            ),
            *(
                [ctx._("Kết quả: ĐẠT các tiêu chí.")]
                if result.passed
                else verdict(ctx, group, result)
            ),
        ]
        ctx.say("\n".join(lines), Approve.buttons(ctx), about=citizen.user_id)

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        found = await waiting(ctx)
        if found is None:
            return
        choice = await decision(ctx, Approve.buttons(ctx))
        if choice is None:
            return  # the screen is closed
        if choice == f"approve:{ctx.data['id']}":
            await approve(ctx, adjusting(ctx), Approve.buttons(ctx))
        elif choice == "adjust":
            await ctx.go(FLOW, "adjust_pick", id=ctx.data["id"], adj=adjusting(ctx))
        elif choice == "cancel":
            await ctx.go(FLOW, "open", id=ctx.data["id"])


@steps.step(FLOW, "adjust_pick")
class AdjustPick:
    """Which indicator's points to change."""

    @staticmethod
    def buttons(ctx: Context, a: Assessment) -> list[Button]:
        adj, own = adjusting(ctx), own_points(a)
        answers = {x.indicator_id: x for x in a.answers}
        marks = []
        for ind in group_of(ctx, a).indicators:
            points = f"{own.get(ind.id)}"
            if ind.id in adj:
                points += f" → {adj[ind.id]['points']}"
            label = ctx._("{n}. {title}: {answer}: {points} điểm").format(
                n=ind.number,
                title=ctx.t.text(ind.title),
                answer=answered(ctx, ind, answers.get(ind.id)),
                points=points,
            )
            marks.append(Button(label, f"t{ind.id}"))
        return [*marks, Button(ctx._("« Quay lại"), "back")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        found = await waiting(ctx)
        if found is not None:
            ctx.say(ctx._("Chọn chỉ số cần điều chỉnh điểm:"), AdjustPick.buttons(ctx, found[0]))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        found = await waiting(ctx)
        if found is None:
            return
        choice = await pick(ctx, AdjustPick.buttons(ctx, found[0]))
        if choice == "back":
            await ctx.go(FLOW, "approve", id=ctx.data["id"], adj=adjusting(ctx))
        elif choice is not None:
            await ctx.go(
                FLOW, "adjust_points", id=ctx.data["id"], adj=adjusting(ctx), ind=choice[1:]
            )


@steps.step(FLOW, "adjust_points")
class AdjustPoints:
    """The points the association recognises for one indicator: one its answers can give."""

    @staticmethod
    def indicator(ctx: Context, a: Assessment) -> Indicator:
        return group_of(ctx, a).indicator(ctx.data["ind"])

    @staticmethod
    def buttons(ctx: Context, a: Assessment) -> list[Button]:
        own = own_points(a).get(ctx.data["ind"])
        ind = AdjustPoints.indicator(ctx, a)
        mine = ctx._("{points} điểm: {answer} (người dân tự chấm)")
        other = ctx._("{points} điểm: {answer}")
        return [
            Button(
                (mine if p == own else other).format(points=p, answer=level(ctx, ind, p)), f"p{p}"
            )
            for p in ind.possible_points
        ] + [Button(ctx._("« Quay lại"), "back")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        found = await waiting(ctx)
        if found is None:
            return
        a = found[0]
        ind = AdjustPoints.indicator(ctx, a)
        answer = next((x for x in a.answers if x.indicator_id == ind.id), None)
        ctx.say(
            ctx._(
                "Chỉ số {n}. {title}\nNgười dân trả lời: {answer}\n"
                "Chọn số điểm Hội Khuyến học công nhận:"
            ).format(n=ind.number, title=ctx.t.text(ind.title), answer=answered(ctx, ind, answer)),
            AdjustPoints.buttons(ctx, a),
            number_answer=True,  # a typed 5 means five points, not the fifth button
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        found = await waiting(ctx)
        if found is None:
            return
        a = found[0]
        ind = AdjustPoints.indicator(ctx, a)
        text = typed_text(ctx)
        if text is not None and text.isdigit():
            points = int(text)
            if points not in ind.possible_points:
                await reprompt(
                    ctx,
                    ctx._("Chỉ số {n} chỉ có các mức điểm: {list}.").format(
                        n=ind.number, list=", ".join(map(str, ind.possible_points))
                    ),
                )
                return
        else:
            choice = await pick(ctx, AdjustPoints.buttons(ctx, a))
            if choice is None:
                return
            if choice == "back":
                await ctx.go(FLOW, "adjust_pick", id=a.id, adj=adjusting(ctx))
                return
            points = int(choice[1:])
        adj = adjusting(ctx)
        if points == own_points(a).get(ind.id):  # back to the citizen's own: nothing to explain
            adj.pop(ind.id, None)
            await ctx.go(FLOW, "approve", id=a.id, adj=adj)
        else:
            await ctx.go(FLOW, "adjust_reason", id=a.id, adj=adj, ind=ind.id, points=points)


@steps.step(FLOW, "adjust_reason")
class AdjustReason:
    @staticmethod
    async def enter(ctx: Context) -> None:
        found = await waiting(ctx)
        if found is None:
            return
        ind = AdjustPoints.indicator(ctx, found[0])
        ctx.say(
            ctx._(
                "Anh/Chị ghi lý do công nhận {points} điểm cho chỉ số {n} (bắt buộc). "
                "Lý do sẽ được gửi cho người dân."
            ).format(points=ctx.data["points"], n=ind.number),
            cancel_buttons(ctx),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        back = ("adjust_pick", {"id": ctx.data["id"], "adj": adjusting(ctx)})
        reason = await written_note(
            ctx, ctx._("Lý do quá ngắn. Anh/Chị ghi rõ hơn để người dân hiểu."), back
        )
        if reason is None or await waiting(ctx) is None:
            return
        adj = {**adjusting(ctx), ctx.data["ind"]: {"points": ctx.data["points"], "reason": reason}}
        await ctx.go(FLOW, "approve", id=ctx.data["id"], adj=adj)
