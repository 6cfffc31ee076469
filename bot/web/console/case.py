"""One submission: each indicator with the citizen's own answer and points, the evidence
inline, the history, and the decisions (approve with adjustments, return, reject, reopen),
each taken by the same action the chat uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiMapping
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.web.console import render
from bot.web.console.auth import see_other
from bot.web.console.config import Viewer, config, viewer, work
from bot.web.console.queue import days_waiting
from content import CriteriaGroup, Indicator
from handlers.actions import Reason, Refused, review, rules
from handlers.i18n import N_
from handlers.scores import result_of
from storage.models import Answer, Assessment, AssessmentStatus, Profile, Unit
from storage.repositories import case_history

DONE = {
    "approved": N_("Đã duyệt."),
    "returned": N_("Đã trả lại cho người dân sửa."),
    "rejected": N_("Đã từ chối."),
    "reopened": N_("Đã mở lại quyết định; bản tự đánh giá chờ xác minh lại."),
}
REFUSALS = {
    Reason.NOT_STAFF: N_("Anh/Chị không có quyền làm việc này."),
    Reason.OUT_OF_SCOPE: N_(
        "Anh/Chị không có quyền xem bản tự đánh giá này, hoặc bản này không còn."
    ),
    Reason.OWN_CASE: N_(
        "Đây là bản tự đánh giá của chính Anh/Chị: Anh/Chị không tự xác minh được. "
        "Bản này đã được chuyển cho cấp trên xác minh."
    ),
    Reason.ENTERED: N_(
        "Anh/Chị đã nhập phiếu này nên không tự xác minh được: một cán bộ khác sẽ xác minh."
    ),
    Reason.NOT_DECIDED: N_("Bản tự đánh giá này chưa có quyết định nào để mở lại."),
    Reason.FAILS_RULES: N_("Không thể duyệt: kết quả chưa đạt các tiêu chí."),
    Reason.NOTE_TOO_SHORT: N_(
        "Lý do hoặc nhận xét quá ngắn. Anh/Chị ghi rõ hơn để người dân hiểu."
    ),
    Reason.NO_INDICATORS: N_("Anh/Chị chọn ít nhất một chỉ số cần sửa."),
    Reason.BAD_ADJUSTMENT: N_("Điểm điều chỉnh không hợp lệ, hoặc thiếu lý do điều chỉnh."),
    Reason.DUPLICATE: N_(
        "Người này có thể đã được công nhận năm nay trong một hồ sơ khác. Anh/Chị kiểm tra, "
        "rồi đánh dấu xác nhận nếu vẫn duyệt."
    ),
}
SOURCES = {
    "chat": N_("Người dân tự làm qua trò chuyện"),
    "paper": N_("Phiếu giấy, do cán bộ nhập"),
    "assisted": N_("Cán bộ hỗ trợ nhập, người dân có mặt"),
}
DECIDED_BEFORE = N_("Bản tự đánh giá này đã được quyết định trước ({status}, bởi {who}).")
STATUS_NAMES = {
    AssessmentStatus.APPROVED: N_("Đã công nhận"),
    AssessmentStatus.RETURNED: N_("Đã trả lại để sửa"),
    AssessmentStatus.REJECTED: N_("Không công nhận"),
    AssessmentStatus.SUBMITTED: N_("Chờ xác minh"),
    AssessmentStatus.REOPENED: N_("Mở lại, chờ xác minh"),
    AssessmentStatus.DRAFT: N_("Đang làm"),
}


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


def _id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound(text="not found")
    return int(raw)


def refused_page(request: web.Request, refused: Refused) -> web.Response:
    """A case the viewer may not open: the same answer whether or not it exists."""
    status = 403 if refused.reason == Reason.OWN_CASE else 404
    t = viewer(request).t
    return render.page(
        request, "refused.html", {"reason": t._(REFUSALS[refused.reason])}, status=status
    )


async def show(request: web.Request) -> web.Response:
    done = request.query.get("done", "")
    message = viewer(request).t._(DONE[done]) if done in DONE else None
    return await _page(request, _id(request), message=message)


async def _page(
    request: web.Request,
    assessment_id: int,
    *,
    status: int = 200,
    error: str | None = None,
    message: str | None = None,
    refused: Refused | None = None,
    form: MultiMapping[str] | None = None,
) -> web.Response:
    """The case page, as it stands now (after a refused decision too, with why)."""
    cfg, who = config(request), viewer(request)
    async with cfg.sessions() as db, db.begin():
        try:
            case = await review.read(work(request, db), who.actor, assessment_id)
        except Refused as not_allowed:
            page = refused_page(request, not_allowed)
        else:
            page = render.page(
                request,
                "case.html",
                await _context(request, db, who, case, error, message, refused, form),
                status=status,
            )
    return page


async def _context(
    request: web.Request,
    db: AsyncSession,
    who: Viewer,
    case: review.Case,
    error: str | None,
    message: str | None,
    refused: Refused | None,
    form: MultiMapping[str] | None,
) -> dict[str, Any]:
    cfg = config(request)
    a, citizen = case.assessment, case.citizen
    group = cfg.content.criteria_for(a.target_group, a.year)
    commune = cfg.content.units.get(citizen.commune_code or "")
    unit = await db.get(Unit, citizen.unit_id) if citizen.unit_id else None
    return {
        "a": a,
        "citizen": citizen,
        "group": group,
        "place": ", ".join(
            x for x in (unit.name if unit else citizen.subunit_name, commune and commune.name) if x
        ),
        "items": items(group, a, who.t.locale),
        "readable": set(cfg.files),
        "result": result_of(cfg.content, a, citizen),
        "likeness": case.likeness,
        "events": await case_history.history(db, a.id),
        "days": days_waiting(cfg.clock(), a.submitted_at) if a.submitted_at else 0,
        "waiting": a.status in (AssessmentStatus.SUBMITTED, AssessmentStatus.REOPENED),
        "decided": a.status in (AssessmentStatus.APPROVED, AssessmentStatus.REJECTED),
        "error": error,
        "message": message,
        "failed": refused.result if refused is not None else None,
        "duplicate": refused is not None and refused.reason == Reason.DUPLICATE,
        "form": form or {},
        "source": who.t._(SOURCES.get(a.source, SOURCES["chat"])),
        # Whoever entered the form is told up front why they have no decision to take.
        "entered_mine": who.t._(REFUSALS[Reason.ENTERED])
        if a.entered_by == who.user_id
        and not await rules.may_decide_entered(db, who.user_id, a, citizen)
        else None,
        "entered_by": await db.scalar(
            select(Profile.full_name).where(Profile.user_id == a.entered_by)
        )
        if a.entered_by is not None
        else None,
    }


async def _decided_before(db: AsyncSession, who: Viewer, a: Assessment) -> str:
    decider = await db.scalar(select(Profile.full_name).where(Profile.user_id == a.decided_by))
    return who.t._(DECIDED_BEFORE).format(
        status=who.t._(STATUS_NAMES[AssessmentStatus(a.status)]),
        who=decider or who.t._("một cán bộ khác"),
    )


def _adjustments(form: MultiMapping[str]) -> dict[str, dict[str, Any]]:
    """`points-I3` and `reason-I3` fields: the points an officer sets, and why."""
    found: dict[str, dict[str, Any]] = {}
    for name, value in form.items():
        if name.startswith("points-") and str(value).strip():
            indicator = name.removeprefix("points-")
            raw = str(value).strip()
            found[indicator] = {
                "points": int(raw) if raw.isdigit() else raw,
                "reason": str(form.get(f"reason-{indicator}", "")),
            }
    return found


async def _decision(request: web.Request, decision: str) -> web.Response:
    """Take a decision through its action; a refusal shows the case again with why (and,
    when someone else was first, who decided what)."""
    cfg, who = config(request), viewer(request)
    assessment_id = _id(request)
    form = await request.post()
    async with cfg.sessions() as db, db.begin():
        w = work(request, db)
        try:
            if decision == "approve":
                await review.approve(
                    w,
                    who.actor,
                    assessment_id,
                    adjustments=_adjustments(form),
                    confirm_duplicate=form.get("confirm_duplicate") == "yes",
                )
            elif decision == "return":
                await review.return_(
                    w,
                    who.actor,
                    assessment_id,
                    indicators=[str(i) for i in form.getall("indicator", [])],
                    comment=str(form.get("comment", "")),
                )
            elif decision == "reject":
                await review.reject(w, who.actor, assessment_id, reason=str(form.get("reason", "")))
            else:
                await review.reopen(w, who.actor, assessment_id, reason=str(form.get("reason", "")))
        except Refused as refused:
            failure = refused
            a = refused.assessment
            error = (
                await _decided_before(db, who, a)
                if refused.reason == Reason.DECIDED and a is not None
                else who.t._(REFUSALS.get(refused.reason, REFUSALS[Reason.NOT_STAFF]))
            )
        else:
            failure = None
    if failure is None:
        done = {"approve": "approved", "return": "returned", "reject": "rejected"}
        return see_other(f"/web/case/{assessment_id}?done={done.get(decision, 'reopened')}")
    if failure.reason in (Reason.OUT_OF_SCOPE, Reason.OWN_CASE):
        return refused_page(request, failure)
    return await _page(request, assessment_id, status=409, error=error, refused=failure, form=form)


async def decide(request: web.Request) -> web.Response:
    """/case/{id}/{decision}: approve, return, reject or reopen."""
    return await _decision(request, request.match_info["decision"])
