"""The local console channel: a terminal chat through the same durable path as any platform.

Typed lines become events; replies are read back from the outbox, so a reply committed just
before a crash is shown at the next start. Buttons render as numbered lines (`[1] Có`) and
typing the number presses the button, except where the question asks for a number.
`/file PATH` sends a file. A document the bot makes (a certificate) is saved in a local
folder and its path shown. Piped input works the same: one line per message, ending at end
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

from bot.channels.options import chosen, option_lines
from bot.delivery.errors import Rejected
from bot.documents import personal_files
from bot.documents.makers import Documents
from handlers.engine import Engine
from handlers.events import Event, EventKind, FileRef, Reply
from storage.models import OutboxMessage, OutboxStatus, utcnow
from storage.repositories import outbox

CHANNEL = "console"


class ConsoleChannel:
    def __init__(
        self,
        engine: Engine,
        user: str,
        *,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
        documents: Documents | None = None,
        folder: Path = Path("data/documents"),
    ) -> None:
        self.engine = engine
        self.documents = documents or Documents(engine.sessions, {})
        self.folder = folder
        self.user = user
        self.stdin = stdin
        self.stdout = stdout
        self.shown: Reply | None = None  # the last reply with options

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
        if (button := chosen(stripped, self.shown)) is not None:
            return self.event(EventKind.BUTTON, payload=button.payload)
        return self.event(EventKind.TEXT, text=line)

    async def deliver(self) -> None:
        """Print this user's pending replies in order and record them as sent."""
        async with self.engine.sessions() as session:
            rows = (
                await session.execute(
                    select(
                        OutboxMessage.id,
                        OutboxMessage.payload,
                        OutboxMessage.kind,
                        OutboxMessage.user_id,
                    )
                    .where(
                        OutboxMessage.channel == CHANNEL,
                        OutboxMessage.chat_id == self.user,
                        OutboxMessage.status == OutboxStatus.PENDING,
                    )
                    .order_by(OutboxMessage.id)
                )
            ).all()
        # Outside the read: making a document reads the database too (SQLite has one
        # connection).
        for _, payload, kind, user_id in rows:
            reply = Reply.from_payload(payload, kind)
            self.render(reply, await self.save(reply, user_id))
        if rows:
            async with self.engine.sessions() as session, session.begin():
                await outbox.mark_sent(session, {row.id: None for row in rows}, utcnow())

    async def save(self, reply: Reply, user_id: int | None) -> str:
        """Where the reply's file is: a made document is written to the person's own folder
        first (bot/documents/personal_files.py)."""
        att = reply.attachment
        if att is None:
            return ""
        if not att.document:
            return att.path or att.ref
        try:
            made = (await self.documents.attach(reply)).attachment
        except Rejected:
            return ""  # revoked or erased meanwhile: there is nothing to show
        assert made is not None
        path = personal_files.folder(self.folder, user_id) / Path(made.name).name
        await asyncio.to_thread(_write, path, made.content)
        return str(path.resolve())

    def render(self, reply: Reply, file: str = "") -> None:
        out = [reply.text]
        out.extend(f"  {line}" for line in option_lines(reply.buttons))
        if file:
            out.append(f"  (tệp: {file})")
        self.stdout.write("\n" + "\n".join(out) + "\n")
        self.stdout.flush()
        if reply.buttons:
            self.shown = reply


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
