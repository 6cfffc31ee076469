"""Broadcasts: whom a staff member may write to, how many a segment reaches, making one
(a draft, or scheduled at once), sending it (now or at a time), pausing, resuming and
cancelling it, and its figures.

Who may: the province's admins (and the command line) anyone; a commune's admin the people
of their commune; an officer the people of their commune or unit. A segment never leaves
the actor's reach, whatever a form, a button or a saved conversation says. Admins control
(send, pause, resume, cancel) every broadcast within their reach; officers only their own,
and only while it is within their reach. Sending itself is the runner's
(bot/delivery/broadcasts.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from handlers.actions.base import Actor, Reason, Refused, Work
from storage.models import Broadcast, BroadcastStatus
from storage.repositories import broadcasts, segments
from storage.repositories.broadcasts import Stats
from storage.repositories.segments import Audience, Reach, Segment

# Room for the opt-out line within one Telegram message (4,096 characters).
MAX_TEXT = 3500


class WrongState(Refused):
    """The broadcast is in no state for this (e.g. resuming a cancelled one): `broadcast`
    as it stands."""

    def __init__(self, broadcast: Broadcast) -> None:
        super().__init__(Reason.WRONG_STATE)
        self.broadcast = broadcast


def _subject(broadcast_id: int | None) -> str | None:
    return None if broadcast_id is None else f"broadcast:{broadcast_id}"


async def _refuse(
    work: Work, actor: Actor, reason: Reason, broadcast_id: int | None = None
) -> Refused:
    """The refusal to raise, noted."""
    await work.record(actor, "broadcast.refused", _subject(broadcast_id))
    return Refused(reason)


async def reach(work: Work, actor: Actor) -> Reach:
    """Whom the actor may write to; NOT_STAFF (noted) for someone who may write to nobody."""
    if actor.user_id is None:
        return Reach(everyone=True, admin=True)
    found = await segments.reach(work.session, actor.user_id)
    if not found.anyone:
        raise await _refuse(work, actor, Reason.NOT_STAFF)
    return found


async def within_reach(work: Work, actor: Actor, segment: Segment) -> Reach:
    """The actor's reach if it holds all of the segment; OUT_OF_SCOPE (noted) if not."""
    who = await reach(work, actor)
    if not await segments.allowed(work.session, who, segment):
        raise await _refuse(work, actor, Reason.OUT_OF_SCOPE)
    return who


async def audience(work: Work, actor: Actor, segment: Segment) -> Audience:
    """How many the segment reaches now, and how many of them will not be written to."""
    await within_reach(work, actor, segment)
    return await segments.audience(work.session, segment)


def clean_text(text: str) -> str:
    """The message as it will be sent; EMPTY or TOO_LONG (more than MAX_TEXT characters)."""
    body = text.strip()
    if not body:
        raise Refused(Reason.EMPTY)
    if len(body) > MAX_TEXT:
        raise Refused(Reason.TOO_LONG)
    return body


async def create(
    work: Work,
    actor: Actor,
    *,
    text: str,
    segment: Segment,
    send_at: datetime | None = None,
    progress_chat: tuple[str, str] | None = None,
) -> Broadcast:
    """A new broadcast of `text` to `segment`: a draft, or with `send_at` scheduled from
    then (see `send`). ``progress_chat`` (channel, chat id) will follow its progress."""
    body = clean_text(text)
    await within_reach(work, actor, segment)
    if send_at is not None:
        _check_time(send_at, work.now)
    made = await broadcasts.create(
        work.session,
        text=body,
        segment=segment,
        author_user_id=actor.user_id,
        now=work.now,
        progress_chat=progress_chat,
    )
    await work.record(actor, "broadcast.created", _subject(made.id))
    if send_at is not None:
        await _schedule(work, actor, made, send_at)
    return made


def _check_time(at: datetime, now: datetime) -> None:
    # The current minute still counts: "at 23:00" typed at 23:00:20 means now.
    if at < now.replace(second=0, microsecond=0):
        raise Refused(Reason.IN_THE_PAST)


async def _schedule(work: Work, actor: Actor, broadcast: Broadcast, at: datetime) -> None:
    if not broadcasts.schedule(broadcast, at, work.now):
        raise WrongState(broadcast)
    await work.record(
        actor, "broadcast.scheduled", _subject(broadcast.id), at=broadcast.send_at.isoformat()
    )


async def may_control(work: Work, actor: Actor, broadcast: Broadcast) -> bool:
    """Admins: any broadcast within their reach; officers: their own, while within it."""
    if actor.user_id is None:
        return True
    who = await segments.reach(work.session, actor.user_id)
    if who.everyone:
        return True
    mine = who.admin or broadcast.author_user_id == actor.user_id
    segment = broadcasts.segment_of(broadcast)
    return who.anyone and mine and await segments.allowed(work.session, who, segment)


async def _controlled(work: Work, actor: Actor, broadcast_id: int) -> Broadcast:
    """The broadcast, locked, if the actor may control it; NOT_FOUND (noted) if not, which
    says nothing of whether it exists."""
    found = await broadcasts.get(work.session, broadcast_id, lock=True)
    if found is None or not await may_control(work, actor, found):
        raise await _refuse(work, actor, Reason.NOT_FOUND, broadcast_id)
    return found


async def send(
    work: Work, actor: Actor, broadcast_id: int, at: datetime | None = None
) -> Broadcast:
    """Schedule a draft from `at` (default: now); IN_THE_PAST for a time gone by (the
    current minute still counts), WrongState for anything but a draft."""
    found = await _controlled(work, actor, broadcast_id)
    if at is not None:
        _check_time(at, work.now)
    await _schedule(work, actor, found, at or work.now)
    return found


@dataclass(frozen=True, slots=True)
class Changed:
    broadcast: Broadcast  # as it now stands
    before: BroadcastStatus


Change = Callable[[Work, Broadcast], Awaitable[bool]]


async def _change(
    work: Work, actor: Actor, broadcast_id: int, change: Change, action: str
) -> Changed:
    found = await _controlled(work, actor, broadcast_id)
    before = BroadcastStatus(found.status)
    if not await change(work, found):
        raise WrongState(found)
    await work.record(actor, action, _subject(broadcast_id))
    return Changed(found, before)


async def pause(work: Work, actor: Actor, broadcast_id: int) -> Changed:
    """Stop sending at once (what is in flight still goes); scheduled or sending only."""

    async def change(w: Work, b: Broadcast) -> bool:
        return await broadcasts.pause(w.session, b)

    return await _change(work, actor, broadcast_id, change, "broadcast.paused")


async def resume(work: Work, actor: Actor, broadcast_id: int) -> Changed:
    """Carry on with a paused broadcast."""

    async def change(w: Work, b: Broadcast) -> bool:
        return await broadcasts.resume(w.session, b, w.now)

    return await _change(work, actor, broadcast_id, change, "broadcast.resumed")


async def cancel(work: Work, actor: Actor, broadcast_id: int) -> Changed:
    """Send no more of it; anything but a finished or cancelled one."""

    async def change(w: Work, b: Broadcast) -> bool:
        return await broadcasts.cancel(w.session, b, w.now)

    return await _change(work, actor, broadcast_id, change, "broadcast.cancelled")


@dataclass(frozen=True, slots=True)
class Figures:
    broadcast: Broadcast
    stats: Stats
    controllable: bool  # whether the actor may send, pause, resume or cancel it


async def figures(work: Work, actor: Actor, broadcast_id: int) -> Figures:
    """A broadcast's state and figures, for whoever may see it: anyone who may control it,
    and anyone whose reach holds all of its segment. NOT_FOUND otherwise (noted)."""
    found = await broadcasts.get(work.session, broadcast_id)
    if found is None:
        raise await _refuse(work, actor, Reason.NOT_FOUND, broadcast_id)
    shown = await _visible(work, actor, [found])
    if not shown:
        raise await _refuse(work, actor, Reason.NOT_FOUND, broadcast_id)
    return shown[0]


async def history(work: Work, actor: Actor, limit: int = 20) -> list[Figures]:
    """The latest broadcasts the actor may see, newest first, with their figures."""
    return await _visible(work, actor, await broadcasts.recent(work.session, limit))


async def _visible(work: Work, actor: Actor, found: list[Broadcast]) -> list[Figures]:
    who = await reach(work, actor)
    shown = []
    for b in found:
        if await segments.allowed(work.session, who, broadcasts.segment_of(b)):
            stats = await broadcasts.stats(work.session, b)
            shown.append(Figures(b, stats, await may_control(work, actor, b)))
    return shown
