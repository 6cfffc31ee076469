"""People for the console's tests and benchmark: staff with their roles, and citizens with
submitted self-assessments, answers, scores and evidence, written with a few bulk INSERTs
(fast enough for 100,000 submissions on either database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from content import Content
from content.scoring import score
from content.text import normalize
from storage.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    AuditEntry,
    ChannelIdentity,
    Profile,
    Staff,
    StaffRole,
    User,
    person_key,
)

HAI_CHAU = "20242"  # Phường Hải Châu
OTHER = "20209"  # Phường Thanh Khê, another commune of the province
NAMES = ["Nguyễn Thị Lan", "Trần Văn Ánh", "Lê Thị Hồng", "Phạm Đức Minh", "Võ Thị Đào"]


@dataclass(frozen=True)
class Citizen:
    name: str
    commune: str = HAI_CHAU
    group: str = "residents"
    passed: bool = True
    evidence: int = 0
    status: AssessmentStatus = AssessmentStatus.SUBMITTED
    birth_year: int = 1980
    days_ago: int = 1


async def _next_id(session: AsyncSession) -> int:
    return (await session.scalar(select(func.max(User.id))) or 0) + 1


async def staff(
    session: AsyncSession,
    name: str,
    role: StaffRole,
    commune: str | None,
    now: datetime,
    unit_id: int | None = None,
) -> int:
    """A staff member reachable on the console channel; returns their user id."""
    # An explicit id, as `citizens` writes them: a sequence would not know of those.
    user = User(id=await _next_id(session), locale="vi", created_at=now)
    session.add(user)
    await session.flush()
    session.add_all(
        [
            ChannelIdentity(
                user_id=user.id,
                channel="console",
                external_user_id=f"staff{user.id}",
                chat_id=f"staff{user.id}",
                created_at=now,
                last_seen_at=now,
            ),
            Profile(
                user_id=user.id,
                full_name=name,
                birth_year=1975,
                target_group="officials",
                commune_code=commune,
                consent_at=now,
                notice_version="2026-01",
                registered_at=now,
            ),
            Staff(
                user_id=user.id, role=role, commune_code=commune, unit_id=unit_id, granted_at=now
            ),
        ]
    )
    await session.flush()
    return user.id


async def citizens(
    session: AsyncSession,
    content: Content,
    people: list[Citizen],
    year: int,
    now: datetime,
    evidence_file: str = "/nonexistent/evidence.png",
) -> list[int]:
    """Registered citizens with a submitted (or decided) self-assessment each; returns the
    assessments' ids in the order given."""
    first = await _next_id(session)
    first_assessment = (await session.scalar(select(func.max(Assessment.id))) or 0) + 1
    users: list[dict[str, Any]] = []
    identities: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    assessments: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for n, person in enumerate(people):
        user_id, assessment_id = first + n, first_assessment + n
        group = content.criteria_for(person.group, year)
        chosen = {
            ind.id: (max if person.passed else min)(ind.options, key=lambda o: o.points)
            for ind in group.indicators
            if ind.options
        }
        points = {ind: option.points for ind, option in chosen.items()}
        numbers = {
            ind.id: ind.number_input.bands[-1 if person.passed else 0]
            for ind in group.indicators
            if ind.number_input is not None
        }
        points |= {ind: band.points for ind, band in numbers.items()}
        result = score(group, points, content.units.is_disadvantaged(person.commune))
        submitted = now - timedelta(days=person.days_ago)
        users.append({"id": user_id, "locale": "vi", "created_at": submitted})
        identities.append(
            {
                "user_id": user_id,
                "channel": "console",
                "external_user_id": f"c{user_id}",
                "chat_id": f"c{user_id}",
                "created_at": submitted,
                "last_seen_at": submitted,
            }
        )
        profiles.append(
            {
                "user_id": user_id,
                "full_name": person.name,
                "name_key": normalize(person.name),
                "person_key": person_key(person.name),
                "birth_year": person.birth_year,
                "target_group": person.group,
                "commune_code": person.commune,
                "guardian_consent": False,
                "consent_at": submitted,
                "notice_version": "2026-01",
                "opted_out": False,
                "registered_at": submitted,
                "updated_at": submitted,
            }
        )
        assessments.append(
            {
                "id": assessment_id,
                "user_id": user_id,
                "year": year,
                "criteria_set_id": group.set_id,
                "criteria_set_version": group.set_version,
                "target_group": person.group,
                "status": person.status,
                "total": result.total,
                "threshold": result.threshold,
                "passed": result.passed,
                "created_at": submitted,
                "updated_at": submitted,
                "submitted_at": submitted,
                "reopened": [],
                "submitted_points": points,
                "adjustments": {},
            }
        )
        audits.append(
            {
                "actor_user_id": user_id,
                "action": "assessment.submitted",
                "subject": str(assessment_id),
                "details": {"total": result.total, "passed": result.passed},
                "created_at": submitted,
            }
        )
        for k, ind in enumerate(group.indicators):
            files = (
                [
                    {
                        "ref": evidence_file,
                        "mime": "image/png",
                        "size": 68,
                        "name": f"minh-chung-{j + 1}.png",
                        "kind": "photo",
                        "channel": "console",
                        "at": submitted.isoformat(),
                    }
                    for j in range(person.evidence)
                ]
                if k == 0
                else []
            )
            answers.append(
                {
                    "assessment_id": assessment_id,
                    "indicator_id": ind.id,
                    "option_id": chosen[ind.id].id if ind.id in chosen else None,
                    "raw_value": numbers[ind.id].min if ind.id in numbers else None,
                    "points": points[ind.id],
                    "evidence": files,
                    "answered_at": submitted,
                }
            )
    for table, rows in (
        (User, users),
        (ChannelIdentity, identities),
        (Profile, profiles),
        (Assessment, assessments),
        (Answer, answers),
        (AuditEntry, audits),
    ):
        for start in range(0, len(rows), 2000):
            await session.execute(insert(table), rows[start : start + 2000])
    if session.bind.dialect.name == "postgresql":
        # The ids were given: the sequences go on after them, for rows the console makes.
        for table in ("users", "assessments"):
            await session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
            )
    return [a["id"] for a in assessments]


def many(count: int, *, commune: str = HAI_CHAU) -> list[Citizen]:
    """`count` citizens with varied names, groups, results, evidence and waiting times."""
    groups = ["residents", "workers", "officials", "learners"]
    return [
        Citizen(
            name=f"{NAMES[n % len(NAMES)]} {n}",
            commune=commune,
            group=groups[n % len(groups)],
            passed=n % 3 != 0,
            evidence=n % 4,
            birth_year=1950 + n % 50,
            days_ago=n % 40,
        )
        for n in range(count)
    ]
