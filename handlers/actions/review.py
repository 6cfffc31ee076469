"""Deciding on self-assessments: read a case, the queue, approve (with adjustments), return
(flagged indicators and a comment), reject (a reason), reopen (a reason), bulk approve.

Each checks, every time, that the actor may act on the case (`rules.case`: role, scope,
conflict of interest) and that it is in a state for it; the first of two people acting at
once wins and the second is refused with DECIDED and the case as it now stands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from content import CriteriaGroup
from content.scoring import ScoreResult
from content.text import normalize
from handlers.actions import certificates, rules
from handlers.actions.base import Actor, Likeness, Reason, Refused, Work, clean_note
from handlers.events import Reply, ReplyKind
from handlers.scores import adjustment_lines, own_points, result_of
from storage.models import Assessment, AssessmentStatus, Certificate, Profile
from storage.repositories import reviews, staff

# {indicator id: {"points": n, "reason": text}}, as kept on the assessment.
Adjustments = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Case:
    """A case as its reviewer sees it, with other people's records that may be the same
    person ("có thể trùng với …")."""

    assessment: Assessment
    citizen: Profile
    likeness: list[Likeness]


@dataclass(frozen=True, slots=True)
class Decided:
    """A decision recorded: the case as it now stands, and the certificate an approval
    issued."""

    assessment: Assessment
    citizen: Profile
    status: AssessmentStatus
    certificate: Certificate | None = None


@dataclass(frozen=True, slots=True)
class Reopened:
    """A decision taken back: what it was, and the certificate that was revoked with it."""

    assessment: Assessment
    citizen: Profile
    previous: AssessmentStatus
    certificate: Certificate | None


@dataclass(frozen=True, slots=True)
class Bulk:
    """A bulk approval: those approved, and why each other one was not."""

    approved: list[Decided] = field(default_factory=list)
    refused: dict[int, Reason] = field(default_factory=dict)


def group_of(work: Work, a: Assessment) -> CriteriaGroup:
    return work.content.criteria_for(a.target_group, a.year)


async def read(work: Work, actor: Actor, assessment_id: int) -> Case:
    """Open a case (its answers loaded): the read is audited."""
    a, citizen = await rules.case(work, actor, assessment_id)
    await work.record(actor, "review.viewed", str(a.id))
    return Case(a, citizen, await rules.likeness(work, a, citizen))


async def evidence(
    work: Work, actor: Actor, assessment_id: int, *, file: str | None = None
) -> Case:
    """Open a case's evidence (its answers, which hold the file references): the read is
    audited, with the one `file` read when only one is (`<indicator>/<position>`)."""
    a, citizen = await rules.case(work, actor, assessment_id)
    await work.record(actor, "review.evidence", str(a.id), **({"file": file} if file else {}))
    return Case(a, citizen, [])


async def waiting(work: Work, actor: Actor, assessment_id: int) -> tuple[Assessment, Profile]:
    """The case if the actor may act on it and it waits for a decision; DECIDED (with the
    case as it stands) when it does not."""
    a, citizen = await rules.case(work, actor, assessment_id)
    if a.status not in reviews.AWAITING:
        await work.record(actor, "review.too_late", str(a.id))
        raise Refused(Reason.DECIDED, assessment=a)
    await rules.not_entered(work, actor, a, citizen)
    return a, citizen


class Listing(StrEnum):
    """An officer's lists: waiting for a decision, returned and waiting for the citizen,
    and the decisions the officer took."""

    WAITING = "waiting"
    RETURNED = "returned"
    MINE = "mine"


_LISTED = {
    Listing.WAITING: reviews.AWAITING,
    Listing.RETURNED: (AssessmentStatus.RETURNED,),
    Listing.MINE: (*reviews.DECIDED, AssessmentStatus.RETURNED),
}


@dataclass(frozen=True, slots=True)
class Line:
    """A case in a list, with what triage needs: whether any answer has evidence."""

    assessment: Assessment
    citizen: Profile

    @property
    def evidence(self) -> bool:
        return any(x.evidence for x in self.assessment.answers)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list, and how many the whole list holds."""

    lines: list[Line]
    total: int


@dataclass(frozen=True, slots=True)
class Filter:
    """What narrows a list: words of the name and a birth year (`Lan 1975`), a commune,
    a unit."""

    search: str = ""
    commune_code: str | None = None
    unit_id: int | None = None

    def keeps(self, row: reviews.Listed) -> bool:
        words = normalize(self.search).split()
        year = [int(w) for w in words if w.isdigit()]
        name = normalize(row.full_name or "").split()
        return (
            all(w in name for w in words if not w.isdigit())
            and all(y == row.birth_year for y in year)
            and self.commune_code in (None, row.commune_code)
            and self.unit_id in (None, row.unit_id)
        )


async def listed(
    work: Work, actor: Actor, listing: Listing = Listing.WAITING, where: Filter | None = None
) -> list[reviews.Listed]:
    """The whole list in the actor's scope, narrowed by `where`; the waiting list without
    their own person's (the scope above decides those)."""
    roles = await rules.roles_of(work, actor)
    if not roles:
        raise Refused(Reason.NOT_STAFF)
    decided_by = actor.user_id if listing == Listing.MINE else None
    found = [
        row
        for row in await reviews.listed(
            work.session, roles, _LISTED[listing], decided_by=decided_by
        )
        if where is None or where.keeps(row)
    ]
    if listing == Listing.WAITING and actor.user_id is not None:
        keys = await rules.keys_of(work.session, [actor.user_id])
        found = [
            row
            for row in found
            if not rules.same_person(
                row.user_id,
                rules.key_of(row.full_name, row.birth_year, row.commune_code),
                actor.user_id,
                keys.get(actor.user_id),
            )
        ]
        # The forms they entered wait for someone else, unless they may decide them.
        if any(row.entered_by == actor.user_id for row in found):
            sole = await staff.sole_places(work.session, actor.user_id)
            found = [
                row
                for row in found
                if row.entered_by != actor.user_id
                or staff.in_places(sole, row.commune_code, row.unit_id)
            ]
    return found


async def triage(
    work: Work,
    actor: Actor,
    listing: Listing = Listing.WAITING,
    where: Filter | None = None,
    *,
    limit: int,
    offset: int = 0,
) -> Page:
    """One page of a list (`listed`), its cases loaded. The read is audited with the cases
    it showed."""
    found = await listed(work, actor, listing, where)
    shown = [row.assessment_id for row in found[offset : offset + limit]]
    await work.record(actor, "review.queue_viewed", None, cases=shown, listing=listing.value)
    lines = [Line(a, p) for a, p in await reviews.loaded(work.session, shown)]
    return Page(lines, len(found))


async def queue(
    work: Work, actor: Actor, *, limit: int, offset: int = 0
) -> list[tuple[Assessment, Profile]]:
    """Cases waiting in the actor's scope, oldest first (`triage` of the waiting list)."""
    page = await triage(work, actor, limit=limit, offset=offset)
    return [(x.assessment, x.citizen) for x in page.lines]


def _checked(work: Work, a: Assessment, adjustments: Adjustments) -> dict[str, Any]:
    """Adjustments as kept: each to points its indicator's answers can give, with a reason;
    one back to the citizen's own points is no adjustment."""
    group, own = group_of(work, a), own_points(a)
    kept: dict[str, Any] = {}
    for indicator_id, change in adjustments.items():
        indicator = next((i for i in group.indicators if i.id == indicator_id), None)
        points = change.get("points")
        if (
            indicator is None
            or not isinstance(points, int)
            or points not in indicator.possible_points
        ):
            raise Refused(Reason.BAD_ADJUSTMENT)
        if points != own.get(indicator_id):
            kept[indicator_id] = {
                "points": points,
                "reason": clean_note(str(change.get("reason", ""))),
            }
    return kept


async def approve(
    work: Work,
    actor: Actor,
    assessment_id: int,
    *,
    adjustments: Adjustments | None = None,
    confirm_duplicate: bool = False,
) -> Decided:
    """Approve with the officer's adjustments, issuing the certificate. Refused when the
    result misses the pass rules (FAILS_RULES, with the result), or when another record of
    the same person already holds the year's title unless `confirm_duplicate`
    (DUPLICATE, with those records)."""
    a, citizen = await waiting(work, actor, assessment_id)
    adjusted = _checked(work, a, adjustments or {})
    result = result_of(work.content, a, citizen, adjusted)
    if not result.passed:
        await work.record(actor, "review.approve_refused", str(a.id), rules=result.failed_rules)
        raise Refused(Reason.FAILS_RULES, assessment=a, result=result)
    titled = rules.titled(await rules.likeness(work, a, citizen))
    if titled and not confirm_duplicate:
        await work.record(
            actor, "review.duplicate", str(a.id), others=[x.assessment_id for x in titled]
        )
        raise Refused(Reason.DUPLICATE, assessment=a, likeness=titled)
    decided = await _decide(
        work, actor, a, citizen, AssessmentStatus.APPROVED, adjustments=adjusted, result=result
    )
    if titled:
        await work.record(
            actor, "review.duplicate_confirmed", str(a.id), others=[x.assessment_id for x in titled]
        )
    return decided


async def return_(
    work: Work, actor: Actor, assessment_id: int, *, indicators: Sequence[str], comment: str
) -> Decided:
    """Return to the citizen to correct the flagged indicators (only those may change),
    with a comment they are sent."""
    a, citizen = await waiting(work, actor, assessment_id)
    flagged = [i.id for i in group_of(work, a).indicators if i.id in set(indicators)]
    if not flagged:
        raise Refused(Reason.NO_INDICATORS)
    note = clean_note(comment)
    return await _decide(
        work, actor, a, citizen, AssessmentStatus.RETURNED, note=note, flagged=flagged
    )


async def reject(work: Work, actor: Actor, assessment_id: int, *, reason: str) -> Decided:
    """Refuse the title, with a reason the citizen is sent."""
    a, citizen = await waiting(work, actor, assessment_id)
    note = clean_note(reason)
    return await _decide(work, actor, a, citizen, AssessmentStatus.REJECTED, note=note)


async def bulk_approve(work: Work, actor: Actor, assessment_ids: Sequence[int]) -> Bulk:
    """Approve each of the selected cases that may be approved as they stand (in scope,
    waiting, meeting the rules, no duplicate to confirm); the others stay as they are,
    each with its reason."""
    done = Bulk()
    for assessment_id in dict.fromkeys(assessment_ids):
        try:
            done.approved.append(await approve(work, actor, assessment_id))
        except Refused as refused:
            done.refused[assessment_id] = refused.reason
    return done


async def reopen(work: Work, actor: Actor, assessment_id: int, *, reason: str) -> Reopened:
    """Take back an approval or a rejection, with a required reason: the case waits for a
    decision again ("reopened"); an approval's certificate is revoked with it (so reports no
    longer count it), and the citizen is told why. NOT_DECIDED when there is no decision
    to take back."""
    a, citizen = await rules.case(work, actor, assessment_id)
    await rules.not_entered(work, actor, a, citizen)
    note = clean_note(reason)
    previous = AssessmentStatus(a.status)
    if previous not in reviews.DECIDED or not await reviews.reopen(
        work.session, a, by=actor.user_id, note=note, now=work.now
    ):
        await work.record(actor, "review.reopen_refused", str(a.id))
        raise Refused(Reason.NOT_DECIDED, assessment=a)
    certificate = None
    if previous == AssessmentStatus.APPROVED:
        certificate = await certificates.withdraw(work, actor, a, note)
    await work.record(actor, "review.reopened", str(a.id), previous=previous.value)
    t = (await work.speak_to([citizen.user_id]))[citizen.user_id]
    text = t._(
        "Hội Khuyến học đã mở lại bản tự đánh giá năm {year} của Anh/Chị để xem xét lại. "
        "Lý do: {reason}"
    ).format(year=a.year, reason=note)
    if certificate is not None:
        text += "\n" + t._(
            "Giấy chứng nhận số {number} không còn hiệu lực cho đến khi có quyết định mới."
        ).format(number=certificate.number)
    await work.send([Reply(text, kind=ReplyKind.NOTICE, to_user_id=citizen.user_id)])
    return Reopened(a, citizen, previous, certificate)


async def _decide(
    work: Work,
    actor: Actor,
    a: Assessment,
    citizen: Profile,
    status: AssessmentStatus,
    *,
    note: str | None = None,
    flagged: list[str] | None = None,
    adjustments: dict[str, Any] | None = None,
    result: ScoreResult | None = None,
) -> Decided:
    if not await reviews.decide(
        work.session,
        a,
        status=status,
        by=actor.user_id,
        note=note,
        now=work.now,
        reopened=flagged,
        adjustments=adjustments,
        result=result,
    ):
        # Someone was first: the case as the database has it now.
        await work.session.refresh(a)
        await work.record(actor, "review.too_late", str(a.id))
        raise Refused(Reason.DECIDED, assessment=a)
    await work.record(actor, f"review.{status}", str(a.id))
    own = own_points(a)
    for indicator_id, adjusted in a.adjustments.items():
        await work.record(
            actor,
            "review.adjusted",
            str(a.id),
            indicator=indicator_id,
            own=own.get(indicator_id),
            points=adjusted["points"],
        )
    await _tell_citizen(work, a, citizen, status)
    certificate = None
    if status == AssessmentStatus.APPROVED:
        certificate = await certificates.issue(work, actor, a, citizen)
    return Decided(a, citizen, status, certificate)


async def _tell_citizen(
    work: Work, a: Assessment, citizen: Profile, status: AssessmentStatus
) -> None:
    t = (await work.speak_to([citizen.user_id]))[citizen.user_id]
    group = group_of(work, a)
    if status == AssessmentStatus.APPROVED:
        text = t._(
            "Hội Khuyến học đã duyệt bản tự đánh giá năm {year} của Anh/Chị ({total} điểm). "
            "Chúc mừng Anh/Chị đạt danh hiệu Công dân học tập!"
        ).format(year=a.year, total=a.total)
        if a.adjustments:
            lines = adjustment_lines(t, group, a)
            text += "\n" + "\n".join([t._("Hội Khuyến học đã điều chỉnh điểm:"), *lines])
    elif status == AssessmentStatus.RETURNED:
        text = t._(
            "Hội Khuyến học trả lại bản tự đánh giá năm {year} để Anh/Chị sửa các chỉ số: "
            '{list}. Nhận xét: {note}\nGõ /menu và chọn "Sửa bản tự đánh giá".'
        ).format(
            year=a.year,
            note=a.decision_note,
            list=", ".join(str(group.indicator(i).number) for i in a.reopened),
        )
    else:
        text = t._(
            "Hội Khuyến học không công nhận bản tự đánh giá năm {year} của Anh/Chị. Lý do: {reason}"
        ).format(year=a.year, reason=a.decision_note)
    await work.send([Reply(text, kind=ReplyKind.NOTICE, to_user_id=citizen.user_id)])
