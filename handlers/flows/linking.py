"""One person on several apps: `/link` shows a one-time code on the app they use, and the
code sent from another app attaches that app's identity to them (`/unlink` takes one off).

The identity that sends the code joins the person who asked for it, with their profile,
assessment and conversation: whatever they were doing (a half-answered self-assessment)
goes on from the same question on the new app, and the identity's own empty start is
dropped. Two histories are never merged: an identity whose person has data of their own
(a profile, a role) or other identities is refused, with the way out explained.
"""

from __future__ import annotations

import re

from content.text import normalize
from handlers.context import Context, steps
from handlers.events import Button, EventKind, Reply, ReplyKind
from handlers.flows import FIRST_STEP
from storage.models import ChannelIdentity
from storage.repositories import chats, links

# What people type instead of the commands, compared without accents or case.
_TYPED_LINK = re.compile(r"(?:lien ket|link)[: ]*([\d ]*)")
_TYPED_UNLINK = re.compile(r"(?:huy lien ket|go lien ket|unlink)")


def typed(text: str) -> str | None:
    """The command a typed phrase stands for ("lien ket 123456": link), if any."""
    said = normalize(text)
    if _TYPED_LINK.fullmatch(said):
        return "link"
    if _TYPED_UNLINK.fullmatch(said):
        return "unlink"
    return None


async def link(ctx: Context) -> None:
    """`/link` alone shows a code; with a code, links this app to the code's person."""
    sent = _sent_along(ctx)
    if sent is None:
        await _show_code(ctx)
    else:
        await _redeem(ctx, "".join(c for c in sent if c.isdigit()))


def _sent_along(ctx: Context) -> str | None:
    """What came after the command (`/link 123 456`, "lien ket 123456"); None if nothing."""
    if ctx.event.kind is EventKind.TEXT:
        match = _TYPED_LINK.fullmatch(normalize(ctx.event.text))
        words = match.group(1) if match else ""
    else:
        words = ctx.event.args
    return words.strip() or None


async def _show_code(ctx: Context) -> None:
    code = links.shown(
        await links.issue(
            ctx.session,
            user_id=ctx.user.id,
            channel=ctx.event.channel,
            now=ctx.now,
            key=ctx.settings.link_code_key,
        )
    )
    ctx.audit("link.code_issued", channel=ctx.event.channel)
    ctx.say(
        ctx._(
            "MÃ LIÊN KẾT: {code}\n"
            "Mã chỉ dùng được một lần, trong {minutes} phút.\n"
            "Trên ứng dụng kia (ví dụ Zalo hoặc Telegram), Anh/Chị mở bot của Hội và nhắn:\n"
            "/link {code}\n"
            "hoặc gõ: lien ket {code}\n"
            "Sau đó Anh/Chị dùng được cả hai ứng dụng với cùng một hồ sơ."
        ).format(code=code, minutes=int(links.CODE_LIFETIME.total_seconds() // 60))
    )


async def _redeem(ctx: Context, code: str) -> None:
    if await links.wrong_guesses(ctx.session, ctx.user.id, ctx.now) >= (
        links.WRONG_GUESSES_PER_PERSON
    ):
        ctx.say(
            ctx._(
                "Anh/Chị đã nhập sai mã liên kết nhiều lần. Vui lòng đợi {minutes} phút rồi "
                "thử lại với mã mới."
            ).format(minutes=int(links.GUESS_WINDOW.total_seconds() // 60))
        )
        return
    found = (
        await links.find(ctx.session, code, ctx.now, ctx.settings.link_code_key)
        if len(code) == links.CODE_DIGITS
        else None
    )
    if found is None:
        if len(code) == links.CODE_DIGITS:  # a guess that could have matched
            ctx.audit(links.WRONG_CODE, channel=ctx.event.channel)
        ctx.say(
            ctx._(
                "Mã liên kết không đúng hoặc đã hết hạn. Anh/Chị kiểm tra lại {digits} chữ số "
                "rồi gửi lại, hoặc gõ /link trên ứng dụng kia để lấy mã mới."
            ).format(digits=links.CODE_DIGITS)
        )
        return
    refusal = await _refusal(ctx, found)
    if refusal is not None:
        await links.refused(ctx.session, found.id)
        ctx.audit("link.refused", channel=ctx.event.channel)
        ctx.say(refusal)
        return
    target = await links.load_person(ctx.session, found.user_id)
    if target is None or not await links.consume(ctx.session, found.id):
        # The person was erased, or the code used, a moment ago.
        ctx.say(
            ctx._(
                "Mã liên kết này vừa hết hiệu lực. Anh/Chị gõ /link trên ứng dụng kia để lấy "
                "mã mới."
            )
        )
        return
    others = await links.identities(ctx.session, target.id)
    await links.attach(ctx.session, ctx.identity, target)
    ctx.identity.last_seen_at = ctx.now  # the app they use now: where news goes
    ctx.user, ctx.conversation, ctx.profile = target, target.conversation, target.profile
    ctx.assessment = (await chats.load_assessments(ctx.session, [target.id], ctx.year)).get(
        target.id
    )
    ctx.audit("link.attached", channel=ctx.event.channel, identity=ctx.identity.id)
    _warn_others(ctx, others)
    ctx.say(
        ctx._(
            "Đã liên kết! Từ nay Anh/Chị dùng bot trên cả hai ứng dụng với cùng một hồ sơ. "
            "Thông báo và nhắc việc sẽ gửi tới ứng dụng Anh/Chị dùng gần nhất. "
            "Anh/Chị tiếp tục ngay tại đây:"
        )
    )
    await steps.enter(ctx)


async def _refusal(ctx: Context, found: links.Live) -> str | None:
    """Why this identity may not join the code's person, if it may not."""
    if found.user_id == ctx.user.id:
        if found.channel == ctx.event.channel:
            return ctx._(
                "Mã này cần được gửi trên ứng dụng kia (ứng dụng Anh/Chị muốn liên kết thêm), "
                "không phải ở đây."
            )
        return ctx._("Hai ứng dụng này đã được liên kết với nhau rồi.")
    theirs = await links.identities(ctx.session, found.user_id)
    if any(i.channel == ctx.event.channel for i in theirs):
        return ctx._(
            "Hồ sơ kia đã liên kết với một tài khoản khác trên ứng dụng này. Muốn đổi, "
            "Anh/Chị gõ /unlink trên tài khoản đó trước."
        )
    if len(await links.identities(ctx.session, ctx.user.id)) > 1:
        return ctx._(
            "Tài khoản này đang liên kết với một ứng dụng khác. Anh/Chị gõ /unlink ở đây "
            "trước, rồi gửi lại mã liên kết."
        )
    if ctx.profile is not None or await links.has_role(ctx.session, ctx.user.id):
        return ctx._(
            "Tài khoản trên ứng dụng này đã có dữ liệu riêng (hồ sơ, bản tự đánh giá hoặc "
            "vai trò cán bộ), nên tôi không gộp hai hồ sơ với nhau. Nếu muốn dùng hồ sơ bên "
            "kia ở đây, Anh/Chị gõ /delete để xóa dữ liệu trên ứng dụng này trước, rồi gửi "
            "lại mã liên kết. Nếu không, Anh/Chị cứ dùng mỗi ứng dụng với hồ sơ riêng."
        )
    return None


def _warn_others(ctx: Context, others: list[ChannelIdentity]) -> None:
    """Tell the apps already linked, in case it was not the person who sent the code: one
    press there undoes it."""
    for other in others:
        if other.unreachable_at is not None:
            continue
        ctx.replies.append(
            Reply(
                text=ctx._(
                    "Hồ sơ của Anh/Chị vừa được liên kết thêm với một ứng dụng khác. Nếu "
                    "không phải Anh/Chị làm việc này, hãy bấm nút dưới đây để gỡ liên kết đó."
                ),
                buttons=(
                    Button(ctx._("Không phải tôi, gỡ liên kết"), f"*unlink:{ctx.identity.id}"),
                ),
                kind=ReplyKind.NOTICE,
                to_user_id=ctx.user.id,
                to_chat=(other.channel, other.chat_id),
            )
        )


async def unlink(ctx: Context, identity_id: int | None = None) -> None:
    """Detach an identity: this one (`/unlink`), or another of the person's (the button of
    the warning above). The data stays with the person; the identity starts afresh."""
    if identity_id is None:
        identity: ChannelIdentity | None = ctx.identity
    else:
        identity = await links.identity_of(ctx.session, identity_id, ctx.user.id)
        if identity is None or identity is ctx.identity:
            ctx.say(ctx._("Nút này không còn dùng được."))
            return
    if len(await links.identities(ctx.session, ctx.user.id)) < 2:
        ctx.say(ctx._("Tài khoản này chưa liên kết với ứng dụng nào khác."))
        return
    ctx.audit("link.detached", channel=identity.channel, identity=identity.id)
    fresh = await links.detach(
        ctx.session, identity, flow=FIRST_STEP[0], step=FIRST_STEP[1], now=ctx.now
    )
    if identity is not ctx.identity:
        ctx.say(
            ctx._(
                "Đã gỡ liên kết ứng dụng kia khỏi hồ sơ của Anh/Chị. Hồ sơ vẫn được giữ nguyên ở "
                "đây."
            )
        )
        await steps.enter(ctx)
        return
    ctx.user, ctx.conversation = fresh, fresh.conversation
    ctx.profile = ctx.assessment = None
    ctx.say(
        ctx._(
            "Đã gỡ liên kết. Hồ sơ của Anh/Chị vẫn ở ứng dụng kia; ứng dụng này không dùng hồ "
            "sơ đó nữa. Gõ /start nếu muốn bắt đầu mới ở đây."
        )
    )
