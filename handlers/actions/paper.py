"""Paper self-assessments: an officer enters what a citizen wrote on the form (the console's
page, one at a time, or a village's XLSX batch from the command line or the console).

A paper citizen is a user with no chat identity, a profile whose consent was given on paper
and a submitted assessment whose source is "paper", with the officer who entered it and the
form's date; it waits in the queue like a chat submission, and whoever entered it may not
decide it (`rules.not_entered`). The form is read as the chat reads answers
(handlers/paper_form.py); scored by the same rules (handlers/scores.py).

A person already known this year (the same name without accents, birth year and commune:
`rules.key_of`) is not entered twice: the officer chooses to update their paper record, skip
the form, or enter a different person. A form exactly as already recorded changes nothing,
so importing the same file twice is harmless."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.orm import selectinload

from content.scoring import ScoreResult
from content.text import normalize
from handlers.actions import rules
from handlers.actions.base import Actor, Reason, Refused, Work
from handlers.events import Reply, ReplyKind
from handlers.paper_form import Form
from handlers.scores import result_for
from storage.models import Answer, Assessment, AssessmentStatus, Profile, Unit, User
from storage.repositories import reviews, staff

PAPER = "paper"
CHUNK = 500  # rows per statement: well under every database's limit on parameters


class Choice(StrEnum):
    """What to do with a form whose person is already known."""

    UPDATE = "update"  # it is them: their paper record takes this form
    SKIP = "skip"  # leave what is recorded as it is
    NEW = "new"  # a different person with the same name, birth year and commune


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # exactly as already recorded
    SKIPPED = "skipped"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Known:
    """Someone already known with a form's name, birth year and commune, and their record of
    the form's year if any."""

    user_id: int
    full_name: str
    assessment_id: int | None
    status: str | None
    source: str | None
    same: bool  # the form exactly as this record already holds it

    @property
    def updatable(self) -> bool:
        """A paper form may fill in a known person's year (none yet) or replace a paper
        record still waiting; never the citizen's own answers or a decided case."""
        return self.assessment_id is None or (
            self.source == PAPER and self.status in reviews.AWAITING
        )


@dataclass(frozen=True, slots=True)
class Entry:
    """A form to enter, with the scan of the paper as evidence (file references)."""

    form: Form
    evidence: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True, slots=True)
class Checked:
    """The summary shown before saving: the form, its unit, its result, who is known."""

    form: Form
    unit: Unit | None
    result: ScoreResult
    known: list[Known]


@dataclass(frozen=True, slots=True)
class Entered:
    outcome: Outcome
    form: Form
    assessment_id: int | None = None
    reason: Reason | None = None
    known: list[Known] = field(default_factory=list)


async def check(work: Work, actor: Actor, form: Form) -> Checked:
    """What saving the form would record, and who is already known with its key. Refused
    NOT_STAFF or OUT_OF_SCOPE (noted)."""
    batch = await _Batch.load(work, actor, [Entry(form)])
    unit = batch.unit_of(form)
    if not batch.covers(form, unit):
        await work.record(actor, "paper.refused", None, commune=form.commune_code)
        raise Refused(Reason.OUT_OF_SCOPE)
    known = batch.known_of(form)
    if known:
        await work.record(actor, "paper.known_shown", None, users=[k.user_id for k in known])
    return Checked(form, unit, batch.result(form), known)


async def enter(
    work: Work,
    actor: Actor,
    form: Form,
    *,
    choice: Choice | None = None,
    evidence: Sequence[Mapping[str, Any]] = (),
) -> Entered:
    """Save one form as a submission. Refused MATCHED (with `likeness` empty: `check` shows
    who) when its person is known and no `choice` was made, LOCKED when updating a record a
    paper form may not change, OUT_OF_SCOPE outside the officer's scope."""
    done = (await enter_many(work, actor, [Entry(form, evidence)], choice=choice))[0]
    if done.outcome == Outcome.REFUSED:
        assert done.reason is not None
        raise Refused(done.reason)
    return done


async def enter_many(
    work: Work,
    actor: Actor,
    entries: Sequence[Entry],
    *,
    choice: Choice | None,
    tell: bool = True,
) -> list[Entered]:
    """Save each form (in order, one result each), with a handful of statements for the
    whole batch: known people and units read once, new records written together, one audit
    row per record, and (unless `tell` is False: a caller saving one file in several
    batches calls `tell_deciders` once at the end) one notice per officer told."""
    batch = await _Batch.load(work, actor, entries)
    done = [batch.decide(entry, choice) for entry in entries]
    await batch.write(done, entries)
    if tell:
        await batch.tell_deciders(done)
    return done


async def tell_deciders(work: Work, actor: Actor, done: Sequence[Entered]) -> None:
    """One notice per officer who decides any of these newly saved forms, with how many."""
    batch = await _Batch.load(work, actor, [Entry(d.form) for d in done], known=False)
    await batch.tell_deciders(done)


async def attach_scan(
    work: Work, actor: Actor, assessment_id: int, item: Mapping[str, Any]
) -> None:
    """Keep the photo or scan of the paper form (a file reference) as evidence behind each
    answer written on it. Only the officer who entered the form may (OUT_OF_SCOPE, noted,
    for anyone else)."""
    a = await work.session.get(
        Assessment, assessment_id, options=[selectinload(Assessment.answers)]
    )
    if a is None or a.source != PAPER or a.entered_by is None or a.entered_by != actor.user_id:
        await work.record(actor, "paper.refused", str(assessment_id))
        raise Refused(Reason.OUT_OF_SCOPE)
    for answer in a.answers:
        # A new list, so the change is seen and saved (JSON columns do not track edits).
        answer.evidence = [*answer.evidence, dict(item)]
    await work.record(
        actor, "paper.scan_attached", str(a.id), mime=item.get("mime"), size=item.get("size")
    )


class _Batch:
    """Everything a batch of forms needs from the database, read up front."""

    def __init__(self, work: Work, actor: Actor) -> None:
        self.work, self.actor = work, actor
        self.roles: list[reviews.Scope] = []
        self.units: dict[tuple[str, str], Unit] = {}  # (commune, folded name) -> unit
        self.known: dict[tuple[rules.Key, int], list[Known]] = {}
        self.seen: set[tuple[rules.Key, int]] = set()  # keys entered by this batch

    @classmethod
    async def load(
        cls, work: Work, actor: Actor, entries: Sequence[Entry], *, known: bool = True
    ) -> _Batch:
        batch = cls(work, actor)
        batch.roles = await rules.roles_of(work, actor)
        if not batch.roles:
            await work.record(actor, "paper.refused", None)
            raise Refused(Reason.NOT_STAFF)
        communes = sorted({e.form.commune_code for e in entries})
        for unit in await staff.units(work.session):
            if unit.commune_code in communes:
                batch.units[(unit.commune_code, normalize(unit.name))] = unit
        for year in sorted({e.form.year for e in entries}) if known else []:
            await batch._load_known(
                communes, year, [e.form for e in entries if e.form.year == year]
            )
        return batch

    async def _load_known(self, communes: list[str], year: int, forms: list[Form]) -> None:
        """The people of these communes with a form's key, and their record of the year:
        narrow rows first, then the answers of the few that match."""
        by_key = {_key(f): f for f in forms}
        years = sorted({f.birth_year for f in forms})
        matched: list[tuple[rules.Key, Any]] = []
        for start in range(0, len(communes), CHUNK):
            rows = await self.work.session.execute(
                select(
                    Profile.user_id,
                    Profile.full_name,
                    Profile.birth_year,
                    Profile.commune_code,
                    Assessment.id,
                    Assessment.status,
                    Assessment.source,
                )
                .outerjoin(
                    Assessment,
                    and_(Assessment.user_id == Profile.user_id, Assessment.year == year),
                )
                .where(
                    Profile.commune_code.in_(communes[start : start + CHUNK]),
                    Profile.birth_year.in_(years),
                )
            )
            matched += [
                (key, row)
                for row in rows
                if (key := rules.key_of(row[1], row[2], row[3])) is not None and key in by_key
            ]
        papers = [row[4] for _, row in matched if row[6] == PAPER]
        held: dict[int, Assessment] = {}
        for start in range(0, len(papers), CHUNK):
            found = await self.work.session.scalars(
                select(Assessment)
                .where(Assessment.id.in_(papers[start : start + CHUNK]))
                .options(selectinload(Assessment.answers))
            )
            held |= {a.id: a for a in found}
        for key, (user_id, name, _, _, assessment_id, status, source) in matched:
            a = held.get(assessment_id)
            self.known.setdefault((key, year), []).append(
                Known(
                    user_id,
                    name or "",
                    assessment_id,
                    status,
                    source,
                    a is not None and _same(a, by_key[key]),
                )
            )

    def unit_of(self, form: Form) -> Unit | None:
        return self.units.get((form.commune_code, normalize(form.place or "")))

    def covers(self, form: Form, unit: Unit | None) -> bool:
        return reviews.covers(
            self.roles,
            Assessment(target_group=form.target_group),
            Profile(commune_code=form.commune_code, unit_id=unit.id if unit else None),
        )

    def known_of(self, form: Form) -> list[Known]:
        return self.known.get((_key(form), form.year), [])

    def result(self, form: Form) -> ScoreResult:
        group = self.work.content.criteria_for(form.target_group, form.year)
        points = {i: a.points for i, a in form.answers.items()}
        return result_for(self.work.content, group, form.commune_code, points)

    def decide(self, entry: Entry, choice: Choice | None) -> Entered:
        form = entry.form
        if not self.covers(form, self.unit_of(form)):
            return Entered(Outcome.REFUSED, form, reason=Reason.OUT_OF_SCOPE)
        key = (_key(form), form.year)
        known = self.known_of(form)
        same = next((k for k in known if k.same), None)
        if same is not None:
            return Entered(Outcome.UNCHANGED, form, same.assessment_id, known=known)
        if (known or key in self.seen) and choice is None:
            return Entered(Outcome.REFUSED, form, reason=Reason.MATCHED, known=known)
        if (known or key in self.seen) and choice == Choice.SKIP:
            return Entered(Outcome.SKIPPED, form, known=known)
        self.seen.add(key)
        if known and choice == Choice.UPDATE:
            target = next((k for k in known if k.updatable), None)
            if target is None:
                return Entered(Outcome.REFUSED, form, reason=Reason.LOCKED, known=known)
            return Entered(Outcome.UPDATED, form, target.assessment_id, known=[target])
        return Entered(Outcome.CREATED, form)

    async def write(self, done: list[Entered], entries: Sequence[Entry]) -> None:
        """Write the batch's records and fill in the new assessments' ids."""
        work, now = self.work, self.work.now
        pairs = list(zip(done, entries, strict=True))
        created = [(i, e) for i, (d, e) in enumerate(pairs) if d.outcome == Outcome.CREATED]
        # A known person without a record of the year gets one; a paper record is replaced.
        attach = [
            (i, e, d.known[0].user_id)
            for i, (d, e) in enumerate(pairs)
            if d.outcome == Outcome.UPDATED and d.assessment_id is None
        ]
        replace = [
            (i, e, d.assessment_id)
            for i, (d, e) in enumerate(pairs)
            if d.outcome == Outcome.UPDATED and d.assessment_id is not None
        ]
        session = work.session
        user_ids: list[int] = []
        for start in range(0, len(created), CHUNK):
            chunk = created[start : start + CHUNK]
            user_ids += await session.scalars(
                insert(User.__table__).returning(User.__table__.c.id, sort_by_parameter_order=True),
                [{"locale": "vi", "created_at": now} for _ in chunk],
            )
        profiles = [self._profile(u, e.form) for u, (_, e) in zip(user_ids, created, strict=True)]
        for start in range(0, len(profiles), CHUNK):
            await session.execute(insert(Profile.__table__), profiles[start : start + CHUNK])
        new = [(i, e, u) for u, (i, e) in zip(user_ids, created, strict=True)] + attach
        rows = [self._assessment(u, e.form) for _, e, u in new]
        ids: list[int] = []
        for start in range(0, len(rows), CHUNK):
            ids += await session.scalars(
                insert(Assessment.__table__).returning(
                    Assessment.__table__.c.id, sort_by_parameter_order=True
                ),
                rows[start : start + CHUNK],
            )
        for (i, _, _), assessment_id in zip(new, ids, strict=True):
            done[i] = Entered(done[i].outcome, done[i].form, assessment_id, known=done[i].known)
        for _, e, assessment_id in replace:
            assert assessment_id is not None
            fields = self._assessment(None, e.form)
            await session.execute(
                update(Assessment).where(Assessment.id == assessment_id).values(**fields)
            )
            await session.execute(delete(Answer).where(Answer.assessment_id == assessment_id))
        answers = [
            answer
            for assessment_id, e in [(a, e) for (_, e, _), a in zip(new, ids, strict=True)]
            + [(a, e) for _, e, a in replace]
            for answer in self._answers(assessment_id, e)
        ]
        for start in range(0, len(answers), CHUNK):
            await session.execute(insert(Answer.__table__), answers[start : start + CHUNK])
        saved = [d for d in done if d.outcome in (Outcome.CREATED, Outcome.UPDATED)]
        await work.record_each(
            self.actor,
            "paper.entered",
            [
                (
                    str(d.assessment_id),
                    {"outcome": d.outcome.value, "form_date": str(d.form.form_date)},
                )
                for d in saved
            ],
        )
        for d in done:
            if d.outcome == Outcome.REFUSED:
                await work.record(self.actor, "paper.refused", None, reason=str(d.reason))

    def _profile(self, user_id: int, form: Form) -> dict[str, Any]:
        now, unit = self.work.now, self.unit_of(form)
        minor = form.minor
        return {
            "user_id": user_id,
            "full_name": form.full_name,
            "name_key": normalize(form.full_name),
            "birth_year": form.birth_year,
            "target_group": form.target_group,
            "commune_code": form.commune_code,
            "subunit_name": unit.name if unit else form.place,
            "unit_id": unit.id if unit else None,
            # The signed form is the consent (a minor's, signed by their guardian).
            "consent_at": now,
            "consent_how": PAPER,
            "notice_version": PAPER,
            "guardian_consent": minor,
            "guardian_consent_how": PAPER if minor else None,
            "guardian_consent_at": now if minor else None,
            "registered_at": now,
            "updated_at": now,
        }

    def _assessment(self, user_id: int | None, form: Form) -> dict[str, Any]:
        now = self.work.now
        group = self.work.content.criteria_for(form.target_group, form.year)
        result = self.result(form)
        row: dict[str, Any] = {
            "year": form.year,
            "criteria_set_id": group.set_id,
            "criteria_set_version": group.set_version,
            "target_group": group.id,
            "status": AssessmentStatus.SUBMITTED.value,
            "total": result.total,
            "threshold": result.threshold,
            "passed": result.passed,
            "submitted_at": now,
            "updated_at": now,
            "submitted_points": {i: a.points for i, a in form.answers.items()},
            "reopened": [],
            "adjustments": {},
            "source": PAPER,
            "entered_by": self.actor.user_id,
            "form_date": form.form_date,
        }
        if user_id is not None:
            row |= {"user_id": user_id, "created_at": now}
        return row

    def _answers(self, assessment_id: int, entry: Entry) -> list[dict[str, Any]]:
        return [
            {
                "assessment_id": assessment_id,
                "indicator_id": indicator_id,
                "option_id": answered.option_id,
                "raw_value": answered.raw_value,
                "points": answered.points,
                # The scan of the whole form stands behind each answer written on it.
                "evidence": [dict(item) for item in entry.evidence],
                "entered_by": self.actor.user_id,
                "answered_at": self.work.now,
            }
            for indicator_id, answered in entry.form.answers.items()
        ]

    async def tell_deciders(self, done: Sequence[Entered]) -> None:
        """One notice per officer told, however many forms: the forms saved counted by
        who decides them (their unit, commune and group)."""
        saved = [d for d in done if d.outcome in (Outcome.CREATED, Outcome.UPDATED)]
        counts: dict[int, int] = {}
        places: dict[tuple[str, int | None, str], int] = {}
        for d in saved:
            unit = self.unit_of(d.form)
            place = (d.form.commune_code, unit.id if unit else None, d.form.target_group)
            places[place] = places.get(place, 0) + 1
        for (commune, unit_id, group), n in places.items():
            citizen = Profile(user_id=0, commune_code=commune, unit_id=unit_id)
            for user_id in await rules.deciders(
                self.work.session,
                self.work.content,
                citizen,
                group,
                entered_by=self.actor.user_id,
            ):
                counts[user_id] = counts.get(user_id, 0) + n
        if not counts:
            return
        speak = await self.work.speak_to(list(counts))
        await self.work.send(
            [
                Reply(
                    speak[user_id]
                    ._("Có {n} phiếu tự đánh giá trên giấy mới nhập, đang chờ Anh/Chị xác minh.")
                    .format(n=n),
                    kind=ReplyKind.NOTICE,
                    to_user_id=user_id,
                )
                for user_id, n in counts.items()
            ]
        )


def _key(form: Form) -> rules.Key:
    key = rules.key_of(form.full_name, form.birth_year, form.commune_code)
    assert key is not None  # a form always has a name and a birth year
    return key


def _same(a: Assessment, form: Form) -> bool:
    """Whether a record holds exactly this paper form."""
    held = {x.indicator_id: (x.option_id, x.raw_value) for x in a.answers}
    written = {i: (x.option_id, x.raw_value) for i, x in form.answers.items()}
    return (
        a.source == PAPER
        and a.target_group == form.target_group
        and a.form_date == form.form_date
        and held == written
    )
