"""A province's plan targets for the programme, to report results against."""

from typing import Annotated

from pydantic import Field

from content.base import FrozenModel, LocalText, NonEmptyStr, Sourced
from content.issues import ContentIssue
from content.official_units import province_name
from content.text import normalize
from content.yaml_source import YamlDoc

Percent = Annotated[int, Field(ge=0, le=100)]


class TargetRatios(FrozenModel):
    adults_in_learning_communities_titled: Percent
    staff_in_learning_units_titled: Percent
    titled_with_digital_skills: Percent
    digital_proficient: Percent  # share of those with digital skills


class ProvinceTargets(Sourced):
    name: NonEmptyStr  # the official name too, so that a mistyped code cannot go unnoticed
    note: LocalText | None = None
    years: dict[int, TargetRatios]


class Targets(FrozenModel):
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
