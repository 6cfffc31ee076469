"""The main menu of a registered citizen."""

from __future__ import annotations

from handlers.context import Context, steps
from handlers.events import Button, Event
from handlers.flows.common import pick
from storage.models import AssessmentStatus
from storage.repositories import certificates

FLOW = "menu"


async def show(ctx: Context) -> None:
    await ctx.go(FLOW, "main")


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
        mine = [Button(_assess_label(ctx), "*assess"), Button(ctx._("Kết quả của tôi"), "*result")]
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
        ctx.say(ctx._("MENU: Anh/Chị chọn việc muốn làm."), await Main.buttons(ctx))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        from handlers.flows import commands

        choice = await pick(ctx, await Main.buttons(ctx))
        if choice is not None:
            await commands.run_payload(ctx, choice)
