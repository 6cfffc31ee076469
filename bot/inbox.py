"""From the inbox to the engine: stored updates become events, processed in batches.

Each batch holds at most one update per chat (the oldest unprocessed), so a chat's updates
run in order while different chats share one engine transaction. The "processed" mark is
written after the engine's commit; a crash between the two only replays events whose
effect the engine's dedupe already holds.

One bad update must not stop the queue: an update that cannot be turned into an event, for
whatever reason, or whose event fails on its own, is set aside once as a dead letter with
why (kept for `python -m bot inbox dead-letters`, counted by /healthz), and the rest go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels import options, raw
from bot.channels.capabilities import Capabilities
from handlers.engine import Engine
from handlers.events import Event
from storage.db import DURABLE
from storage.models import InboxUpdate, utcnow
from storage.repositories import inbox, outbox

log = logging.getLogger(__name__)

MAX_PAUSE = 30.0  # seconds between attempts while the database is away
# Batches processed at once where they are claimed (PostgreSQL), while a backlog waits. Each
# holds two pooled connections (its claim's and the engine's): 8 of SQLAlchemy's 5 + 10.
IN_FLIGHT = 4
RAW = Path(raw.__file__)


class Inbound(Protocol):
    channel: str
    capabilities: Capabilities

    def to_event(self, raw: Mapping[str, Any]) -> Event | None: ...

    async def acknowledge(self, raw: Mapping[str, Any]) -> None: ...

    # What the inbox keeps of a processed update (the raw one, or less).
    def processed_form(self, raw: Mapping[str, Any]) -> Mapping[str, Any]: ...


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
                new = await self._commit([u for u, _ in batch])
            except Exception as exc:
                if len(batch) == 1:
                    batch[0][1].set_exception(exc)
                    continue
                # One update the database refuses (an id out of range) must not fail the
                # others that happened to share its commit: they go again one by one.
                log.warning("a group commit of %d updates failed (%s)", len(batch), exc)
                for update, done in batch:
                    try:
                        done.set_result(bool(await self._commit([update])))
                    except Exception as alone:
                        done.set_exception(alone)
                continue
            for update, done in batch:
                done.set_result((update.channel, update.update_id) in new)

    async def _commit(self, updates: list[inbox.NewUpdate]) -> set[tuple[str, str]]:
        async with self.sessions(execution_options=self._options) as session, session.begin():
            return await inbox.store(session, updates, self.clock())


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
        claims: bool = False,
    ) -> None:
        """``claims``: lock each batch while it is processed (PostgreSQL; see run_once)."""
        self.sessions = sessions
        self.on_processed = on_processed  # replies were queued: a delivery worker may wake
        self.engine = engine
        self.channels = channels
        self.batch = batch
        self.clock = clock
        self.wake = asyncio.Event()  # set by whoever stores an update in this process
        self.claims = claims
        self._backlog = asyncio.Event()  # a claim came back full: more batches wait

    async def run_once(self) -> int:
        """Process the next batch; an update that cannot be read, or whose event fails on
        its own, becomes a dead letter. Raises only when the database is unreachable.

        On PostgreSQL the batch is claimed: its rows stay locked, in a transaction that
        marks them processed once the engine has committed, so that processors in other
        processes take other chats' updates meanwhile instead of the same ones. SQLite has
        one writer at a time and the engine must write meanwhile: there the batch is read,
        then marked in a transaction of its own."""
        if self.claims:
            async with self.sessions() as session, session.begin():
                rows = await inbox.next_batch(session, list(self.channels), self.batch, claim=True)
                if not rows:
                    return 0
                if len(rows) == self.batch:
                    self._backlog.set()
                known = await inbox.chats_known(session, rows)
                read, dead, kept = await self._process(rows)
                await self._mark(session, rows, dead, kept)
                await inbox.forget_erased(session, rows, known)
        else:
            async with self.sessions() as session:
                rows = await inbox.next_batch(session, list(self.channels), self.batch)
            if not rows:
                return 0
            read, dead, kept = await self._process(rows)
            async with self.sessions() as session, session.begin():
                await self._mark(session, rows, dead, kept)
        for row in rows:
            if row.id in dead:
                log.error(
                    "dead letter: %s update %s (inbox row %s): %s",
                    row.channel,
                    row.update_id,
                    row.id,
                    dead[row.id],
                )
        self.on_processed()
        for row, _ in read:
            if row.id not in dead:
                await self._acknowledge(row)
        return len(rows)

    async def _process(
        self, rows: list[InboxUpdate]
    ) -> tuple[list[tuple[InboxUpdate, Event]], dict[int, str], dict[int, dict[str, Any]]]:
        """Run the rows' events: those read, why each dead letter is one, and what is kept of
        the processed updates whose kept form is smaller than the received one."""
        dead: dict[int, str] = {}
        read: list[tuple[InboxUpdate, Event]] = []
        for row in rows:
            try:
                event = self.channels[row.channel].to_event(row.payload)
            except Exception as exc:  # any shape of payload: it must not stop the queue
                dead[row.id] = reason(exc)
                continue
            if event is not None:
                read.append((row, event))
        dead |= await self._handle(read)
        # What is kept of an update once processed: only of those read (their shape is
        # known good); dead letters stay as received, for inspection.
        kept = {}
        for row, _ in read:
            form = self.channels[row.channel].processed_form(row.payload)
            if row.id not in dead and form is not row.payload:
                kept[row.id] = dict(form)
        return read, dead, kept

    async def _mark(
        self,
        session: AsyncSession,
        rows: list[InboxUpdate],
        dead: dict[int, str],
        kept: dict[int, dict[str, Any]],
    ) -> None:
        now = self.clock()
        await inbox.mark_processed(session, [r.id for r in rows if r.id not in dead], now, kept)
        await inbox.mark_dead(session, dead, now)

    async def _handle(self, read: list[tuple[InboxUpdate, Event]]) -> dict[int, str]:
        """Run the events as one batch; if it fails, one by one, so that one bad event
        costs no other its effect (those already committed are dropped as duplicates by
        the engine). Returns why each event that failed alone did."""
        try:
            await self.engine.handle_batch(await self._press_typed_numbers([e for _, e in read]))
            return {}
        except Exception as exc:
            if await self._database_away(exc):
                raise
            if len(read) == 1:
                return {read[0][0].id: reason(exc)}
            log.warning("a batch of %d events failed (%s); one by one", len(read), reason(exc))
        failed: dict[int, str] = {}
        for row, event in read:
            try:
                await self.engine.handle_batch(await self._press_typed_numbers([event]))
            except Exception as exc:
                if await self._database_away(exc):
                    raise
                failed[row.id] = reason(exc)
        return failed

    async def _database_away(self, exc: Exception) -> bool:
        """Whether ``exc`` came of the database being away rather than of a bad update
        (then the update waits; it is not set aside). A database error may be either (a
        value out of a column's range, a lost connection): a probe tells them apart."""
        if not isinstance(exc, DBAPIError | OSError | TimeoutError):
            return False
        try:
            async with self.sessions() as session:
                await session.execute(text("SELECT 1"))
        except Exception:
            return True
        return False

    async def _acknowledge(self, row: InboxUpdate) -> None:
        try:
            await self.channels[row.channel].acknowledge(row.payload)
        except Exception as exc:  # a nicety (a button's spinner): never worth a halt
            log.warning("could not acknowledge %s update %s: %s", row.channel, row.update_id, exc)

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

    async def run(self, stop: asyncio.Event, idle: float = 0.2) -> None:
        """Process until stop.

        Where batches are claimed (PostgreSQL), a claim that comes back full means a backlog:
        another lane claims the next batch at once while this one is processed, up to
        IN_FLIGHT batches at a time, so that the round trips of one batch overlap the work of
        the others instead of each waiting for the one before. Only the first lane answers
        wake-ups: a quiet queue costs one look per wake-up, not one per lane."""
        helpers = IN_FLIGHT - 1 if self.claims else 0
        await asyncio.gather(
            self._lane(stop, self.wake, idle, first=True),
            *(self._lane(stop, self._backlog, idle, first=False) for _ in range(helpers)),
        )

    async def _lane(
        self, stop: asyncio.Event, wake: asyncio.Event, idle: float, *, first: bool
    ) -> None:
        """Batch after batch while there is work (for the first lane, any; for the others, a
        backlog: full batches), then wait until ``wake`` is set. The first lane also looks
        every ``idle`` seconds, the safety net for a missed wake-up; the others then only
        see whether to stop."""
        failures = 0
        busy = first
        while not stop.is_set():
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), idle)
                if not (first or wake.is_set()):
                    continue
            # Cleared before the look, not after: a wake-up that comes during it is kept.
            wake.clear()
            try:
                handled = await self.run_once()
                failures = 0
            except Exception as exc:
                # The database is away: wait longer each time, and say so once with the
                # traceback, then in a line each time. The first lane tries again; the
                # others wait for the next backlog.
                failures += 1
                pause = min(2.0 ** (failures - 1), MAX_PAUSE)
                log.warning(
                    "inbox batch failed (%s); retrying in %.0f s",
                    reason(exc),
                    pause,
                    exc_info=failures == 1,
                )
                await asyncio.sleep(pause)
                busy = first
                continue
            busy = handled == self.batch or (first and handled > 0)


def reason(exc: BaseException) -> str:
    """One line: the exception and where it was raised (file and line; for a field read
    by bot/channels/raw.py, where the adapter read it)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) != RAW]
    at = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {str(exc)[:500]}{at}"
