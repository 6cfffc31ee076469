"""The digital-skills check: areas of practical questions, one answer scale, and the rules
that turn answers into a level per area and overall.

Levels are ordered, lowest first (Đà Nẵng's five: bắt đầu < cơ bản < khá < cao < nâng
cao). An area reaches a level when its points reach that level's share of the area's
maximum; the overall level is the lowest area level, because the plan's "has digital
skills" means being able to get by in every area, not excelling in one. Which overall
level counts as the plan's "has digital skills" and "proficient" is stated in the data
(`plan`), and the annual report says so.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from content.base import FrozenModel, LocalText, NonEmptyStr, Slug, Sourced
from content.duplicates import duplicates
from content.issues import ContentIssue
from content.yaml_source import YamlDoc


class ScalePoint(FrozenModel):
    points: Annotated[int, Field(ge=0)]
    label: LocalText


class Question(FrozenModel):
    id: Slug
    text: LocalText


class Area(FrozenModel):
    id: Slug
    title: LocalText
    # Resources to suggest when this area is below the target level.
    resource_tags: Annotated[list[Slug], Field(min_length=1)]
    questions: Annotated[list[Question], Field(min_length=1)]


class Level(FrozenModel):
    id: Slug
    title: LocalText
    # Share of an area's maximum points that reaches this level.
    min_share: Annotated[float, Field(ge=0, le=1)]


class PlanMapping(FrozenModel):
    """Which overall level the plan's two digital-skills figures count."""

    has_digital_skills: Slug
    proficient: Slug


class DigitalSkills(Sourced):
    version: Slug
    title: LocalText
    intro: LocalText
    scale: Annotated[list[ScalePoint], Field(min_length=2)]
    # Lowest first; the first level has min_share 0 (everyone reaches it).
    levels: Annotated[list[Level], Field(min_length=2)]
    levels_source: NonEmptyStr  # whose levels these are
    target_level: Slug  # areas below it get learning suggestions
    plan: PlanMapping
    areas: Annotated[list[Area], Field(min_length=1)]

    @property
    def max_points(self) -> int:
        return max(p.points for p in self.scale)

    def questions(self) -> list[tuple[Area, Question]]:
        return [(area, q) for area in self.areas for q in area.questions]

    def level(self, level_id: str) -> Level:
        return next(level for level in self.levels if level.id == level_id)

    def rank(self, level_id: str) -> int:
        return [level.id for level in self.levels].index(level_id)

    def at_or_above(self, level_id: str) -> list[str]:
        """The ids of this level and those above it."""
        return [level.id for level in self.levels][self.rank(level_id) :]

    def result(self, answers: Mapping[str, int]) -> "SkillsResult":
        """Levels from the points answered per question id; unanswered counts as 0."""
        areas = {}
        for area in self.areas:
            got = sum(answers.get(q.id, 0) for q in area.questions)
            share = got / (self.max_points * len(area.questions))
            reached = [level.id for level in self.levels if share >= level.min_share]
            areas[area.id] = reached[-1]
        overall = min(areas.values(), key=self.rank)
        return SkillsResult(areas, overall)


@dataclass(frozen=True)
class SkillsResult:
    areas: dict[str, str]  # area id -> level id
    overall: str


def check_digital_skills(
    doc: YamlDoc, data: DigitalSkills, tags: Collection[str] | None
) -> list[ContentIssue]:
    issues = [
        doc.issue(("areas", i, "id"), f"duplicate area id {data.areas[i].id}")
        for i, _ in duplicates(a.id for a in data.areas)
    ]
    where = [(i, j) for i, area in enumerate(data.areas) for j, _ in enumerate(area.questions)]
    issues += [
        doc.issue(("areas", where[k][0], "questions", where[k][1], "id"), "duplicate question id")
        for k, _ in duplicates(q.id for _, q in data.questions())
    ]
    issues += [
        doc.issue(("scale", i, "points"), f"duplicate points {data.scale[i].points}")
        for i, _ in duplicates(p.points for p in data.scale)
    ]
    shares = [level.min_share for level in data.levels]
    if shares[0] != 0 or shares != sorted(set(shares)):
        issues.append(
            doc.issue(("levels",), "min_share must start at 0 and rise strictly, lowest first")
        )
    known = {level.id for level in data.levels}
    for path, level_id in (
        (("target_level",), data.target_level),
        (("plan", "has_digital_skills"), data.plan.has_digital_skills),
        (("plan", "proficient"), data.plan.proficient),
    ):
        if level_id not in known:
            issues.append(doc.issue(path, f"unknown level {level_id}"))
    # The report's proficient share divides by those with skills: they must be a subset.
    ranks = {level.id: n for n, level in enumerate(data.levels)}
    skilled, proficient = ranks.get(data.plan.has_digital_skills), ranks.get(data.plan.proficient)
    if skilled is not None and proficient is not None and proficient <= skilled:
        issues.append(
            doc.issue(("plan", "proficient"), "must be a higher level than has_digital_skills")
        )
    if tags is not None:
        for i, area in enumerate(data.areas):
            for j, tag in enumerate(area.resource_tags):
                if tag not in tags:
                    issues.append(
                        doc.issue(("areas", i, "resource_tags", j), f"no resource has tag {tag}")
                    )
    return issues
