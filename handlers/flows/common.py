"""Primitives every step uses: understanding a choice, asking again, going home."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from handlers.actions import Actor, Work
from handlers.context import Context, steps
from handlers.events import Button, EventKind
from handlers.input import Vocabulary, clean, match_choice

# Not understood after this long away: welcomed back and shown where they were, whole.
WELCOME_BACK_AFTER = timedelta(hours=12)
MISSES = "misses"  # "not understood" in a row at this step, in the conversation's data
YES, NO = "yes", "no"  # the payloads of a step that asks a yes or no


async def reprompt(ctx: Context, line: str, *, whole: bool = False) -> None:
    """One line on what is expected, with the step's buttons again (not the whole question,
    unless `whole`: the person is looking at another one); from the second "not understood"
    in a row, whom to turn to as well."""
    misses = int(ctx.data.get(MISSES, 0)) + 1
    ctx.conversation.data = {**ctx.data, MISSES: misses}  # a new dict: JSON edits are unseen
    if misses >= 2:
        line = f"{line}\n{contact_line(ctx)}"
    if ctx.away >= WELCOME_BACK_AFTER:
        line = ctx._("Chào mừng Anh/Chị quay lại! Chúng ta tiếp tục từ chỗ đang dở:")
        whole = True
    controls = None if whole else await steps.controls(ctx)
    if controls is None:
        ctx.say(line)
        await steps.enter(ctx)
        return
    buttons, number_answer = controls
    ctx.say(line, buttons, number_answer=number_answer)


def contact_line(ctx: Context) -> str:
    """The person's commune association (or the province's), in their language."""
    contact = ctx.content.contacts.for_commune(ctx.profile.commune_code if ctx.profile else None)
    name = ctx.t.text(contact.name)
    if contact.phone is None:
        return ctx._("Cần người giúp? Anh/Chị liên hệ {name}.").format(name=name)
    return ctx._("Cần người giúp? Anh/Chị gọi {name}: {phone}.").format(
        name=name, phone=contact.phone
    )


def choice_expected(ctx: Context, buttons: Sequence[Button]) -> str:
    """What a step with options expects, as the channel shows them: buttons, or numbered
    lines (word options have no number)."""
    if not ctx.numbered:
        return ctx._("Anh/Chị bấm một nút bên dưới, hoặc gõ vài chữ của câu trả lời.")
    last = sum(1 for b in buttons if not b.word)
    if last < 2:  # no range to name
        return ctx._("Anh/Chị gõ vài chữ của câu trả lời bên dưới.")
    return ctx._("Anh/Chị gõ số thứ tự (1–{last}) hoặc vài chữ của câu trả lời.").format(last=last)


def vocabulary(ctx: Context) -> Vocabulary:
    replies = ctx.content.replies
    return Vocabulary(replies.particle_words, replies.yes_words, replies.no_words)


async def pick(ctx: Context, buttons: Sequence[Button], expected: str | None = None) -> str | None:
    """The payload of the button a person chose, by press, number or typed label.

    Payloads are never trusted: one that is not among this step's buttons now (an old
    message, a forged press) is refused. On anything unclear the person is asked again
    (with `expected`, the step's own line on what it wants, if given) and None comes back."""
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
            whole=True,
        )
        return None
    if event.kind is EventKind.TEXT:
        payloads = [b.payload for b in buttons]
        asks_yes = YES in payloads and NO in payloads
        yes_no = (payloads.index(YES), payloads.index(NO)) if asks_yes else None
        text = clean(event.text)
        # A typed number counts the numbered options only (word options have none).
        choices = [b for b in buttons if not b.word] if text.isdigit() else list(buttons)
        index = match_choice(text, [b.label for b in choices], vocabulary(ctx), yes_no)
        if index is not None:
            return choices[index].payload
    if event.kind is EventKind.FILE:
        await reprompt(
            ctx, ctx._("Ở bước này chưa cần gửi tệp. Mời Anh/Chị trả lời câu hỏi:"), whole=True
        )
        return None
    await reprompt(ctx, expected or choice_expected(ctx, buttons))
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
