"""The pacing buckets on their own, in virtual time."""

from __future__ import annotations

import asyncio
import bisect
from datetime import timedelta

from bot.delivery.pacing import HEADROOM, Pacer
from tests.bot.virtual_time import VirtualTime
from tests.storage.factories import T0


async def test_a_chat_quiet_long_enough_is_forgotten() -> None:
    time = VirtualTime(T0)
    pacer = Pacer(1000.0, clock=time.monotonic, sleep=time.sleep)
    await pacer.acquire("early", group=False)
    time.move_to(T0 + timedelta(seconds=0.5))
    await pacer.acquire("late", group=False)

    time.move_to(T0 + timedelta(seconds=1))
    pacer.forget_idle()

    assert list(pacer.chats) == ["late"]  # "early" is full again; "late" is not yet


async def test_a_chat_quiet_for_its_refill_time_gets_its_burst_back() -> None:
    time = VirtualTime(T0)
    pacer = Pacer(1000.0, clock=time.monotonic, sleep=time.sleep)
    for _ in range(3):
        await pacer.acquire("1", group=False)
    time.move_to(T0 + timedelta(seconds=3))
    pacer.forget_idle()

    for _ in range(3):
        await pacer.acquire("1", group=False)

    # The chat's burst again, and well within the bot-wide burst: no wait at all.
    assert time.now == T0 + timedelta(seconds=3)


async def test_the_bot_wide_pace_allows_only_its_headroom_as_a_burst() -> None:
    time = VirtualTime(T0)
    pacer = Pacer(1000.0, clock=time.monotonic, sleep=time.sleep)
    for n in range(100):
        await pacer.acquire(str(n), group=False)  # a hundred different chats
    # 15 at once (half the 3 % headroom), then 970 a second.
    expected = T0 + timedelta(seconds=(100 - 15) / (1000 * HEADROOM))
    assert abs(time.now - expected) <= timedelta(microseconds=2)


async def test_turns_overrun_by_a_stall_do_not_crowd_into_one_second() -> None:
    time = VirtualTime(T0)
    stall_from, stall_to = T0 + timedelta(seconds=1), T0 + timedelta(seconds=1.1)

    async def sleep(seconds: float) -> None:
        # The process gets no CPU for a tenth of a second: whoever's turn falls in it
        # wakes at its end.
        wake = time.now + timedelta(seconds=seconds)
        if stall_from <= wake < stall_to:
            wake = stall_to
        await time.sleep((wake - time.now).total_seconds())

    pacer = Pacer(1000.0, clock=time.monotonic, sleep=sleep)
    left: list[float] = []

    async def send(chat: str) -> None:
        await pacer.acquire(chat, group=False)
        left.append(time.monotonic())

    await asyncio.gather(*(send(str(n)) for n in range(3000)))

    left.sort()
    busiest = max(bisect.bisect_left(left, t + 1) - n for n, t in enumerate(left))
    assert busiest <= 1000 * HEADROOM + 15  # what the bucket lets go in a second, at most
