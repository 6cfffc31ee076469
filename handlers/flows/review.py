"""Officers decide on submissions from their chat: the queue, one submission, approve or
reject. Every action re-checks on the server who may act on which submission in which state,
whatever the buttons said."""

from __future__ import annotations

from sqlalchemy import select

from handlers.context import Context, steps
from handlers.events import Button, Event
from handlers.flows.common import pick, reprompt, typed_text
from handlers.flows.results import STATUS_TEXT, evaluate, summary
from handlers.i18n import N_
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


async def show_pending(ctx: Context, page: int = 0) -> None:
    roles = await reviews.scopes(ctx.session, ctx.user.id)
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
    ctx.say(ctx._("Danh sách chờ xác minh (cũ nhất trước):"), buttons)


async def _authorised(ctx: Context, assessment_id: int) -> tuple[Assessment, Profile] | None:
    """The submission if this person may act on it now; otherwise a polite refusal, noted."""
    roles = await reviews.scopes(ctx.session, ctx.user.id)
    found = await reviews.load(ctx.session, assessment_id) if roles else None
    if found is None or not reviews.covers(roles, found[1]):
        ctx.audit("review.refused", subject=str(assessment_id))
        ctx.say(ctx._("Anh/Chị không có quyền xem bản tự đánh giá này, hoặc bản này không còn."))
        return None
    return found


async def open_(ctx: Context, assessment_id: int) -> None:
    if await _authorised(ctx, assessment_id) is None:
        await steps.enter(ctx)
        return
    await ctx.go(FLOW, "open", id=assessment_id)


@steps.step(FLOW, "open")
class Open:
    @staticmethod
    def buttons(ctx: Context, a: Assessment) -> list[Button]:
        decide = [
            Button(ctx._("Duyệt"), "approve"),
            Button(ctx._("Trả lại để sửa"), "return"),
            Button(ctx._("Từ chối"), "reject"),
        ]
        waiting = a.status == AssessmentStatus.SUBMITTED
        return [*(decide if waiting else []), Button(ctx._("Danh sách chờ"), "*pending")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        found = await _authorised(ctx, ctx.data["id"])
        if found is None:
            return
        a, citizen = found
        commune = ctx.content.units.get(citizen.commune_code or "")
        place = ", ".join(x for x in (citizen.subunit_name, commune and commune.name) if x)
        evidence = [
            ctx._("chỉ số {n}: {count} tệp").format(
                n=ctx.content.criteria_for(a.target_group, a.year).indicator(x.indicator_id).number,
                count=len(x.evidence),
            )
            for x in sorted(a.answers, key=lambda x: int(x.indicator_id.lstrip("I")))
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
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        found = await _authorised(ctx, ctx.data["id"])
        if found is None:
            return
        a, citizen = found
        if a.status != AssessmentStatus.SUBMITTED and event.payload in (
            "approve",
            "return",
            "reject",
        ):
            await _already_decided(ctx, a)  # pressed on a screen from before the decision
            return
        choice = await pick(ctx, Open.buttons(ctx, a))
        if choice == "reject":
            await ctx.go(FLOW, "reject_reason", id=a.id)
        elif choice == "return":
            await ctx.go(FLOW, "return_pick", id=a.id, picked=[])
        elif choice == "approve":
            result = evaluate(ctx, a, citizen)
            if not result.passed:
                ctx.say(
                    ctx._(
                        "Không thể duyệt: bản tự đánh giá chưa đạt các tiêu chí ({rules}). "
                        "Anh/Chị có thể từ chối, kèm lý do."
                    ).format(rules=", ".join(result.failed_rules)),
                    Open.buttons(ctx, a),
                )
                return
            await _decide(ctx, a, citizen, AssessmentStatus.APPROVED, note=None)
        elif choice is not None:
            from handlers.flows import commands

            await commands.run_payload(ctx, choice)


@steps.step(FLOW, "return_pick")
class ReturnPick:
    """Which indicators the citizen should correct: pressed on and off, then done."""

    @staticmethod
    def buttons(ctx: Context, a: Assessment) -> list[Button]:
        picked = set(ctx.data["picked"])
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
        found = await _authorised(ctx, ctx.data["id"])
        if found is not None:
            ctx.say(
                ctx._("Chọn các chỉ số người dân cần sửa (bấm lần nữa để bỏ chọn), rồi bấm Xong:"),
                ReturnPick.buttons(ctx, found[0]),
            )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        found = await _authorised(ctx, ctx.data["id"])
        if found is None:
            return
        choice = await pick(ctx, ReturnPick.buttons(ctx, found[0]))
        picked = list(ctx.data["picked"])
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


def _cancel(ctx: Context) -> list[Button]:
    return [Button(ctx._("Hủy"), "cancel")]


async def _take_note(ctx: Context, status: AssessmentStatus, too_short: str) -> None:
    """The written part of a return or a rejection: cancel goes back to the submission; a
    note too short to help the citizen is asked for again."""
    text = typed_text(ctx)
    if text is None:
        if await pick(ctx, _cancel(ctx)) == "cancel":
            await ctx.go(FLOW, "open", id=ctx.data["id"])
        return
    note = " ".join(text.split())
    if len(note) < MIN_REASON:
        await reprompt(ctx, too_short)
        return
    found = await _authorised(ctx, ctx.data["id"])
    if found is not None:
        await _decide(ctx, *found, status, note=note, reopened=ctx.data.get("picked"))


@steps.step(FLOW, "return_comment")
class ReturnComment:
    @staticmethod
    async def enter(ctx: Context) -> None:
        ctx.say(
            ctx._("Anh/Chị ghi nhận xét cho người dân: cần sửa gì, bổ sung minh chứng gì."),
            _cancel(ctx),
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
        ctx.say(
            ctx._("Anh/Chị ghi lý do từ chối (bắt buộc). Lý do sẽ được gửi cho người dân."),
            _cancel(ctx),
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
) -> None:
    if not await reviews.decide(
        ctx.session,
        a.id,
        status=status,
        by=ctx.user.id,
        note=note,
        now=ctx.now,
        reopened=reopened,
    ):
        # Someone was first: say who decided what, as the database has it now.
        await ctx.session.refresh(a)
        await _already_decided(ctx, a)
        await show_pending(ctx)
        return
    ctx.audit(f"review.{status}", subject=str(a.id))
    await _tell_citizen(ctx, a, citizen, status, note, reopened or [])
    ctx.say(ctx._(DONE[status]))
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
