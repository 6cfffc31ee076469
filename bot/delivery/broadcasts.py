"""The broadcast runner: one of the long-running parts (bot/services.py).

Each round it takes the broadcasts that have work: one due starts (its segment counted for
progress); one sending gets its next recipients queued in the outbox's bulk lane, a batch
and the cursor's advance in one transaction, and only while fewer than ``window`` of its
messages wait, so that the queue (and the delivery worker's claims, and memory) stay small
whatever the segment's size, and a pause or cancel takes effect at once. In quiet hours
nothing is queued and what waits is held until the morning. Once everyone is queued and
nothing waits, it is done, and the chat that follows it gets the final figures.

The progress message in that chat is edited at most every ``progress_every`` seconds, and
only once the previous edit went out, through the outbox like any message.

Safe in several processes: each batch locks its broadcast's row (PostgreSQL; SQLite has a
single writer), and a recipient has at most one message per broadcast (a unique key).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from babel.support import NullTranslations
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import BULK_BATCH
from bot.pushes import PushRules
from handlers.flows import broadcast as texts
from handlers.i18n import LOCALES, Translator
from storage.models import Broadcast, BroadcastStatus, OutboxMessage, User, utcnow
from storage.repositories import broadcasts, outbox

log = logging.getLogger(__name__)

S = BroadcastStatus
# Messages of one broadcast waiting at a time, in seconds of sending at the bot's rate:
# enough to keep delivery busy between rounds, little enough that a reply to someone in the
# window (it waits behind their broadcast message) is hardly delayed.
WINDOW_SECONDS = 2


class BroadcastRunner:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalogs: Mapping[str, NullTranslations],
        *,
        rate: float,
        rules: PushRules,
        window: int | None = None,
        batch: int = BULK_BATCH,
        interval: float = 0.5,
        progress_every: timedelta = timedelta(seconds=5),
        clock: Callable[[], datetime] = utcnow,
        on_queued: Callable[[], object] = lambda: None,
    ) -> None:
        self.sessions = sessions
        self.catalogs = catalogs
        self.rules = rules  # its quiet hours
        self.window = window or max(50, int(rate * WINDOW_SECONDS))
        self.batch = min(batch, self.window)
        self.interval = interval
        self.progress_every = progress_every
        self.clock = clock
        self.on_queued = on_queued

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                # The database may be down: what was not committed is done again next round.
                log.exception("broadcast round failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)

    async def run_once(self) -> int:
        """One round over the broadcasts with work; returns how many people it queued."""
        async with self.sessions() as session:
            ids = await broadcasts.active(session, self.clock())
        queued = 0
        for broadcast_id in ids:
            queued += await self.advance(broadcast_id)
            await self.show_progress(broadcast_id)
        return queued

    async def advance(self, broadcast_id: int) -> int:
        """Start, hold, release, queue batches up to the window, or finish."""
        queued = 0
        while (batch := await self._step(broadcast_id)) is not None:
            queued += batch
            self.on_queued()
        return queued

    async def _step(self, broadcast_id: int) -> int | None:
        """One transaction; the number of people queued, or None when there is no more to
        do this round."""
        async with self.sessions() as session, session.begin():
            b = await broadcasts.get(session, broadcast_id, lock=True)
            now = self.clock()
            if b is None:
                return None
            if b.status == S.SCHEDULED and b.send_at is not None and b.send_at <= now:
                await broadcasts.start(session, b, now)
                log.info("broadcast %s started: %s people", b.id, b.total)
            if b.status == S.PAUSED or (b.status == S.SENDING and self.rules.quiet(now)):
                # Also catches a message handed back by a worker after the pause began.
                await outbox.hold_broadcast(session, b.id)
                return None
            if b.status != S.SENDING:
                return None
            await outbox.release_broadcast(session, b.id, now)
            if b.enqueued_at is not None:
                if await broadcasts.finish_if_delivered(session, b, now):
                    await self._tell_final(session, b)
                    log.info("broadcast %s done", b.id)
                return None
            room = self.window - await outbox.broadcast_waiting(session, b.id)
            if room <= 0:
                return None
            return await broadcasts.enqueue_next(
                session, b, limit=min(room, self.batch), texts=self._texts(b), now=now
            )

    def _texts(self, b: Broadcast) -> dict[str, str]:
        return {
            locale: texts.message_text(Translator(self.catalogs, locale), b.text)
            for locale in LOCALES
        }

    async def _translator(self, session: AsyncSession, b: Broadcast) -> Translator:
        locale = await session.scalar(select(User.locale).where(User.id == b.author_user_id))
        return Translator(self.catalogs, locale or "vi")

    async def _tell_final(self, session: AsyncSession, b: Broadcast) -> None:
        if b.progress_channel is None or b.progress_chat_id is None:
            return
        t = await self._translator(session, b)
        stats = await broadcasts.stats(session, b)
        await outbox.enqueue_one(
            session,
            outbox.NewMessage(
                b.author_user_id,
                b.progress_channel,
                b.progress_chat_id,
                "notice",
                {"text": texts.final(t, b, stats)},
            ),
            self.clock(),
        )

    async def show_progress(self, broadcast_id: int) -> None:
        """Send the progress message, or edit it when its figures changed, the last edit went
        out and ``progress_every`` has passed since."""
        async with self.sessions() as session, session.begin():
            b = await broadcasts.get(session, broadcast_id, lock=True)
            if b is None or b.progress_channel is None or b.progress_chat_id is None:
                return
            if b.status in broadcasts.FINAL:
                return
            now = self.clock()
            last = None
            if (last_id := b.progress_edit_id or b.progress_outbox_id) is not None:
                last = await session.get(OutboxMessage, last_id)
                if last is None:  # the author's data was erased with their messages
                    b.progress_chat_id = None
                    return
                if last.status in outbox.WAITING:
                    return
                if last.sent_at is not None and now - last.sent_at < self.progress_every:
                    return
            if b.progress_outbox_id is not None and b.progress_message_id is None:
                first = await session.get(OutboxMessage, b.progress_outbox_id)
                if first is None:  # the author's data was erased with their messages
                    b.progress_chat_id = None
                    return
                if first.platform_message_id is None:
                    # Never arrived, or the channel cannot edit (Zalo): no more progress
                    # there, but the final figures still go as a message of their own.
                    return
                b.progress_message_id = first.platform_message_id
            t = await self._translator(session, b)
            resumes = self.rules.quiet_until if self.rules.quiet(now) else None
            reply = texts.progress(t, b, await broadcasts.stats(session, b), resumes)
            payload = reply.to_payload()
            if last is not None and {**last.payload, "edit": ""} == {**payload, "edit": ""}:
                return
            if b.progress_message_id is not None:
                payload["edit"] = b.progress_message_id
            new_id = await outbox.enqueue_one(
                session,
                outbox.NewMessage(
                    b.author_user_id, b.progress_channel, b.progress_chat_id, "notice", payload
                ),
                now,
            )
            if b.progress_outbox_id is None:
                b.progress_outbox_id = new_id
            else:
                b.progress_edit_id = new_id
        self.on_queued()
