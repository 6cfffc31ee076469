"""Global commands and menu actions: they work from any step.

Menu buttons carry payloads that start with "*"; like every payload they are re-checked
here (a person who has not registered cannot start an assessment by forging one)."""

from __future__ import annotations

from handlers.context import Context, steps
from handlers.events import Button
from handlers.flows import (
    assessment,
    assist,
    broadcast,
    certificates,
    claiming,
    evidence,
    guardian,
    learning,
    linking,
    menu,
    onboarding,
    privacy,
    profile,
    reports,
    results,
    review,
    skills,
    staff,
    triage,
    web_signin,
)
from handlers.flows.common import contact_line, go_home
from handlers.i18n import LANGUAGE_NAMES, LOCALES, N_
from handlers.input import words
from storage.repositories import claims, outbox

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
    "mydata": "mydata",
    "profile": "profile",
    "thongtin": "profile",
    "guardian": "guardian",
    "giamho": "guardian",
    "dulieu": "mydata",
    "stop": "stop",
    "officer": "officer",
    "pending": "pending",
    "choduyet": "pending",
    "review": "review",
    "returned": "returned",
    "tralai": "returned",
    "decided": "decided",
    "daquyet": "decided",
    "places": "places",
    "theoxa": "places",
    "staff": "staff",
    "vieccanbo": "staff",
    "canbo": "officer",
    "ngung": "stop",
    "skills": "skills",
    "kynangso": "skills",
    "learn": "learn",
    "hoctap": "learn",
    "broadcast": "broadcast",
    "thongbao": "broadcast",
    "certificate": "certificate",
    "chungnhan": "certificate",
    "giaychungnhan": "certificate",
    "report": "report",
    "baocao": "report",
    "link": "link",
    "lienket": "link",
    "unlink": "unlink",
    "huylienket": "unlink",
    "web": "web",
    "trangquanly": "web",
    "claim": "claim",
    "nhanhoso": "claim",
    "assist": "assist",
    "nhapho": "assist",
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
        await steps.again(ctx)
        return
    await run_payload(ctx, "*" + name)


def typed(ctx: Context, text: str) -> str | None:
    """The menu payload of a command typed as words ("tro giup ạ", "English"), if it is one."""
    replies = ctx.content.replies
    plain = words(text, replies.particle_words)
    # As typed too: a command's own words may begin with a particle's ("đã học xong", "dạ").
    for typed in dict.fromkeys((words(text), plain)):
        if (command := replies.command_for(typed)) is not None:
            return "*" + command
    if (locale := replies.language_for(plain)) is not None and locale in LOCALES:
        return "*lang:" + locale
    return None


async def run_payload(ctx: Context, payload: str) -> None:
    action, _, argument = payload[1:].partition(":")
    if ctx.assisted_by is not None and action not in assist.ALLOWED:
        await assist.refuse(ctx)
        return
    if action == "lang" and argument:
        await _set_language(ctx, argument)
        return
    if action == "learned" and argument.isdigit():
        await learning.done(ctx, int(argument))
        return
    if action == "learnproof" and argument.isdigit():
        await learning.as_evidence(ctx, int(argument))
        await learning.after_evidence(ctx)
        return
    if action in broadcast.CONTROLS and argument.isdigit():
        await broadcast.control(ctx, action, int(argument))
        return
    if action == "pending" and argument.isdigit():
        await triage.show(ctx, page=int(argument))
        return
    if action == "unlink" and argument.isdigit():
        await linking.unlink(ctx, int(argument))
        return
    if action == "evidence" and argument.isdigit():
        await evidence.send(ctx, int(argument))
        return
    if argument.isdigit() and await review.start(ctx, action, int(argument)):
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
    if ctx.event.command == "start" and ctx.event.args.startswith(claims.LINK_PREFIX):
        await claiming.begin(ctx, ctx.event.args[len(claims.LINK_PREFIX) :])  # a receipt's QR
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
    registered = ctx.profile is not None and ctx.profile.is_registered
    if not registered and not await menu.is_staff(ctx):
        ctx.say(ctx._("Anh/Chị cần hoàn tất đăng ký trước khi dùng menu."))
    await go_home(ctx)


# One line per command: each its own message, so adding a command adds a line.
HELP_LINES = (
    ("menu", N_("menu chính")),
    ("result", N_("xem kết quả tự đánh giá")),
    ("skills", N_("kiểm tra kỹ năng số")),
    ("learn", N_("gợi ý học tập")),
    ("certificate", N_("giấy chứng nhận Công dân học tập của tôi")),
    ("lang", N_("đổi ngôn ngữ")),
    ("link", N_("dùng bot trên một ứng dụng khác (Zalo, Telegram) với cùng hồ sơ")),
    ("claim", N_("nhận hồ sơ phiếu giấy bằng mã trên biên nhận")),
    ("unlink", N_("gỡ liên kết ứng dụng này")),
    ("stop", N_("ngừng nhận thông báo, nhắc việc")),
    ("profile", N_("xem và sửa thông tin của tôi")),
    ("mydata", N_("xem dữ liệu của tôi")),
    ("delete", N_("xóa dữ liệu của tôi")),
    ("help", N_("hướng dẫn này")),
)
# What staff also have.
STAFF_LINES = (
    ("staff", N_("việc của cán bộ")),
    ("pending", N_("danh sách chờ xác minh")),
    ("review", N_("tìm theo tên và năm sinh, ví dụ: /review Lan 1975")),
    ("places", N_("bản chờ theo xã/phường và đơn vị")),
    ("returned", N_("bản đã trả lại, chờ người dân sửa")),
    ("decided", N_("các quyết định của tôi")),
    ("report", N_("báo cáo")),
    ("broadcast", N_("gửi thông báo")),
    ("assist", N_("nhập hộ bản tự đánh giá cho người dân ngồi cạnh (gõ lại để kết thúc)")),
    ("web", N_("mở trang quản lý trên web (đường dẫn đăng nhập)")),
    ("officer", N_("nhận vai trò cán bộ bằng mã mời")),
)


async def _help(ctx: Context) -> None:
    lines = [
        ctx._(
            "HƯỚNG DẪN\nBấm nút, hoặc gõ số thứ tự của lựa chọn (1, 2, 3...), hoặc gõ chữ của "
            "lựa chọn, có dấu hay không dấu đều được."
        ),
        *(f"/{command}: {ctx._(text)}" for command, text in HELP_LINES),
        contact_line(ctx),
    ]
    if await menu.is_staff(ctx):
        lines += [
            "",
            ctx._("DÀNH CHO CÁN BỘ"),
            *(f"/{command}: {ctx._(text)}" for command, text in STAFF_LINES),
        ]
    ctx.say("\n".join(lines))
    await steps.again(ctx)


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
    await steps.again(ctx)


async def _stop(ctx: Context) -> None:
    if ctx.profile is None:
        ctx.say(ctx._("Anh/Chị chưa đăng ký nên sẽ không nhận thông báo nào."))
        await steps.enter(ctx)
        return
    ctx.profile.opted_out = True
    # Written before the cancelling, so that a broadcast batch being queued at this moment
    # either saw the opt-out or is cancelled here (segments.people locks what it reads).
    await ctx.session.flush()
    await outbox.cancel_bulk_for_user(ctx.session, ctx.user.id, ctx.now)
    ctx.audit("pushes.stopped")
    ctx.say(
        ctx._(
            "Đã ngừng gửi thông báo và nhắc việc cho Anh/Chị. Anh/Chị vẫn dùng bot bình "
            "thường; gõ /start để nhận lại thông báo."
        )
    )
    await steps.again(ctx)


async def _registered(ctx: Context) -> bool:
    if ctx.profile is not None and ctx.profile.is_registered:
        return True
    ctx.say(ctx._("Anh/Chị cần hoàn tất đăng ký trước."))
    await go_home(ctx)
    return False


async def _assess(ctx: Context) -> None:
    if await _registered(ctx):
        await assessment.begin(ctx)


async def _skills(ctx: Context) -> None:
    if await _registered(ctx):
        await skills.begin(ctx)


async def _learn(ctx: Context) -> None:
    if await _registered(ctx):
        await learning.open_(ctx)


async def _result(ctx: Context) -> None:
    if not await _registered(ctx):
        return
    if ctx.assessment is None:
        ctx.say(ctx._("Anh/Chị chưa có bản tự đánh giá năm {year}.").format(year=ctx.year))
    else:
        ctx.say(results.summary(ctx, ctx.assessment))
    await go_home(ctx)


async def _mydata(ctx: Context) -> None:
    if ctx.profile is None:
        ctx.say(ctx._("Chúng tôi chưa lưu thông tin cá nhân nào của Anh/Chị."))
    else:
        await privacy.export(ctx)
    await steps.enter(ctx)


async def _certificate(ctx: Context) -> None:
    if await _registered(ctx):
        await certificates.show_mine(ctx)


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
    """`/review` the queue, `/review 123` a case by its number, `/review Lan 1975` the
    cases whose name has these words (and birth year)."""
    typed = ctx.event.args.strip() if ctx.event.command == "review" else ""
    if typed.isdigit():
        await review.start(ctx, "review", int(typed))
    else:
        await triage.show(ctx, search=typed)


_ACTIONS = {
    "start": _start,
    "menu": _menu,
    "help": _help,
    "lang": _lang,
    "stop": _stop,
    "assess": _assess,
    "result": _result,
    "skills": _skills,
    "learn": _learn,
    "mydata": _mydata,
    "profile": profile.show,
    "guardian": guardian.start,
    "certificate": _certificate,
    "delete": _delete,
    "officer": _officer,
    "pending": triage.pending,
    "returned": triage.returned,
    "decided": triage.decided,
    "places": triage.places,
    "staff": menu.staff,
    "review": _review,
    "broadcast": broadcast.begin,
    "report": reports.send_report,
    "link": linking.link,
    "unlink": linking.unlink,
    "web": web_signin.send_link,
    "claim": claiming.command,
    "assist": assist.start,
}
