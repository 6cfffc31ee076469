"""The delivery worker: claims due outbox rows, sends them through a channel's Sender at the
platform's pace and records the outcomes: deliveries together once the batch is through
(a claim holds about half a second of sending), everything else at once.

Several workers, in one process or many, may share a database. A claim takes only the oldest
unfinished message of each chat, so a chat's messages go out in order whichever worker sends
them; a crashed worker's messages are taken again as soon as its process is found dead
(bot/heartbeat.py), or when the claim's lease runs out as the last resort; and
a platform's "retry after" pauses the channel in the database, so every worker waits. Pacing is
kept per process: give each of N workers 1/N of the bot's global rate.

On a channel with a reply window (its capabilities say), each claimed message is first let
through as a reply, as a proactive message, or deferred (bot/delivery/window.py); other
channels skip that step and its transaction.

Logs (logger ``bot.delivery``) name the channel, chat, outbox id and kind, never the text.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, nullcontext
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.allocator import give_back_free_memory
from bot.delivery import BULK_BATCH
from bot.delivery.errors import (
    OutsideWindow,
    Rejected,
    RetryAfter,
    Temporary,
    UnknownOutcome,
    Unreachable,
)
from bot.delivery.pacing import Pacer
from bot.delivery.sender import Sender
from bot.delivery.window import Gate, ProactiveBudget
from bot.documents.makers import Documents
from handlers.events import Reply
from storage.models import OutboxMessage, utcnow
from storage.repositories import outbox

log = logging.getLogger("bot.delivery")

# After a batch failed (the database is down, say): long enough not to flood the log.
FAILURE_PAUSE = 1.0


class DeliveryWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: Sender,
        *,
        global_rate: float,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 8,
        base_backoff: float = 2.0,
        max_backoff: float = 600.0,
        batch: int | None = None,
        concurrency: int | None = None,
        poll_interval: float = 0.2,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        rng: random.Random | None = None,
        documents: Documents | None = None,
        proactive: ProactiveBudget | None = None,
        owner: str | None = None,
    ) -> None:
        self.sessions = sessions
        # This process's worker id (bot/heartbeat.py): what it claims is released within
        # seconds if it dies, not only when the lease runs out.
        self.owner = owner
        self.sender = sender
        # Only a channel with a reply window pays for deciding how each message may go.
        window = sender.capabilities.reply_window
        self.gate = None if window is None else Gate(sender.channel, window, proactive)
        self.documents = documents or Documents(sessions, {})
        self.lease = lease
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        # About half a second of sending per claim: few transactions per message, and after a
        # crash at most that much is sent again (its deliveries were not yet recorded).
        self.batch = batch or max(10, min(BULK_BATCH, int(global_rate / 2)))
        self.poll_interval = poll_interval
        self.clock = clock
        self.sleep = sleep
        self.rng = rng or random.Random()
        # Pacing runs on a monotonic clock: a wall clock set back would stall every chat.
        self.pacer = Pacer(global_rate, clock=monotonic, sleep=sleep)
        # Enough requests in flight to keep the pace with a few milliseconds per request.
        self.concurrency = concurrency or max(8, int(global_rate / 40))
        self._slots = asyncio.Semaphore(self.concurrency)
        self.wake = asyncio.Event()  # set when new messages are queued in this process
        self._paused_until: datetime | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, polling briefly when nothing is due.

        A full batch means more are waiting: the next one is claimed once half of it has had
        its turn, so that sending does not stop for the claim nor for recording the batch
        before (at most two are in flight). A batch that emptied the queue is finished first.
        """
        sending: asyncio.Task[None] | None = None
        busy = False  # sent something since the queue was last found empty
        try:
            while not stop.is_set():
                try:
                    messages = await self._claim()
                except Exception:
                    # A database outage must not end delivery; what was claimed is taken again
                    # when its lease runs out.
                    log.exception("delivery batch failed; retrying")
                    await self.sleep(FAILURE_PAUSE)
                    continue
                previous, sending = sending, None
                if not messages:
                    if previous is None:
                        if busy:  # a burst is over: its leftovers need not stay resident
                            give_back_free_memory()
                            busy = False
                        await self._idle()
                    else:  # its chats' next messages are due once its outcomes are recorded
                        await self._finish(previous)
                    continue
                busy = True
                halfway = asyncio.Event()
                sending = asyncio.create_task(self._send(messages, halfway))
                if previous is not None:
                    await self._finish(previous)
                if len(messages) < self.batch:
                    await self._finish(sending)
                    sending = None
                else:
                    await _until(halfway, sending)
            if sending is not None:
                await self._finish(sending)
        except BaseException:
            if sending is not None:
                sending.cancel()
            raise

    async def _finish(self, sending: asyncio.Task[None]) -> None:
        try:
            await sending
        except Exception:
            log.exception("delivery batch failed; retrying")
            await self.sleep(FAILURE_PAUSE)

    async def _idle(self) -> None:
        """Wait for the next poll, or less if someone in this process queued messages."""
        self.wake.clear()
        woken = asyncio.ensure_future(self.wake.wait())
        slept = asyncio.ensure_future(self.sleep(self.poll_interval))
        try:
            await asyncio.wait((woken, slept), return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            slept.cancel()

    async def run_once(self) -> int:
        """Claim one batch, send it and record the outcomes; returns how many were claimed."""
        messages = await self._claim()
        if messages:
            await self._send(messages)
        return len(messages)

    async def _claim(self) -> list[OutboxMessage]:
        async with self._transaction() as session:
            return await outbox.claim(
                session,
                channel=self.sender.channel,
                limit=self.batch,
                now=self.clock(),
                lease=self.lease,
                owner=self.owner,
            )

    async def _send(
        self, messages: list[OutboxMessage], halfway: asyncio.Event | None = None
    ) -> None:
        """Send a claimed batch and record its outcomes; ``halfway`` is set once half of the
        batch has had its turn."""
        quotes: dict[int, str] = {}
        if self.gate is not None:
            async with self._transaction() as session:
                admitted = await self.gate.admit(session, messages, self.clock())
            messages, quotes = admitted.going, admitted.quotes
        self.pacer.forget_idle()
        waiting = len(messages)

        def had_turn() -> None:
            nonlocal waiting
            waiting -= 1
            if halfway is not None and waiting <= len(messages) // 2:
                halfway.set()

        # Each chat appears once in a claim, so the batch's sends may all run side by side:
        # as many lanes as there are slots, each taking the next message when its last is
        # done (a task per message kept the whole batch's tasks in memory at once, several
        # hundred KB that the process then kept). A lane holds its slot to the end, so a next
        # batch waits for this one as before. Every send runs to its end (and is recorded)
        # before a failure to record another is raised.
        sent: dict[int, str | None] = {}
        errors: list[Exception] = []
        queue = iter(messages)

        async def lane() -> None:
            async with self._slots:
                for message in queue:
                    try:
                        await self._deliver(message, sent, had_turn, quotes.get(message.id))
                    except Exception as error:
                        errors.append(error)

        await asyncio.gather(*(lane() for _ in range(min(self.concurrency, len(messages)))))
        if sent:
            async with self._transaction() as session:
                await outbox.mark_sent(session, sent, self.clock())
        if errors:
            raise ExceptionGroup("recording delivery outcomes failed", errors)

    async def _deliver(
        self,
        message: OutboxMessage,
        sent: dict[int, str | None],
        had_turn: Callable[[], None],
        reply_to: str | None,
    ) -> None:
        # No need to wait for a turn that cannot be used.
        paused = self._pause_end() is not None
        group = self.sender.is_group(message.chat_id)
        async with nullcontext() if paused else self.pacer.turn(message.chat_id, group=group):
            had_turn()
            await self._try(message, sent, reply_to)

    async def _try(
        self, message: OutboxMessage, sent: dict[int, str | None], reply_to: str | None
    ) -> None:
        """Send a message whose turn came, unless it may no longer go, and record what
        became of it (a delivery only in ``sent``)."""
        # Checked after the wait too: a pause may have begun meanwhile.
        if (pause_end := self._pause_end()) is not None:
            async with self._transaction() as session:
                await outbox.release(session, message.id, at=pause_end)
            await self._give_back(message, reply_to)
            return
        if self.clock() >= message.next_attempt_at:
            # The lease ran out while waiting its turn: another worker may have the
            # message now, so sending it here could deliver it twice.
            _log(logging.WARNING, "lease ran out before sending", message)
            return
        try:
            reply = await self._attach(message)
            platform_message_id = await self.sender.send(message.chat_id, reply, reply_to=reply_to)
        except RetryAfter as error:
            await self._pause(message, error)
            await self._give_back(message, reply_to)
        except Unreachable as error:
            await self._unreachable(message, error)
        except Rejected as error:
            await self._dead(message, describe(error))
            await self._give_back(message, reply_to)
        except OutsideWindow as error:
            # Its count is kept: the platform says the allowance is spent.
            async with self._transaction() as session:
                await outbox.defer(session, [message.id], self.clock())
            _log(logging.INFO, "deferred by the platform", message, error=describe(error))
        except UnknownOutcome as error:
            await self._unknown(message, error)
        except Temporary as error:
            await self._retry(message, error)
            await self._give_back(message, reply_to)
        except Exception as error:
            # A bug in the sender, or in the stored payload: retried like a temporary
            # failure, so a lasting one ends dead after max_attempts.
            _log(
                logging.ERROR,
                "send raised an unexpected error",
                message,
                error=describe(error),
                exc_info=True,
            )
            await self._retry(message, error)
        else:
            # An id is kept only where it serves: to edit the message later.
            edits = self.sender.capabilities.edits
            sent[message.id] = platform_message_id if edits else None

    async def _attach(self, message: OutboxMessage) -> Reply:
        """The message's reply with its document made, if it has one; the person sees the
        bot at work meanwhile (a certificate or a report takes a moment)."""
        reply = Reply.from_payload(message.payload, message.kind)
        if not self.sender.capabilities.uploads:
            return self.documents.linked(reply)
        if reply.attachment is None or not reply.attachment.document:
            return reply
        typing = asyncio.create_task(self.sender.typing(message.chat_id))
        try:
            return await self.documents.attach(reply)
        finally:
            await typing

    async def _give_back(self, message: OutboxMessage, reply_to: str | None) -> None:
        """The platform surely did not take the message: on a channel with a reply window,
        what letting it through counted (one of its window's replies, or a proactive message)
        is given back. A failure that may have arrived keeps its count."""
        if self.gate is not None:
            async with self._transaction() as session:
                await self.gate.give_back(session, message, reply_to, self.clock())

    def _pause_end(self) -> datetime | None:
        """When the platform's pause ends, while one is in force."""
        if self._paused_until is not None and self.clock() < self._paused_until:
            return self._paused_until
        return None

    async def _pause(self, message: OutboxMessage, error: RetryAfter) -> None:
        until = self.clock() + timedelta(seconds=error.seconds)
        # Known here at once, so this batch's other sends stop before the database has it.
        self._paused_until = max(until, self._paused_until or until)
        async with self._transaction() as session:
            await outbox.pause_channel(session, message.channel, until)
            await outbox.retry_later(session, message.id, at=until, error=describe(error))
        _log(logging.WARNING, "channel paused by the platform", message, seconds=error.seconds)

    async def _unreachable(self, message: OutboxMessage, error: Unreachable) -> None:
        now = self.clock()
        async with self._transaction() as session:
            await outbox.mark_unreachable(session, message.channel, message.chat_id, now)
            cancelled = await outbox.cancel_for_chat(
                session, message.channel, message.chat_id, describe(error), now
            )
        _log(
            logging.INFO,
            "recipient unreachable",
            message,
            error=describe(error),
            cancelled=cancelled,
        )

    async def _unknown(self, message: OutboxMessage, error: UnknownOutcome) -> None:
        if message.unknown_outcomes >= 1:
            await self._dead(message, f"unknown outcome twice: {describe(error)}")
            return
        at = self._backoff(message)
        async with self._transaction() as session:
            await outbox.record_unknown(session, message.id, at=at)
        _log(logging.INFO, "outcome unknown; retrying once", message, error=describe(error))

    async def _retry(self, message: OutboxMessage, error: Exception) -> None:
        if message.attempts >= self.max_attempts:
            await self._dead(message, describe(error))
            return
        at = self._backoff(message)
        async with self._transaction() as session:
            await outbox.retry_later(session, message.id, at=at, error=describe(error))
        _log(logging.INFO, "send failed; retrying", message, error=describe(error), at=at)

    async def _dead(self, message: OutboxMessage, error: str) -> None:
        async with self._transaction() as session:
            await outbox.mark_dead(session, message.id, error=error, now=self.clock())
        _log(logging.WARNING, "message dead", message, error=error)

    def _backoff(self, message: OutboxMessage) -> datetime:
        """Exponential backoff with full jitter, so that failures that came together (an
        outage) do not retry together."""
        ceiling = min(self.max_backoff, self.base_backoff * 2**message.attempts)
        return self.clock() + timedelta(seconds=self.rng.uniform(0, ceiling))

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session, session.begin():
            yield session


async def _until(event: asyncio.Event, task: asyncio.Task[None]) -> None:
    """Wait until ``event`` is set or ``task`` is done, whichever comes first."""
    waiting = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait((waiting, task), return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _log(
    level: int, event: str, message: OutboxMessage, *, exc_info: bool = False, **fields: Any
) -> None:
    context = {
        "channel": message.channel,
        "chat_id": message.chat_id,
        "outbox_id": message.id,
        "kind": message.kind,
        "attempt": message.attempts,
        **fields,
    }
    log.log(
        level,
        "%s %s",
        event,
        " ".join(f"{key}={value}" for key, value in context.items()),
        extra={"delivery": context},
        exc_info=exc_info,
    )
