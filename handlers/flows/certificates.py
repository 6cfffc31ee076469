"""A citizen's certificate, asked for again with "my certificate" (issued and revoked by
the actions in handlers/actions/certificates.py)."""

from __future__ import annotations

from handlers.actions.certificates import document
from handlers.context import Context
from handlers.flows.common import go_home
from handlers.flows.results import STATUS_TEXT
from storage.models import AssessmentStatus
from storage.repositories import certificates


async def show_mine(ctx: Context) -> None:
    """The person's latest valid certificate, or why they have none."""
    held = await certificates.of_user(ctx.session, ctx.user.id)
    valid = next((c for c in held if c.revoked_at is None), None)
    if valid is not None:
        ctx.say(
            ctx._("Giấy chứng nhận Công dân học tập năm {year} của Anh/Chị, số {number}.").format(
                year=valid.year, number=valid.number
            ),
            attachment=document(ctx.t, valid),
        )
    elif held:
        ctx.say(
            ctx._(
                "Giấy chứng nhận năm {year} của Anh/Chị đã bị Hội Khuyến học thu hồi. "
                "Lý do: {reason}"
            ).format(year=held[0].year, reason=held[0].revoke_reason or "")
        )
    else:
        ctx.say(_why_none(ctx))
    await go_home(ctx)


def _why_none(ctx: Context) -> str:
    issued_when = ctx._(
        "Anh/Chị chưa có giấy chứng nhận. Giấy chứng nhận được cấp khi Hội Khuyến học "
        "duyệt bản tự đánh giá của Anh/Chị."
    )
    a = ctx.assessment
    if a is None:
        now = ctx._("Anh/Chị chưa có bản tự đánh giá năm {year}.").format(year=ctx.year)
    else:
        now = ctx._("Bản tự đánh giá năm {year} của Anh/Chị: {status}.").format(
            year=a.year, status=ctx._(STATUS_TEXT[AssessmentStatus(a.status)])
        )
    return f"{issued_when}\n{now}"
