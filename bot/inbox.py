"""From the inbox to the engine: stored updates become events, processed in batches.

Each batch holds at most one update per chat (the oldest unprocessed), so a chat's updates
run in order while different chats share one engine transaction. The "processed" mark is
written after the engine's commit; a crash between the two only replays events whose
effect the engine's dedupe already holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels import options
from bot.channels.capabilities import Capabilities
from handlers.engine import Engine
from handlers.events import Event
from storage.db import DURABLE
from storage.models import InboxUpdate, utcnow
from storage.repositories import inbox, outbox

log = logging.getLogger(__name__)


class Inbound(Protocol):
    channel: str
    capabilities: Capabilities

    def to_event(self, raw: Mapping[str, Any]) -> Event | None: ...

    async def acknowledge(self, raw: Mapping[str, Any]) -> None: ...


class InboxWriter:
    """Stores raw updates with group commit: updates that arrive while a transaction is being
    committed share the next one. Each caller returns only once its own update is committed,
    so a webhook still answers 200 only for what is safely stored, at a fraction of the cost
    of one transaction per update. Safely means on disk (``durable``): a power loss after the
    200 loses nothing either (storage/db.py, DURABLE)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        max_batch: int = 500,
        clock: Callable[[], datetime] = utcnow,
        durable: bool = True,
    ) -> None:
        self.sessions = sessions
        self._options = {DURABLE: durable}
        self.max_batch = max_batch
        self.clock = clock
        self._waiting: list[tuple[inbox.NewUpdate, asyncio.Future[bool]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def store(self, update: inbox.NewUpdate) -> bool:
        """True if the update is new, False for a redelivery."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((update, done))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write())
        return await done

    async def _write(self) -> None:
        while self._waiting:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            try:
                async with (
                    self.sessions(execution_options=self._options) as session,
                    session.begin(),
                ):
                    new = await inbox.store(session, [u for u, _ in batch], self.clock())
            except Exception as exc:
                for _, done in batch:
                    done.set_exception(exc)
                continue
            for update, done in batch:
                done.set_result((update.channel, update.update_id) in new)


class InboxProcessor:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        engine: Engine,
        channels: Mapping[str, Inbound],
        *,
        batch: int = 64,
        clock: Callable[[], datetime] = utcnow,
        on_processed: Callable[[], None] = lambda: None,
    ) -> None:
        self.sessions = sessions
        self.on_processed = on_processed  # replies were queued: a delivery worker may wake
        self.engine = engine
        self.channels = channels
        self.batch = batch
        self.clock = clock
        self.wake = asyncio.Event()  # set by whoever stores an update in this process

    async def run_once(self) -> int:
        async with self.sessions() as session:
            rows = await inbox.next_batch(session, list(self.channels), self.batch)
        if not rows:
            return 0
        events: list[Event] = []
        for row in rows:
            event = self._event(row)
            if event is not None:
                events.append(event)
        await self.engine.handle_batch(await self._press_typed_numbers(events))
        async with self.sessions() as session, session.begin():
            await inbox.mark_processed(session, [r.id for r in rows], self.clock())
        self.on_processed()
        for row in rows:
            await self.channels[row.channel].acknowledge(row.payload)
        return len(rows)

    async def _press_typed_numbers(self, events: list[Event]) -> list[Event]:
        """On channels without buttons a typed option number may be a press (see
        bot/channels/options.py)."""
        chats: dict[str, list[str]] = defaultdict(list)
        for event in options.typed_numbers(events):
            if not self.channels[event.channel].capabilities.buttons:
                chats[event.channel].append(event.chat_id)
        if not chats:
            return events
        last_sent: dict[tuple[str, str], dict[str, Any]] = {}
        async with self.sessions() as session:
            for channel, chat_ids in chats.items():
                found = await outbox.last_sent(session, channel, chat_ids)
                last_sent.update(((channel, chat), payload) for chat, payload in found.items())
        return options.as_presses(events, last_sent)

    def _event(self, row: InboxUpdate) -> Event | None:
        try:
            return self.channels[row.channel].to_event(row.payload)
        except (ValidationError, KeyError, TypeError, ValueError):
            # A malformed update would fail forever: set it aside (marked processed) once.
            log.exception(
                "unreadable %s update %s (inbox row %s)", row.channel, row.update_id, row.id
            )
            return None

    async def run(self, stop: asyncio.Event, idle: float = 0.2) -> None:
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("inbox batch failed; retrying")
                handled = 0
                await asyncio.sleep(1)
            if handled == 0:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), idle)
