"""Outgoing messages: written in the same transaction as the state change that caused them,
claimed and delivered later by delivery workers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, exists, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import ChannelIdentity, ChannelPause, OutboxMessage, OutboxStatus

# Replies to what a person just did go first; these wait behind them.
BULK_KINDS = frozenset({"reminder", "broadcast"})
REPLY_LANE, BULK_LANE = 0, 1
# Not yet sent, dead or cancelled: waiting, or claimed by a worker.
UNFINISHED = (OutboxStatus.PENDING, OutboxStatus.SENDING)


@dataclass(frozen=True, slots=True)
class NewMessage:
    user_id: int | None
    channel: str
    chat_id: str
    kind: str
    payload: dict[str, Any]
    about_user_id: int | None = None


async def enqueue(session: AsyncSession, messages: Sequence[NewMessage], now: datetime) -> None:
    """Queue messages with one INSERT. (An ORM flush would insert them one by one on SQLite,
    which cannot batch an INSERT whose generated ids must be read back in order.)"""
    if not messages:
        return
    await session.execute(
        insert(OutboxMessage),
        [
            {
                "user_id": m.user_id,
                "about_user_id": m.about_user_id,
                "channel": m.channel,
                "chat_id": m.chat_id,
                "kind": m.kind,
                "lane": BULK_LANE if m.kind in BULK_KINDS else REPLY_LANE,
                "payload": m.payload,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for m in messages
        ],
    )


async def claim(
    session: AsyncSession, *, channel: str, limit: int, now: datetime, lease: timedelta
) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages of ``channel`` for ``lease``: replies before bulk,
    then oldest first.

    Only the oldest unfinished message of each chat is taken, so a chat's messages go out in
    order even when several workers send: the next one waits until the one before is sent,
    dead or cancelled (a retry keeps its place). Due means pending and past its
    ``next_attempt_at``, or claimed by a worker whose lease ran out (it crashed or hung).
    Nothing is taken while the channel is paused. A claimed row is invisible to other
    claimers until its lease ends, so commit the claim before sending.
    """
    earlier = aliased(OutboxMessage)
    waits_behind_earlier = exists().where(
        earlier.channel == channel,
        earlier.chat_id == OutboxMessage.chat_id,
        earlier.status.in_(UNFINISHED),
        earlier.id < OutboxMessage.id,
    )
    paused = exists().where(ChannelPause.channel == channel, ChannelPause.paused_until > now)
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.status.in_(UNFINISHED),
            OutboxMessage.next_attempt_at <= now,
            ~waits_behind_earlier,
            ~paused,
        )
        .order_by(OutboxMessage.lane, OutboxMessage.id)
        .limit(limit)
        # PostgreSQL: concurrent claimers skip each other's rows instead of queueing on them.
        # SQLite renders no locking clause; its single writer already makes the UPDATE atomic.
        .with_for_update(skip_locked=True, of=OutboxMessage)
        # A materialized CTE, not IN (subquery): PostgreSQL may plan a locking subquery so
        # that it runs more than once, and then takes more than ``limit`` rows.
        .cte("due")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    claimed = await session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(select(due.c.id)))
        .values(
            status=OutboxStatus.SENDING,
            next_attempt_at=now + lease,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage)
    )
    # RETURNING gives rows in no promised order.
    return sorted(claimed, key=lambda message: (message.lane, message.id))


async def mark_sent(session: AsyncSession, sent: Mapping[int, str | None], now: datetime) -> None:
    """Record deliveries (outbox id -> the platform's message id) in two statements. A
    message whose person has since deleted their data goes entirely instead, so that we keep
    no address of someone we no longer know."""
    if not sent:
        return
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.id.in_(list(sent)), OutboxMessage.user_id.is_(None)
        )
    )
    table = OutboxMessage.__table__
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("sent_id"))
        .values(
            status=OutboxStatus.SENT, platform_message_id=bindparam("platform_id"), sent_at=now
        ),
        [{"sent_id": i, "platform_id": p} for i, p in sent.items()],
    )


async def mark_dead(session: AsyncSession, message_id: int, *, error: str, now: datetime) -> None:
    """Give up on a message. Its due time becomes the time of death, so that a requeue
    (after the cause is fixed) sends it at once."""
    await _finish(
        session,
        OutboxMessage.id == message_id,
        status=OutboxStatus.DEAD,
        last_error=error,
        next_attempt_at=now,
    )


async def cancel_for_chat(
    session: AsyncSession, channel: str, chat_id: str, reason: str, now: datetime
) -> int:
    """Drop every unsent message of a chat (its person cannot be reached); returns how many."""
    return await _finish(
        session,
        (OutboxMessage.channel == channel)
        & (OutboxMessage.chat_id == chat_id)
        & OutboxMessage.status.in_(UNFINISHED),
        status=OutboxStatus.CANCELLED,
        last_error=reason,
        next_attempt_at=now,
    )


async def _finish(session: AsyncSession, which: ColumnElement[bool], **values: Any) -> int:
    """Put messages in a final state. A message whose person has since deleted their data
    goes entirely instead, so that we keep no address of someone we no longer know."""
    kept = await session.execute(
        update(OutboxMessage).where(which, OutboxMessage.user_id.is_not(None)).values(**values)
    )
    gone = await session.execute(
        delete(OutboxMessage).where(which, OutboxMessage.user_id.is_(None))
    )
    return kept.rowcount + gone.rowcount


async def retry_later(session: AsyncSession, message_id: int, *, at: datetime, error: str) -> None:
    await _back_to_pending(session, message_id, at, last_error=error)


async def record_unknown(session: AsyncSession, message_id: int, *, at: datetime) -> None:
    """The send may have arrived: count it, since such a message is retried once only."""
    await _back_to_pending(
        session, message_id, at, unknown_outcomes=OutboxMessage.unknown_outcomes + 1
    )


async def release(session: AsyncSession, message_id: int, *, at: datetime) -> None:
    """Hand back a claimed message that was never sent: its claim is not an attempt."""
    await _back_to_pending(session, message_id, at, attempts=OutboxMessage.attempts - 1)


async def _back_to_pending(
    session: AsyncSession, message_id: int, at: datetime, **values: Any
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=OutboxStatus.PENDING, next_attempt_at=at, **values)
    )


async def requeue_dead(session: AsyncSession, channel: str | None = None) -> int:
    """Send dead messages again with a fresh set of attempts; returns how many."""
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.DEAD)
        .values(status=OutboxStatus.PENDING, attempts=0, unknown_outcomes=0)
    )
    if channel is not None:
        stmt = stmt.where(OutboxMessage.channel == channel)
    return (await session.execute(stmt)).rowcount


async def pause_channel(session: AsyncSession, channel: str, until: datetime) -> None:
    """Hold every worker of ``channel`` until ``until``; a longer pause already set stands."""
    insert_ = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    stmt = insert_(ChannelPause).values(channel=channel, paused_until=until)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ChannelPause.channel],
            set_={"paused_until": stmt.excluded.paused_until},
            where=ChannelPause.paused_until < stmt.excluded.paused_until,
        )
    )


async def mark_unreachable(
    session: AsyncSession, channel: str, chat_id: str, now: datetime
) -> None:
    """Note that the people behind this chat cannot be written to, keeping the first time."""
    await session.execute(
        update(ChannelIdentity)
        .where(
            ChannelIdentity.channel == channel,
            ChannelIdentity.chat_id == chat_id,
            ChannelIdentity.unreachable_at.is_(None),
        )
        .values(unreachable_at=now)
    )


async def oldest_pending_age(session: AsyncSession, now: datetime) -> timedelta | None:
    """How long the oldest undelivered message has waited (None when none waits)."""
    oldest = await session.scalar(
        select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status.in_(UNFINISHED))
    )
    return None if oldest is None else now - oldest


async def status_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: count for status, count in rows}
