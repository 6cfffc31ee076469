"""An assessment's points as the association counts them: the citizen's own, the officers'
adjustments over them, and the result under the pass rules. Channel-neutral: the flows and
the actions (handlers/actions/) share it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from content import Content, CriteriaGroup
from content.scoring import ScoreResult, score
from handlers.i18n import Translator
from storage.models import Assessment, Profile


def own_points(assessment: Assessment) -> dict[str, int]:
    """The points of the citizen's own answers."""
    return {a.indicator_id: a.points for a in assessment.answers}


def points_of(
    assessment: Assessment, adjustments: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, int]:
    """The points that count: the citizen's own, with the association's adjustments over
    them (those made at approval, or `adjustments` an officer is considering)."""
    adjusted = assessment.adjustments if adjustments is None else adjustments
    return own_points(assessment) | {i: int(adj["points"]) for i, adj in adjusted.items()}


def result_of(
    content: Content,
    assessment: Assessment,
    citizen: Profile,
    adjustments: Mapping[str, Mapping[str, Any]] | None = None,
) -> ScoreResult:
    """The result under the pass rules of the citizen's commune."""
    return result_for(
        content,
        content.criteria_for(assessment.target_group, assessment.year),
        citizen.commune_code,
        points_of(assessment, adjustments),
    )


def result_for(
    content: Content, group: CriteriaGroup, commune_code: str | None, points: Mapping[str, int]
) -> ScoreResult:
    """These points' result under the pass rules of this commune."""
    return score(group, points, content.units.is_disadvantaged(commune_code or ""))


def adjustment_lines(
    t: Translator,
    group: CriteriaGroup,
    assessment: Assessment,
    adjustments: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[str]:
    """Each adjusted indicator, in order: the citizen's points, the association's, why."""
    adjusted = assessment.adjustments if adjustments is None else adjustments
    own = own_points(assessment)
    return [
        t._("- chỉ số {n}: {own} → {points} điểm ({reason})").format(
            n=indicator.number,
            own=own.get(indicator.id, "?"),
            points=adjusted[indicator.id]["points"],
            reason=adjusted[indicator.id]["reason"],
        )
        for indicator in group.indicators
        if indicator.id in adjusted
    ]
