"""The other side of consent for a child under 16: `/guardian CODE`, sent by a parent or
guardian from their own chat (or by an officer holding the signed paper form), shows whose
registration it is and records the consent with who gave it and how."""

from __future__ import annotations

from handlers.context import Context, steps
from handlers.events import Button, Event
from handlers.flows.common import go_home, pick
from storage.models import Profile
from storage.repositories import guardians, links, reviews

FLOW = "guardian"


async def start(ctx: Context) -> None:
    """`/guardian CODE`: the child the code belongs to, for the sender to confirm."""
    key = ctx.settings.link_code_key
    if await links.wrong_guesses(ctx.session, ctx.user.id, ctx.now, guardians.WRONG_CODE) >= (
        links.WRONG_GUESSES_PER_PERSON
    ):
        ctx.say(
            ctx._(
                "Anh/Chị đã nhập sai mã nhiều lần. Vui lòng đợi {minutes} phút rồi thử lại."
            ).format(minutes=int(links.GUESS_WINDOW.total_seconds() // 60))
        )
        return
    code = "".join(c for c in ctx.event.args if c.isdigit())
    child = await guardians.child_of(ctx.session, code, ctx.now, key) if code else None
    if child is None:
        if len(code) == links.CODE_DIGITS:
            ctx.audit(guardians.WRONG_CODE, channel=ctx.event.channel)
        ctx.say(
            ctx._(
                "Mã xác nhận không đúng hoặc đã hết hạn. Anh/Chị kiểm tra lại {digits} chữ số "
                "mà con em mình nhận được từ bot."
            ).format(digits=links.CODE_DIGITS)
        )
        return
    if child.user_id == ctx.user.id:
        ctx.say(
            ctx._(
                "Mã này cần được cha mẹ hoặc người giám hộ gửi từ điện thoại của họ, không phải "
                "từ tài khoản của Anh/Chị."
            )
        )
        return
    await ctx.go(FLOW, "confirm", child=child.user_id, code=code)


async def _child(ctx: Context) -> Profile | None:
    """The child of the code being confirmed, if it is still live."""
    return await guardians.child_of(
        ctx.session, ctx.data.get("code", ""), ctx.now, ctx.settings.link_code_key
    )


@steps.step(FLOW, "confirm")
class Confirm:
    @staticmethod
    async def buttons(ctx: Context) -> list[Button]:
        choices = [Button(ctx._("Tôi là cha mẹ/người giám hộ và đồng ý"), "chat")]
        if await reviews.scopes(ctx.session, ctx.user.id, ctx.content.routing):
            choices.append(Button(ctx._("Cán bộ: ghi nhận giấy đồng ý đã ký"), "paper"))
        return [*choices, Button(ctx._("Không đồng ý"), "no")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        child = await _child(ctx)
        if child is None:
            ctx.say(ctx._("Mã xác nhận này không còn dùng được."))
            await go_home(ctx)
            return
        ctx.say(
            ctx._(
                "XÁC NHẬN ĐỒNG Ý CỦA CHA MẸ HOẶC NGƯỜI GIÁM HỘ\n"
                "{name}, sinh năm {year}, muốn tham gia Công dân học tập qua bot của {controller}. "
                "Bot sẽ lưu họ tên, năm sinh, nơi học tập và các câu trả lời tự đánh giá để Hội "
                "Khuyến học xem xét, công nhận. Anh/Chị có đồng ý không?"
            ).format(
                name=child.full_name,
                year=child.birth_year,
                controller=ctx.settings.data_controller,
            ),
            await Confirm.buttons(ctx),
            about=child.user_id,
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        choice = await pick(ctx, await Confirm.buttons(ctx))
        if choice is None:
            return
        child = await _child(ctx)
        t = (await ctx.translators_for([child.user_id]))[child.user_id] if child else ctx.t
        if child is None:
            ctx.say(ctx._("Mã xác nhận này không còn dùng được."))
        elif choice == "no":
            ctx.audit("consent.guardian_declined", subject=f"user:{child.user_id}")
            ctx.say(ctx._("Đã ghi nhận: Anh/Chị không đồng ý."))
            ctx.say_to(
                child.user_id,
                t._(
                    'Cha mẹ hoặc người giám hộ của Anh/Chị chưa đồng ý. Anh/Chị có thể bấm "Hủy '
                    'đăng ký" để xóa thông tin đã nhập.'
                ),
            )
        else:
            how = choice  # "chat", or "paper": offered to staff only, and pick() allows
            # nothing that was not offered
            await guardians.consent(ctx.session, child, by=ctx.user.id, how=how, now=ctx.now)
            ctx.audit("consent.guardian", subject=f"user:{child.user_id}", how=how)
            ctx.say(ctx._("Đã ghi nhận sự đồng ý. Cảm ơn Anh/Chị."))
            ctx.say_to(
                child.user_id,
                t._(
                    'Cha mẹ hoặc người giám hộ của Anh/Chị đã đồng ý. Anh/Chị bấm "Đã xác nhận, '
                    'tiếp tục" để đăng ký tiếp.'
                ),
            )
        await go_home(ctx)
