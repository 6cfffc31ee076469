"""What every action takes (the work's session and tools, the actor) and how it says no."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from babel.support import NullTranslations
from sqlalchemy.ext.asyncio import AsyncSession

from content import Content
from content.scoring import ScoreResult
from handlers import pushes
from handlers.context import translators
from handlers.events import Reply
from handlers.i18n import LOCAL_TZ, Translator
from storage.models import Assessment
from storage.repositories import audit


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a person by our user id, or the server's command line (`user_id` None,
    which may do anything an admin of the whole province may). `via` says from where
    ("chat", "cli", "web"), for the audit log; `name` names an actor who is no user (the
    command line's "cli:<name>")."""

    user_id: int | None
    via: str = "chat"
    name: str | None = None

    @classmethod
    def operator(cls, name: str | None = None) -> Actor:
        """Whoever runs `python -m bot` on the server."""
        return cls(None, "cli", name)


@dataclass(frozen=True, slots=True)
class Work:
    """The caller's unit of work and what an action needs around it."""

    session: AsyncSession
    content: Content
    catalogs: Mapping[str, NullTranslations]
    now: datetime

    async def record(self, actor: Actor, action: str, subject: str | None, **details: Any) -> None:
        """One audit row, written now, saying from where unless from the chat. Details never
        hold personal data."""
        await self.record_each(actor, action, [(subject, details)])

    async def record_each(
        self, actor: Actor, action: str, rows: Sequence[tuple[str | None, dict[str, Any]]]
    ) -> None:
        """One audit row per (subject, details), written with one statement."""
        via = {} if actor.via == "chat" else {"via": actor.via}
        entries = [
            audit.NewEntry(
                actor.user_id, action, subject, {**details, **via}, actor_name=actor.name
            )
            for subject, details in rows
        ]
        await audit.record(self.session, entries, self.now)

    async def speak_to(self, user_ids: Sequence[int]) -> dict[int, Translator]:
        """How to speak to each person, in their own language."""
        year = self.now.astimezone(LOCAL_TZ).year
        return await translators(self.session, self.catalogs, user_ids, self.content.address, year)

    async def send(self, replies: Sequence[Reply]) -> None:
        """Queue messages addressed by `to_user_id`, each to their person's own app."""
        await pushes.queue(self.session, replies, self.now)


class Reason(StrEnum):
    """Why an action was refused: a code each surface says in its own words."""

    NOT_STAFF = "not_staff"  # no role that allows this
    OUT_OF_SCOPE = "out_of_scope"  # no such record, or outside the actor's scope (never which)
    OWN_CASE = "own_case"  # the actor's own person: the scope above decides
    ENTERED = "entered"  # a form the actor entered (paper, assisted): another officer decides
    MATCHED = "matched"  # a paper form of someone already known: update, skip or a new person?
    LOCKED = "locked"  # a record a paper form may not change (the citizen's own, or decided)
    NOT_SOLE = "not_sole"  # the officer is not their scope's only one: no waiver to give
    DECIDED = "decided"  # no longer waits for a decision (someone was first), or revoked
    NOT_DECIDED = "not_decided"  # nothing decided to take back
    FAILS_RULES = "fails_rules"  # the result (with adjustments) misses the pass rules
    DUPLICATE = "duplicate"  # the same person already holds this year's title
    NOTE_TOO_SHORT = "note_too_short"  # a reason or comment too short to help anyone
    NO_INDICATORS = "no_indicators"  # a return that names no (known) indicator
    BAD_ADJUSTMENT = "bad_adjustment"  # an unknown indicator, or points it cannot give
    BAD_SCOPE = "bad_scope"  # an invite's unknown commune or unit, or an admin of a unit
    NOT_FOUND = "not_found"  # no such open invite, active role or valid certificate
    WRONG_STATE = "wrong_state"  # e.g. a broadcast cancelled or done cannot be resumed
    EMPTY = "empty"  # a message with nothing in it
    TOO_LONG = "too_long"  # a message longer than one message may be
    IN_THE_PAST = "in_the_past"  # a time to send that has gone by
    BAD_KIND = "bad_kind"  # a unit's kind that the content does not know
    NO_NAME = "no_name"  # a unit without a name
    TAKEN = "taken"  # the commune already has a unit of that name


@dataclass(frozen=True, slots=True)
class Likeness:
    """Another person's record that may be the same person (name, birth year, commune)."""

    assessment_id: int
    user_id: int
    full_name: str
    status: str


class Refused(Exception):
    """The action was not taken, and why. `assessment` is the case as it now stands (for
    DECIDED: who decided what), `result` the failing result (FAILS_RULES), `likeness` the
    other records (DUPLICATE)."""

    def __init__(
        self,
        reason: Reason,
        *,
        assessment: Assessment | None = None,
        result: ScoreResult | None = None,
        likeness: Sequence[Likeness] = (),
    ) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.assessment = assessment
        self.result = result
        self.likeness = list(likeness)


MIN_NOTE = 5  # characters: shorter reasons and comments do not help the person told


def clean_note(text: str) -> str:
    """A reason or comment as kept: single spaces; refused when too short to help."""
    note = " ".join(text.split())
    if len(note) < MIN_NOTE:
        raise Refused(Reason.NOTE_TOO_SHORT)
    return note
