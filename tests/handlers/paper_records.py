"""A paper citizen as the paper entry leaves one: a user with no chat, a profile whose
consent was given on paper, and a submitted assessment entered by an officer."""

from __future__ import annotations

from datetime import datetime

from content import Content
from handlers.engine import Engine
from storage.models import Answer, Assessment, AssessmentStatus, Profile, Unit, User
from storage.repositories import claims, staff


async def village(engine: Engine, name: str = "Thôn Phú Sơn") -> Unit:
    async with engine.sessions() as session, session.begin():
        return await staff.add_unit(
            session, commune_code="20242", name=name, kind="village", now=engine.clock()
        )


def _answers(content: Content, year: int, entered_by: int | None) -> list[Answer]:
    """The best answer of every indicator: a form that passes."""
    found = []
    for indicator in content.criteria_for("residents", year).indicators:
        option_id, raw_value = None, None
        if indicator.number_input is not None:
            top = max(indicator.number_input.bands, key=lambda b: b.points)
            raw_value, points = top.min, top.points
        else:
            best = max(indicator.options, key=lambda o: o.points)
            option_id, points = best.id, best.points
        found.append(
            Answer(
                indicator_id=indicator.id,
                option_id=option_id,
                raw_value=raw_value,
                points=points,
                evidence=[],
                entered_by=entered_by,
            )
        )
    return found


async def paper_citizen(
    engine: Engine,
    unit: Unit,
    *,
    name: str = "Trần Văn Ba",
    birth_year: int = 1958,
    entered_by: int | None = None,
) -> int:
    """The user id of a paper record with a submitted assessment of this year."""
    now: datetime = engine.clock()
    year = now.year
    group = engine.content.criteria_for("residents", year)
    async with engine.sessions() as session, session.begin():
        user = User(locale="vi", created_at=now, profile=None)
        user.profile = Profile(
            full_name=name,
            birth_year=birth_year,
            target_group="residents",
            commune_code=unit.commune_code,
            unit_id=unit.id,
            consent_at=now,
            consent_how="paper",
            notice_version="2026-01",
            registered_at=now,
            updated_at=now,
        )
        session.add(user)
        await session.flush()
        answers = _answers(engine.content, year, entered_by)
        total = sum(a.points for a in answers)
        session.add(
            Assessment(
                user_id=user.id,
                year=year,
                criteria_set_id=group.set_id,
                criteria_set_version=group.set_version,
                target_group=group.id,
                status=AssessmentStatus.SUBMITTED,
                total=total,
                submitted_at=now,
                submitted_points={a.indicator_id: a.points for a in answers},
                source="paper",
                entered_by=entered_by,
                answers=answers,
            )
        )
        return user.id


async def claim_code(engine: Engine, user_id: int) -> str:
    async with engine.sessions() as session, session.begin():
        codes = await claims.issue(
            session, [user_id], by=None, now=engine.clock(), key=engine.settings.link_code_key
        )
    return codes[user_id]
