"""First contact: who we are, the data notice, and an explicit choice."""

from __future__ import annotations

from handlers.context import Context, steps
from handlers.events import Button, Event
from handlers.flows import privacy, registration
from handlers.flows.common import pick
from storage.models import Profile

FLOW = "start"


async def begin(ctx: Context, commune: str | None = None) -> None:
    """Show the notice; a commune from a deep link waits in the state until consent."""
    await ctx.go(FLOW, "consent", **({"commune": commune} if commune else {}))


def notice(ctx: Context) -> str:
    """The data notice a person consents to: in their chat, or read to them by an officer
    (handlers/flows/assist.py)."""
    return ctx._(
        "THÔNG BÁO VỀ DỮ LIỆU CÁ NHÂN\n"
        "- Thông tin thu thập: họ tên, năm sinh, nhóm đối tượng, xã/phường (và thôn, "
        "tổ dân phố hoặc cơ quan, trường nếu Anh/Chị muốn), các câu trả lời tự đánh giá "
        "và minh chứng Anh/Chị gửi. Chúng tôi không bao giờ hỏi ảnh căn cước.\n"
        "- Mục đích: đánh giá, công nhận danh hiệu Công dân học tập và gợi ý tài liệu "
        "học tập phù hợp.\n"
        "- Bên kiểm soát dữ liệu: {controller}.\n"
        "- Bản tự đánh giá sẽ được gửi tới Hội Khuyến học xã/phường (hoặc chi hội tại "
        "cơ quan, trường học) để xác minh và công nhận.\n"
        "- Anh/Chị có quyền xem, sửa, rút lại sự đồng ý và xóa dữ liệu bất cứ lúc nào "
        "(gõ /delete).\n"
        "Anh/Chị có đồng ý cho chúng tôi xử lý dữ liệu như trên không?"
    ).format(controller=ctx.settings.data_controller)


@steps.step(FLOW, "consent")
class Consent:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [Button(ctx._("Đồng ý"), "yes"), Button(ctx._("Không đồng ý"), "no")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        ctx.say(
            ctx._(
                'Xin chào! Tôi là trợ lý "Công dân học tập" của {association}.\n'
                "Tôi giúp Anh/Chị đăng ký, tự đánh giá theo bộ tiêu chí Công dân học tập "
                "(10 chỉ số, 100 điểm), xem kết quả và gửi bản tự đánh giá để Hội Khuyến học "
                "xem xét, công nhận."
            ).format(association=ctx.settings.data_controller)
        )
        ctx.say(notice(ctx), Consent.buttons(ctx))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        choice = await pick(ctx, Consent.buttons(ctx))
        if choice == "yes":
            ctx.profile = Profile(
                user_id=ctx.user.id,
                consent_at=ctx.now,
                notice_version=ctx.settings.notice_version,
                commune_code=ctx.data.get("commune"),
                updated_at=ctx.now,
            )
            ctx.session.add(ctx.profile)
            ctx.audit("consent.given", notice_version=ctx.settings.notice_version)
            await registration.resume(ctx)
        elif choice == "no":
            await privacy.erase(ctx, audited=False)
            ctx.say(
                ctx._(
                    "Cảm ơn Anh/Chị. Chúng tôi không lưu thông tin cá nhân nào. "
                    "Khi muốn tham gia, Anh/Chị gõ /start."
                )
            )
