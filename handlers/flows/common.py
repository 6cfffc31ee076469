"""Primitives every step uses: understanding a choice, asking again, going home."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.actions import Actor, Work
from handlers.context import Context, steps
from handlers.events import Button, EventKind
from handlers.input import clean, match_choice


async def reprompt(ctx: Context, message: str | None = None) -> None:
    """A polite word on what went wrong, then the current question again."""
    ctx.say(
        message
        or ctx._(
            "Xin lỗi, tôi chưa hiểu câu trả lời. Anh/Chị vui lòng bấm một nút "
            "hoặc gõ số thứ tự của lựa chọn (ví dụ: 1)."
        )
    )
    await steps.enter(ctx)


async def pick(ctx: Context, buttons: Sequence[Button]) -> str | None:
    """The payload of the button a person chose, by press, number or typed label.

    Payloads are never trusted: one that is not among this step's buttons now (an old
    message, a forged press) is refused. On anything unclear the person is asked again and
    None comes back."""
    event = ctx.event
    if event.kind is EventKind.BUTTON:
        if any(b.payload == event.payload for b in buttons):
            return event.payload
        await reprompt(
            ctx,
            ctx._(
                "Nút này thuộc một câu hỏi trước nên không còn dùng được. "
                "Mời Anh/Chị trả lời câu hỏi hiện tại:"
            ),
        )
        return None
    if event.kind is EventKind.TEXT:
        index = match_choice(clean(event.text), [b.label for b in buttons])
        if index is not None:
            return buttons[index].payload
    if event.kind is EventKind.FILE:
        await reprompt(ctx, ctx._("Ở bước này chưa cần gửi tệp. Mời Anh/Chị trả lời câu hỏi:"))
        return None
    await reprompt(ctx)
    return None


def typed_text(ctx: Context) -> str | None:
    """The cleaned text of a typed message, or None for presses, files and the like."""
    if ctx.event.kind is not EventKind.TEXT:
        return None
    return clean(ctx.event.text)


async def go_home(ctx: Context) -> None:
    """Where a person belongs: the menu once registered, else back into sign-up."""
    from handlers.flows import menu, onboarding, registration

    if ctx.profile is None and await menu.is_staff(ctx):
        await menu.staff(ctx)  # an officer need not be a citizen too
    elif ctx.profile is None:
        await onboarding.begin(ctx)
    elif not ctx.profile.is_registered:
        await registration.resume(ctx)
    else:
        await menu.show(ctx)


def work(ctx: Context) -> Work:
    """This update's unit of work, as the actions take it."""
    return Work(ctx.session, ctx.content, ctx.catalogs, ctx.now)


def me(ctx: Context) -> Actor:
    """The person in the conversation, acting from the chat."""
    return Actor(ctx.user.id, "chat")
