"""Keeping under a platform's flood limits: per chat, per group chat and for the whole bot.

The figures are Telegram's guidance (its exact limits are unpublished): about one message a
second to a chat with short bursts tolerated, twenty a minute to a group, and a bot-wide rate.
The buckets live in this process only.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]  # seconds, monotonic
Sleep = Callable[[float], Awaitable[object]]

CHAT_INTERVAL = 1.0
CHAT_BURST = 3
GROUP_INTERVAL = 60 / 20
HEADROOM = 0.97


class Bucket:
    """A token bucket kept as the time its steady pace allows the next message (the generic
    cell rate algorithm). A caller books its slot before sleeping, so concurrent callers never
    share a slot and each sleeps exactly as long as it must."""

    __slots__ = ("interval", "next_at", "tolerance")

    def __init__(self, interval: float, burst: int = 1) -> None:
        self.interval = interval
        # A full bucket lets a burst run this far ahead of the steady pace.
        self.tolerance = (burst - 1) * interval
        self.next_at = float("-inf")

    def earliest(self, now: float) -> float:
        return max(now, self.next_at - self.tolerance)

    def book(self, at: float) -> None:
        self.next_at = max(self.next_at, at) + self.interval

    def is_full(self, now: float) -> bool:
        return self.next_at <= now


class Pacer:
    """Gives each message a slot that keeps the bot and its chat (or group) within limits."""

    def __init__(
        self, global_rate: float, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        # A little under the bot-wide rate: a stream paced exactly at a platform's limit trips
        # its counting window as soon as network jitter bunches two requests. Half of that
        # margin may come as a burst, which makes up for pauses between claims while one
        # second never holds more than 98.5 % of the limit.
        rate = global_rate * HEADROOM
        burst = max(1, int(global_rate * (1 - HEADROOM) / 2))
        self.bot = Bucket(1 / rate, burst=burst)
        self.chats: dict[str, Bucket] = {}
        # The bucket lets at most this many go in any second; and at most this many may
        # actually leave in one. A stall (the process without CPU, a long step of the event
        # loop) wakes every message whose turn it overran at once, and a platform that
        # counts arrivals per second would see them on top of those that follow on time.
        self.per_second = int(rate) + burst
        self.left: deque[float] = deque()  # when the messages of the last second left

    async def acquire(self, chat_id: str, *, group: bool) -> None:
        """Wait until a message to ``chat_id`` may go without breaking any limit."""
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = Bucket(GROUP_INTERVAL) if group else Bucket(CHAT_INTERVAL, CHAT_BURST)
            self.chats[chat_id] = chat
        now = self.clock()
        # No await between choosing the slot and booking it: no other caller can take it.
        at = max(self.bot.earliest(now), chat.earliest(now))
        self.bot.book(at)
        chat.book(at)
        if at > now:
            await self.sleep(at - now)
        await self._leave()

    async def _leave(self) -> None:
        left = self.left
        while True:
            now = self.clock()
            while left and left[0] <= now - 1:
                left.popleft()
            if len(left) < self.per_second:
                left.append(now)
                return
            await self.sleep(left[0] + 1 - now)

    def forget_idle(self) -> None:
        """Drop the buckets of chats quiet long enough to be full again (a new bucket would
        behave the same), so that memory follows the chats active now, not all chats ever."""
        now = self.clock()
        self.chats = {key: bucket for key, bucket in self.chats.items() if not bucket.is_full(now)}
