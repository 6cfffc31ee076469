"""`/web`: a staff member asks for a link into the web console, and it comes in their chat."""

from __future__ import annotations

from handlers.actions import Refused, console
from handlers.context import Context, steps
from handlers.flows.common import me, work


async def send_link(ctx: Context) -> None:
    try:
        token = await console.signin_link(work(ctx), me(ctx))
    except Refused:
        ctx.say(ctx._("Lệnh này dành cho cán bộ Hội Khuyến học."))
    else:
        ctx.say(
            ctx._(
                "Mở liên kết này trên máy tính hoặc điện thoại để vào trang quản lý của Hội "
                "(dùng một lần, trong {minutes} phút; không chuyển cho người khác):\n{link}"
            ).format(
                minutes=int(console.SIGNIN_LIFETIME.total_seconds() // 60),
                link=f"{ctx.settings.site_url}/web/signin/{token}",
            )
        )
    await steps.enter(ctx)
