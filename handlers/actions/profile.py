"""Correcting one's details (Law 91/2025, the right to correct): what a change does
depends on where the person's assessment of the year is.

- Nothing submitted yet (no assessment, or a draft): anything changes. A new group with a
  draft already answered starts the draft over, as its criteria are the old group's.
- Submitted, returned or rejected: the name, birth year and village change, and the
  officers responsible for the case are told (a note on the case); a commune or group
  would move the case elsewhere, so only an officer makes that change.
- Approved: the name and birth year change and the certificate is re-issued with them
  (same number and code, next version), audited; the village changes; a commune or group
  change needs an officer.

Whoever asks (the person in chat, later the console) gets the same decision from here; the
caller renders the result and tells the officers it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from content import Content
from handlers.actions import rules
from storage.models import Assessment, AssessmentStatus, Certificate, Profile
from storage.repositories import audit, certificates

MIN_AGE, MAX_AGE = 6, 110  # the ages a birth year may give, wherever it is entered
GUARDIAN_AGE = 16  # Law 91/2025: under 16 needs a parent's or guardian's consent too
LEARNERS = "learners"  # the only group open to someone under GUARDIAN_AGE


class Detail(StrEnum):
    NAME = "name"
    BIRTH_YEAR = "birth_year"
    GROUP = "group"
    COMMUNE = "commune"
    SUBUNIT = "subunit"


@dataclass(frozen=True, slots=True)
class Subunit:
    """A village, agency or school: one of the commune's units, or a typed name."""

    unit_id: int | None
    name: str | None


class Outcome(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    NOTED = "noted"  # changed, and the case's officers are to be told
    REISSUED = "reissued"  # changed, and the certificate re-issued
    NEEDS_OFFICER = "needs_officer"  # refused: only an officer makes this change now
    UNDER_AGE = "under_age"  # refused: not open to someone under GUARDIAN_AGE


@dataclass(slots=True)
class Result:
    outcome: Outcome
    officers: list[int] = field(default_factory=list)  # to tell of the change (NOTED)
    certificate: Certificate | None = None  # the re-issued one (REISSUED)
    draft_reset: bool = False  # the unsubmitted draft starts over (a new group)


_ON_CERTIFICATE = (Detail.NAME, Detail.BIRTH_YEAR)
_MOVES_THE_CASE = (Detail.GROUP, Detail.COMMUNE)


async def change(
    session: AsyncSession,
    *,
    actor_id: int,
    person: Profile,
    assessment: Assessment | None,
    detail: Detail,
    value: str | int | Subunit,
    content: Content,
    year: int,
    now: datetime,
) -> Result:
    """Change one of the person's details as the rules above allow, in the caller's
    transaction, with its audit rows."""
    if _current(person, detail) == value:
        return Result(Outcome.UNCHANGED)
    if _under_age(person, detail, value, year):
        return Result(Outcome.UNDER_AGE)
    status = assessment.status if assessment is not None else None
    decided_or_sent = status not in (None, AssessmentStatus.DRAFT)
    if decided_or_sent and detail in _MOVES_THE_CASE:
        await _audit(session, actor_id, "profile.change_refused", person, detail, now)
        return Result(Outcome.NEEDS_OFFICER)

    result = Result(Outcome.CHANGED)
    if detail is Detail.GROUP and assessment is not None:  # a draft: see the module's note
        assert isinstance(value, str)
        if assessment.answers:
            await session.delete(assessment)
            result.draft_reset = True
        else:
            assessment.target_group = value
    apply(person, detail, value)
    await _audit(session, actor_id, "profile.changed", person, detail, now)

    if status == AssessmentStatus.APPROVED and detail in _ON_CERTIFICATE:
        assert assessment is not None
        certificate = await certificates.of_assessment(session, assessment.id)
        if certificate is not None and certificate.revoked_at is None:
            certificates.reissue(certificate, person, now=now)
            await audit.record(
                session,
                [
                    audit.NewEntry(
                        actor_id,
                        "certificate.reissued",
                        certificate.number,
                        {"version": certificate.version, "field": detail.value},
                    )
                ],
                now,
            )
            return Result(Outcome.REISSUED, certificate=certificate)
    if decided_or_sent and status != AssessmentStatus.APPROVED:
        assert assessment is not None
        result.outcome = Outcome.NOTED
        # The same officers a submission goes to: never the person themselves.
        result.officers = await rules.deciders(session, content, person, assessment.target_group)
    return result


def _current(person: Profile, detail: Detail) -> str | int | Subunit | None:
    if detail is Detail.SUBUNIT:
        return Subunit(person.unit_id, person.subunit_name)
    return {
        Detail.NAME: person.full_name,
        Detail.BIRTH_YEAR: person.birth_year,
        Detail.GROUP: person.target_group,
        Detail.COMMUNE: person.commune_code,
    }[detail]


def _under_age(person: Profile, detail: Detail, value: str | int | Subunit, year: int) -> bool:
    """Whether the change would put someone under 16 outside the learners' group, or make
    someone under 16 whose guardian never consented."""
    if detail not in (Detail.BIRTH_YEAR, Detail.GROUP):
        return False
    birth_year = value if detail is Detail.BIRTH_YEAR else person.birth_year
    group = value if detail is Detail.GROUP else person.target_group
    if not isinstance(birth_year, int) or year - birth_year >= GUARDIAN_AGE:
        return False
    return group not in (None, LEARNERS) or not person.guardian_consent


def apply(person: Profile, detail: Detail, value: str | int | Subunit) -> None:
    """Set the detail (registration's answers go straight here: nothing to decide yet)."""
    if isinstance(value, Subunit):
        person.unit_id, person.subunit_name = value.unit_id, value.name
    elif detail is Detail.NAME:
        person.full_name = str(value)
    elif detail is Detail.BIRTH_YEAR:
        person.birth_year = int(value)
    elif detail is Detail.GROUP:
        person.target_group = str(value)
    else:
        # A unit belongs to one commune: a new commune leaves the village to be given again.
        person.commune_code = str(value)
        person.unit_id = person.subunit_name = None


async def _audit(
    session: AsyncSession,
    actor_id: int,
    action: str,
    person: Profile,
    detail: Detail,
    now: datetime,
) -> None:
    """Which detail, never its value: the audit log holds no personal data."""
    entry = audit.NewEntry(actor_id, action, f"user:{person.user_id}", {"field": detail.value})
    await audit.record(session, [entry], now)
