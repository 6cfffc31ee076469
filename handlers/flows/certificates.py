"""Certificates of the title: issued with the approval, in the same transaction, and sent to
the citizen; asked for again with "my certificate". The PDF itself is made when the message
is sent (bot/documents.py), so a certificate revoked or erased meanwhile never leaves."""

from __future__ import annotations

from handlers.context import Context
from handlers.events import Attachment
from handlers.flows.common import go_home
from handlers.flows.results import STATUS_TEXT
from handlers.i18n import Translator
from storage.models import Assessment, AssessmentStatus, Certificate, Profile
from storage.repositories import certificates


def document(t: Translator, certificate: Certificate) -> Attachment:
    return Attachment(
        document=f"certificate:{certificate.code}",
        instead=t._("Tải giấy chứng nhận (tệp PDF) tại: {link}"),
    )


async def issue(ctx: Context, a: Assessment, citizen: Profile) -> None:
    """Issue the certificate of an approval just recorded and send it to the citizen."""
    certificate = await certificates.issue(
        ctx.session, a, citizen, province_code=ctx.content.units.province_code, now=ctx.now
    )
    ctx.audit("certificate.issued", subject=certificate.number)
    t = (await ctx.translators_for([citizen.user_id]))[citizen.user_id]
    ctx.say_to(
        citizen.user_id,
        t._(
            "Giấy chứng nhận Công dân học tập năm {year} của Anh/Chị, số {number}. "
            "Gõ /certificate để nhận lại giấy này bất cứ lúc nào."
        ).format(year=certificate.year, number=certificate.number),
        attachment=document(t, certificate),
    )


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
