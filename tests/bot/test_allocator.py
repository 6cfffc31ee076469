"""The long-running processes keep one glibc arena: a thread's allocations go to the main
heap, not to an arena of the thread's own. Checked in a fresh interpreter, as a process
starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A thread allocates what pymalloc leaves to malloc (over 512 bytes), then the thread arenas
# in the process's memory map are counted: glibc reserves each as 64 MiB at an address of
# that alignment, the part in use readable, the rest not.
THREAD_ARENAS = """
import re, sys, threading
from bot.allocator import use_one_arena
print(use_one_arena())
thread = threading.Thread(target=lambda: [bytes(4000) for _ in range(1000)])
thread.start()
thread.join()
size = 64 << 20
maps = [
    (int(m[1], 16), int(m[2], 16), m[3])
    for m in re.finditer(r"^([0-9a-f]+)-([0-9a-f]+) (\\S+) \\S+ \\S+ 0\\s*$",
                         open("/proc/self/maps").read(), re.M)
]
print(sum(
    1
    for (start, end, perms), (start2, end2, perms2) in zip(maps, maps[1:])
    if start % size == 0 and perms == "rw-p" and perms2 == "---p" and end == start2
    and end2 - start == size
))
"""


def printed(code: str, **env: str) -> list[str]:
    """What a fresh interpreter prints running ``code``, with MALLOC_ARENA_MAX only if given."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env,
    ).stdout.split()


def thread_arenas(**env: str) -> tuple[str, int]:
    out = printed(THREAD_ARENAS, **env)
    return out[0], int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's arenas")
def test_a_thread_allocates_from_the_main_arena() -> None:
    assert thread_arenas() == ("True", 0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's arenas")
def test_the_operators_setting_rules() -> None:
    # Without the call (the operator asked for 8), the thread has an arena of its own: what
    # the first test counts is there to be found.
    assert thread_arenas(MALLOC_ARENA_MAX="8") == ("False", 1)


# Freed in the middle of the heap (the last block stays, so glibc cannot just lower its top):
# free, but resident until given back.
FREED_IN_THE_MIDDLE = """
import re
from bot.allocator import give_back_free_memory
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read())[1]) // 1024
blocks = [bytearray(3000) for _ in range(20_000)]
del blocks[:-1]
before = rss()
print(give_back_free_memory(), before - rss())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_free_memory_is_given_back() -> None:
    out = printed(FREED_IN_THE_MIDDLE)
    assert out[0] == "True"
    assert int(out[1]) >= 40  # MB of the 60 freed
