"""What the `broadcast` commands need beyond bot/cli/: options read into a segment (each
value checked), the segment in words, and a progress bar that follows a broadcast. What may
be sent, to whom and when is the broadcast actions' (handlers/actions/broadcasts.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from content import Content
from handlers.actions import Reason, Refused
from handlers.actions.broadcasts import MAX_TEXT, WrongState
from handlers.i18n import LOCAL_TZ, LOCALES
from storage.db import create_engine, make_sessionmaker
from storage.models import AssessmentStatus, Broadcast, BroadcastStatus
from storage.repositories import broadcasts, staff
from storage.repositories.broadcasts import Stats
from storage.repositories.segments import NOT_STARTED, UNCHECKED, Segment


class OptionError(ValueError):
    """A value the command cannot use; its text says which and why."""


def message(text: str | None, file: Path | None) -> str:
    if (text is None) == (file is None):
        raise OptionError("give the message with --text or --file (one of them)")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise OptionError(f"{file}: cannot read: {exc}") from None
    return text or ""


def refusal(
    refused: Refused, broadcast_id: int | None, *, text: str = "", wrong_state: str = ""
) -> tuple[str, int]:
    """What the command says when an action refuses, and its exit code (2: a value the
    command cannot use; 1: no such broadcast, or not in a state for it, as `wrong_state`
    says)."""
    if isinstance(refused, WrongState):
        return f"broadcast {broadcast_id} is {refused.broadcast.status}: {wrong_state}", 1
    if refused.reason == Reason.EMPTY:
        return "the message is empty", 2
    if refused.reason == Reason.TOO_LONG:
        return f"the message has {len(text.strip())} characters; at most {MAX_TEXT}", 2
    if refused.reason == Reason.IN_THE_PAST:
        shown = datetime.now(LOCAL_TZ)
        return f"--at is in the past (it is {shown:%Y-%m-%d %H:%M} now)", 2
    return f"no broadcast {broadcast_id}", 1


def moment(value: str) -> datetime:
    """A time as an admin types it, in Vietnam's time unless it names a zone."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise OptionError(f"--at {value!r}: expected 'YYYY-MM-DD HH:MM'") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_TZ)


def _checked(option: str, values: list[str], known: list[str]) -> tuple[str, ...]:
    for value in values:
        if value not in known:
            raise OptionError(f"--{option} {value!r}: expected one of {', '.join(known)}")
    return tuple(dict.fromkeys(values))


async def segment(
    session: AsyncSession,
    content: Content,
    *,
    units: list[str],
    groups: list[str],
    statuses: list[str],
    skills: list[str],
    locales: list[str],
    active_since: str | None,
    now: datetime,
) -> Segment:
    year = now.astimezone(LOCAL_TZ).year
    communes: list[str] = []
    unit_ids: list[int] = []
    for code in units:
        if "-" in code:
            found = await staff.unit_by_code(session, code)
            if found is None:
                raise OptionError(f"--unit {code!r}: no such unit (see `unit list`)")
            unit_ids.append(found.id)
        elif content.units.get(code) is None:
            raise OptionError(f"--unit {code!r}: no such commune in {content.units.province_name}")
        else:
            communes.append(code)
    since = None
    if active_since is not None:
        try:
            since = datetime.combine(date.fromisoformat(active_since), time(), LOCAL_TZ)
        except ValueError:
            raise OptionError(f"--active-since {active_since!r}: expected YYYY-MM-DD") from None
    chosen_statuses = _checked(
        "status", statuses, [NOT_STARTED, *(s.value for s in AssessmentStatus)]
    )
    return Segment(
        communes=tuple(dict.fromkeys(communes)),
        units=tuple(dict.fromkeys(unit_ids)),
        groups=_checked("group", groups, [g.id for g in content.groups(year)]),
        statuses=chosen_statuses,
        year=year if chosen_statuses else None,
        skills=_checked(
            "skills-level", skills, [*(lv.id for lv in content.digital_skills.levels), UNCHECKED]
        ),
        locales=_checked("locale", locales, list(LOCALES)),
        active_since=since,
    )


def describe(chosen: Segment) -> str:
    parts = []
    if chosen.everywhere:
        parts.append("everyone")
    if chosen.communes:
        parts.append("communes " + ", ".join(chosen.communes))
    if chosen.units:
        parts.append("units " + ", ".join(map(str, chosen.units)))
    if chosen.groups:
        parts.append("groups " + ", ".join(chosen.groups))
    if chosen.statuses:
        named = [
            f"{s} (no self-assessment, registered or not)" if s == NOT_STARTED else s
            for s in chosen.statuses
        ]
        parts.append(f"assessment {chosen.year} " + ", ".join(named))
    if chosen.skills:
        parts.append("skills " + ", ".join(chosen.skills))
    if chosen.locales:
        parts.append("language " + ", ".join(chosen.locales))
    if chosen.active_since is not None:
        parts.append(f"active since {chosen.active_since.astimezone(LOCAL_TZ):%Y-%m-%d}")
    return "; ".join(parts)


async def stats_of(session: AsyncSession, broadcast_id: int) -> tuple[Broadcast, Stats] | None:
    found = await broadcasts.get(session, broadcast_id)
    if found is None:
        return None
    return found, await broadcasts.stats(session, found)


def _figures(b: Broadcast, stats: Stats) -> str:
    return (
        f"{b.status}: sent {stats.sent:,}, failed {stats.failed:,}, blocked {stats.blocked:,}, "
        f"opted out {stats.opted_out:,}, deferred {stats.deferred:,}, expired {stats.expired:,}"
    )


async def follow_progress(
    url: str,
    broadcast_id: int,
    every: float = 1.0,
    *,
    lines: Callable[[str], None] | None = None,
) -> bool:
    """A progress bar until the broadcast is done or cancelled; False if there is none.
    With `lines` (output that is no terminal: a log, a pipe), a line through it each time
    the figures change instead: a bar draws nothing there."""
    # Loaded here, not with the commands: every long-running process imports them all.
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    db = create_engine(url)
    sessions = make_sessionmaker(db)
    bar = Progress(
        TextColumn(f"broadcast {broadcast_id}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        disable=lines is not None,
    )
    last = ""
    try:
        with bar:
            task = bar.add_task("", total=None)
            while True:
                async with sessions() as session:
                    found = await stats_of(session, broadcast_id)
                if found is None:
                    return False
                b, stats = found
                figures = _figures(b, stats)
                bar.update(task, completed=stats.finished, total=stats.total, description=figures)
                line = f"broadcast {broadcast_id}: {stats.finished:,}/{stats.total:,} {figures}"
                if lines is not None and line != last:
                    lines(line)
                    last = line
                if b.status in (BroadcastStatus.CANCELLED, BroadcastStatus.DONE):
                    return True
                await asyncio.sleep(every)
    finally:
        await db.dispose()
