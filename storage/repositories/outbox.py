"""Outgoing messages: written in the same transaction as the state change that caused them,
claimed and delivered later by delivery workers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Delete,
    Update,
    and_,
    any_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    OUTBOX_DEFERRED_SQL,
    OUTBOX_UNFINISHED_SQL,
    ChannelIdentity,
    ChannelPause,
    OutboxMention,
    OutboxMessage,
    OutboxStatus,
)
from storage.upsert import dialect_insert

# Replies to what a person just did go first; these wait behind them.
BULK_KINDS = frozenset({"reminder", "broadcast"})
REPLY_LANE, BULK_LANE = 0, 1
# Not yet sent, dead or cancelled: waiting, or claimed by a worker.
UNFINISHED = (OutboxStatus.PENDING, OutboxStatus.SENDING)
# A broadcast's messages not finished: waiting, claimed, or held back.
WAITING = (*UNFINISHED, OutboxStatus.HELD)
# Waiting and not in a worker's hands: what a cancellation drops.
NOT_CLAIMED = (OutboxStatus.PENDING, OutboxStatus.HELD, OutboxStatus.DEFERRED)
# Why a message was cancelled (its last_error), for a broadcast's figures. The worker records
# a recipient who blocked the bot as "Unreachable: <the platform's words>".
OPTED_OUT = "opted out"
UNREACHABLE = "Unreachable: no chat that may be written to"
BROADCAST_CANCELLED = "broadcast cancelled"
# A reminder or broadcast deferred (outside the reply window, no proactive budget) for longer
# than it stays worth reading.
EXPIRED = "expired while deferred"


@dataclass(frozen=True, slots=True)
class NewMessage:
    user_id: int | None
    channel: str
    chat_id: str
    kind: str
    payload: dict[str, Any]
    about_user_id: int | None = None
    mentions: tuple[int, ...] = ()


async def enqueue(session: AsyncSession, messages: Sequence[NewMessage], now: datetime) -> None:
    """Queue messages in order, with one INSERT per run of plain ones. (An ORM flush would
    insert them one by one on SQLite, which cannot batch an INSERT whose generated ids must
    be read back in order.) The few that name other people (lists) go one by one, as their
    ids are needed to record the names."""
    plain: list[NewMessage] = []
    for m in messages:
        if not m.mentions:
            plain.append(m)
            continue
        await _insert(session, plain, now)
        plain = []
        outbox_id = await enqueue_one(session, m, now)
        await session.execute(
            insert(OutboxMention),
            [{"outbox_id": outbox_id, "user_id": u} for u in dict.fromkeys(m.mentions)],
        )
    await _insert(session, plain, now)


async def _insert(session: AsyncSession, messages: Sequence[NewMessage], now: datetime) -> None:
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


async def enqueue_one(session: AsyncSession, message: NewMessage, now: datetime) -> int:
    """Queue one message and return its outbox id (to follow what became of it)."""
    return await session.scalar(
        insert(OutboxMessage)
        .values(
            user_id=message.user_id,
            about_user_id=message.about_user_id,
            channel=message.channel,
            chat_id=message.chat_id,
            kind=message.kind,
            lane=BULK_LANE if message.kind in BULK_KINDS else REPLY_LANE,
            payload=message.payload,
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .returning(OutboxMessage.id)
    )


@dataclass(frozen=True, slots=True)
class BroadcastMessage:
    user_id: int
    channel: str
    chat_id: str
    payload: dict[str, Any]
    skipped: str | None = None  # why it is not sent (OPTED_OUT, UNREACHABLE); None: send it


async def enqueue_broadcast(
    session: AsyncSession, broadcast_id: int, messages: Sequence[BroadcastMessage], now: datetime
) -> None:
    """A broadcast's messages, bulk lane, one statement. A recipient who already has one
    keeps it: enqueueing a batch twice adds nothing. The skipped are recorded as cancelled
    with their reason, so every recipient's outcome is in the outbox."""
    if not messages:
        return
    # On the table, not the mapped class: the ORM's bulk path costs more than the database.
    table = OutboxMessage.__table__
    stmt = dialect_insert(session)(table).on_conflict_do_nothing(
        index_elements=[table.c.broadcast_id, table.c.user_id],
        index_where=table.c.broadcast_id.is_not(None),
    )
    await session.execute(
        stmt,
        [
            {
                "broadcast_id": broadcast_id,
                "user_id": m.user_id,
                "about_user_id": None,
                "channel": m.channel,
                "chat_id": m.chat_id,
                "kind": "broadcast",
                "lane": BULK_LANE,
                "payload": m.payload,
                "status": OutboxStatus.CANCELLED if m.skipped else OutboxStatus.PENDING,
                "last_error": m.skipped,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for m in messages
        ],
    )


async def hold_broadcast(session: AsyncSession, broadcast_id: int) -> int:
    """Keep a broadcast's waiting messages back (paused, quiet hours); those being sent go.
    Returns how many."""
    return await _set_status(session, broadcast_id, (OutboxStatus.PENDING,), OutboxStatus.HELD)


async def release_broadcast(session: AsyncSession, broadcast_id: int, now: datetime) -> int:
    return await _set_status(
        session, broadcast_id, (OutboxStatus.HELD,), OutboxStatus.PENDING, next_attempt_at=now
    )


async def _set_status(
    session: AsyncSession,
    broadcast_id: int,
    current: tuple[OutboxStatus, ...],
    new: OutboxStatus,
    **values: Any,
) -> int:
    done = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status.in_(current))
        .values(status=new, **values)
    )
    return done.rowcount


async def cancel_broadcast(session: AsyncSession, broadcast_id: int, now: datetime) -> int:
    """Drop a broadcast's messages not yet sent (those in flight still go)."""
    return await _finish(
        session,
        (OutboxMessage.broadcast_id == broadcast_id) & OutboxMessage.status.in_(NOT_CLAIMED),
        status=OutboxStatus.CANCELLED,
        last_error=BROADCAST_CANCELLED,
        next_attempt_at=now,
    )


async def cancel_bulk_for_user(session: AsyncSession, user_id: int, now: datetime) -> int:
    """The person opted out: drop every reminder and broadcast queued for them (one already
    in flight still arrives). Returns how many."""
    return await _finish(
        session,
        (OutboxMessage.user_id == user_id)
        & (OutboxMessage.lane == BULK_LANE)
        & OutboxMessage.status.in_(NOT_CLAIMED),
        status=OutboxStatus.CANCELLED,
        last_error=OPTED_OUT,
        next_attempt_at=now,
    )


async def broadcast_waiting(session: AsyncSession, broadcast_id: int) -> int:
    """A broadcast's messages not yet finished (pending, being sent or held); read from an
    index, so cheap however large the broadcast."""
    return await session.scalar(
        select(func.count()).where(
            OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status.in_(WAITING)
        )
    )


async def broadcast_outcomes(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """How many of a broadcast's messages are in each state, the cancelled ones told apart
    by why: "blocked" (unreachable), "opted_out", "expired" (deferred too long) or
    "cancelled" (the broadcast was)."""
    cancelled = OutboxMessage.status == OutboxStatus.CANCELLED
    outcome = case(
        (cancelled & OutboxMessage.last_error.startswith("Unreachable:"), literal("blocked")),
        (cancelled & (OutboxMessage.last_error == OPTED_OUT), literal("opted_out")),
        (cancelled & (OutboxMessage.last_error == EXPIRED), literal("expired")),
        else_=OutboxMessage.status,
    ).label("outcome")
    # Grouped outside: PostgreSQL does not see two renderings of a CASE with parameters as
    # the same expression.
    each = select(outcome).where(OutboxMessage.broadcast_id == broadcast_id).subquery()
    rows = await session.execute(select(each.c.outcome, func.count()).group_by(each.c.outcome))
    return {name: count for name, count in rows}


async def claim(
    session: AsyncSession,
    *,
    channel: str,
    limit: int,
    now: datetime,
    lease: timedelta,
    owner: str | None = None,
) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages of ``channel`` for ``lease``: replies before bulk,
    then oldest first.

    Only the oldest unfinished message of each chat is taken, so a chat's messages go out in
    order even when several workers send: the next one waits until the one before is sent,
    dead or cancelled (a retry keeps its place). Due means pending and past its
    ``next_attempt_at``, or claimed by a worker whose lease ran out (it crashed or hung).
    Nothing is taken while the channel is paused. A claimed row is invisible to other
    claimers until its lease ends, or until its ``owner`` (the claiming worker's id) is found
    dead (storage/repositories/workers.py), so commit the claim before sending.
    """
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # The plan made for any values, not for these: with the values at hand, PostgreSQL
        # may look for a message's earlier ones in the index of unfinished messages, which
        # its statistics (taken while none waited) call empty, and so read every waiting
        # message for each one claimed: 0.45 s a claim at 2,000 waiting, against 20 ms.
        # The parameters keep that index from answering "earlier unfinished", and the
        # index by chat does; the claim's own scan names its statuses and keeps it.
        # And no sort and no sequential scan: the generic plan is made once per connection,
        # and one made while the outbox looked empty (a deployment's first claim; statistics
        # are never taken where autovacuum is off) sorted every waiting message instead of
        # reading the index of unfinished messages in order, and read the whole table for
        # the claimed rows: 0.43 s a claim at 78,500 waiting, against 7 ms. The three
        # settings hold for this transaction only, and go in one round trip.
        await session.execute(
            text(
                "SELECT set_config('plan_cache_mode', 'force_generic_plan', true),"
                " set_config('enable_sort', 'off', true), set_config('enable_seqscan', 'off', true)"
            )
        )
    claimed = await session.scalars(
        _claim_statement(postgresql),
        {
            "for_channel": channel,
            "now": now,
            "limit": limit,
            "lease_end": now + lease,
            "owner": owner,
        },
    )
    # RETURNING gives rows in no promised order.
    return sorted(claimed, key=lambda message: (message.lane, message.id))


@cache
def _claim_statement(postgresql: bool) -> Update:
    """Built once with its values as parameters: building it took longer than running it."""
    # Not named after a column: those names are the UPDATE's own.
    channel, now = bindparam("for_channel"), bindparam("now")
    earlier = aliased(OutboxMessage)
    # A scalar subquery, not NOT EXISTS: PostgreSQL never turns it into a join, so it runs
    # for each candidate with the candidate's chat as a parameter and probes the index by
    # chat. As an anti-join, with statistics that called the outbox empty, it read every
    # waiting message of the channel for each candidate.
    earlier_one = (
        select(earlier.id)
        .where(
            earlier.channel == channel,
            earlier.chat_id == OutboxMessage.chat_id,
            # Parameters, not written out as the scan's below: see claim() on the plan.
            earlier.status.in_(UNFINISHED),
            earlier.id < OutboxMessage.id,
        )
        .limit(1)
        .scalar_subquery()
    )
    paused = exists().where(ChannelPause.channel == channel, ChannelPause.paused_until > now)
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.channel == channel,
            # Written out, not as parameters, so that the partial index over unfinished
            # messages serves: it reads them in the order wanted, up to the limit.
            text(OUTBOX_UNFINISHED_SQL),
            OutboxMessage.next_attempt_at <= now,
            earlier_one.is_(None),
            ~paused,
        )
        .order_by(OutboxMessage.lane, OutboxMessage.id)
        .limit(bindparam("limit"))
        # PostgreSQL: concurrent claimers skip each other's rows instead of queueing on them.
        # SQLite renders no locking clause; its single writer already makes the UPDATE atomic.
        .with_for_update(skip_locked=True, of=OutboxMessage)
        # A materialized CTE, not IN (subquery): PostgreSQL may plan a locking subquery so
        # that it runs more than once, and then takes more than ``limit`` rows.
        .cte("due")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    # PostgreSQL: the claimed ids as one array, which only the primary key can answer. As
    # IN (subquery), a planner whose statistics call the outbox empty (taken when its pages
    # held only finished messages) joined them to a scan of every message in the table, for
    # each claim: a broadcast to 100,000 did not finish in 7 minutes.
    claimed = (
        OutboxMessage.id == any_(func.array(select(due.c.id).scalar_subquery()))
        if postgresql
        else OutboxMessage.id.in_(select(due.c.id))
    )
    return (
        update(OutboxMessage)
        .where(claimed)
        .values(
            status=OutboxStatus.SENDING,
            next_attempt_at=bindparam("lease_end"),
            attempts=OutboxMessage.attempts + 1,
            claimed_by=bindparam("owner"),
        )
        .returning(OutboxMessage)
    )


async def mark_sent(session: AsyncSession, sent: Mapping[int, str | None], now: datetime) -> None:
    """Record deliveries (outbox id -> the platform's message id) in two statements. A
    message whose person has since deleted their data goes entirely instead, so that we keep
    no address of someone we no longer know."""
    if not sent:
        return
    forget, record = _mark_sent_statements()
    await session.execute(forget, {"sent_ids": list(sent)})
    await session.execute(
        record, [{"sent_id": i, "platform_id": p, "at": now} for i, p in sent.items()]
    )


@cache
def _mark_sent_statements() -> tuple[Delete, Update]:
    """Built once, with the ids as a parameter: a batch's hundreds of ids written into the
    statement each cost more than sending them."""
    table = OutboxMessage.__table__
    forget = delete(table).where(
        table.c.id.in_(bindparam("sent_ids", expanding=True)), table.c.user_id.is_(None)
    )
    record = (
        update(table)
        .where(table.c.id == bindparam("sent_id"))
        .values(
            status=OutboxStatus.SENT,
            platform_message_id=bindparam("platform_id"),
            sent_at=bindparam("at"),
        )
    )
    return forget, record


async def last_sent(
    session: AsyncSession, channel: str, chat_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The payload of the last message sent (or being sent) to each of these chats that has
    one. One being sent counts: its delivery is recorded only after its batch is through, and
    a quick reader may already be answering it."""
    latest = (
        select(func.max(OutboxMessage.id))
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.chat_id.in_(chat_ids),
            OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.SENDING)),
        )
        .group_by(OutboxMessage.chat_id)
    )
    rows = await session.execute(
        select(OutboxMessage.chat_id, OutboxMessage.payload).where(OutboxMessage.id.in_(latest))
    )
    return {row.chat_id: row.payload for row in rows}


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
        & OutboxMessage.status.in_((*UNFINISHED, OutboxStatus.DEFERRED)),
        status=OutboxStatus.CANCELLED,
        last_error=reason,
        next_attempt_at=now,
    )


async def defer(session: AsyncSession, message_ids: Sequence[int], now: datetime) -> None:
    """Claimed messages that may not go yet: they wait for the person to write again
    (storage/repositories/windows.py hands them back)."""
    if message_ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids))
            # Its claim was no attempt.
            .values(
                status=OutboxStatus.DEFERRED,
                attempts=OutboxMessage.attempts - 1,
                next_attempt_at=now,
            )
        )


async def expire(
    session: AsyncSession, which: ColumnElement[bool], before: datetime, now: datetime
) -> int:
    """Cancel the reminders and broadcasts among ``which`` queued before ``before``: a
    message to a person is still worth its wait, news are not. Returns how many."""
    return await _finish(
        session,
        and_(which, OutboxMessage.lane == BULK_LANE, OutboxMessage.created_at < before),
        status=OutboxStatus.CANCELLED,
        last_error=EXPIRED,
        next_attempt_at=now,
    )


async def expire_deferred(session: AsyncSession, before: datetime, now: datetime) -> int:
    """Expire every deferred reminder and broadcast queued before ``before``."""
    return await expire(session, text(OUTBOX_DEFERRED_SQL), before, now)


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
    stmt = dialect_insert(session)(ChannelPause).values(channel=channel, paused_until=until)
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
