"""Assisted entry (`/assist`): an officer takes the questionnaire for a person sitting beside
them. The person's consent is given in person, with the officer as witness; then the
officer's chat drives the person's own conversation (the same registration and assessment
steps), every answer marked as entered by the officer. At the end (submitted, or `/assist`
again) the person gets a claim code to take the record over in their own chat, and the
officer's conversation goes on where it was.

The state lives in the officer's conversation (this flow's step, the person's id and where
the officer was) and in the person's own, so a restart loses nothing."""

from __future__ import annotations

import dataclasses
from typing import Any

from content.text import normalize
from handlers.actions import Refused, claims, rules
from handlers.context import Context, steps
from handlers.events import Button, Event, EventKind
from handlers.flows import FIRST_STEP, onboarding, registration
from handlers.flows.common import go_home, me, pick, work
from storage.models import AssessmentStatus, Conversation, Profile, User
from storage.repositories import chats, links
from storage.repositories import claims as claim_codes

FLOW = "assist"
ACTIVE = "active"
# What the officer may do in the person's conversation: its own steps, nothing that acts on
# chats or data as a whole (linking, erasure, an officer's work).
ALLOWED = frozenset({"menu", "help", "assess", "result", "profile", "lang"})
_ENDS = frozenset({"ket thuc nhap ho", "xong nhap ho", "huy nhap ho"})


async def start(ctx: Context) -> None:
    """`/assist`: officers only; first the person's consent, read out to them."""
    if not await rules.roles_of(work(ctx), me(ctx)):
        ctx.say(ctx._("Lệnh này dành cho cán bộ Hội Khuyến học."))
        await steps.enter(ctx)
        return
    where = {"flow": ctx.conversation.flow, "step": ctx.conversation.step, "data": ctx.data}
    await ctx.go(FLOW, "consent", resume=where)


@steps.step(FLOW, "consent")
class Consent:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [
            Button(ctx._("Người dân đồng ý"), "yes"),
            Button(ctx._("Người dân không đồng ý"), "no"),
        ]

    @staticmethod
    async def enter(ctx: Context) -> None:
        ctx.say(
            ctx._(
                "NHẬP HỘ: Anh/Chị làm bản tự đánh giá cho một người dân đang ngồi cạnh. "
                "Anh/Chị đọc cho người dân nghe thông báo dưới đây và hỏi họ có đồng ý "
                "không. Anh/Chị là người chứng kiến sự đồng ý này."
            )
        )
        ctx.say(onboarding.notice(ctx), Consent.buttons(ctx))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        choice = await pick(ctx, Consent.buttons(ctx))
        if choice == "no":
            ctx.say(ctx._("Không tạo hồ sơ nào cho người dân."))
            await _resume_own(ctx)
        elif choice == "yes":
            await _begin(ctx)


async def _begin(ctx: Context) -> None:
    """A new person (no chat of their own) with consent given in person; the officer's chat
    now drives their registration."""
    roles = await rules.roles_of(work(ctx), me(ctx))
    commune = next((r.commune_code for r in roles if r.commune_code), None)
    citizen = User(locale=ctx.user.locale, created_at=ctx.now, profile=None)
    citizen.conversation = Conversation(
        flow=FIRST_STEP[0], step=FIRST_STEP[1], data={}, version=1, updated_at=ctx.now
    )
    citizen.profile = Profile(
        consent_at=ctx.now,
        consent_how="in_person",
        consent_witness=ctx.user.id,
        notice_version=ctx.settings.notice_version,
        commune_code=commune,  # the officer's own commune, as a commune's link presets it
        updated_at=ctx.now,
    )
    ctx.session.add(citizen)
    await ctx.session.flush()
    resume = ctx.data.get("resume", {})
    ctx.conversation.flow, ctx.conversation.step = FLOW, ACTIVE
    ctx.conversation.data = {"citizen": citizen.id, "resume": resume}
    theirs = _as_citizen(ctx, citizen)
    theirs.audit("consent.given", notice_version=ctx.settings.notice_version, how="in_person")
    ctx.say(
        ctx._(
            "Đã ghi nhận sự đồng ý của người dân (Anh/Chị chứng kiến). Từ giờ các câu hỏi là "
            "của người dân: Anh/Chị hỏi họ và nhập câu trả lời. Gõ /assist bất cứ lúc nào để "
            "kết thúc nhập hộ."
        )
    )
    await registration.resume(theirs)


def _as_citizen(ctx: Context, citizen: User) -> Context:
    """The person's conversation, driven from the officer's chat: replies go to the
    officer, audit rows name the officer as actor."""
    return dataclasses.replace(
        ctx,
        user=citizen,
        conversation=citizen.conversation,
        profile=citizen.profile,
        assessment=None,
        first_contact=False,
        assisted_by=ctx.user.id,
    )


def active(ctx: Context) -> bool:
    return ctx.conversation.flow == FLOW and ctx.conversation.step == ACTIVE


async def relay(ctx: Context) -> None:
    """An event of an assisting officer: to the person's conversation, or the end."""
    from handlers.flows import dispatch

    theirs = await _citizen(ctx)
    if theirs is None:
        ctx.say(ctx._("Hồ sơ đang nhập hộ không còn nữa."))
        await _resume_own(ctx)
        return
    if _ends(ctx) or not await rules.roles_of(work(ctx), me(ctx)):  # or the role ended
        await _finish(ctx, theirs)
        return
    start = len(ctx.replies)
    await dispatch(theirs)
    a = theirs.assessment
    if a is not None and a.status == AssessmentStatus.SUBMITTED:
        # The person's menu and suggestions are of no use in the officer's chat now; they
        # find them in their own once they claim the record.
        ctx.replies[start:] = [
            r for r in ctx.replies[start:] if not r.buttons or r.to_user_id is not None
        ]
        await _finish(ctx, theirs)


async def _citizen(ctx: Context) -> Context | None:
    citizen = await links.load_person(ctx.session, int(ctx.data.get("citizen", 0)))
    if citizen is None or citizen.conversation is None:
        return None
    theirs = _as_citizen(ctx, citizen)
    theirs.assessment = (await chats.load_assessments(ctx.session, [citizen.id], ctx.year)).get(
        citizen.id
    )
    return theirs


def _ends(ctx: Context) -> bool:
    event = ctx.event
    if event.kind is EventKind.COMMAND:
        from handlers.flows.commands import ALIASES

        return ALIASES.get(event.command.lower()) == "assist"
    if event.kind is EventKind.BUTTON:
        return event.payload == "*assist"
    return event.kind is EventKind.TEXT and normalize(event.text) in _ENDS


async def _finish(ctx: Context, theirs: Context) -> None:
    """The person gets their claim code (a person not yet registered is not kept); the
    officer's own conversation goes on."""
    p = theirs.profile
    if p is None or not p.is_registered:
        ctx.audit("assist.abandoned", subject=str(theirs.user.id))
        await ctx.session.delete(theirs.user)
        ctx.say(ctx._("Đã kết thúc nhập hộ. Người dân chưa đăng ký xong nên hồ sơ không được lưu."))
    else:
        try:
            code = await claims.for_assisted(work(ctx), me(ctx), p, key=ctx.settings.link_code_key)
        except Refused:  # their own chat took the record over meanwhile
            code = None
        ctx.audit("assist.ended", subject=str(theirs.user.id))
        lines = [ctx._("Đã kết thúc nhập hộ cho {name}.").format(name=p.full_name)]
        if code is not None:
            lines.append(
                ctx._(
                    "MÃ NHẬN HỒ SƠ: {code}\n"
                    "Anh/Chị ghi mã này cho người dân (hoặc in biên nhận cho thôn/đơn vị). "
                    "Người dân mở bot của Hội trên Zalo hoặc Telegram, gửi mã này và năm sinh "
                    "để nhận hồ sơ, xem kết quả và giấy chứng nhận trên điện thoại của mình."
                ).format(code=claim_codes.shown(code))
            )
        ctx.say("\n".join(lines))
    await _resume_own(ctx)


async def _resume_own(ctx: Context) -> None:
    where: dict[str, Any] = ctx.data.get("resume") or {}
    flow, step = where.get("flow", ""), where.get("step", "")
    if not steps.known(flow, step) or flow == FLOW:
        await go_home(ctx)
        return
    ctx.conversation.flow, ctx.conversation.step = flow, step
    ctx.conversation.data = dict(where.get("data") or {})
    await steps.enter(ctx)


@steps.step(FLOW, ACTIVE)
class Active:
    """Shown again (after an apology, say): the person's current question."""

    @staticmethod
    async def enter(ctx: Context) -> None:
        theirs = await _citizen(ctx)
        if theirs is None:
            await _resume_own(ctx)
            return
        await steps.enter(theirs)

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        await relay(ctx)


async def refuse(ctx: Context) -> None:
    """A command that is not the person's own step, pressed while assisting."""
    ctx.say(
        ctx._(
            "Trong lúc nhập hộ, Anh/Chị chỉ làm được các bước đăng ký và tự đánh giá của người "
            "dân. Gõ /assist để kết thúc nhập hộ."
        )
    )
    await steps.enter(ctx)
