"""How long it is to register and submit a self-assessment, as a person does it: the actions
(presses and typed replies), the bot's messages and their characters, for one scripted happy
path on each kind of channel: with buttons (Telegram, Zalo OA) and with numbered options
answered by typing (Zalo Bot, where a typed number is read against the last message sent,
as bot/inbox.py does). Issue 14's targets: at most 22 actions and 25 messages.

Counts, not time: tests/handlers/test_conversation_length.py asserts the same targets.

    python bench/conversation.py
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from itertools import count
from pathlib import Path

from bot.channels.capabilities import numbered_options
from bot.channels.options import as_presses, with_options
from content import Content, load_content
from handlers.engine import Engine
from handlers.events import Event, EventKind, FileRef, Reply
from storage import migrate
from storage.db import create_engine, make_sessionmaker

ACTIONS_MAX = 22
MESSAGES_MAX = 25
# Each kind of channel: (channel name, options typed as numbers).
KINDS = {"buttons": ("telegram", False), "numbered": ("zalo_bot", True)}

_ids = count(1)


@dataclass
class Counts:
    kind: str
    actions: int = 0
    messages: int = 0
    characters: int = 0  # as shown: numbered options are part of the text

    def within_targets(self) -> bool:
        return self.actions <= ACTIONS_MAX and self.messages <= MESSAGES_MAX


class Person:
    """One person on one kind of channel, counting what they do and what they are sent."""

    def __init__(self, engine: Engine, kind: str, user: str) -> None:
        self.engine = engine
        self.channel, self.numbered = KINDS[kind]
        self.user = user
        self.counts = Counts(kind)
        self.last: Reply | None = None  # the last message sent to them

    def _event(self, kind: EventKind, **fields: object) -> Event:
        return Event(
            channel=self.channel,
            external_user_id=self.user,
            chat_id=self.user,
            event_id=f"{self.user}-{next(_ids)}",
            kind=kind,
            at=self.engine.clock(),
            **fields,  # type: ignore[arg-type]
        )

    async def _act(self, event: Event) -> list[Reply]:
        if self.numbered and self.last is not None:
            shown = {(event.channel, event.chat_id): self.last.to_payload()}
            [event] = as_presses([event], shown)
        outcome = await self.engine.handle(event)
        mine = [r for r in outcome.replies if r.to_user_id is None]
        self.counts.actions += 1
        self.counts.messages += len(mine)
        for reply in mine:
            shown_text = with_options(reply.text, reply.buttons) if self.numbered else reply.text
            self.counts.characters += len(shown_text)
        if mine:
            self.last = mine[-1]
        return mine

    async def command(self, name: str) -> list[Reply]:
        return await self._act(self._event(EventKind.COMMAND, command=name))

    async def type(self, text: str) -> list[Reply]:
        return await self._act(self._event(EventKind.TEXT, text=text))

    async def send_file(self, file: FileRef) -> list[Reply]:
        return await self._act(self._event(EventKind.FILE, file=file))

    async def choose(self, label: str) -> list[Reply]:
        """The option whose label starts with `label`: pressed, or its number typed."""
        assert self.last is not None
        options = [b for b in self.last.buttons if not (self.numbered and b.word)]
        number, button = next(
            (n, b) for n, b in enumerate(options, start=1) if b.label.startswith(label)
        )
        if self.numbered:
            return await self.type(str(number))
        return await self._act(self._event(EventKind.BUTTON, payload=button.payload))

    async def expect(self, text: str) -> None:
        assert self.last is not None and text in self.last.text, (text, self.last)


async def happy_path(engine: Engine, content: Content, kind: str, user: str = "p1") -> Counts:
    """Consent, registration, every indicator answered with its best answer, submission."""
    person = Person(engine, kind, user)
    await person.command("start")
    await person.choose("Đồng ý")
    await person.type("Nguyễn Thị Lan")
    await person.type("1956")
    await person.choose("Người dân")
    await person.type("hai chau")
    await person.choose("Đúng")
    if person.numbered:
        await person.type("bỏ qua")  # a word: a number here would be a village's name
    else:
        await person.choose("Bỏ qua")
    await person.choose("Bắt đầu tự đánh giá")
    year = engine.clock().year
    for indicator in content.criteria_for("residents", year).indicators:
        await person.expect(f"Chỉ số {indicator.number}/")
        if indicator.number_input is not None:
            await person.type(str(indicator.number_input.bands[-1].min))
        else:
            await person.choose(indicator.options[0].label.vi)
    await person.choose("Nộp bản tự đánh giá")
    await person.choose("Nộp ngay")
    await person.expect("")
    return person.counts


async def run() -> list[Counts]:
    content = load_content()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await migrate.upgrade_async(url)
        db = create_engine(url)
        try:
            engine = Engine(make_sessionmaker(db), content, numbered_options=numbered_options())
            return [await happy_path(engine, content, kind, f"p-{kind}") for kind in KINDS]
        finally:
            await db.dispose()


def main() -> None:
    results = asyncio.run(run())
    print(f"targets: actions <= {ACTIONS_MAX}, messages <= {MESSAGES_MAX}")
    for c in results:
        verdict = "within targets" if c.within_targets() else "OVER TARGET"
        print(
            f"{c.kind:>9}: {c.actions} actions, {c.messages} messages, "
            f"{c.characters:,} characters ({verdict})"
        )


if __name__ == "__main__":
    main()
