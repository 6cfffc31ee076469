"""'My details' (`/profile`): what we hold about the person, and a way to correct each item.
The questions are registration's own (same checks), asked again with `edit` set; what a
change then does is decided in handlers/actions/profile.py."""

from __future__ import annotations

from handlers.actions import profile as action
from handlers.context import Context, steps
from handlers.events import Button, Event
from handlers.flows import certificates, menu
from handlers.flows.common import pick
from handlers.i18n import Translator

FLOW = "profile"

# Each detail and the registration question that asks it.
QUESTIONS = {
    action.Detail.NAME: "name",
    action.Detail.BIRTH_YEAR: "birth_year",
    action.Detail.GROUP: "group",
    action.Detail.COMMUNE: "commune",
    action.Detail.SUBUNIT: "subunit",
}


async def show(ctx: Context) -> None:
    if ctx.profile is None or not ctx.profile.is_registered:
        ctx.say(ctx._("Anh/Chị cần hoàn tất đăng ký trước khi dùng menu."))
        await steps.enter(ctx)
        return
    await ctx.go(FLOW, "main")


def details(ctx: Context, t: Translator) -> str:
    """The person's details as lines, in `t`'s language."""
    p = ctx.profile
    assert p is not None
    group = next((g for g in ctx.content.groups(ctx.year) if g.id == p.target_group), None)
    commune = ctx.content.units.get(p.commune_code or "")
    return t._(
        "- Họ tên: {name}\n- Năm sinh: {year}\n- Nhóm: {group}\n- Xã/phường: {commune}\n"
        "- Thôn/đơn vị: {subunit}"
    ).format(
        name=p.full_name,
        year=p.birth_year,
        group=t.text(group.title) if group else p.target_group,
        commune=commune.name if commune else p.commune_code,
        subunit=p.subunit_name or t._("(không có)"),
    )


@steps.step(FLOW, "main")
class Main:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [
            Button(ctx._("Sửa họ tên"), action.Detail.NAME),
            Button(ctx._("Sửa năm sinh"), action.Detail.BIRTH_YEAR),
            Button(ctx._("Sửa nhóm đối tượng"), action.Detail.GROUP),
            Button(ctx._("Sửa xã/phường"), action.Detail.COMMUNE),
            Button(ctx._("Sửa thôn/đơn vị"), action.Detail.SUBUNIT),
            Button(ctx._("Về trang chính"), "menu"),
        ]

    @staticmethod
    async def enter(ctx: Context) -> None:
        ctx.say(
            ctx._("THÔNG TIN CỦA ANH/CHỊ\n{details}\nAnh/Chị muốn sửa mục nào?").format(
                details=details(ctx, ctx.t)
            ),
            Main.buttons(ctx),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        choice = await pick(ctx, Main.buttons(ctx))
        if choice == "menu":
            await menu.show(ctx)
        elif choice is not None:
            await ctx.go("register", QUESTIONS[action.Detail(choice)], edit=True)


async def changed(ctx: Context, detail: action.Detail, value: str | int | action.Subunit) -> None:
    """A registration question answered in `edit` mode: the change as the rules decide,
    told to the person (and to the case's officers), then back to their details."""
    assert ctx.profile is not None
    result = await action.change(
        ctx.session,
        actor_id=ctx.user.id,
        person=ctx.profile,
        assessment=ctx.assessment,
        detail=detail,
        value=value,
        content=ctx.content,
        year=ctx.year,
        now=ctx.now,
    )
    if result.draft_reset:
        ctx.assessment = None
    ctx.say(_said(ctx, result))
    if result.outcome is action.Outcome.REISSUED:
        assert result.certificate is not None
        ctx.say(
            ctx._("Giấy chứng nhận số {number} đã được cấp lại với thông tin mới.").format(
                number=result.certificate.number
            ),
            attachment=certificates.document(ctx.t, result.certificate),
        )
    await _tell_officers(ctx, result.officers)
    if detail is action.Detail.COMMUNE and result.outcome is action.Outcome.CHANGED:
        await ctx.go("register", QUESTIONS[action.Detail.SUBUNIT], edit=True)  # the new village
        return
    await ctx.go(FLOW, "main")


def _said(ctx: Context, result: action.Result) -> str:
    outcome = result.outcome
    if outcome is action.Outcome.UNCHANGED:
        return ctx._("Thông tin này không thay đổi.")
    if outcome is action.Outcome.NEEDS_OFFICER:
        return ctx._(
            "Bản tự đánh giá năm nay của Anh/Chị đã được nộp nên việc đổi xã/phường hoặc nhóm "
            "đối tượng cần cán bộ Hội Khuyến học thực hiện. Anh/Chị vui lòng liên hệ cán bộ "
            "Hội ở xã/phường của mình."
        )
    if outcome is action.Outcome.UNDER_AGE:
        return ctx._(
            "Người dưới 16 tuổi chỉ đăng ký được nhóm người học, và cần có sự đồng ý của cha "
            "mẹ hoặc người giám hộ. Anh/Chị vui lòng liên hệ cán bộ Hội Khuyến học."
        )
    if outcome is action.Outcome.NOTED:
        return ctx._("Đã sửa. Cán bộ đang xác minh bản tự đánh giá của Anh/Chị đã được báo.")
    if result.draft_reset:
        return ctx._(
            "Đã sửa. Bản tự đánh giá đang làm dở theo nhóm cũ đã được bỏ; Anh/Chị làm lại "
            "theo bộ tiêu chí của nhóm mới."
        )
    return ctx._("Đã sửa.")


async def _tell_officers(ctx: Context, officers: list[int]) -> None:
    """A note on the case for each officer responsible for it, in their language."""
    if not officers:
        return
    speak = await ctx.translators_for(officers)
    for officer in officers:
        t = speak[officer]
        note = t._(
            "Ghi chú cho bản tự đánh giá đang xác minh: người nộp đã sửa thông tin cá nhân.\n"
            "{details}"
        )
        ctx.say_to(officer, note.format(details=details(ctx, t)), about=ctx.user.id)
