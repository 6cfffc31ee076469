"""The C allocator's settings for the long-running processes."""

from __future__ import annotations

import os
import sys

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
    if "MALLOC_ARENA_MAX" in os.environ or not sys.platform.startswith("linux"):
        return False
    import ctypes  # only here: ~0.2 MB, and only this needs it

    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    return mallopt is not None and mallopt(M_ARENA_MAX, 1) == 1
