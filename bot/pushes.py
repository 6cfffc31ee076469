"""The daily pass of pushes: reminders to finish a started self-assessment, follow-ups on
learning suggestions, and the campaign rules of the day.

Run once a day outside quiet hours (the scheduler decides when). Each batch of people is one
transaction that claims each (person, kind, key) and queues the messages together, so a pass
cut short by a crash or run by two workers at once sends nobody anything twice. Pushes go to
people who are registered, accept pushes and can be reached, and stop at the weekly cap.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from babel.support import NullTranslations
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import BULK_BATCH
from bot.settings import Settings
from content import Content
from handlers.context import translators
from handlers.events import Reply
from handlers.flows import reminders as texts
from handlers.i18n import LOCAL_TZ, Translator
from handlers.pushes import queue
from storage.repositories import chats, pushes

log = logging.getLogger(__name__)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class PushRules:
    quiet_from: time = time(21, 0)
    quiet_until: time = time(7, 0)
    weekly_cap: int = 3
    # Days idle before each reminder to finish a self-assessment (the last repeats), and the
    # most reminders a person gets in a year.
    reminder_days: tuple[int, ...] = (3, 10)
    max_reminders: int = 2
    batch: int = BULK_BATCH

    def idle_days_before(self, reminder: int) -> int:
        """Days idle before reminder number ``reminder`` (from 1)."""
        return self.reminder_days[min(reminder, len(self.reminder_days)) - 1]

    def quiet(self, now: datetime) -> bool:
        local = now.astimezone(LOCAL_TZ).time()
        if self.quiet_from <= self.quiet_until:
            return self.quiet_from <= local < self.quiet_until
        return local >= self.quiet_from or local < self.quiet_until

    @staticmethod
    def parse_hours(text: str) -> tuple[time, time]:
        """'21:00-07:00' -> (21:00, 07:00)."""
        start, _, end = text.partition("-")
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


Wanted = tuple[int, str, str]  # (user id, kind, key)
MakeReply = Callable[[Translator, Wanted], Reply]


class Pushes:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        content: Content,
        catalogs: Mapping[str, NullTranslations],
        rules: PushRules,
    ) -> None:
        self.sessions = sessions
        self.content = content
        self.catalogs = catalogs
        self.rules = rules

    async def run(self, now: datetime) -> Counter[str]:
        """One pass; returns how many of each kind were queued (and how many were capped)."""
        counts: Counter[str] = Counter()
        await self._reminders(now, counts)
        await self._follow_ups(now, counts)
        await self._campaigns(now, counts)
        log.info("pushes queued: %s", dict(counts))
        return counts

    async def _reminders(self, now: datetime, counts: Counter[str]) -> None:
        year = now.astimezone(LOCAL_TZ).year
        after = 0
        while True:
            async with self.sessions() as session, session.begin():
                rows = await pushes.idle_drafts(
                    session,
                    year=year,
                    idle_since=now - timedelta(days=min(self.rules.reminder_days)),
                    after=after,
                    limit=self.rules.batch,
                )
                if not rows:
                    return
                after = rows[-1][0]
                wanted = [
                    (user_id, "reminder", f"{year}-{had + 1}")
                    for user_id, changed, had in rows
                    if had < self.rules.max_reminders
                    and changed <= now - timedelta(days=self.rules.idle_days_before(had + 1))
                ]
                await self._send(
                    session, wanted, lambda t, _: texts.assessment_reminder(t, year), now, counts
                )

    async def _follow_ups(self, now: datetime, counts: Counter[str]) -> None:
        resources = {r.id: r for r in self.content.resources}
        after = 0
        while True:
            async with self.sessions() as session, session.begin():
                due = await pushes.due_follow_ups(
                    session, now=now, after=after, limit=self.rules.batch
                )
                if not due:
                    return
                after = due[-1].id
                known = {r.id: r for r in due if r.resource_id in resources}
                wanted = [(r.user_id, "followup", str(r.id)) for r in known.values()]
                capped = await self._send(
                    session,
                    wanted,
                    lambda t, w, known=known: texts.follow_up(  # type: ignore[misc]
                        t, resources[known[int(w[2])].resource_id], int(w[2])
                    ),
                    now,
                    counts,
                )
                # Over the weekly cap: tomorrow. Asked, or never to be asked (unreachable,
                # gone from the catalog): done.
                later = [int(key) for _, _, key in capped]
                await pushes.postpone_follow_ups(session, later, now + timedelta(days=1))
                await pushes.postpone_follow_ups(
                    session, [r.id for r in due if r.id not in later], None
                )

    async def _campaigns(self, now: datetime, counts: Counter[str]) -> None:
        today = now.astimezone(LOCAL_TZ).date()
        for rule in self.content.campaigns:
            if not rule.active(today):
                continue
            after = 0
            while True:
                async with self.sessions() as session, session.begin():
                    users = await pushes.audience(
                        session, rule.audience, year=today.year, after=after, limit=self.rules.batch
                    )
                    if not users:
                        break
                    after = users[-1]
                    wanted = [(u, "campaign", f"{rule.id}-{today.year}") for u in users]
                    await self._send(
                        session,
                        wanted,
                        lambda t, _, rule=rule: texts.campaign(t, rule),  # type: ignore[misc]
                        now,
                        counts,
                    )

    async def _send(
        self,
        session: AsyncSession,
        wanted: Sequence[Wanted],
        make: MakeReply,
        now: datetime,
        counts: Counter[str],
    ) -> set[Wanted]:
        """Claim and queue what may go; returns what the weekly cap held back."""
        if not wanted:
            return set()
        users = [w[0] for w in wanted]
        had = Counter(await pushes.recent_counts(session, users, now - WEEK))
        addresses = await chats.addresses(session, users)
        allowed, capped = [], set()
        for w in wanted:
            if w[0] not in addresses:
                continue
            if had[w[0]] >= self.rules.weekly_cap:
                capped.add(w)
                counts["capped"] += 1
                continue
            had[w[0]] += 1
            allowed.append(w)
        claimed = await pushes.claim(session, allowed, now)
        going = [w for w in allowed if (w[0], w[2]) in claimed]
        speak = await translators(
            session,
            self.catalogs,
            {w[0] for w in going},
            self.content.address,
            now.astimezone(LOCAL_TZ).year,
        )
        await queue(session, [replace(make(speak[w[0]], w), to_user_id=w[0]) for w in going], now)
        counts.update(w[1] for w in going)
        return capped


def rules_from(settings: Settings) -> PushRules:
    quiet_from, quiet_until = PushRules.parse_hours(settings.quiet_hours)
    return PushRules(
        quiet_from=quiet_from,
        quiet_until=quiet_until,
        weekly_cap=settings.weekly_push_cap,
        reminder_days=tuple(settings.reminder_days),
        max_reminders=settings.max_reminders,
    )
