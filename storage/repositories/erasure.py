"""Forgetting a person (the right to erasure, Law 91/2025): everything that holds what they
said or what is said about them, in the caller's transaction. The person's row itself goes
last, and the database cascades from it to their profile, answers, certificates, link
codes and the rest."""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ChannelIdentity,
    ChatWindow,
    InboxUpdate,
    OutboxMention,
    OutboxMessage,
    User,
)
from storage.pairs import pairs_in


async def forget(session: AsyncSession, user: User) -> None:
    """Delete the person with: the raw updates of every app they used (a typed name, a
    shared phone number, a file's caption), processed or still waiting; every message to
    them, about them or naming them (an officer's review screen, a pending list, a digest),
    whatever its state; and their chats' reply windows."""
    chats = (
        await session.execute(
            select(
                ChannelIdentity.channel, ChannelIdentity.external_user_id, ChannelIdentity.chat_id
            ).where(ChannelIdentity.user_id == user.id)
        )
    ).all()
    addresses = [(channel, chat) for channel, _, chat in chats]
    if chats:
        # A chat's raw updates are keyed by the platform's user id (bot/channels/). The row
        # an inbox processor has claimed (on PostgreSQL: the update being handled now) is
        # skipped, not waited for: its claimer deletes it (storage/repositories/inbox.py).
        theirs = (
            select(InboxUpdate.id)
            .where(
                pairs_in(
                    InboxUpdate.channel,
                    InboxUpdate.chat_key,
                    [(channel, person) for channel, person, _ in chats],
                )
            )
            .with_for_update(skip_locked=True)
        )
        await session.execute(delete(InboxUpdate).where(InboxUpdate.id.in_(theirs)))
        await session.execute(
            delete(ChatWindow).where(pairs_in(ChatWindow.channel, ChatWindow.chat_id, addresses))
        )
    named = select(OutboxMention.outbox_id).where(OutboxMention.user_id == user.id)
    await session.execute(
        delete(OutboxMessage).where(
            or_(
                OutboxMessage.user_id == user.id,
                OutboxMessage.about_user_id == user.id,
                OutboxMessage.id.in_(named),
                pairs_in(OutboxMessage.channel, OutboxMessage.chat_id, addresses),
            )
        )
    )
    await session.delete(user)
