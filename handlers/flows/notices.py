"""What the association's officers are told, in their own language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from content.scoring import ScoreResult
from handlers.actions import rules
from handlers.context import Context
from handlers.events import Button, Reply, ReplyKind
from handlers.flows import review
from handlers.flows.results import group_of
from storage.models import Assessment
from storage.repositories import audit, reviews

HOUR = timedelta(hours=1)
SUMMARY = "review.notice_summary"  # the audit note of a summary sent, per officer


async def submitted(
    ctx: Context,
    a: Assessment,
    result: ScoreResult,
    changed: Mapping[str, tuple[int | None, int]],
) -> None:
    """A new self-assessment to verify: to the officers responsible for this citizen."""
    p = ctx.profile
    assert p is not None
    # The nearest scope with none of the citizen's own person in it: an officer's own
    # submission goes to the scope above theirs.
    recipients = await rules.deciders(
        ctx.session, ctx.content, p, a.target_group, entered_by=a.entered_by
    )
    if not recipients:
        ctx.audit("assessment.unrouted", subject=str(a.id))  # no officer or admin yet
        return
    translators = await ctx.translators_for(recipients)
    group = group_of(ctx, a)
    commune = ctx.content.units.get(p.commune_code or "")
    place = ", ".join(x for x in (p.subunit_name, commune.name if commune else None) if x)
    without_evidence = sorted(
        group.indicator(x.indicator_id).number for x in a.answers if not x.evidence
    )
    low = sorted(group.indicator(i).number for i in result.low_indicators)
    for user_id in recipients:
        t = translators[user_id]
        if await _busy(ctx, user_id):
            continue
        verdict = t._("đạt các tiêu chí") if result.passed else t._("chưa đạt các tiêu chí")
        text = t._(
            "Có bản tự đánh giá mới cần xác minh:\n"
            "- {name}, sinh năm {year}\n- {place}\n- Nhóm: {group}\n"
            "- Tổng điểm: {total}/100 ({verdict})\n"
            "- Chỉ số dưới {minimum} điểm: {low}\n- Chưa có minh chứng: {missing}"
        ).format(
            name=p.full_name,
            year=p.birth_year,
            place=place,
            group=t.text(group.title),
            total=result.total,
            verdict=verdict,
            minimum=group.pass_rules.min_indicator.value,
            low=", ".join(map(str, low)) or t._("không có"),
            missing=", ".join(map(str, without_evidence)) or t._("không có"),
        )
        if changed:  # a resubmission after a return
            text += "\n" + t._("- Đã sửa so với lần nộp trước: {list}").format(
                list="; ".join(
                    f"{group.indicator(i).number} ({old} → {new})"
                    for i, (old, new) in sorted(
                        changed.items(), key=lambda kv: group.indicator(kv[0]).number
                    )
                )
            )
        ctx.replies.append(
            Reply(
                text=text,
                buttons=review.actions(t, a.id),
                kind=ReplyKind.NOTICE,
                to_user_id=user_id,
                about_user_id=ctx.user.id,
            )
        )


async def _busy(ctx: Context, officer: int) -> bool:
    """Whether this officer has more waiting than one notice each can help with
    (`notice_digest_threshold`): then they get one summary an hour instead, and True."""
    threshold = ctx.settings.notice_digest_threshold
    if not threshold:
        return False
    count = await reviews.count_waiting(
        ctx.session, await reviews.scopes(ctx.session, officer, ctx.content.routing)
    )
    if count <= threshold:
        return False
    noted = await audit.entries(ctx.session, subject=str(officer), since=ctx.now - HOUR)
    if not any(x.action == SUMMARY for x in noted):
        t = (await ctx.translators_for([officer]))[officer]
        ctx.replies.append(
            Reply(
                text=t._(
                    "Có {count} bản tự đánh giá đang chờ Anh/Chị xác minh. Khi có nhiều bản "
                    "chờ như vậy, tôi báo tóm tắt mỗi giờ một lần thay cho từng bản."
                ).format(count=count),
                buttons=(Button(t._("Danh sách chờ"), "*pending"),),
                kind=ReplyKind.NOTICE,
                to_user_id=officer,
            )
        )
        ctx.audit(SUMMARY, subject=str(officer), anonymous=True, waiting=count)
    return True
