"""The local console channel: a terminal chat through the same durable path as any platform.

Typed lines become events; replies are read back from the outbox, so a reply committed just
before a crash is shown at the next start. Buttons render as numbered lines (`[1] Có`) and
typing the number presses the button, except where the question asks for a number.
`/file PATH` sends a file. Piped input works the same: one line per message, ending at end
of input.
"""

from __future__ import annotations

import asyncio
import mimetypes
import sys
import uuid
from pathlib import Path
from typing import TextIO

from sqlalchemy import select

from handlers.engine import Engine
from handlers.events import Button, Event, EventKind, FileRef, Reply
from storage.models import OutboxMessage, OutboxStatus, utcnow
from storage.repositories import outbox

CHANNEL = "console"


class ConsoleChannel:
    def __init__(
        self, engine: Engine, user: str, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
    ) -> None:
        self.engine = engine
        self.user = user
        self.stdin = stdin
        self.stdout = stdout
        self.buttons: tuple[Button, ...] = ()
        self.number_answer = False

    async def run(self) -> None:
        warming = asyncio.create_task(self.engine.prepare())
        await self.deliver()  # anything committed before a previous crash
        if self.stdin.isatty():
            # A terminal user expects the bot to speak first, as a platform's Start button does.
            await self.send(self.event(EventKind.COMMAND, command="start"))
        while True:
            if self.stdin.isatty():
                self.stdout.write("> ")
                self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line:
                break
            await self.send(self.parse(line.rstrip("\n")))
        await warming

    async def send(self, event: Event) -> None:
        await self.engine.handle(event)
        await self.deliver()

    def event(self, kind: EventKind, **fields: object) -> Event:
        return Event(
            channel=CHANNEL,
            external_user_id=self.user,
            chat_id=self.user,
            event_id=uuid.uuid4().hex,
            kind=kind,
            at=utcnow(),
            **fields,  # type: ignore[arg-type]
        )

    def parse(self, line: str) -> Event:
        stripped = line.strip()
        if stripped.startswith("/file "):
            path = Path(stripped[6:].strip()).expanduser().resolve()
            size = path.stat().st_size if path.is_file() else 0
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return self.event(
                EventKind.FILE, file=FileRef(ref=str(path), mime=mime, size=size, name=path.name)
            )
        if stripped.startswith("/") and len(stripped) > 1:
            command, _, args = stripped[1:].partition(" ")
            return self.event(EventKind.COMMAND, command=command.lower(), args=args.strip())
        if (
            stripped.isdigit()
            and not self.number_answer
            and 1 <= int(stripped) <= len(self.buttons)
        ):
            return self.event(EventKind.BUTTON, payload=self.buttons[int(stripped) - 1].payload)
        return self.event(EventKind.TEXT, text=line)

    async def deliver(self) -> None:
        """Print this user's pending replies in order and record them as sent."""
        async with self.engine.sessions() as session, session.begin():
            rows = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.channel == CHANNEL,
                        OutboxMessage.chat_id == self.user,
                        OutboxMessage.status == OutboxStatus.PENDING,
                    )
                    .order_by(OutboxMessage.id)
                )
            ).all()
            for row in rows:
                self.render(Reply.from_payload(row.payload, row.kind))
            await outbox.mark_sent(session, {row.id: None for row in rows}, utcnow())

    def render(self, reply: Reply) -> None:
        out = [reply.text]
        out.extend(f"  [{n}] {b.label}" for n, b in enumerate(reply.buttons, start=1))
        if reply.attachment is not None:
            out.append(f"  (tệp: {reply.attachment.path or reply.attachment.ref})")
        self.stdout.write("\n" + "\n".join(out) + "\n")
        self.stdout.flush()
        if reply.buttons:
            self.buttons = reply.buttons
            self.number_answer = reply.number_answer
