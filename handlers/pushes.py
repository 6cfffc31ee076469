"""Messages the bot starts on its own (a digest; later reminders and campaigns), queued in
the caller's transaction, each to its person's own channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.events import Reply
from storage.repositories import chats, outbox


async def queue(session: AsyncSession, replies: Sequence[Reply], now: datetime) -> None:
    """Queue replies addressed by `to_user_id`; people with no channel we may write to are
    left out."""
    addresses = await chats.addresses(session, (r.to_user_id for r in replies if r.to_user_id))
    await outbox.enqueue(
        session,
        [
            outbox.NewMessage(
                r.to_user_id,
                *addresses[r.to_user_id],
                r.kind,
                r.to_payload(),
                about_user_id=r.about_user_id,
                mentions=r.mentions,
            )
            for r in replies
            if r.to_user_id in addresses
        ],
        now,
    )
