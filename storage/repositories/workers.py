"""Running bot processes, by heartbeat: what a process that died held (claimed outbox
messages, a long job's run) is handed back as soon as it is known to be dead, instead of
waiting for the lease to run out.

A process is dead when it missed ``stale`` of beats while others could beat or, seen from
its own host, when its pid is no longer running (a restart after a crash knows at once).
Whichever live process notices deletes the dead one's row and releases its messages in the
same transaction; a long job's run is free again once its owner's row is gone
(storage/repositories/jobs.py). The lease stays the last resort.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OUTBOX_SENDING_SQL, OutboxMessage, Worker


@dataclass(frozen=True, slots=True)
class Me:
    id: str
    host: str
    pid: int


async def register(session: AsyncSession, me: Me, now: datetime) -> None:
    await session.execute(
        insert(Worker).values(id=me.id, host=me.host, pid=me.pid, started_at=now, heartbeat_at=now)
    )


async def beat(session: AsyncSession, worker_id: str, now: datetime) -> bool:
    """Note that the worker lives; False when its row is gone (it was taken for dead)."""
    done = await session.execute(
        update(Worker).where(Worker.id == worker_id).values(heartbeat_at=now)
    )
    return done.rowcount == 1


async def leave(session: AsyncSession, worker_id: str, now: datetime) -> int:
    """A worker stopping cleanly: its row goes, and anything it still holds is released."""
    return await _bury(session, [worker_id], now)


async def release_dead(
    session: AsyncSession,
    me: Me,
    now: datetime,
    *,
    wrote_at: datetime,
    stale: timedelta,
    running: Callable[[int], bool],
) -> int:
    """Bury every other worker that had not beaten for ``stale`` when this one last could
    (``wrote_at``, its previous beat), or which ran on this host under a pid that ``running``
    says is gone (or is now this process's own); returns how many messages they held and are
    now due again. Measured from this worker's own last beat, not from now: after a database
    outage or a long lock every heartbeat is old, and the living must not bury each other."""
    others = await session.execute(
        select(Worker.id, Worker.host, Worker.pid, Worker.heartbeat_at).where(Worker.id != me.id)
    )
    dead = [
        worker.id
        for worker in others
        if worker.heartbeat_at < wrote_at - stale
        or (worker.host == me.host and (worker.pid == me.pid or not running(worker.pid)))
    ]
    return await _bury(session, dead, now) if dead else 0


async def _bury(session: AsyncSession, worker_ids: Sequence[str], now: datetime) -> int:
    await session.execute(delete(Worker).where(Worker.id.in_(worker_ids)))
    # Still "sending" and now due: the claim takes them as it takes those of a lapsed lease
    # (the attempt that may have reached the platform counts).
    released = await session.execute(
        update(OutboxMessage)
        .where(text(OUTBOX_SENDING_SQL), OutboxMessage.claimed_by.in_(worker_ids))
        .values(next_attempt_at=now, claimed_by=None)
    )
    return released.rowcount
