"""Global commands and menu actions: they work from any step.

Menu buttons carry payloads that start with "*"; like every payload they are re-checked
here (a person who has not registered cannot start an assessment by forging one)."""

from __future__ import annotations

from handlers.context import Context, steps
from handlers.events import Button
from handlers.flows import assessment, onboarding, privacy, results, review, staff
from handlers.flows.common import go_home
from handlers.i18n import LANGUAGE_NAMES, LOCALES

# Telegram allows only Latin command names; Vietnamese aliases help people who type them.
ALIASES = {
    "start": "start",
    "menu": "menu",
    "help": "help",
    "trogiup": "help",
    "lang": "lang",
    "ngonngu": "lang",
    "language": "lang",
    "result": "result",
    "ketqua": "result",
    "delete": "delete",
    "xoa": "delete",
    "xoadulieu": "delete",
    "stop": "stop",
    "officer": "officer",
    "pending": "pending",
    "choduyet": "pending",
    "review": "review",
    "canbo": "officer",
    "ngung": "stop",
}


async def run(ctx: Context, command: str) -> None:
    name = ALIASES.get(command.lower())
    if name is None:
        ctx.say(
            ctx._(
                "Tôi chưa biết lệnh /{command}. Anh/Chị gõ /menu để xem các việc có thể làm, "
                "hoặc /help để được hướng dẫn."
            ).format(command=command[:32])
        )
        await steps.enter(ctx)
        return
    await run_payload(ctx, "*" + name)


async def run_payload(ctx: Context, payload: str) -> None:
    action, _, argument = payload[1:].partition(":")
    if action == "lang" and argument:
        await _set_language(ctx, argument)
        return
    if action in ("review", "pending") and argument.isdigit():
        opener = review.open_ if action == "review" else review.show_pending
        await opener(ctx, int(argument))
        return
    handler = _ACTIONS.get(action)
    if handler is None:
        ctx.say(ctx._("Nút này không còn dùng được."))
        await steps.enter(ctx)
        return
    await handler(ctx)


async def _start(ctx: Context) -> None:
    if ctx.event.command == "start" and ctx.event.args.startswith("o_"):
        await staff.join(ctx, ctx.event.args[2:])  # an officer's invite link
        return
    commune = _linked_commune(ctx)
    if ctx.profile is None:
        await onboarding.begin(ctx, commune)
        return
    if ctx.profile.opted_out:
        ctx.profile.opted_out = False
        ctx.audit("pushes.resumed")
        ctx.say(ctx._("Anh/Chị sẽ nhận lại thông báo và nhắc việc."))
    if commune and not ctx.profile.is_registered and not ctx.profile.commune_code:
        ctx.profile.commune_code = commune
    await go_home(ctx)


def _linked_commune(ctx: Context) -> str | None:
    """A start link made for one commune (a QR code on its notice board): `c_<code>`."""
    args = ctx.event.args
    if ctx.event.command != "start" or not args.startswith("c_"):
        return None
    code = args[2:]
    return code if ctx.content.units.get(code) is not None else None


async def _menu(ctx: Context) -> None:
    if ctx.profile is None or not ctx.profile.is_registered:
        ctx.say(ctx._("Anh/Chị cần hoàn tất đăng ký trước khi dùng menu."))
    await go_home(ctx)


async def _help(ctx: Context) -> None:
    ctx.say(
        ctx._(
            "HƯỚNG DẪN\n"
            "Bấm nút, hoặc gõ số thứ tự của lựa chọn (1, 2, 3...), hoặc gõ chữ của lựa chọn, "
            "có dấu hay không dấu đều được.\n"
            "/menu: menu chính\n"
            "/result: xem kết quả tự đánh giá\n"
            "/lang: đổi ngôn ngữ\n"
            "/stop: ngừng nhận thông báo, nhắc việc\n"
            "/delete: xóa dữ liệu của tôi\n"
            "/help: hướng dẫn này"
        )
    )
    await steps.enter(ctx)


async def _lang(ctx: Context) -> None:
    ctx.say(
        ctx._("Chọn ngôn ngữ:"), [Button(LANGUAGE_NAMES[code], f"*lang:{code}") for code in LOCALES]
    )


async def _set_language(ctx: Context, code: str) -> None:
    if code not in LOCALES:
        ctx.say(ctx._("Nút này không còn dùng được."))
    else:
        ctx.user.locale = code
        ctx.say(ctx._("Đã chuyển sang tiếng Việt."))
    await steps.enter(ctx)


async def _stop(ctx: Context) -> None:
    if ctx.profile is None:
        ctx.say(ctx._("Anh/Chị chưa đăng ký nên sẽ không nhận thông báo nào."))
        await steps.enter(ctx)
        return
    ctx.profile.opted_out = True
    ctx.audit("pushes.stopped")
    ctx.say(
        ctx._(
            "Đã ngừng gửi thông báo và nhắc việc cho Anh/Chị. Anh/Chị vẫn dùng bot bình "
            "thường; gõ /start để nhận lại thông báo."
        )
    )
    await steps.enter(ctx)


async def _registered(ctx: Context) -> bool:
    if ctx.profile is not None and ctx.profile.is_registered:
        return True
    ctx.say(ctx._("Anh/Chị cần hoàn tất đăng ký trước."))
    await go_home(ctx)
    return False


async def _assess(ctx: Context) -> None:
    if await _registered(ctx):
        await assessment.begin(ctx)


async def _result(ctx: Context) -> None:
    if not await _registered(ctx):
        return
    if ctx.assessment is None:
        ctx.say(ctx._("Anh/Chị chưa có bản tự đánh giá năm {year}.").format(year=ctx.year))
    else:
        ctx.say(results.summary(ctx, ctx.assessment))
    await go_home(ctx)


async def _delete(ctx: Context) -> None:
    if ctx.profile is None:
        ctx.say(ctx._("Chúng tôi chưa lưu thông tin cá nhân nào của Anh/Chị."))
        await onboarding.begin(ctx)
        return
    await privacy.ask_to_delete(ctx)


async def _officer(ctx: Context) -> None:
    if ctx.event.command != "officer" or not ctx.event.args.strip():
        ctx.say(ctx._("Anh/Chị gõ /officer kèm mã mời, ví dụ: /officer AbC123xYz"))
        await steps.enter(ctx)
        return
    await staff.join(ctx, ctx.event.args)


async def _review(ctx: Context) -> None:
    if ctx.event.command == "review" and ctx.event.args.strip().isdigit():
        await review.open_(ctx, int(ctx.event.args))
    else:
        await review.show_pending(ctx)


_ACTIONS = {
    "start": _start,
    "menu": _menu,
    "help": _help,
    "lang": _lang,
    "stop": _stop,
    "assess": _assess,
    "result": _result,
    "delete": _delete,
    "officer": _officer,
    "pending": review.show_pending,
    "review": _review,
}
