"""The main menu of a registered citizen, and the officers' menu (for staff, whether or
not they are citizens here too)."""

from __future__ import annotations

from handlers.actions import rules
from handlers.context import Context, steps
from handlers.events import Button, Event
from handlers.flows.common import me, pick, work
from storage.models import AssessmentStatus
from storage.repositories import certificates

FLOW = "menu"


async def show(ctx: Context) -> None:
    await ctx.go(FLOW, "main")


async def is_staff(ctx: Context) -> bool:
    return bool(await rules.roles_of(work(ctx), me(ctx)))


async def staff(ctx: Context) -> None:
    await ctx.go(FLOW, "staff")


def _assess_label(ctx: Context) -> str:
    a = ctx.assessment
    if a is None:
        return ctx._("Bắt đầu tự đánh giá")
    if a.status == AssessmentStatus.DRAFT:
        return ctx._("Tiếp tục tự đánh giá")
    if a.status == AssessmentStatus.RETURNED:
        return ctx._("Sửa bản tự đánh giá")
    return ctx._("Xem bản tự đánh giá")


@steps.step(FLOW, "main")
class Main:
    shown_whole = True  # re-prompted with the menu itself: it is the list of what to do

    @staticmethod
    async def buttons(ctx: Context) -> list[Button]:
        officer = [Button(ctx._("Việc của cán bộ"), "*staff")] if await is_staff(ctx) else []
        mine = [
            *officer,
            Button(_assess_label(ctx), "*assess"),
            Button(ctx._("Kết quả của tôi"), "*result"),
        ]
        if await certificates.holds_one(ctx.session, ctx.user.id):
            mine.append(Button(ctx._("Giấy chứng nhận của tôi"), "*certificate"))
        return [
            *mine,
            Button(ctx._("Kiểm tra kỹ năng số"), "*skills"),
            Button(ctx._("Gợi ý học tập"), "*learn"),
            Button(ctx._("Ngôn ngữ / Language"), "*lang"),
            Button(ctx._("Trợ giúp"), "*help"),
            Button(ctx._("Thông tin của tôi"), "*profile"),
            Button(ctx._("Xem dữ liệu của tôi"), "*mydata"),
            Button(ctx._("Xóa dữ liệu của tôi"), "*delete"),
        ]

    @staticmethod
    async def enter(ctx: Context) -> None:
        ctx.say(ctx._("TRANG CHÍNH: Anh/Chị chọn việc muốn làm."), await Main.buttons(ctx))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        from handlers.flows import commands

        choice = await pick(ctx, await Main.buttons(ctx))
        if choice is not None:
            await commands.run_payload(ctx, choice)


@steps.step(FLOW, "staff")
class Staff:
    """What an officer does in the chat, and the way to the web console."""

    shown_whole = True  # like the citizens' menu: the list of what to do is its own prompt

    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        registered = ctx.profile is not None and ctx.profile.is_registered
        return [
            Button(ctx._("Danh sách chờ"), "*pending"),
            Button(ctx._("Xem theo xã/đơn vị"), "*places"),
            Button(ctx._("Đã trả lại, chờ người dân"), "*returned"),
            Button(ctx._("Quyết định của tôi"), "*decided"),
            Button(ctx._("Báo cáo"), "*report"),
            Button(ctx._("Gửi thông báo"), "*broadcast"),
            Button(ctx._("Nhập hộ cho người dân"), "*assist"),
            Button(ctx._("Mở trang quản lý trên web"), "*web"),
            Button(ctx._("Trợ giúp cán bộ"), "*help"),
            Button(ctx._("Menu cá nhân"), "*menu")
            if registered
            else Button(ctx._("Đăng ký làm người dân"), "*start"),
        ]

    @staticmethod
    async def enter(ctx: Context) -> None:
        if not await is_staff(ctx):  # not staff, or a role ended meanwhile
            from handlers.flows.common import go_home

            ctx.say(ctx._("Lệnh này dành cho cán bộ Hội Khuyến học."))
            await go_home(ctx)
            return
        ctx.say(ctx._("VIỆC CỦA CÁN BỘ: Anh/Chị chọn việc muốn làm."), Staff.buttons(ctx))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        from handlers.flows import commands

        choice = await pick(ctx, Staff.buttons(ctx))
        if choice is not None:
            await commands.run_payload(ctx, choice)
