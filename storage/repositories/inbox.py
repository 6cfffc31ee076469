"""Raw platform updates, stored before they are acknowledged and processed from here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxUpdate


@dataclass(frozen=True, slots=True)
class NewUpdate:
    channel: str
    update_id: str
    chat_key: str
    seq: int
    payload: dict[str, Any]


async def store(
    session: AsyncSession, updates: Sequence[NewUpdate], now: datetime
) -> set[tuple[str, str]]:
    """Keep updates once; returns the (channel, update id) pairs that were new (the others
    were redeliveries). The rows go as parameters of one cached statement, which SQLAlchemy
    sends as few multi-row INSERTs: a statement written with the rows as its VALUES would be
    compiled anew for every batch, which cost more than the insert."""
    if not updates:
        return set()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(InboxUpdate)
        .on_conflict_do_nothing(index_elements=["channel", "update_id"])
        .returning(InboxUpdate.channel, InboxUpdate.update_id)
    )
    rows = await session.execute(
        stmt,
        [
            {
                "channel": u.channel,
                "update_id": u.update_id,
                "chat_key": u.chat_key,
                "seq": u.seq,
                "payload": u.payload,
                "received_at": now,
            }
            for u in updates
        ],
    )
    return {(row.channel, row.update_id) for row in rows}


async def next_batch(
    session: AsyncSession, channels: Sequence[str], limit: int
) -> list[InboxUpdate]:
    """The first unprocessed update of each chat of these channels: a chat's updates go one
    at a time and in order, different chats share a batch."""
    waiting = InboxUpdate.processed_at.is_(None), InboxUpdate.channel.in_(channels)
    heads = (
        select(InboxUpdate.channel, InboxUpdate.chat_key, func.min(InboxUpdate.seq))
        .where(*waiting)
        .group_by(InboxUpdate.channel, InboxUpdate.chat_key)
    )
    rows = await session.scalars(
        select(InboxUpdate)
        .where(
            *waiting, tuple_(InboxUpdate.channel, InboxUpdate.chat_key, InboxUpdate.seq).in_(heads)
        )
        .order_by(InboxUpdate.id)
        .limit(limit)
    )
    return list(rows)


async def mark_processed(
    session: AsyncSession,
    ids: Sequence[int],
    now: datetime,
    kept: Mapping[int, dict[str, Any]] | None = None,
) -> None:
    """Mark updates processed; `kept`: the smaller payload to keep of some (by id)."""
    if ids:
        await session.execute(
            update(InboxUpdate).where(InboxUpdate.id.in_(ids)).values(processed_at=now)
        )
    if kept:
        table = InboxUpdate.__table__
        await session.execute(
            update(table).where(table.c.id == bindparam("row_id")),
            [{"row_id": i, "payload": payload} for i, payload in kept.items()],
        )


async def pending_count(session: AsyncSession) -> int:
    return (
        await session.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.processed_at.is_(None))
        )
        or 0
    )
