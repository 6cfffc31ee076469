"""Broadcasts: made, scheduled, paused, resumed and cancelled; their recipients queued in
batches by user id; their figures, counted from the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Broadcast, BroadcastStatus, OutboxStatus
from storage.repositories import outbox, segments
from storage.repositories.segments import Segment

S = BroadcastStatus
# What each action may start from.
SENDABLE = (S.DRAFT,)
PAUSABLE = (S.SCHEDULED, S.SENDING)
CANCELLABLE = (S.DRAFT, S.SCHEDULED, S.SENDING, S.PAUSED)
FINAL = (S.CANCELLED, S.DONE)


async def create(
    session: AsyncSession,
    *,
    text: str,
    segment: Segment,
    author_user_id: int | None,
    now: datetime,
    progress_chat: tuple[str, str] | None = None,
) -> Broadcast:
    """A draft; ``progress_chat`` (channel, chat id) will follow its progress."""
    channel, chat_id = progress_chat or (None, None)
    broadcast = Broadcast(
        author_user_id=author_user_id,
        text=text,
        segment=segment.to_json(),
        status=S.DRAFT,
        cursor=0,
        progress_channel=channel,
        progress_chat_id=chat_id,
        created_at=now,
        updated_at=now,
    )
    session.add(broadcast)
    await session.flush()
    return broadcast


async def get(session: AsyncSession, broadcast_id: int, *, lock: bool = False) -> Broadcast | None:
    """``lock``: held until the transaction ends (PostgreSQL), so that a change of state and
    the runner's batches never interleave."""
    stmt = select(Broadcast).where(Broadcast.id == broadcast_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def recent(session: AsyncSession, limit: int = 20) -> list[Broadcast]:
    return list(await session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)))


async def active(session: AsyncSession, now: datetime) -> list[int]:
    """Broadcasts the runner has work on: due to start, sending, or paused (whose stray
    messages it keeps held)."""
    return list(
        await session.scalars(
            select(Broadcast.id)
            .where(
                (Broadcast.status.in_((S.SENDING, S.PAUSED)))
                | ((Broadcast.status == S.SCHEDULED) & (Broadcast.send_at <= now))
            )
            .order_by(Broadcast.id)
        )
    )


def segment_of(broadcast: Broadcast) -> Segment:
    return Segment.from_json(broadcast.segment)


# -- changes of state: each returns False when the broadcast is in no state for it ---------


def schedule(broadcast: Broadcast, at: datetime, now: datetime) -> bool:
    if broadcast.status not in SENDABLE:
        return False
    broadcast.status = S.SCHEDULED
    broadcast.send_at = max(at, now)
    return True


async def pause(session: AsyncSession, broadcast: Broadcast) -> bool:
    if broadcast.status not in PAUSABLE:
        return False
    broadcast.status = S.PAUSED
    await outbox.hold_broadcast(session, broadcast.id)
    return True


async def resume(session: AsyncSession, broadcast: Broadcast, now: datetime) -> bool:
    if broadcast.status != S.PAUSED:
        return False
    broadcast.status = S.SCHEDULED if broadcast.started_at is None else S.SENDING
    await outbox.release_broadcast(session, broadcast.id, now)
    return True


async def cancel(session: AsyncSession, broadcast: Broadcast, now: datetime) -> bool:
    if broadcast.status not in CANCELLABLE:
        return False
    broadcast.status = S.CANCELLED
    broadcast.finished_at = now
    await outbox.cancel_broadcast(session, broadcast.id, now)
    return True


async def start(session: AsyncSession, broadcast: Broadcast, now: datetime) -> None:
    """Due: count the segment once, for progress, and begin."""
    broadcast.total = (await segments.audience(session, segment_of(broadcast))).total
    broadcast.status = S.SENDING
    broadcast.started_at = now


# -- sending -----------------------------------------------------------------------------


async def enqueue_next(
    session: AsyncSession,
    broadcast: Broadcast,
    *,
    limit: int,
    texts: Mapping[str, str],
    now: datetime,
) -> int:
    """Queue the next ``limit`` people of the segment after the cursor and advance it, in
    the caller's transaction: a crash loses the batch and the advance together. Opted-out
    and unreachable people get a cancelled message saying so. ``texts`` is the message per
    locale. Returns how many people the batch covered (0: all are queued)."""
    people = await segments.people(
        session, segment_of(broadcast), after=broadcast.cursor, limit=limit
    )
    if len(people) < limit:
        broadcast.enqueued_at = now
    if not people:
        return 0
    where = await segments.addresses(session, [p.user_id for p in people])
    messages = []
    for person in people:
        if person.user_id not in where:
            continue  # no identity at all: nobody to write to (cannot happen in practice)
        channel, chat_id, reachable = where[person.user_id]
        skipped = None
        if person.opted_out:
            skipped = outbox.OPTED_OUT
        elif not reachable:
            skipped = outbox.UNREACHABLE
        messages.append(
            outbox.BroadcastMessage(
                person.user_id,
                channel,
                chat_id,
                {"text": texts.get(person.locale) or texts["vi"]},
                skipped,
            )
        )
    await outbox.enqueue_broadcast(session, broadcast.id, messages, now)
    broadcast.cursor = people[-1].user_id
    return len(people)


async def finish_if_delivered(session: AsyncSession, broadcast: Broadcast, now: datetime) -> bool:
    """Done once everyone is queued and nothing of it waits, is held or is in flight; the
    deferred (waiting for their people to write) are reported, not waited for."""
    if broadcast.enqueued_at is None or broadcast.status != S.SENDING:
        return False
    if await outbox.broadcast_waiting(session, broadcast.id):
        return False
    broadcast.status = S.DONE
    broadcast.finished_at = now
    return True


@dataclass(frozen=True, slots=True)
class Stats:
    total: int  # the segment's size (when sending began; people who joined since add)
    sent: int = 0
    failed: int = 0  # the platform refused, or gave up after retries
    blocked: int = 0  # blocked the bot, or no chat may be written to
    opted_out: int = 0
    cancelled: int = 0  # not sent because the broadcast was cancelled
    waiting: int = 0  # queued, held or in flight
    # Waiting for the person to write again (their channel's reply window is closed and no
    # proactive message may be spent): reported, not waited for.
    deferred: int = 0
    expired: int = 0  # deferred until no longer worth sending

    @property
    def finished(self) -> int:
        return (
            self.sent + self.failed + self.blocked + self.opted_out + self.cancelled + self.expired
        )


async def stats(session: AsyncSession, broadcast: Broadcast) -> Stats:
    outcomes = await outbox.broadcast_outcomes(session, broadcast.id)
    total = broadcast.total
    if total is None:  # not started: the segment as it is now
        total = (await segments.audience(session, segment_of(broadcast))).total
    return Stats(
        total=max(total, sum(outcomes.values())),
        sent=outcomes.get("sent", 0),
        failed=outcomes.get("dead", 0),
        blocked=outcomes.get("blocked", 0),
        opted_out=outcomes.get("opted_out", 0),
        cancelled=outcomes.get("cancelled", 0),
        waiting=sum(outcomes.get(state, 0) for state in outbox.WAITING),
        deferred=outcomes.get(OutboxStatus.DEFERRED, 0),
        expired=outcomes.get("expired", 0),
    )
