"""Officers decide on submissions from their chat: the queue, one submission, approve,
return, reject or reopen (adjusting points on approval: approval.py; the evidence:
evidence.py). The decisions themselves are actions (handlers/actions/review.py), which
re-check on the server who may act on which submission in which state, whatever the
buttons said; this module asks and says."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from handlers.actions import Reason, Refused, rules
from handlers.actions import review as act
from handlers.actions.base import Likeness, clean_note
from handlers.context import Context, steps
from handlers.events import Button, Event, EventKind
from handlers.flows import triage
from handlers.flows.common import me, pick, reprompt, typed_text, work
from handlers.flows.results import STATUS_TEXT, group_of, summary, verdict
from handlers.i18n import LOCAL_TZ, N_, Translator
from handlers.input import clean, match_choice
from storage.models import Assessment, AssessmentStatus, Profile
from storage.repositories.reviews import AWAITING, DECIDED

FLOW = "review"
DONE = {
    AssessmentStatus.APPROVED: N_("Đã duyệt."),
    AssessmentStatus.RETURNED: N_("Đã trả lại cho người dân sửa."),
    AssessmentStatus.REJECTED: N_("Đã từ chối."),
}
# The submission screen's buttons and the step each leads to: approving is confirmed on a
# screen of its own, with the name and the total.
_DECISIONS = {
    "approve": "approve",
    "adjust": "adjust_pick",
    "return": "return_pick",
    "reject": "reject_reason",
    "reopen": "reopen_reason",
}
# A submission's buttons that work from anywhere (`*action:ID`) and the step each opens.
_STARTS = {
    "review": "open",
    "approve": "approve",
    "return": "return_pick",
    "reject": "reject_reason",
    "reopen": "reopen_reason",
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


def refusal(ctx: Context, refused: Refused) -> None:
    """Why the officer may not act on this submission (the action has noted it)."""
    if refused.reason == Reason.OWN_CASE:
        ctx.say(
            ctx._(
                "Đây là bản tự đánh giá của chính Anh/Chị: Anh/Chị không tự xác minh được. "
                "Bản này đã được chuyển cho cấp trên xác minh."
            )
        )
    elif refused.reason == Reason.ENTERED:
        ctx.say(
            ctx._(
                "Anh/Chị đã nhập phiếu này nên không tự xác minh được: một cán bộ khác sẽ xác minh."
            )
        )
    else:
        ctx.say(ctx._("Anh/Chị không có quyền xem bản tự đánh giá này, hoặc bản này không còn."))


async def authorised(ctx: Context, assessment_id: int) -> tuple[Assessment, Profile] | None:
    """The submission if this person may act on it now; otherwise a polite refusal, noted."""
    try:
        return await rules.case(work(ctx), me(ctx), assessment_id)
    except Refused as refused:
        refusal(ctx, refused)
        return None


async def waiting(ctx: Context) -> tuple[Assessment, Profile] | None:
    """This step's submission if the person may act on it and it still waits for a decision;
    otherwise they are told why, and a decided one is shown as it now stands."""
    try:
        return await act.waiting(work(ctx), me(ctx), ctx.data["id"])
    except Refused as refused:
        await _as_it_stands(ctx, refused)
        return None


async def _as_it_stands(ctx: Context, refused: Refused) -> None:
    """Why not; and a case whose state changed meanwhile shown as it now stands."""
    if refused.assessment is None:
        refusal(ctx, refused)
    else:
        await _already_decided(ctx, refused.assessment)
        await ctx.go(FLOW, "open", id=refused.assessment.id)


def likeness_lines(ctx: Context, found: list[Likeness]) -> list[str]:
    """Other people's records that may be this person: for the officer to check."""
    return [
        ctx._("Có thể trùng với: {name} (mã {id}, {status}).").format(
            name=x.full_name,
            id=x.assessment_id,
            status=ctx._(STATUS_TEXT[AssessmentStatus(x.status)]),
        )
        for x in found
    ]


@steps.step(FLOW, "open")
class Open:
    @staticmethod
    def buttons(ctx: Context, a: Assessment) -> list[Button]:
        # Each decision names its case: a press on an older screen of another case (a
        # Telegram message stays pressable) decides nothing.
        decide = [
            Button(ctx._("Duyệt"), f"approve:{a.id}"),
            Button(ctx._("Điều chỉnh điểm rồi duyệt"), f"adjust:{a.id}"),
            Button(ctx._("Trả lại để sửa"), f"return:{a.id}"),
            Button(ctx._("Từ chối"), f"reject:{a.id}"),
        ]
        reopen = [Button(ctx._("Mở lại"), f"reopen:{a.id}")]
        evidence = [Button(ctx._("Xem minh chứng"), f"*evidence:{a.id}")]
        return [
            *(decide if a.status in AWAITING else []),
            *(evidence if any(x.evidence for x in a.answers) else []),
            Button(ctx._("Danh sách chờ"), "*pending"),
            # Last: a number typed for the queue shown after a decision must not reopen it.
            *(reopen if a.status in DECIDED else []),
        ]

    @staticmethod
    async def enter(ctx: Context) -> None:
        try:
            case = await act.read(work(ctx), me(ctx), ctx.data["id"])
        except Refused as refused:
            refusal(ctx, refused)
            return
        a, citizen = case.assessment, case.citizen
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
                    *likeness_lines(ctx, case.likeness),
                    "",
                    summary(ctx, a, citizen, words=True),
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
            await triage.show(ctx)
            return
        a = found[0]
        pressed = event.payload.partition(":")[0]
        if a.status not in AWAITING and pressed in _DECISIONS and pressed != "reopen":
            await waiting(ctx)  # pressed on a screen from before the decision
            return
        choice = await decision(ctx, Open.buttons(ctx, a))
        if choice is None:
            return
        action, _, target = choice.partition(":")
        if action in _DECISIONS and target == str(a.id):
            await ctx.go(FLOW, _DECISIONS[action], id=a.id)
        else:
            from handlers.flows import commands

            await commands.run_payload(ctx, choice)


async def decision(ctx: Context, buttons: list[Button]) -> str | None:
    """The option chosen on a decision screen, or None. A decision screen is never shown
    again after input it does not understand (the next "1" would decide on a case the
    officer no longer looks at): they are told so and go back to the queue."""
    event, choice = ctx.event, None
    if event.kind is EventKind.BUTTON and any(b.payload == event.payload for b in buttons):
        choice = event.payload
    elif event.kind is EventKind.TEXT:
        index = match_choice(clean(event.text), [b.label for b in buttons])
        choice = None if index is None else buttons[index].payload
    if choice is None:
        ctx.say(
            ctx._(
                "Tôi chưa hiểu lựa chọn này, nên chưa quyết định gì. Màn hình quyết định đã "
                "đóng; Anh/Chị chọn lại người cần xem trong danh sách."
            )
        )
        await triage.show(ctx)
    return choice


async def approve(
    ctx: Context,
    adjustments: dict[str, Any],
    buttons: list[Button],
    *,
    confirm_duplicate: bool = False,
) -> None:
    """Approve this step's submission, unless the result (with the adjustments) misses the
    pass rules: then the officer is told which, in words, and stays where they were. The
    same person's title already given this year is asked about first."""
    try:
        decided = await act.approve(
            work(ctx),
            me(ctx),
            ctx.data["id"],
            adjustments=adjustments,
            confirm_duplicate=confirm_duplicate,
        )
    except Refused as refused:
        await _refused(ctx, refused, buttons, adj=adjustments)
        return
    await _decided(ctx, decided)


async def _refused(ctx: Context, refused: Refused, buttons: list[Button], **data: Any) -> None:
    a = refused.assessment
    if refused.reason == Reason.FAILS_RULES and a is not None and refused.result is not None:
        ctx.say(
            "\n".join(
                [
                    ctx._("Không thể duyệt: kết quả chưa đạt các tiêu chí."),
                    *verdict(ctx, group_of(ctx, a), refused.result)[1:],
                    ctx._(
                        "Anh/Chị có thể điều chỉnh điểm, trả lại để sửa, hoặc từ chối kèm lý do."
                    ),
                ]
            ),
            buttons,
            about=a.user_id,
        )
    elif refused.reason == Reason.DUPLICATE and a is not None:
        await ctx.go(FLOW, "confirm_duplicate", id=a.id, **data)
    elif refused.reason == Reason.DECIDED and a is not None:
        await _already_decided(ctx, a)  # someone was first
        await triage.show(ctx)
    else:
        refusal(ctx, refused)


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
    try:
        return clean_note(text)  # the actions' rule, asked for again before acting
    except Refused:
        await reprompt(ctx, too_short)
        return None


async def _take_note(ctx: Context, status: AssessmentStatus, too_short: str) -> None:
    """The written part of a return or a rejection, then the decision."""
    note = await written_note(ctx, too_short, ("open", {"id": ctx.data["id"]}))
    if note is None:
        return
    try:
        if status == AssessmentStatus.RETURNED:
            decided = await act.return_(
                work(ctx),
                me(ctx),
                ctx.data["id"],
                indicators=ctx.data.get("picked", []),
                comment=note,
            )
        else:
            decided = await act.reject(work(ctx), me(ctx), ctx.data["id"], reason=note)
    except Refused as refused:
        await _refused(ctx, refused, cancel_buttons(ctx))
        return
    await _decided(ctx, decided)


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


@steps.step(FLOW, "reopen_reason")
class ReopenReason:
    """Taking back a decision: the reason is required and sent to the citizen."""

    @staticmethod
    async def enter(ctx: Context) -> None:
        found = await authorised(ctx, ctx.data["id"])
        if found is None:
            return
        if found[0].status not in DECIDED:
            await _already_decided(ctx, found[0])
            return
        ctx.say(
            ctx._(
                "Mở lại bản tự đánh giá đã quyết định ({status}). Anh/Chị ghi lý do (bắt buộc); "
                "lý do sẽ được gửi cho người dân. Giấy chứng nhận đã cấp (nếu có) sẽ bị thu hồi."
            ).format(status=ctx._(STATUS_TEXT[AssessmentStatus(found[0].status)])),
            cancel_buttons(ctx),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        note = await written_note(
            ctx,
            ctx._("Lý do quá ngắn. Anh/Chị ghi rõ hơn để người dân hiểu."),
            ("open", {"id": ctx.data["id"]}),
        )
        if note is None:
            return
        try:
            reopened = await act.reopen(work(ctx), me(ctx), ctx.data["id"], reason=note)
        except Refused as refused:
            await _as_it_stands(ctx, refused)
            return
        said = ctx._("Đã mở lại. Bản tự đánh giá chờ quyết định mới.")
        if reopened.certificate is not None:
            said += "\n" + ctx._("Giấy chứng nhận số {number} đã bị thu hồi.").format(
                number=reopened.certificate.number
            )
        ctx.say(said)
        await ctx.go(FLOW, "open", id=reopened.assessment.id)


@steps.step(FLOW, "confirm_duplicate")
class ConfirmDuplicate:
    """The same person may already hold this year's title: approve again only if the
    officer says so."""

    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [
            Button(ctx._("Vẫn duyệt"), f"approve:{ctx.data['id']}"),
            Button(ctx._("Hủy"), "cancel"),
        ]

    @staticmethod
    async def enter(ctx: Context) -> None:
        found = await waiting(ctx)
        if found is None:
            return
        case = await act.read(work(ctx), me(ctx), found[0].id)
        ctx.say(
            "\n".join(
                [
                    ctx._("{name} có thể đã được công nhận năm nay với một hồ sơ khác:").format(
                        name=case.citizen.full_name
                    ),
                    *likeness_lines(ctx, case.likeness),
                    ctx._("Mỗi người chỉ được công nhận một lần mỗi năm. Anh/Chị vẫn duyệt?"),
                ]
            ),
            ConfirmDuplicate.buttons(ctx),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        if await waiting(ctx) is None:
            return
        choice = await decision(ctx, ConfirmDuplicate.buttons(ctx))
        if choice is None:
            return  # the screen is closed
        if choice == f"approve:{ctx.data['id']}":
            adj = dict(ctx.data.get("adj", {}))
            await approve(ctx, adj, ConfirmDuplicate.buttons(ctx), confirm_duplicate=True)
        elif choice == "cancel":
            await ctx.go(FLOW, "open", id=ctx.data["id"])


async def _decided(ctx: Context, decided: act.Decided) -> None:
    ctx.say(ctx._(DONE[decided.status]))
    await triage.show(ctx)  # a list, where a number typed next only opens a case


async def _already_decided(ctx: Context, a: Assessment) -> None:
    """Who decided first, and when ("by you" when it was this officer, on another screen
    or another app)."""
    if a.decided_by == ctx.user.id:
        who = ctx._("chính Anh/Chị")
    else:
        who = await ctx.session.scalar(
            select(Profile.full_name).where(Profile.user_id == a.decided_by)
        ) or ctx._("một cán bộ khác")
    when = a.decided_at.astimezone(LOCAL_TZ) if a.decided_at else None
    ctx.say(
        ctx._("Bản tự đánh giá này đã được quyết định trước ({status}, bởi {who}, {time}).").format(
            status=ctx._(STATUS_TEXT[AssessmentStatus(a.status)]),
            who=who,
            time=f"{when:%H:%M} {ctx.t.date(when)}" if when else "?",
        )
    )
