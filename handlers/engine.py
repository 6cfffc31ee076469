"""The conversation engine: events in, replies out, one transaction per batch.

For a batch of events (at most one per chat), ONE transaction writes each event's dedupe
row, the new conversation state, every domain change and every reply (as outbox rows). All
or nothing: after a crash the events are simply processed again. A batch is several chats
sharing one commit, which is how a small machine keeps up with a province; a failure in
one event's step re-runs the batch one event at a time, so one bad event never costs
another its effect, and the failing event is answered with an apology in a transaction of
its own (its step's writes are rolled back, never half-kept).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta

from babel.support import NullTranslations
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from content import Content
from handlers import flows
from handlers.context import Context, Settings
from handlers.events import Event, EventKind, Outcome
from handlers.i18n import load_catalogs, normalize_locale
from storage import db
from storage.models import Assessment, ChannelIdentity, utcnow
from storage.repositories import audit, chats, events, outbox, windows

log = logging.getLogger(__name__)

_MEMBERSHIP = (EventKind.BLOCKED, EventKind.UNBLOCKED)

# Conflicts with another process working on the same chat: the loser retries.
_CONFLICTS = (StaleDataError, IntegrityError)
_MAX_ATTEMPTS = 3
# How long a reminder or broadcast deferred by a channel's reply window may still go out.
DEFERRED_EXPIRY = timedelta(days=7)
# How exactly we note when an identity was last used (which app to write to unasked): to
# the minute spares a write for most events of a conversation.
SEEN_PRECISION = timedelta(minutes=1)


class HandlerFailed(Exception):
    """A conversation step raised: a bug, never the user's fault."""

    def __init__(self, step: str) -> None:
        super().__init__(step)
        self.step = step


class Engine:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        content: Content,
        *,
        settings: Settings | None = None,
        catalogs: Mapping[str, NullTranslations] | None = None,
        clock: Callable[[], datetime] = utcnow,
        reply_windows: Collection[str] = frozenset(),
        numbered_options: Collection[str] = frozenset(),
        deferred_expiry: timedelta = DEFERRED_EXPIRY,
        after_erasure: Callable[[list[int]], Awaitable[None]] | None = None,
    ) -> None:
        self.sessions = sessions
        self.content = content
        self.settings = settings or Settings()
        self.catalogs = catalogs if catalogs is not None else load_catalogs()
        self.clock = clock
        # Channels where a person's message opens a reply window (their capabilities say).
        self.reply_windows = frozenset(reply_windows)
        # Channels without buttons, whose options are numbered lines (a re-prompt says so).
        self.numbered_options = frozenset(numbered_options)
        self.deferred_expiry = deferred_expiry
        # Once an erasure is committed: what the runtime must also forget outside the
        # tables (old page copies in the database's files, documents saved on disk).
        self.after_erasure = after_erasure

    async def prepare(self) -> None:
        """Warm what the first conversations need, off the event loop."""
        await asyncio.to_thread(self.content.units.prepare_search)

    async def handle(self, event: Event) -> Outcome:
        return (await self.handle_batch([event]))[0]

    async def handle_batch(self, batch: Sequence[Event]) -> list[Outcome]:
        """Process events, keeping each chat's events in their order."""
        outcomes: dict[int, Outcome] = {}
        for round_ in _rounds(batch):
            for index, outcome in zip(
                round_, await self._process([batch[i] for i in round_]), strict=True
            ):
                outcomes[index] = outcome
        return [outcomes[i] for i in range(len(batch))]

    async def _process(self, batch: list[Event], *, failed: bool = False) -> list[Outcome]:
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            try:
                return await self._transaction(batch, failed=failed)
            except _CONFLICTS:
                log.info("conflict on a batch of %d events (attempt %d)", len(batch), attempt)
                if len(batch) > 1:
                    return await self._one_by_one(batch)
            except HandlerFailed as failure:
                if len(batch) > 1:
                    return await self._one_by_one(batch)
                # Logged once, here, with what is needed to find it again. The step's writes
                # went with the rollback; the person gets an apology and the same question.
                log.error(
                    "step %s failed on event %s:%s",
                    failure.step,
                    batch[0].channel,
                    batch[0].event_id,
                    exc_info=failure.__cause__,
                )
                return await self._process(batch, failed=True)
        raise RuntimeError(f"gave up on event {batch[0].event_id} after repeated conflicts")

    async def _one_by_one(self, batch: list[Event]) -> list[Outcome]:
        return [outcome for e in batch for outcome in await self._process([e])]

    async def _transaction(self, batch: list[Event], *, failed: bool) -> list[Outcome]:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            seen: set[tuple[str, str]] = set()
            for channel, ids in _ids_by_channel(batch).items():
                seen |= {
                    (channel, i) for i in await events.already_processed(session, channel, ids)
                }
            fresh = [e for e in batch if (e.channel, e.event_id) not in seen]
            await chats.lock(session, (e.chat_key for e in fresh))
            identities = await chats.load_identities(session, (e.chat_key for e in fresh))
            created: set[tuple[str, str]] = set()
            for e in fresh:
                # Someone we never spoke to blocking the bot is nobody to create.
                if e.chat_key not in identities and e.kind not in _MEMBERSHIP:
                    created.add(e.chat_key)
                    identities[e.chat_key] = chats.create_person(
                        session,
                        channel=e.channel,
                        external_user_id=e.external_user_id,
                        chat_id=e.chat_id,
                        locale=normalize_locale(e.language_hint),
                        flow=flows.FIRST_STEP[0],
                        step=flows.FIRST_STEP[1],
                        now=now,
                    )
            if any(i.user.id is None for i in identities.values()):
                await session.flush()  # new people need ids before anything refers to them
            assessments = await chats.load_assessments(
                session, (i.user_id for i in identities.values()), Context.year_of(now)
            )

            outcomes, done, strangers = [], [], []
            for e in batch:
                if (e.channel, e.event_id) in seen:
                    outcomes.append(Outcome(event=e, duplicate=True))
                    continue
                identity = identities.get(e.chat_key)
                if identity is None:
                    strangers.append(e)
                    outcomes.append(Outcome(event=e))
                    continue
                ctx = self._context(session, e, now, identity, assessments.get(identity.user_id))
                ctx.first_contact = e.chat_key in created
                created.discard(e.chat_key)  # a chat's later events in this batch know us
                await (flows.apologise(ctx) if failed else self._run_step(ctx))
                if not ctx.deleted and session.is_modified(ctx.conversation):
                    ctx.conversation.version += 1
                done.append(ctx)
                outcomes.append(Outcome(event=e, replies=ctx.replies))
            await self._write(session, done, strangers, now)
            await self._open_windows(session, done, now)
            erased = [c.user.id for c in done if c.deleted]
        if erased:
            if not await db.truncate_wal(self.sessions.kw["bind"]):
                log.warning("an erasure's old pages stay in the WAL until its next checkpoint")
            if self.after_erasure is not None:
                await self.after_erasure(erased)
        return outcomes

    async def _open_windows(
        self, session: AsyncSession, done: list[Context], now: datetime
    ) -> None:
        """Each message on a channel with a reply window opens it and hands back the chat's
        deferred messages. The event id is the platform's id of the message: what replies
        quote."""
        if not self.reply_windows:
            return
        await windows.opened(
            session,
            [
                windows.Inbound(c.event.channel, c.event.chat_id, c.event.event_id, c.event.at)
                for c in done
                if c.event.channel in self.reply_windows and c.event.kind not in _MEMBERSHIP
            ],
            now,
            expire_before=now - self.deferred_expiry,
        )

    def _context(
        self,
        session: AsyncSession,
        event: Event,
        now: datetime,
        identity: ChannelIdentity,
        assessment: Assessment | None,
    ) -> Context:
        user = identity.user
        if identity.chat_id != event.chat_id:
            identity.chat_id = event.chat_id
        away = now - identity.last_seen_at
        if away >= SEEN_PRECISION:
            identity.last_seen_at = now
        return Context(
            away=away,
            session=session,
            content=self.content,
            catalogs=self.catalogs,
            settings=self.settings,
            event=event,
            now=now,
            user=user,
            identity=identity,
            conversation=user.conversation,
            profile=user.profile,
            assessment=assessment,
            numbered=event.channel in self.numbered_options,
        )

    @staticmethod
    async def _run_step(ctx: Context) -> None:
        step = f"{ctx.conversation.flow}/{ctx.conversation.step}"
        try:
            await flows.dispatch(ctx)
        except _CONFLICTS:
            raise
        except Exception as exc:
            raise HandlerFailed(step) from exc

    @staticmethod
    async def _write(
        session: AsyncSession, done: list[Context], strangers: list[Event], now: datetime
    ) -> None:
        """The batch's state and domain changes, then its dedupe rows, replies and audit
        entries, each kind in one statement."""
        await session.flush()
        processed = [c.event for c in done] + strangers
        await events.mark_processed(session, [(e.channel, e.event_id) for e in processed], now)
        # Replies caused by one person and meant for another (an officer's notice) go to
        # that person's own channel.
        others = await chats.addresses(
            session,
            (
                r.to_user_id
                for c in done
                for r in c.replies
                if r.to_user_id is not None and r.to_chat is None
            ),
        )
        messages = []
        for c in done:
            for reply in c.replies:
                if reply.to_user_id is None:
                    user_id = None if c.deleted else c.user.id
                    channel, chat_id = c.event.channel, c.event.chat_id
                elif reply.to_chat is not None:
                    user_id = reply.to_user_id
                    channel, chat_id = reply.to_chat
                elif reply.to_user_id in others:
                    user_id = reply.to_user_id
                    channel, chat_id = others[user_id]
                else:
                    log.info(
                        "no reachable identity for user %s; %s not queued",
                        reply.to_user_id,
                        reply.kind,
                    )
                    continue
                messages.append(
                    outbox.NewMessage(
                        user_id,
                        channel,
                        chat_id,
                        reply.kind,
                        reply.to_payload(),
                        about_user_id=None if c.deleted else reply.about_user_id,
                        mentions=() if c.deleted else reply.mentions,
                    )
                )
        await outbox.enqueue(session, messages, now)
        await audit.record(session, [entry for c in done for entry in c.audit_entries], now)


def _ids_by_channel(batch: Sequence[Event]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for e in batch:
        grouped[e.channel].append(e.event_id)
    return grouped


def _rounds(batch: Sequence[Event]) -> list[list[int]]:
    """Split into rounds with at most one event per chat, keeping each chat's order."""
    rounds: list[list[int]] = []
    depth: dict[tuple[str, str], int] = defaultdict(int)
    for index, e in enumerate(batch):
        level = depth[e.chat_key]
        depth[e.chat_key] += 1
        if level == len(rounds):
            rounds.append([])
        rounds[level].append(index)
    return rounds
