"""A clock and a sleep for tests that never wait in real time."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import datetime, timedelta


class VirtualTime:
    """The clock moves only when a test moves it or a sleeper wakes. Sleepers wake in the
    order of their deadlines, each with the clock set to its own deadline, once the tasks
    already running have had their turn (and perhaps gone to sleep too). So code that sleeps
    to keep a pace can be checked to the microsecond."""

    def __init__(self, start: datetime) -> None:
        self.start = self.now = start
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._waking = False

    def clock(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return (self.now - self.start).total_seconds()

    def move_to(self, when: datetime) -> None:
        assert when >= self.now, "time only moves forward"
        self.now = when

    async def sleep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        deadline = self.now + timedelta(seconds=seconds)
        heapq.heappush(self._sleepers, (deadline, next(self._order), future))
        if not self._waking:
            self._waking = True
            loop.call_soon(self._wake_first)
        await future

    def _wake_first(self) -> None:
        deadline, _, future = heapq.heappop(self._sleepers)
        self.now = max(self.now, deadline)
        if not future.done():  # its sleeper may have been cancelled
            future.set_result(None)
        # Queued behind the sleeper just woken, so that it runs at its own time before the
        # clock moves on to the next.
        self._waking = bool(self._sleepers)
        if self._waking:
            asyncio.get_running_loop().call_soon(self._wake_first)
