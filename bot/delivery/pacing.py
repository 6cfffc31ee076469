"""Keeping under a platform's flood limits: per chat, per group chat and for the whole bot.

The figures are Telegram's guidance (its exact limits are unpublished): about one message a
second to a chat with short bursts tolerated, twenty a minute to a group, and a bot-wide rate.
The buckets live in this process only.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

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
        # The bucket lets at most this many go in any second, and at most this many may be
        # where the platform's count of its last second could hold them. It counts a message
        # when it handles it, at some moment between our sending it and our reading its
        # answer: so from its turn until a second after its answer. Counting it a second from
        # its turn, as the bucket does, is not enough: a platform slow to handle requests
        # (or our stall before reading their answers) gathers those in flight into one of
        # its seconds, on top of those sent on time after them.
        self.per_second = int(rate) + burst
        self.in_flight = 0
        self.answered: deque[float] = deque()  # when the answers of the last second came
        self._answer = asyncio.Event()  # set, and replaced, at each answer

    @asynccontextmanager
    async def turn(self, chat_id: str, *, group: bool) -> AsyncIterator[None]:
        """Wait until a message to ``chat_id`` may go without breaking any limit; send it
        within the block, which ends once the platform has answered (or surely never will)."""
        await self._slot(chat_id, group=group)
        await self._leave()
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self.answered.append(self.clock())
            self._answer.set()
            self._answer = asyncio.Event()

    async def _slot(self, chat_id: str, *, group: bool) -> None:
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

    async def _leave(self) -> None:
        answered = self.answered
        while True:
            now = self.clock()
            while answered and answered[0] <= now - 1:
                answered.popleft()
            if self.in_flight + len(answered) < self.per_second:
                return
            if answered:
                await self.sleep(answered[0] + 1 - now)
            else:  # all in flight: the first answer starts the second that frees a place
                await self._answer.wait()

    def forget_idle(self) -> None:
        """Drop the buckets of chats quiet long enough to be full again (a new bucket would
        behave the same), so that memory follows the chats active now, not all chats ever."""
        now = self.clock()
        self.chats = {key: bucket for key, bucket in self.chats.items() if not bucket.is_full(now)}
