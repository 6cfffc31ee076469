"""The conversations. Importing this package registers every step with the registry."""

from __future__ import annotations

import logging

from content.text import normalize
from handlers.context import Context, steps
from handlers.events import EventKind
from handlers.input import Problem, clean, problem_with

log = logging.getLogger(__name__)

FIRST_STEP = ("start", "consent")
# What people type to stop reminders and campaigns (compared without accents or case).
STOP_PHRASES = frozenset(
    {"ngung nhan tin", "dung nhan tin", "ngung nhan thong bao", "huy nhan tin", "stop"}
)


async def dispatch(ctx: Context) -> None:
    """Route one event: global commands and menu actions first, then the current step."""
    from handlers.flows.common import go_home, reprompt

    event = ctx.event
    if event.kind in (EventKind.BLOCKED, EventKind.UNBLOCKED):
        # Whether we may write to them; the conversation itself is untouched.
        ctx.identity.unreachable_at = ctx.now if event.kind is EventKind.BLOCKED else None
        return
    if not steps.known(ctx.conversation.flow, ctx.conversation.step):
        # A state saved by an older version whose step no longer exists.
        log.warning(
            "unknown step %s/%s for user %s; sending home",
            ctx.conversation.flow,
            ctx.conversation.step,
            ctx.user.id,
        )
        await go_home(ctx)
        return
    if assist.active(ctx):
        # An officer taking the questionnaire for someone: it is that person's conversation.
        await assist.relay(ctx)
        return
    if event.kind is EventKind.COMMAND:
        await commands.run(ctx, event.command)
        return
    if event.kind is EventKind.TEXT and (code := claiming.typed(ctx, event.text)) is not None:
        # Before the greeting too: a receipt's code may be a new chat's very first words.
        await claiming.begin(ctx, code)
        return
    if event.kind is EventKind.TEXT and (command := linking.typed(event.text)):
        # Before the greeting: "lien ket 123456" may well be a new app's very first words.
        await commands.run(ctx, command)
        return
    if ctx.first_contact:
        await onboarding.begin(ctx)
        return
    if event.kind is EventKind.TEXT and normalize(event.text) in STOP_PHRASES:
        # Opting out works in words too, from anywhere, even mid-questionnaire.
        await commands.run(ctx, "stop")
        return
    if event.kind is EventKind.TEXT and (payload := commands.typed(ctx, event.text)):
        # "menu", "tro giup", "English" without a slash: from anywhere too.
        await commands.run_payload(ctx, payload)
        return
    if event.kind is EventKind.BUTTON and event.payload.startswith("*"):
        await commands.run_payload(ctx, event.payload)
        return
    if event.kind is EventKind.TEXT:
        problem = problem_with(clean(event.text))
        if problem is not None:
            await reprompt(ctx, _problem_text(ctx, problem))
            return
    if event.kind is EventKind.UNSUPPORTED:
        await reprompt(ctx, _problem_text(ctx, Problem.NO_WORDS))
        return
    if event.kind is EventKind.CONTACT:
        await reprompt(ctx, ctx._("Cảm ơn Anh/Chị. Bot không cần số điện thoại."))
        return
    await steps.handle(ctx, event)


def _problem_text(ctx: Context, problem: Problem) -> str:
    if problem is Problem.TOO_LONG:
        return ctx._("Tin nhắn quá dài (tối đa 4.000 ký tự). Anh/Chị gõ ngắn gọn hơn nhé.")
    if problem is Problem.EMPTY:
        return ctx._("Tin nhắn trống. Anh/Chị vui lòng trả lời câu hỏi dưới đây.")
    return ctx._("Tôi chỉ đọc được chữ và số. Anh/Chị vui lòng trả lời câu hỏi dưới đây.")


async def apologise(ctx: Context) -> None:
    """After a failure on our side: say sorry and show where the person was."""
    ctx.say(
        ctx._(
            "Xin lỗi, hệ thống vừa gặp lỗi khi xử lý tin nhắn này. Câu trả lời trước đó của "
            "Anh/Chị vẫn được lưu. Anh/Chị vui lòng thử lại."
        )
    )
    try:
        await steps.enter(ctx)
    except Exception:
        # The prompt itself is what fails: the apology alone must still go out.
        log.exception(
            "prompt of %s/%s failed after a step failure",
            ctx.conversation.flow,
            ctx.conversation.step,
        )
        del ctx.replies[1:]


# Registering the steps (import order has no meaning beyond that).
from handlers.flows import (  # noqa: E402, F401
    approval,
    assessment,
    assist,
    broadcast,
    claiming,
    commands,
    guardian,
    linking,
    menu,
    onboarding,
    privacy,
    registration,
    review,
    skills,
)
