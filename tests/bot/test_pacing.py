"""The pacing buckets on their own, in virtual time."""

from __future__ import annotations

import asyncio
import bisect
from datetime import timedelta

from bot.delivery.pacing import HEADROOM, Pacer
from tests.bot.virtual_time import VirtualTime
from tests.storage.factories import T0


async def go(pacer: Pacer, chat: str) -> None:
    """A message whose answer comes at once."""
    async with pacer.turn(chat, group=False):
        pass


async def test_a_chat_quiet_long_enough_is_forgotten() -> None:
    time = VirtualTime(T0)
    pacer = Pacer(1000.0, clock=time.monotonic, sleep=time.sleep)
    await go(pacer, "early")
    time.move_to(T0 + timedelta(seconds=0.5))
    await go(pacer, "late")

    time.move_to(T0 + timedelta(seconds=1))
    pacer.forget_idle()

    assert list(pacer.chats) == ["late"]  # "early" is full again; "late" is not yet


async def test_a_chat_quiet_for_its_refill_time_gets_its_burst_back() -> None:
    time = VirtualTime(T0)
    pacer = Pacer(1000.0, clock=time.monotonic, sleep=time.sleep)
    for _ in range(3):
        await go(pacer, "1")
    time.move_to(T0 + timedelta(seconds=3))
    pacer.forget_idle()

    for _ in range(3):
        await go(pacer, "1")

    # The chat's burst again, and well within the bot-wide burst: no wait at all.
    assert time.now == T0 + timedelta(seconds=3)


async def test_the_bot_wide_pace_allows_only_its_headroom_as_a_burst() -> None:
    time = VirtualTime(T0)
    pacer = Pacer(1000.0, clock=time.monotonic, sleep=time.sleep)
    for n in range(100):
        await go(pacer, str(n))  # a hundred different chats
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
        async with pacer.turn(chat, group=False):
            left.append(time.monotonic())

    await asyncio.gather(*(send(str(n)) for n in range(3000)))

    assert busiest_second(left) <= 1000 * HEADROOM + 15  # what the bucket lets go, at most


def busiest_second(times: list[float]) -> int:
    """The most of ``times`` in any one second."""
    times = sorted(times)
    return max(bisect.bisect_left(times, t + 1) - n for n, t in enumerate(times))


async def test_a_platform_slow_to_handle_requests_never_counts_more_in_a_second() -> None:
    time = VirtualTime(T0)
    pacer = Pacer(1000.0, clock=time.monotonic, sleep=time.sleep)
    lag_from, lag_to = 1.0, 1.1
    handled: list[float] = []

    async def send(chat: str) -> None:
        async with pacer.turn(chat, group=False):
            # The platform gets no CPU for a tenth of a second: what arrives meanwhile is
            # handled, and counted, at its end, together.
            if lag_from <= time.monotonic() < lag_to:
                await time.sleep(lag_to - time.monotonic())
            handled.append(time.monotonic())
            await time.sleep(0.001)  # the answer's way back

    await asyncio.gather(*(send(str(n)) for n in range(3000)))

    # Counted a second from its turn instead, some 1,070 would be handled in one second.
    assert busiest_second(handled) <= 1000 * HEADROOM + 15


async def test_with_all_it_allows_in_flight_the_next_goes_a_second_after_an_answer() -> None:
    time = VirtualTime(T0)
    pacer = Pacer(4.0, clock=time.monotonic, sleep=time.sleep)  # four in a second at most
    answer = asyncio.Event()
    left: list[float] = []

    async def send(chat: str) -> None:
        async with pacer.turn(chat, group=False):
            left.append(time.monotonic())
            await answer.wait()

    sends = [asyncio.create_task(send(str(n))) for n in range(5)]
    await time.sleep(10)  # nothing answers for ten seconds
    answer.set()
    await asyncio.gather(*sends)

    assert len(left) == 5
    assert left[4] == 11  # a second after the answers came
