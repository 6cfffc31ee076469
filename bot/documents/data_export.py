"""A person's copy of their data, as a JSON document made when it is sent (so it is current,
and never sent once they are erased)."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession

from bot.documents.makers import Document
from storage.repositories import export


async def make(session: AsyncSession, user_id: str) -> Document | None:
    data = await export.person(session, int(user_id))
    if data is None:
        return None
    content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    return Document(content, "du-lieu-cua-toi.json")
