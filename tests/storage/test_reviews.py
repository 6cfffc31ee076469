"""The officers' lists as stored: in scope, in order, counted, loaded with their answers."""

from __future__ import annotations

from datetime import timedelta

from storage.models import Answer, Assessment, AssessmentStatus, Profile
from storage.repositories import reviews
from tests.storage.factories import T0, Sessions, create_user

COMMUNE = reviews.Scope(commune_code="20242")


async def case(
    session_factory: Sessions,
    name: str,
    status: AssessmentStatus,
    *,
    commune: str = "20242",
    submitted: int = 0,
    decided: int | None = None,
    decided_by: int | None = None,
    evidence: bool = False,
) -> int:
    """A person of `commune` with an assessment in `status`, submitted (and decided) that
    many hours after T0."""
    user = await create_user(session_factory)
    async with session_factory() as session, session.begin():
        session.add(
            Profile(
                user_id=user,
                full_name=name,
                birth_year=1968,
                commune_code=commune,
                consent_at=T0,
                notice_version="2026-01",
                registered_at=T0,
            )
        )
        a = Assessment(
            user_id=user,
            year=2025,
            criteria_set_id="residents",
            criteria_set_version="1",
            target_group="residents",
            status=status,
            submitted_at=T0 + timedelta(hours=submitted),
            decided_at=None if decided is None else T0 + timedelta(hours=decided),
            decided_by=decided_by,
        )
        session.add(a)
        await session.flush()
        session.add(
            Answer(
                assessment_id=a.id,
                indicator_id="I1",
                option_id="o1",
                points=10,
                evidence=[{"ref": "f"}] if evidence else [],
            )
        )
        return a.id


async def test_lists_in_scope_in_order_counted_and_loaded(session_factory: Sessions) -> None:
    officer = await create_user(session_factory)
    late = await case(session_factory, "Trần Thị Hoa", AssessmentStatus.SUBMITTED, submitted=5)
    early = await case(
        session_factory, "Nguyễn Thị Lan", AssessmentStatus.REOPENED, submitted=1, evidence=True
    )
    await case(session_factory, "Elsewhere", AssessmentStatus.SUBMITTED, commune="20257")
    first = await case(
        session_factory,
        "Lê Văn A",
        AssessmentStatus.APPROVED,
        decided=2,
        decided_by=officer,
    )
    second = await case(
        session_factory,
        "Lê Văn B",
        AssessmentStatus.RETURNED,
        decided=3,
        decided_by=officer,
    )
    await case(session_factory, "Lê Văn C", AssessmentStatus.REJECTED, decided=4)
    async with session_factory() as session:
        waiting = await reviews.listed(session, [COMMUNE], reviews.AWAITING)
        assert [row.assessment_id for row in waiting] == [early, late]  # oldest first
        assert await reviews.count_waiting(session, [COMMUNE]) == 2
        assert await reviews.count_waiting(session, [reviews.Scope(admin=True)]) == 3
        mine = await reviews.listed(
            session,
            [COMMUNE],
            (*reviews.DECIDED, AssessmentStatus.RETURNED),
            decided_by=officer,
        )
        assert [row.assessment_id for row in mine] == [second, first]  # latest decided first
        loaded = await reviews.loaded(session, [late, early])
        assert [a.id for a, _ in loaded] == [late, early]
        assert [p.full_name for _, p in loaded] == ["Trần Thị Hoa", "Nguyễn Thị Lan"]
        assert [bool(a.answers[0].evidence) for a, _ in loaded] == [False, True]
