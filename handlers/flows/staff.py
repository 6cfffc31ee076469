"""Becoming an officer or admin of the association with a one-time invite code."""

from __future__ import annotations

from handlers.context import Context, steps
from handlers.i18n import N_
from storage.models import StaffRole, Unit
from storage.repositories import staff as staff_repo

ROLE_NAMES = {
    StaffRole.OFFICER: N_("cán bộ xác minh"),
    StaffRole.ADMIN: N_("quản trị viên"),
}


async def join(ctx: Context, code: str) -> None:
    """Redeem an invite (from `/officer CODE` or a start link), then carry on where the
    person was. A wrong code is refused politely and noted, without the code itself."""
    joined = await staff_repo.redeem(ctx.session, code.strip(), ctx.user.id, ctx.now)
    if joined is None:
        ctx.audit("staff.invite_refused", channel=ctx.event.channel)
        ctx.say(
            ctx._(
                "Mã mời không đúng, đã được dùng hoặc đã hết hạn. Anh/Chị hãy xin mã mới "
                "từ quản trị viên của Hội."
            )
        )
    else:
        ctx.audit(
            "staff.joined",
            subject=f"staff:{joined.id}",
            role=joined.role,
            commune=joined.commune_code,
            unit=joined.unit_id,
        )
        ctx.say(
            ctx._(
                "Anh/Chị đã được ghi nhận là {role} của {scope}. Khi có bản tự đánh giá cần "
                "xác minh, tôi sẽ báo cho Anh/Chị tại đây."
            ).format(
                role=ctx._(ROLE_NAMES[StaffRole(joined.role)]),
                scope=await _scope_name(ctx, joined.commune_code, joined.unit_id),
            )
        )
    await steps.enter(ctx)


async def _scope_name(ctx: Context, commune_code: str | None, unit_id: int | None) -> str:
    units = ctx.content.units
    if commune_code is None:
        return units.province_name
    commune = units.get(commune_code)
    name = commune.name if commune else commune_code
    unit = await ctx.session.get(Unit, unit_id) if unit_id is not None else None
    return f"{unit.name}, {name}" if unit is not None else name
