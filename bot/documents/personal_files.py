"""Documents saved on disk for a person (the console's copies of their certificate or data
export): one folder each, named by their user id, so that erasing them removes it whole."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path


def folder(root: Path, user_id: int | None) -> Path:
    """Where a person's documents go; a message to nobody in particular (a farewell after
    an erasure) keeps its files in the root."""
    return root if user_id is None else root / str(user_id)


def remover(root: Path) -> Callable[[list[int]], Awaitable[None]]:
    """What to do once people are erased: remove their folders."""

    async def remove(user_ids: list[int]) -> None:
        for user_id in user_ids:
            await asyncio.to_thread(shutil.rmtree, folder(root, user_id), ignore_errors=True)

    return remove
