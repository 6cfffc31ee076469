"""Taking over a record an officer entered (a paper form, or assisted entry): the citizen
sends the code on their receipt (the receipt's QR link `/start claim-<code>`, `/claim
<code>`, "nhan ho so <code>", or the bare code before registering) and confirms their birth
year; their chat then joins the record with the mechanics of linking
(`links.attach`), so its answers, status and certificate are theirs in chat.

Records are never merged: a chat that is already someone's registered record (or staff,
or linked to another app) is refused, with the way out explained, as linking does."""

from __future__ import annotations

import re

from content.text import normalize
from handlers.context import Context, steps
from handlers.events import Button, Event, EventKind
from handlers.flows import certificates, results
from handlers.flows.common import contact_line, go_home, pick, reprompt, typed_text
from handlers.input import first_number
from storage.models import Conversation, User
from storage.repositories import chats, claims, links

FLOW = "claim"
_TYPED = re.compile(r"(?:nhan ho so|nhan phieu|claim)[: ]*([\d .-]*)")
_BARE = re.compile(r"[\d .-]+")


def typed(ctx: Context, text: str) -> str | None:
    """The code in a typed "nhan ho so 1234 5678 9012" ("" for the words alone); before
    registering, the bare code too (what a receipt says to send on Zalo)."""
    if ctx.assisted_by is not None:  # an officer typing for someone claims nothing
        return None
    said = normalize(text)
    if match := _TYPED.fullmatch(said):
        return _digits(match.group(1))
    registered = ctx.profile is not None and ctx.profile.is_registered
    if not registered and _BARE.fullmatch(said) and len(_digits(said)) == claims.CODE_DIGITS:
        return _digits(said)
    return None


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


async def command(ctx: Context) -> None:
    """`/claim` with the code, or alone: then the code is asked for."""
    if ctx.event.kind is EventKind.TEXT:
        code = typed(ctx, ctx.event.text) or ""
    else:
        code = _digits(ctx.event.args)
    await begin(ctx, code)


async def begin(ctx: Context, code: str) -> None:
    """A code sent: if it is live and this chat may take its record, ask the birth year."""
    if not code:
        await ctx.go(FLOW, "code")
        return
    if await links.wrong_guesses(ctx.session, ctx.user.id, ctx.now, claims.WRONG_CODE) >= (
        links.WRONG_GUESSES_PER_PERSON
    ):
        ctx.say(
            ctx._(
                "Anh/Chị đã nhập sai mã nhận hồ sơ nhiều lần. Vui lòng đợi {minutes} phút rồi "
                "thử lại."
            ).format(minutes=int(links.GUESS_WINDOW.total_seconds() // 60))
        )
        await steps.enter(ctx)
        return
    complete = len(code) == claims.CODE_DIGITS
    found = await claims.find(ctx.session, code, ctx.settings.link_code_key) if complete else None
    if found is None:
        if complete:  # a guess that could have matched
            ctx.audit(claims.WRONG_CODE)
        ctx.say(
            ctx._(
                "Mã nhận hồ sơ không đúng hoặc không còn dùng được. Anh/Chị kiểm tra lại "
                "{digits} chữ số trên biên nhận rồi gửi lại."
            ).format(digits=claims.CODE_DIGITS)
        )
        await steps.enter(ctx)
        return
    refusal = await _refusal(ctx, found.user_id)
    if refusal is not None:
        ctx.audit("claim.refused", subject=str(found.user_id))
        ctx.say(f"{refusal}\n{contact_line(ctx)}")
        await steps.enter(ctx)
        return
    await ctx.go(FLOW, "birth_year", code=found.id)


async def _refusal(ctx: Context, owner: int) -> str | None:
    """Why this chat may not take the record over, if it may not."""
    if owner == ctx.user.id:
        return ctx._("Hồ sơ này đã là của Anh/Chị trên ứng dụng này rồi.")
    registered = ctx.profile is not None and ctx.profile.is_registered
    if (
        registered
        or await links.has_role(ctx.session, ctx.user.id)
        or len(await links.identities(ctx.session, ctx.user.id)) > 1
    ):
        return ctx._(
            "Tài khoản này đã có hồ sơ riêng, nên tôi không gộp với hồ sơ trên biên nhận. "
            "Nếu hồ sơ trên biên nhận mới là của Anh/Chị, Anh/Chị gõ /delete để xóa dữ liệu "
            "ở đây rồi gửi lại mã, hoặc nhờ cán bộ Hội Khuyến học xã/phường giúp."
        )
    return None


@steps.step(FLOW, "code")
class Code:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [Button(ctx._("Hủy"), "cancel")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        ctx.say(
            ctx._(
                "Anh/Chị gõ mã nhận hồ sơ ({digits} chữ số) in trên biên nhận Hội Khuyến học "
                "đã đưa, ví dụ: 1234 5678 9012"
            ).format(digits=claims.CODE_DIGITS),
            Code.buttons(ctx),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        code = _digits(typed_text(ctx) or "")
        if len(code) >= claims.CODE_DIGITS // 2:
            await begin(ctx, code)
        elif await pick(ctx, Code.buttons(ctx)) == "cancel":
            await go_home(ctx)


@steps.step(FLOW, "birth_year")
class BirthYear:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [Button(ctx._("Hủy"), "cancel")]

    @staticmethod
    def number_answer(ctx: Context) -> bool:
        return True

    @staticmethod
    async def enter(ctx: Context) -> None:
        ctx.say(
            ctx._(
                "Mã đúng. Để xác nhận đây là hồ sơ của Anh/Chị, Anh/Chị sinh năm nào? "
                "(gõ 4 chữ số, ví dụ: 1965)"
            ),
            BirthYear.buttons(ctx),
            number_answer=True,
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        year = first_number(typed_text(ctx) or "")
        if year is None or year != int(year) or not 1000 <= year <= 9999:
            expected = ctx._("Anh/Chị gõ năm sinh bằng 4 chữ số, ví dụ: 1965.")
            if await pick(ctx, BirthYear.buttons(ctx), expected) == "cancel":
                await go_home(ctx)
            return
        live = await claims.still_live(ctx.session, int(ctx.data.get("code", 0)))
        target = await links.load_person(ctx.session, live.user_id) if live else None
        if live is None or target is None or target.profile is None:
            await _gone(ctx)
            return
        if target.profile.birth_year != int(year):
            left = await claims.wrong_birth_year(ctx.session, live.id)
            ctx.audit("claim.wrong_birth_year", subject=str(target.id), left=left)
            if left == 0:
                await _gone(ctx)
                return
            await reprompt(
                ctx,
                ctx._(
                    "Năm sinh không khớp với hồ sơ. Anh/Chị còn {left} lần thử; nếu không chắc, "
                    "Anh/Chị hỏi cán bộ Hội Khuyến học xã/phường."
                ).format(left=left),
            )
            return
        if not await claims.consume(ctx.session, live.id):
            await _gone(ctx)
            return
        await _take_over(ctx, target)


async def _gone(ctx: Context) -> None:
    ctx.say(
        ctx._(
            "Mã nhận hồ sơ này không còn dùng được. Anh/Chị nhờ cán bộ Hội Khuyến học "
            "xã/phường in biên nhận mới."
        )
    )
    await go_home(ctx)


async def _take_over(ctx: Context, target: User) -> None:
    """This chat joins the record: the chat's own empty start is dropped, its language kept."""
    target.locale = ctx.user.locale
    if target.conversation is None:  # entered on paper: no conversation of its own yet
        target.conversation = Conversation(
            flow=FLOW, step="birth_year", data={}, version=1, updated_at=ctx.now
        )
    await links.attach(ctx.session, ctx.identity, target)
    ctx.identity.last_seen_at = ctx.now
    ctx.user, ctx.conversation, ctx.profile = target, target.conversation, target.profile
    ctx.assessment = (await chats.load_assessments(ctx.session, [target.id], ctx.year)).get(
        target.id
    )
    ctx.audit("claim.taken", subject=str(target.id), identity=ctx.identity.id)
    ctx.say(
        ctx._(
            "Đã nhận hồ sơ! Từ nay Anh/Chị xem kết quả, nhận thông báo và giấy chứng nhận "
            "ngay tại đây."
        )
    )
    if ctx.assessment is not None:
        ctx.say(results.summary(ctx, ctx.assessment))
    await certificates.show_mine(ctx)
