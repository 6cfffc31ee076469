"""Delivery on channels with a reply window (bot/channels/capabilities.py ``ReplyWindow``):
which claimed messages may go now, and how.

A message goes as a reply, quoting the person's last message, while their window is open and
has free replies left; otherwise as a proactive message while the channel's monthly budget
allows; otherwise it is deferred until the person writes again (the engine then hands it
back). The budget keeps a reserve for messages to one person about their own matters
(answers, notices to officers and citizens): reminders and broadcasts may not touch it, so a
big broadcast cannot leave an officer without the notice of a new submission.

A reply or proactive message is counted when it is let through, before it is sent, so that
workers sharing the budget never overspend it; it is given back when the platform surely did
not take the message (refused it, or asked us to wait). One whose fate is unknown keeps its
count: that errs on the side of never exceeding what the platform allows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.capabilities import ReplyWindow
from handlers.i18n import LOCAL_TZ
from storage.models import OutboxMessage
from storage.repositories import outbox, windows

log = logging.getLogger("bot.delivery")


@dataclass(frozen=True, slots=True)
class ProactiveBudget:
    """Proactive messages a channel may send in a calendar month (Vietnam time)."""

    monthly: int
    reserve: int = 0  # of those, kept for answers and notices

    def limit(self, lane: int) -> int:
        """How far into the month's budget a message of ``lane`` may go."""
        return self.monthly if lane == outbox.REPLY_LANE else self.monthly - self.reserve


@dataclass(frozen=True, slots=True)
class Admitted:
    going: list[OutboxMessage]
    quotes: dict[int, str]  # outbox id -> the platform's id of the message it replies to


class Gate:
    def __init__(self, channel: str, window: ReplyWindow, budget: ProactiveBudget | None) -> None:
        self.channel = channel
        self.window = window
        # A channel that cannot write first, or no budget configured: nothing proactive.
        self.budget = budget if window.proactive and budget is not None else None

    async def admit(
        self, session: AsyncSession, messages: list[OutboxMessage], now: datetime
    ) -> Admitted:
        """Decide for each claimed message (a batch has one per chat), counting what it
        takes; the deferred are marked so in the caller's transaction."""
        month = f"{now.astimezone(LOCAL_TZ):%Y-%m}"
        since = now - self.window.length
        going, quotes, deferred = [], {}, []
        for message in messages:
            quote = await windows.take_reply(
                session,
                self.channel,
                message.chat_id,
                since=since,
                free=self.window.free_replies,
            )
            if quote is not None:
                quotes[message.id] = quote
                going.append(message)
            elif self.budget is not None and await windows.take_proactive(
                session, self.channel, month, self.budget.limit(message.lane)
            ):
                going.append(message)
            else:
                deferred.append(message.id)
        await outbox.defer(session, deferred, now)
        if deferred:
            log.info(
                "%d %s messages deferred until their people write again",
                len(deferred),
                self.channel,
            )
        return Admitted(going, quotes)

    async def give_back(
        self, session: AsyncSession, message: OutboxMessage, reply_to: str | None, now: datetime
    ) -> None:
        """Undo what ``admit`` counted for a message the platform did not take: the reply of
        the window it quoted (if that window is still the chat's), or the proactive message."""
        if reply_to is not None:
            await windows.give_back_reply(session, self.channel, message.chat_id, reply_to)
        else:
            await windows.give_back_proactive(
                session, self.channel, f"{now.astimezone(LOCAL_TZ):%Y-%m}"
            )
