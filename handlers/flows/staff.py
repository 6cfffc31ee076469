"""Becoming an officer or admin of the association with a one-time invite code."""

from __future__ import annotations

from handlers.actions import Refused
from handlers.actions import staff as act
from handlers.context import Context, steps
from handlers.flows.common import go_home, me, work
from handlers.i18n import N_
from storage.models import StaffRole

ROLE_NAMES = {
    StaffRole.OFFICER: N_("cán bộ xác minh"),
    StaffRole.ADMIN: N_("quản trị viên"),
}


async def join(ctx: Context, code: str) -> None:
    """Redeem an invite (from `/officer CODE` or a start link), then carry on where the
    person was. A wrong code is refused politely and noted, without the code itself."""
    try:
        joined = await act.join(work(ctx), me(ctx), code)
    except Refused:
        ctx.say(
            ctx._(
                "Mã mời không đúng, đã được dùng hoặc đã hết hạn. Anh/Chị hãy xin mã mới "
                "từ quản trị viên của Hội."
            )
        )
    else:
        ctx.say(
            ctx._(
                "Anh/Chị đã được ghi nhận là {role} của {scope}. Khi có bản tự đánh giá cần "
                "xác minh, tôi sẽ báo cho Anh/Chị tại đây."
            ).format(role=ctx._(ROLE_NAMES[StaffRole(joined.role.role)]), scope=joined.scope)
        )
        await go_home(ctx)  # the officers' menu, not the citizens' sign-up
        return
    await steps.enter(ctx)
