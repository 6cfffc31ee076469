"""What the delivery worker needs from a channel."""

from __future__ import annotations

from typing import Protocol

from bot.channels.capabilities import Capabilities
from handlers.events import Reply


class Sender(Protocol):
    channel: str
    capabilities: Capabilities

    async def send(self, chat_id: str, reply: Reply, *, reply_to: str | None = None) -> str | None:
        """Deliver ``reply`` and return the platform's message id (the last one when the
        reply took several platform messages), raising a ``bot.delivery.errors.SendError``
        on failure. ``reply_to``: on a channel with a reply window, the platform's id of the
        person's message this answers (the platform counts it as a reply only if it quotes
        it); None for a proactive message, and always on other channels. A platform that
        refuses a message until the person writes again raises ``OutsideWindow``: the message
        is deferred."""
        ...

    async def typing(self, chat_id: str) -> None:
        """Show the person that a reply is on its way (a document being made); best effort,
        never raises."""
        ...

    def is_group(self, chat_id: str) -> bool:
        """Whether ``chat_id`` is a group chat, which the platform paces more strictly."""
        ...
