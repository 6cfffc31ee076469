"""Officers decide on submissions from their chat: the queue, one submission, approve,
return or reject (adjusting points on approval: approval.py; the evidence: evidence.py).
Every action re-checks on the server who may act on which submission in which state,
whatever the buttons said."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from handlers.context import Context, steps
from handlers.events import Button, Event
from handlers.flows import certificates
from handlers.flows.common import pick, reprompt, typed_text
from handlers.flows.results import (
    STATUS_TEXT,
    adjustment_lines,
    evaluate,
    group_of,
    own_points,
    summary,
    verdict,
)
from handlers.i18n import N_, Translator
from storage.models import Assessment, AssessmentStatus, Profile
from storage.repositories import reviews

FLOW = "review"
DONE = {
    AssessmentStatus.APPROVED: N_("Đã duyệt."),
    AssessmentStatus.RETURNED: N_("Đã trả lại cho người dân sửa."),
    AssessmentStatus.REJECTED: N_("Đã từ chối."),
}
PAGE = 10
MIN_REASON = 5
# The submission screen's buttons that lead to a step of their own.
_DECISIONS = {"adjust": "adjust_pick", "return": "return_pick", "reject": "reject_reason"}
# A submission's buttons that work from anywhere (`*action:ID`) and the step each opens.
_STARTS = {
    "review": "open",
    "approve": "approve",
    "return": "return_pick",
    "reject": "reject_reason",
}


def actions(t: Translator, assessment_id: int) -> tuple[Button, ...]:
    """What an officer may do with a submission from a message outside the review screens
    (a notice, the evidence): each press is checked again on the server."""
    return (
        Button(t._("Xem câu trả lời"), f"*review:{assessment_id}"),
        Button(t._("Xem minh chứng"), f"*evidence:{assessment_id}"),
        Button(t._("Duyệt"), f"*approve:{assessment_id}"),
        Button(t._("Trả lại để sửa"), f"*return:{assessment_id}"),
        Button(t._("Từ chối"), f"*reject:{assessment_id}"),
    )


async def start(ctx: Context, action: str, assessment_id: int) -> bool:
    """A submission's button pressed anywhere (`*action:ID`); False when `action` is none
    of them."""
    step = _STARTS.get(action)
    if step is None:
        return False
    if await authorised(ctx, assessment_id) is None:
        await steps.enter(ctx)
        return True
    # Adjustments under way on this submission are kept (the officer looked at the evidence
    # in between).
    same = ctx.conversation.flow == FLOW and ctx.data.get("id") == assessment_id
    kept = {"adj": ctx.data.get("adj", {})} if same and action == "approve" else {}
    await ctx.go(FLOW, step, id=assessment_id, **kept)
    return True


async def show_pending(ctx: Context, page: int = 0) -> None:
    roles = await reviews.scopes(ctx.session, ctx.user.id, ctx.content.routing)
    if not roles:
        ctx.say(ctx._("Lệnh này dành cho cán bộ Hội Khuyến học."))
        await steps.enter(ctx)
        return
    waiting = await reviews.pending(ctx.session, roles, limit=PAGE + 1, offset=page * PAGE)
    if not waiting:
        ctx.say(ctx._("Không có bản tự đánh giá nào đang chờ xác minh."))
        return
    buttons = [
        Button(
            ctx._("{name}: {total} điểm").format(name=p.full_name, total=a.total), f"*review:{a.id}"
        )
        for a, p in waiting[:PAGE]
    ]
    if len(waiting) > PAGE:
        buttons.append(Button(ctx._("Trang sau »"), f"*pending:{page + 1}"))
    ctx.say(
        ctx._("Danh sách chờ xác minh (cũ nhất trước):"),
        buttons,
        mentions=tuple(p.user_id for _, p in waiting[:PAGE]),
    )


async def authorised(ctx: Context, assessment_id: int) -> tuple[Assessment, Profile] | None:
    """The submission if this person may act on it now; otherwise a polite refusal, noted."""
    roles = await reviews.scopes(ctx.session, ctx.user.id, ctx.content.routing)
    found = await reviews.load(ctx.session, assessment_id) if roles else None
    if found is None or not reviews.covers(roles, *found):
        ctx.audit("review.refused", subject=str(assessment_id))
        ctx.say(ctx._("Anh/Chị không có quyền xem bản tự đánh giá này, hoặc bản này không còn."))
        return None
    return found


async def waiting(ctx: Context) -> tuple[Assessment, Profile] | None:
    """This step's submission if the person may act on it and it still waits for a decision;
    otherwise they are told why, and a decided one is shown as it now stands."""
    found = await authorised(ctx, ctx.data["id"])
    if found is not None and found[0].status != AssessmentStatus.SUBMITTED:
        await _already_decided(ctx, found[0])
        await ctx.go(FLOW, "open", id=found[0].id)
        return None
    return found


@steps.step(FLOW, "open")
class Open:
    @staticmethod
    def buttons(ctx: Context, a: Assessment) -> list[Button]:
        decide = [
            Button(ctx._("Duyệt"), "approve"),
            Button(ctx._("Điều chỉnh điểm rồi duyệt"), "adjust"),
            Button(ctx._("Trả lại để sửa"), "return"),
            Button(ctx._("Từ chối"), "reject"),
        ]
        waiting = a.status == AssessmentStatus.SUBMITTED
        evidence = [Button(ctx._("Xem minh chứng"), f"*evidence:{a.id}")]
        return [
            *(decide if waiting else []),
            *(evidence if any(x.evidence for x in a.answers) else []),
            Button(ctx._("Danh sách chờ"), "*pending"),
        ]

    @staticmethod
    async def enter(ctx: Context) -> None:
        found = await authorised(ctx, ctx.data["id"])
        if found is None:
            return
        a, citizen = found
        commune = ctx.content.units.get(citizen.commune_code or "")
        place = ", ".join(x for x in (citizen.subunit_name, commune and commune.name) if x)
        group = group_of(ctx, a)
        evidence = [
            ctx._("chỉ số {n}: {count} tệp").format(
                n=group.indicator(x.indicator_id).number, count=len(x.evidence)
            )
            for x in sorted(a.answers, key=lambda x: group.indicator(x.indicator_id).number)
            if x.evidence
        ]
        ctx.say(
            "\n".join(
                [
                    ctx._("{name}, sinh năm {year}, {place}").format(
                        name=citizen.full_name, year=citizen.birth_year, place=place
                    ),
                    "",
                    summary(ctx, a, citizen),
                    "",
                    ctx._("Minh chứng: {list}").format(
                        list="; ".join(evidence) or ctx._("không có")
                    ),
                ]
            ),
            Open.buttons(ctx, a),
            about=citizen.user_id,
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        found = await authorised(ctx, ctx.data["id"])
        if found is None:
            return
        a, citizen = found
        if a.status != AssessmentStatus.SUBMITTED and event.payload in ("approve", *_DECISIONS):
            await _already_decided(ctx, a)  # pressed on a screen from before the decision
            return
        choice = await pick(ctx, Open.buttons(ctx, a))
        if choice in _DECISIONS:
            await ctx.go(FLOW, _DECISIONS[choice], id=a.id)
        elif choice == "approve":
            await approve(ctx, a, citizen, {}, Open.buttons(ctx, a))
        elif choice is not None:
            from handlers.flows import commands

            await commands.run_payload(ctx, choice)


async def approve(
    ctx: Context,
    a: Assessment,
    citizen: Profile,
    adjustments: dict[str, Any],
    buttons: list[Button],
) -> None:
    """Approve, unless the result (with the adjustments) misses the pass rules: then the
    officer is told which, in words, and stays where they were."""
    result = evaluate(ctx, a, citizen, adjustments)
    if result.passed:
        await _decide(
            ctx, a, citizen, AssessmentStatus.APPROVED, note=None, adjustments=adjustments
        )
        return
    ctx.audit("review.approve_refused", subject=str(a.id), rules=result.failed_rules)
    ctx.say(
        "\n".join(
            [
                ctx._("Không thể duyệt: kết quả chưa đạt các tiêu chí."),
                *verdict(ctx, group_of(ctx, a), result)[1:],
                ctx._("Anh/Chị có thể điều chỉnh điểm, trả lại để sửa, hoặc từ chối kèm lý do."),
            ]
        ),
        buttons,
        about=citizen.user_id,
    )


@steps.step(FLOW, "return_pick")
class ReturnPick:
    """Which indicators the citizen should correct: pressed on and off, then done."""

    @staticmethod
    def buttons(ctx: Context, a: Assessment) -> list[Button]:
        picked = set(ctx.data.get("picked", []))
        group = ctx.content.criteria_for(a.target_group, a.year)
        marks = [
            Button(
                f"{'✓ ' if ind.id in picked else ''}{ind.number}. {ctx.t.text(ind.title)}",
                f"t{ind.id}",
            )
            for ind in group.indicators
        ]
        return [*marks, Button(ctx._("Xong"), "done"), Button(ctx._("Hủy"), "cancel")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        found = await waiting(ctx)
        if found is not None:
            ctx.say(
                ctx._("Chọn các chỉ số người dân cần sửa (bấm lần nữa để bỏ chọn), rồi bấm Xong:"),
                ReturnPick.buttons(ctx, found[0]),
            )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        found = await waiting(ctx)
        if found is None:
            return
        choice = await pick(ctx, ReturnPick.buttons(ctx, found[0]))
        picked = list(ctx.data.get("picked", []))
        if choice == "cancel":
            await ctx.go(FLOW, "open", id=ctx.data["id"])
        elif choice == "done" and not picked:
            await reprompt(ctx, ctx._("Anh/Chị chọn ít nhất một chỉ số cần sửa."))
        elif choice == "done":
            await ctx.go(FLOW, "return_comment", id=ctx.data["id"], picked=picked)
        elif choice is not None:
            indicator = choice[1:]
            picked = (
                [i for i in picked if i != indicator]
                if indicator in picked
                else [*picked, indicator]
            )
            await ctx.go(FLOW, "return_pick", id=ctx.data["id"], picked=picked)


def cancel_buttons(ctx: Context) -> list[Button]:
    return [Button(ctx._("Hủy"), "cancel")]


async def written_note(
    ctx: Context, too_short: str, back: tuple[str, dict[str, Any]]
) -> str | None:
    """A written reason or comment, or None: cancel goes `back` (a step and its data); a
    note too short to help the citizen is asked for again."""
    text = typed_text(ctx)
    if text is None:
        if await pick(ctx, cancel_buttons(ctx)) == "cancel":
            await ctx.go(FLOW, back[0], **back[1])
        return None
    note = " ".join(text.split())
    if len(note) < MIN_REASON:
        await reprompt(ctx, too_short)
        return None
    return note


async def _take_note(ctx: Context, status: AssessmentStatus, too_short: str) -> None:
    """The written part of a return or a rejection, then the decision."""
    note = await written_note(ctx, too_short, ("open", {"id": ctx.data["id"]}))
    if note is None:
        return
    found = await authorised(ctx, ctx.data["id"])
    if found is not None:
        await _decide(ctx, *found, status, note=note, reopened=ctx.data.get("picked"))


@steps.step(FLOW, "return_comment")
class ReturnComment:
    @staticmethod
    async def enter(ctx: Context) -> None:
        if await waiting(ctx) is None:
            return
        ctx.say(
            ctx._("Anh/Chị ghi nhận xét cho người dân: cần sửa gì, bổ sung minh chứng gì."),
            cancel_buttons(ctx),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        await _take_note(
            ctx,
            AssessmentStatus.RETURNED,
            ctx._("Nhận xét quá ngắn. Anh/Chị ghi rõ hơn để người dân hiểu."),
        )


@steps.step(FLOW, "reject_reason")
class RejectReason:
    @staticmethod
    async def enter(ctx: Context) -> None:
        if await waiting(ctx) is None:
            return
        ctx.say(
            ctx._("Anh/Chị ghi lý do từ chối (bắt buộc). Lý do sẽ được gửi cho người dân."),
            cancel_buttons(ctx),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        await _take_note(
            ctx,
            AssessmentStatus.REJECTED,
            ctx._("Lý do quá ngắn. Anh/Chị ghi rõ hơn để người dân hiểu."),
        )


async def _decide(
    ctx: Context,
    a: Assessment,
    citizen: Profile,
    status: AssessmentStatus,
    *,
    note: str | None,
    reopened: list[str] | None = None,
    adjustments: dict[str, Any] | None = None,
) -> None:
    approved = status == AssessmentStatus.APPROVED
    if not await reviews.decide(
        ctx.session,
        a,
        status=status,
        by=ctx.user.id,
        note=note,
        now=ctx.now,
        reopened=reopened,
        adjustments=adjustments,
        result=evaluate(ctx, a, citizen, adjustments) if approved else None,
    ):
        # Someone was first: say who decided what, as the database has it now.
        await ctx.session.refresh(a)
        await _already_decided(ctx, a)
        await show_pending(ctx)
        return
    ctx.audit(f"review.{status}", subject=str(a.id))
    own = own_points(a)
    for indicator_id, adjusted in a.adjustments.items():
        ctx.audit(
            "review.adjusted",
            subject=str(a.id),
            indicator=indicator_id,
            own=own.get(indicator_id),
            points=adjusted["points"],
        )
    await _tell_citizen(ctx, a, citizen, status, note, reopened or [])
    if status == AssessmentStatus.APPROVED:
        await certificates.issue(ctx, a, citizen)
    ctx.say(ctx._(DONE[status]))
    # Rest on the decided submission, without showing it again: no adjustments linger.
    ctx.conversation.step, ctx.conversation.data = "open", {"id": a.id}
    await show_pending(ctx)


async def _already_decided(ctx: Context, a: Assessment) -> None:
    ctx.audit("review.too_late", subject=str(a.id))
    decider = await ctx.session.scalar(
        select(Profile.full_name).where(Profile.user_id == a.decided_by)
    )
    ctx.say(
        ctx._("Bản tự đánh giá này đã được quyết định trước ({status}, bởi {who}).").format(
            status=ctx._(STATUS_TEXT[AssessmentStatus(a.status)]),
            who=decider or ctx._("một cán bộ khác"),
        )
    )


async def _tell_citizen(
    ctx: Context,
    a: Assessment,
    citizen: Profile,
    status: AssessmentStatus,
    note: str | None,
    reopened: list[str],
) -> None:
    t = (await ctx.translators_for([citizen.user_id]))[citizen.user_id]
    if status == AssessmentStatus.APPROVED:
        text = t._(
            "Hội Khuyến học đã duyệt bản tự đánh giá năm {year} của Anh/Chị ({total} điểm). "
            "Chúc mừng Anh/Chị đạt danh hiệu Công dân học tập!"
        ).format(year=a.year, total=a.total)
        if a.adjustments:
            lines = adjustment_lines(t, group_of(ctx, a), a)
            text += "\n" + "\n".join([t._("Hội Khuyến học đã điều chỉnh điểm:"), *lines])
    elif status == AssessmentStatus.RETURNED:
        group = ctx.content.criteria_for(a.target_group, a.year)
        text = t._(
            "Hội Khuyến học trả lại bản tự đánh giá năm {year} để Anh/Chị sửa các chỉ số: "
            '{list}. Nhận xét: {note}\nGõ /menu và chọn "Sửa bản tự đánh giá".'
        ).format(
            year=a.year, note=note, list=", ".join(str(group.indicator(i).number) for i in reopened)
        )
    else:
        text = t._(
            "Hội Khuyến học không công nhận bản tự đánh giá năm {year} của Anh/Chị. Lý do: {reason}"
        ).format(year=a.year, reason=note)
    ctx.say_to(citizen.user_id, text)
