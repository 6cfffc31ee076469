"""The C allocator's settings for the long-running processes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import cache

# mallopt's parameter for the most arenas (glibc's malloc.h).
M_ARENA_MAX = -8


def use_one_arena() -> bool:
    """Have every thread of this process allocate from glibc's main arena; True if done.

    glibc gives each thread that allocates an arena of its own, which keeps that thread's
    high-water mark: aiosqlite's connection thread (each row read is made there) and
    asyncio's default executor (address lookups) held 1-2 MB in all that the main thread
    could not reuse. Python runs one thread at a time (the GIL), so separate arenas buy
    nothing here. Call before the process starts a thread; MALLOC_ARENA_MAX set by the
    operator is left to rule. Elsewhere than glibc, nothing is done."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    mallopt = _glibc("mallopt")
    return mallopt is not None and mallopt(M_ARENA_MAX, 1) == 1


def give_back_free_memory() -> bool:
    """Return the C heap's free pages to the system (glibc's malloc_trim); True if done.

    A burst of sending (the day's reminders, a broadcast) leaves free but fragmented memory
    that glibc keeps for the next one: 1-2.5 MB of a sender's resident memory. Call when a
    burst is over, not per message: the walk over the heap takes a few milliseconds."""
    trim = _glibc("malloc_trim")
    return trim is not None and trim(0) == 1


@cache
def _glibc(name: str) -> Callable[..., int] | None:
    """glibc's function ``name``, or None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # only here: ~0.2 MB, and only this needs it

    return getattr(ctypes.CDLL(None), name, None)
