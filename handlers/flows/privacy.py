"""The right to erasure: delete-my-data, and what declining consent leaves behind."""

from __future__ import annotations

from handlers.context import Context, steps
from handlers.events import Attachment, Button, Event, Reply
from handlers.flows.common import go_home, pick
from storage.repositories import erasure

FLOW = "privacy"


async def export(ctx: Context) -> None:
    """The right to see one's data: a short summary here, everything in a file (made when
    it is sent, so it is current)."""
    p = ctx.profile
    assert p is not None
    ctx.audit("data.exported", subject=f"user:{ctx.user.id}", channel=ctx.event.channel)
    pushes = (
        ctx._("không (đã ngừng; gõ /start để nhận lại)")
        if p.opted_out
        else ctx._("có (gõ /stop để ngừng)")
    )
    ctx.replies.append(
        Reply(
            text=ctx._(
                "DỮ LIỆU CỦA ANH/CHỊ\n- Họ tên: {name}\n- Năm sinh: {year}\n"
                "- Nhận thông báo và nhắc việc: {pushes}\n"
                "Tệp đính kèm có toàn bộ dữ liệu chúng tôi lưu về Anh/Chị."
            ).format(name=p.full_name or "-", year=p.birth_year or "-", pushes=pushes),
            attachment=Attachment(
                document=f"export:{ctx.user.id}",
                instead=ctx._(
                    "Tải tệp dữ liệu tại: {link}\nLiên kết chỉ dùng được trong thời gian ngắn; "
                    "xin đừng chia sẻ cho người khác."
                ),
            ),
        )
    )


async def ask_to_delete(ctx: Context) -> None:
    await ctx.go(FLOW, "confirm_delete")


async def erase(ctx: Context, *, audited: bool = True) -> None:
    """Remove the person: profile, answers, evidence references, certificates, conversation,
    identities, link codes, the raw updates of all their apps and every message to or about
    them (storage/repositories/erasure.py). An anonymous audit row says it happened; the
    engine then has the database's copies of the old pages overwritten (after commit)."""
    await erasure.forget(ctx.session, ctx.user)
    ctx.audit_entries.clear()  # nothing may point at the person any more
    if audited:
        ctx.audit("user.erased", anonymous=True, channel=ctx.event.channel)
    ctx.profile = None
    ctx.assessment = None
    ctx.deleted = True


@steps.step(FLOW, "confirm_delete")
class ConfirmDelete:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [Button(ctx._("Xóa hết"), "erase"), Button(ctx._("Không xóa"), "keep")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        ctx.say(
            ctx._(
                "Anh/Chị muốn xóa toàn bộ dữ liệu của mình? Những thứ sau sẽ bị xóa vĩnh viễn:\n"
                "- hồ sơ: họ tên, năm sinh, nhóm đối tượng, nơi ở\n"
                "- câu trả lời, minh chứng đã gửi và bản tự đánh giá\n"
                '- giấy chứng nhận "Công dân học tập" (nếu có): mã tra cứu sẽ không còn '
                "hiệu lực\n"
                "- kết quả kiểm tra kỹ năng số và gợi ý học tập\n"
                "- liên kết với các ứng dụng khác, tin nhắn và lịch sử trò chuyện trên mọi "
                "ứng dụng đã liên kết\n"
                "Việc này không hoàn tác được."
            ),
            ConfirmDelete.buttons(ctx),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        choice = await pick(ctx, ConfirmDelete.buttons(ctx))
        if choice == "erase":
            await erase(ctx)
            ctx.say(
                ctx._(
                    "Đã xóa toàn bộ dữ liệu của Anh/Chị. Cảm ơn Anh/Chị đã tham gia. "
                    "Gõ /start nếu muốn bắt đầu lại."
                )
            )
        elif choice == "keep":
            ctx.say(ctx._("Dữ liệu của Anh/Chị vẫn được giữ nguyên."))
            await go_home(ctx)
