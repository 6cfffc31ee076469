"""How a self-assessment reads back to its author: points, total, the rule that applies,
and, when it falls short, exactly why."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from content import CriteriaGroup, Indicator
from content.scoring import ScoreResult
from handlers.context import Context
from handlers.i18n import N_
from handlers.scores import adjustment_lines, result_of
from storage.models import Answer, Assessment, AssessmentStatus, Profile

STATUS_TEXT = {
    AssessmentStatus.DRAFT: N_("đang làm, chưa nộp"),
    AssessmentStatus.SUBMITTED: N_("đã nộp, đang chờ Hội Khuyến học xác minh"),
    AssessmentStatus.RETURNED: N_("Hội Khuyến học trả lại để bổ sung"),
    AssessmentStatus.APPROVED: N_("đã được công nhận"),
    AssessmentStatus.REJECTED: N_("không được công nhận"),
    AssessmentStatus.REOPENED: N_("Hội Khuyến học đã mở lại, đang xem xét lại"),
}


def group_of(ctx: Context, assessment: Assessment) -> CriteriaGroup:
    return ctx.content.criteria_for(assessment.target_group, assessment.year)


def evaluate(
    ctx: Context,
    assessment: Assessment,
    citizen: Profile | None = None,
    adjustments: Mapping[str, Mapping[str, Any]] | None = None,
) -> ScoreResult:
    """The result under the pass rules of the citizen's commune (the person in the
    conversation, unless an officer is looking at someone else's)."""
    citizen = citizen or ctx.profile
    assert citizen is not None
    return result_of(ctx.content, assessment, citizen, adjustments)


def answered(ctx: Context, indicator: Indicator, answer: Answer | None) -> str:
    """What the citizen answered, in words: the option's label, or the number with its
    unit ("7 buổi"); what the officers check against the evidence."""
    if answer is None:
        return ctx._("chưa trả lời")
    if indicator.number_input is not None and answer.raw_value is not None:
        unit = ctx.t.text(indicator.number_input.unit)
        return f"{ctx.t.number(answer.raw_value)} {unit}"
    option = next((o for o in indicator.options if o.id == answer.option_id), None)
    return ctx.t.text(option.label) if option is not None else "?"


def level(ctx: Context, indicator: Indicator, points: int) -> str:
    """The answers that give these points, in words: the options' labels, or the ranges of
    the number with its unit."""
    if indicator.number_input is None:
        return " / ".join(ctx.t.text(o.label) for o in indicator.options if o.points == points)
    unit, n = ctx.t.text(indicator.number_input.unit), ctx.t.number
    ranges = []
    for band in indicator.number_input.bands:
        if band.points != points:
            continue
        if band.max is None:
            ranges.append(ctx._("từ {min} {unit}").format(min=n(band.min), unit=unit))
        else:
            ranges.append(
                ctx._("từ {min} đến dưới {max} {unit}").format(
                    min=n(band.min), max=n(band.max), unit=unit
                )
            )
    return " / ".join(ranges)


def summary(
    ctx: Context, assessment: Assessment, citizen: Profile | None = None, *, words: bool = False
) -> str:
    """The assessment read back; with `words` (an officer's screens) each indicator shows
    the answer before its points."""
    group = group_of(ctx, assessment)
    result = evaluate(ctx, assessment, citizen)
    t = ctx.t
    lines = [
        ctx._("BẢN TỰ ĐÁNH GIÁ NĂM {year} ({group})").format(
            year=assessment.year, group=t.text(group.title)
        ),
        ctx._("Trạng thái: {status}").format(
            status=ctx._(STATUS_TEXT[AssessmentStatus(assessment.status)])
        ),
    ]
    competency = None
    answers = {x.indicator_id: x for x in assessment.answers} if words else {}
    for indicator in group.indicators:
        if indicator.competency != competency:
            competency = indicator.competency
            lines.append("")
            lines.append(t.text(group.competency(competency).title))
        points = result.per_indicator.get(indicator.id)
        shown = ctx._("chưa trả lời") if points is None else f"{points}/{indicator.max_points}"
        if words and points is not None:
            shown = ctx._("{answer}: {points} điểm").format(
                answer=answered(ctx, indicator, answers.get(indicator.id)), points=shown
            )
        lines.append(f"  {indicator.number}. {t.text(indicator.title)}: {shown}")
    lines.append("")
    lines.append(
        ctx._(
            "Tổng điểm: {total}/{max}. Mức cần đạt: {threshold} điểm, "
            "không chỉ số nào dưới {minimum} điểm."
        ).format(
            total=result.total,
            max=sum(i.max_points for i in group.indicators),
            threshold=result.threshold,
            minimum=group.pass_rules.min_indicator.value,
        )
    )
    if result.threshold < group.pass_rules.min_total.value:
        lines.append(
            ctx._(
                "(Mức {threshold} điểm áp dụng cho xã/phường vùng khó khăn, vùng "
                "sâu, vùng xa, vùng đồng bào dân tộc thiểu số.)"
            ).format(threshold=result.threshold)
        )
    lines.extend(verdict(ctx, group, result))
    if assessment.adjustments:
        lines.append(ctx._("Hội Khuyến học điều chỉnh điểm khi duyệt:"))
        lines.extend(adjustment_lines(ctx.t, group, assessment))
    if assessment.status == AssessmentStatus.RETURNED:
        lines.append(
            ctx._("Hội Khuyến học đề nghị sửa chỉ số: {list}. Nhận xét: {note}").format(
                list=", ".join(str(group.indicator(i).number) for i in assessment.reopened),
                note=assessment.decision_note or "",
            )
        )
    lines.append("")
    lines.append(
        ctx._(
            "Lưu ý: đây là kết quả tự đánh giá; Hội Khuyến học sẽ xác minh và công nhận. "
            "Cách diễn đạt các câu hỏi là bản dự thảo, chưa phải văn bản chính thức của "
            "Hội Khuyến học Việt Nam."
        )
    )
    return "\n".join(lines)


def verdict(ctx: Context, group: CriteriaGroup, result: ScoreResult) -> list[str]:
    """Whether the result passes and, if not, each rule it misses, in words."""
    if result.passed:
        return [ctx._("Kết quả: ĐẠT các tiêu chí (theo tự đánh giá).")]
    lines = [ctx._("Kết quả: CHƯA ĐẠT, vì:")]
    if result.missing:
        lines.append(
            ctx._("- còn {count} chỉ số chưa trả lời: {numbers}").format(
                count=len(result.missing),
                numbers=", ".join(str(group.indicator(i).number) for i in result.missing),
            )
        )
    if "min_total" in result.failed_rules:
        lines.append(
            ctx._(
                "- tổng điểm {total} thấp hơn mức cần đạt {threshold}: còn thiếu {gap} điểm"
            ).format(
                total=result.total, threshold=result.threshold, gap=result.threshold - result.total
            )
        )
    for indicator_id in result.low_indicators:
        indicator = group.indicator(indicator_id)
        lines.append(
            ctx._("- chỉ số {number} ({title}) chỉ đạt {points} điểm, dưới {minimum}").format(
                number=indicator.number,
                title=ctx.t.text(indicator.title),
                points=result.per_indicator[indicator_id],
                minimum=group.pass_rules.min_indicator.value,
            )
        )
    return lines
