"""Options as a numbered list, for channels without buttons: how they are shown, and which
option a typed number picks.

A typed number means the option of that number in the last message the person was sent, when
that message offered options: it may be a notice's option (an officer's "Duyệt") rather than
one of the current question's. Anything else goes on as typed text, which each step also
matches against its own options (by number or by label). Word options (`Button.word`) are
shown in brackets without a number and chosen by typing their words: a reminder's controls,
so that a number typed after a reminder still answers the question.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from handlers.events import Button, Event, EventKind, Reply


def option_lines(buttons: Sequence[Button]) -> list[str]:
    numbered = [b for b in buttons if not b.word]
    lines = [f"[{n}] {b.label}" for n, b in enumerate(numbered, start=1)]
    return lines + [f"[{b.label}]" for b in buttons if b.word]


def with_options(text: str, buttons: Sequence[Button]) -> str:
    """The text followed by its options, one a line."""
    return "\n".join([text, *option_lines(buttons)]) if buttons else text


def chosen(typed: str, shown: Reply | None) -> Button | None:
    """The option a typed number picks among those shown, or None when it picks none (not
    a number, out of range, or the question wants a number of the person's own)."""
    typed = typed.strip()
    if shown is None or shown.number_answer or not typed.isdigit():
        return None
    numbered = [b for b in shown.buttons if not b.word]
    number = int(typed)
    return numbered[number - 1] if 1 <= number <= len(numbered) else None


def typed_numbers(events: Iterable[Event]) -> list[Event]:
    """The typed texts that may be option numbers."""
    return [e for e in events if e.kind is EventKind.TEXT and e.text.strip().isdigit()]


def as_presses(
    events: Sequence[Event], last_sent: Mapping[tuple[str, str], dict[str, Any]]
) -> list[Event]:
    """Events with each typed option number turned into a press of that option; `last_sent`
    holds the payload of the last message sent to each (channel, chat id)."""
    pressed: list[Event] = []
    for event in events:
        shown = last_sent.get((event.channel, event.chat_id))
        payload = shown if event.kind is EventKind.TEXT else None
        button = chosen(event.text, Reply.from_payload(payload) if payload else None)
        if button is None:
            pressed.append(event)
        else:
            pressed.append(replace(event, kind=EventKind.BUTTON, text="", payload=button.payload))
    return pressed
