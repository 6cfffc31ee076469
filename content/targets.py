"""A province's plan targets for the programme, and how the annual report measures them."""

from typing import Annotated, Literal

from pydantic import Field

from content.base import FrozenModel, LocalText, NonEmptyStr, Slug, Sourced
from content.issues import ContentIssue
from content.official_units import province_name
from content.text import normalize
from content.yaml_source import YamlDoc

Percent = Annotated[int, Field(ge=0, le=100)]
# The ratios that divide by a population figure; the digital-skills ones divide by the
# recognised citizens by their latest digital-skills check and need no rule.
PopulationRatio = Literal["adults_in_learning_communities_titled", "staff_in_learning_units_titled"]


class TargetRatios(Sourced):
    """The targets to reach by a milestone year; ``status`` draft while a figure is unsure."""

    adults_in_learning_communities_titled: Percent
    staff_in_learning_units_titled: Percent
    titled_with_digital_skills: Percent
    digital_proficient: Percent  # share of those with digital skills


class RatioRule(Sourced):
    """Citizens recognised in these target groups, over this population figure of a unit."""

    groups: list[Slug]
    population: Literal["adults", "staff"]
    note: LocalText


class DayOfYear(FrozenModel):
    month: Annotated[int, Field(ge=1, le=12)]
    day: Annotated[int, Field(ge=1, le=31)]


class ProvinceTargets(Sourced):
    name: NonEmptyStr  # the official name too, so that a mistyped code cannot go unnoticed
    note: LocalText | None = None
    report_due: DayOfYear | None = None  # each year's report reaches the province by then
    years: dict[int, TargetRatios]

    def milestone(self, year: int) -> tuple[int, TargetRatios] | None:
        """The target a year works toward: the first milestone in or after it (2021-2025
        report against the 2025 targets, 2026-2030 against the 2030 ones)."""
        ahead = sorted(y for y in self.years if y >= year)
        return (ahead[0], self.years[ahead[0]]) if ahead else None


class Targets(FrozenModel):
    ratios: dict[PopulationRatio, RatioRule]
    provinces: dict[int, ProvinceTargets]


def check_targets(doc: YamlDoc, data: Targets) -> list[ContentIssue]:
    issues = []
    for code, targets in data.provinces.items():
        official = province_name(code)
        if official is None:
            issues.append(doc.issue(("provinces", code), f"unknown province code {code}"))
        elif normalize(targets.name) != normalize(official):
            issues.append(doc.issue(("provinces", code, "name"), f"province {code} is {official}"))
    return issues


def check_ratio_groups(doc: YamlDoc, data: Targets, known: set[str]) -> list[ContentIssue]:
    return [
        doc.issue(("ratios", ratio, "groups", n), f"unknown target group {group!r}")
        for ratio, rule in data.ratios.items()
        for n, group in enumerate(rule.groups)
        if group not in known
    ]
