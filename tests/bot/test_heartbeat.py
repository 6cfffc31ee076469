"""What a dead process held is handed back within seconds: its messages are due again and its
long job can be taken up, once its heartbeat is stale or its pid is gone from the host;
a live process keeps what it holds. The claim's lease stays the last resort."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.heartbeat import Heartbeat, running
from bot.scheduler import Pass, Scheduler, daily
from storage.models import OutboxMessage, Worker
from storage.repositories import outbox
from tests.storage.factories import T0, Sessions, enqueue

LEASE = timedelta(seconds=60)
STALE = timedelta(seconds=8)
BEAT = timedelta(seconds=2)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def process(
    sessions: Sessions,
    clock: Clock,
    *,
    pid: int,
    host: str = "box",
    gone: frozenset[int] = frozenset(),
) -> Heartbeat:
    return Heartbeat(
        sessions, stale=STALE, clock=clock, host=host, pid=pid, alive=lambda p: p not in gone
    )


async def beat_until(clock: Clock, end: datetime, *beating: Heartbeat) -> None:
    """Every two seconds, as the processes do, each of ``beating`` beats."""
    while clock.now + BEAT <= end:
        clock.now += BEAT
        for heartbeat in beating:
            await heartbeat.beat()


async def claim(sessions: Sessions, now: datetime, owner: str | None) -> list[int]:
    async with sessions() as session, session.begin():
        taken = await outbox.claim(
            session, channel="telegram", limit=10, now=now, lease=LEASE, owner=owner
        )
    return sorted(message.id for message in taken)


async def test_messages_of_a_worker_that_stopped_beating_are_due_again_within_seconds(
    session_factory: Sessions,
) -> None:
    ids = await enqueue(session_factory, ["1", "2", "3"])
    clock = Clock(T0)
    # Two hosts, so that only the heartbeat can tell.
    dying, survivor = (
        process(session_factory, clock, pid=10, host="a"),
        process(session_factory, clock, pid=20, host="b"),
    )
    await dying.join()
    await survivor.join()
    assert await claim(session_factory, T0, dying.id) == ids

    # Missed beats are counted up to the survivor's previous beat.
    await beat_until(clock, T0 + STALE + BEAT, survivor)
    assert await claim(session_factory, clock.now, survivor.id) == []  # it may yet beat

    await beat_until(clock, clock.now + BEAT, survivor)  # long before the lease's end
    assert await claim(session_factory, clock.now, survivor.id) == ids
    async with session_factory() as session:
        assert (await session.scalars(select(Worker.id))).all() == [survivor.id]
        messages = (await session.scalars(select(OutboxMessage))).all()
    # The attempt that may have reached the platform counts, as after a lapsed lease.
    assert {(m.claimed_by, m.attempts) for m in messages} == {(survivor.id, 2)}


async def test_a_worker_that_beats_keeps_its_messages(session_factory: Sessions) -> None:
    ids = await enqueue(session_factory, ["1", "2"])
    clock = Clock(T0)
    alive, other = (
        process(session_factory, clock, pid=10, host="a"),
        process(session_factory, clock, pid=20, host="b"),
    )
    await alive.join()
    await other.join()
    assert await claim(session_factory, T0, alive.id) == ids
    while clock.now < T0 + LEASE - BEAT:
        await beat_until(clock, clock.now + BEAT, alive, other)
        assert await claim(session_factory, clock.now, other.id) == []
    clock.now = T0 + LEASE  # the last resort still holds
    assert await claim(session_factory, clock.now, other.id) == ids


async def test_a_restart_on_the_same_host_releases_its_former_self_as_it_starts(
    session_factory: Sessions,
) -> None:
    ids = await enqueue(session_factory, ["1", "2"])
    clock = Clock(T0)
    crashed = process(session_factory, clock, pid=10)
    await crashed.join()
    assert await claim(session_factory, T0, crashed.id) == ids

    clock.now = T0 + timedelta(seconds=1)
    await process(session_factory, clock, pid=11, gone=frozenset({10})).join()
    assert await claim(session_factory, clock.now, None) == ids


async def test_a_restart_under_the_same_pid_releases_its_former_self(
    session_factory: Sessions,
) -> None:
    """In a container the bot is pid 1 every time."""
    ids = await enqueue(session_factory, ["1"])
    clock = Clock(T0)
    crashed = process(session_factory, clock, pid=1)
    await crashed.join()
    assert await claim(session_factory, T0, crashed.id) == ids
    await process(session_factory, clock, pid=1).join()
    assert await claim(session_factory, T0, None) == ids


async def test_a_worker_taken_for_dead_joins_again_and_is_left_alone(
    session_factory: Sessions,
) -> None:
    clock = Clock(T0)
    stalled, other = (
        process(session_factory, clock, pid=10, host="a"),
        process(session_factory, clock, pid=20, host="b"),
    )
    await stalled.join()
    await other.join()
    await beat_until(clock, T0 + STALE + 2 * BEAT, other)
    await stalled.beat()  # buried meanwhile
    await beat_until(clock, clock.now + STALE, other, stalled)
    async with session_factory() as session:
        assert set(await session.scalars(select(Worker.id))) == {stalled.id, other.id}


async def test_after_the_database_was_away_the_living_do_not_bury_each_other(
    session_factory: Sessions,
) -> None:
    ids = await enqueue(session_factory, ["1"])
    clock = Clock(T0)
    first, second = (
        process(session_factory, clock, pid=10, host="a"),
        process(session_factory, clock, pid=20, host="b"),
    )
    await first.join()
    await second.join()
    assert await claim(session_factory, T0, first.id) == ids
    await beat_until(clock, T0 + 2 * BEAT, first, second)
    clock.now += 5 * STALE  # nobody could write: an outage, a long lock
    await second.beat()  # the first to get through finds every heartbeat old
    await first.beat()
    await beat_until(clock, clock.now + BEAT, first, second)
    assert await claim(session_factory, clock.now, second.id) == []
    async with session_factory() as session:
        assert set(await session.scalars(select(Worker.id))) == {first.id, second.id}


async def test_a_worker_that_leaves_hands_back_what_it_still_holds(
    session_factory: Sessions,
) -> None:
    ids = await enqueue(session_factory, ["1"])
    clock = Clock(T0)
    leaving = process(session_factory, clock, pid=10)
    await leaving.join()
    assert await claim(session_factory, T0, leaving.id) == ids
    await leaving.leave()
    assert await claim(session_factory, T0, None) == ids
    async with session_factory() as session:
        assert (await session.scalars(select(Worker))).all() == []


async def test_a_long_job_cut_short_by_a_dead_worker_is_taken_up_before_its_lease_ends(
    session_factory: Sessions,
) -> None:
    runs: list[str] = []

    def job(name: str, crash: bool) -> Pass:
        async def work(now: datetime) -> None:
            runs.append(name)
            if crash:
                raise RuntimeError("killed mid-pass")

        return Pass("test.pass", daily(time(0), ZoneInfo("UTC")), work, lease=timedelta(hours=1))

    clock = Clock(T0)
    dying, survivor = (
        process(session_factory, clock, pid=10, host="a"),
        process(session_factory, clock, pid=20, host="b"),
    )
    await dying.join()
    await survivor.join()
    first = Scheduler(session_factory, [job("first", crash=True)], clock=clock, owner=dying.id)
    second = Scheduler(
        session_factory, [job("second", crash=False)], clock=clock, owner=survivor.id
    )

    assert await first.tick() == []  # cut short: claimed, not finished
    await beat_until(clock, T0 + STALE, survivor)
    assert await second.tick() == []  # its worker may still be at it
    await beat_until(clock, T0 + STALE + 2 * BEAT, survivor)  # long before the hour's lease
    assert await second.tick() == ["test.pass"]
    assert runs == ["first", "second"]


def test_a_pid_runs_until_its_process_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert running(os.getpid()) and not running(child.pid)
