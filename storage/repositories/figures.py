"""Figures counted over whole scopes (a queue's counts per state, a dashboard's funnel),
kept in memory while the database's change counter for them stands still. The counter is
moved by triggers in the very transaction of any change to what they count
(`storage.change_counter`), so a kept figure is never older than the last committed change:
one request after a decision, in any process, counts again."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FIGURES, ChangeCounter

T = TypeVar("T")


class Figures:
    """One process's kept figures, the least recently read dropped first."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()

    async def get(
        self, session: AsyncSession, key: Hashable, count: Callable[[], Awaitable[T]]
    ) -> T:
        """The figures under `key`, counted again only if something changed since they
        were. Read in a session that has written nothing: its own uncommitted changes would
        move the counter as if committed."""
        # Read before counting: a change committed in between is counted, and kept under
        # the older mark, which only costs one more count.
        mark = await session.scalar(select(ChangeCounter.n).where(ChangeCounter.name == FIGURES))
        kept = self._kept.get(key)
        if mark is not None and kept is not None and kept[0] == mark:
            self._kept.move_to_end(key)
            return kept[1]  # type: ignore[no-any-return]
        found = await count()
        if mark is not None:
            self._kept[key] = (mark, found)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return found
