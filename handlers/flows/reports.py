"""`/report`: an officer receives the annual report of their unit or commune in the chat, an
admin that of their commune or of the province. The file is made when the message is sent
(the "report" document, see bot/documents/makers.py), and who may have it is checked again then."""

from __future__ import annotations

from handlers.context import Context, steps
from handlers.events import Attachment, Reply
from storage.models import Unit
from storage.repositories import reviews
from storage.repositories.reviews import Scope

DOCUMENT = "report"
FORMATS = ("xlsx", "csv")  # the chat sends the first; the console offers both


def scope_codes(roles: list[Scope]) -> list[str]:
    """The reports these roles may have: "" (the province) for a province admin, else each
    unit's or commune's code (a commune admin's is their commune's)."""
    if any(role.province for role in roles):
        return [""]
    codes = []
    for role in roles:
        if role.unit_id is not None:
            codes.append(f"{role.commune_code}-{role.unit_id}")
        elif role.commune_code is not None:
            codes.append(role.commune_code)
    return list(dict.fromkeys(codes))


def document(year: int, code: str, user_id: int, file_format: str = FORMATS[0]) -> str:
    """The document's name in the outbox: the year, the scope, who asked and, when not the
    chat's XLSX, the file's format."""
    name = f"{DOCUMENT}:{year}:{code}:{user_id}"
    return name if file_format == FORMATS[0] else f"{name}:{file_format}"


def parse(argument: str) -> tuple[int, str, int, str] | None:
    """The year, scope code, asker and file format of a report's document name."""
    file_format = FORMATS[0]
    head, _, last = argument.rpartition(":")
    if last in FORMATS:
        argument, file_format = head, last
    year, _, rest = argument.partition(":")
    code, _, user_id = rest.rpartition(":")
    if not (year.isdigit() and user_id.isdigit()):
        return None
    return int(year), code, int(user_id), file_format


async def _place(ctx: Context, code: str) -> str:
    if not code:
        return ctx.content.units.province_name
    commune_code, _, unit_id = code.partition("-")
    commune = ctx.content.units.get(commune_code)
    commune_name = commune.name if commune else commune_code
    unit = await ctx.session.get(Unit, int(unit_id)) if unit_id else None
    return f"{unit.name}, {commune_name}" if unit else commune_name


async def send_report(ctx: Context) -> None:
    roles = await reviews.scopes(ctx.session, ctx.user.id, ctx.content.routing)
    codes = scope_codes(roles)
    if not codes:
        ctx.say(ctx._("Lệnh này dành cho cán bộ Hội Khuyến học."))
        await steps.enter(ctx)
        return
    args = ctx.event.args.strip()
    year = int(args) if args.isdigit() and len(args) == 4 else ctx.year
    ctx.audit("report.requested", subject=str(year), scopes=codes)
    ctx.say(
        ctx._(
            "Đang lập báo cáo năm {year} (tệp Excel: tổng hợp, danh sách công nhận, danh sách "
            "chờ xác minh); tệp sẽ đến ngay sau tin này."
        ).format(year=year)
    )
    for code in codes:
        place = await _place(ctx, code)
        ctx.replies.append(
            Reply(
                ctx._("Báo cáo năm {year}: {place}").format(year=year, place=place),
                attachment=Attachment(
                    document=document(year, code, ctx.user.id),
                    instead=ctx._("Tải báo cáo (tệp Excel) tại: {link}"),
                ),
            )
        )
    await steps.enter(ctx)
