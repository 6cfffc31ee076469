"""Date-relative campaign rules (RapidPro-style): a yearly window, an audience, a text.

A rule fires once per person per year, on the first worker tick inside its window that is
outside quiet hours; a person first seen later in the window still gets it."""

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, model_validator

from content.base import FrozenModel, LocalText, Slug, Sourced
from content.duplicates import duplicates
from content.issues import ContentIssue
from content.yaml_source import YamlDoc

# registered: everyone registered; not_submitted: no assessment submitted (or decided) this
# year; no_skills_check: never finished a digital-skills check.
Audience = Literal["registered", "not_submitted", "no_skills_check"]


class MonthDay(FrozenModel):
    month: Annotated[int, Field(ge=1, le=12)]
    day: Annotated[int, Field(ge=1, le=31)]

    @model_validator(mode="after")
    def _real_day(self) -> "MonthDay":
        date(2024, self.month, self.day)  # a leap year: 29 February is allowed
        return self

    def in_year(self, year: int) -> date:
        return date(year, self.month, min(self.day, 28 if self.month == 2 else self.day))


class CampaignRule(FrozenModel):
    id: Slug
    start: MonthDay
    end: MonthDay  # last day of the window, same year
    audience: Audience
    text: LocalText

    def active(self, day: date) -> bool:
        return self.start.in_year(day.year) <= day <= self.end.in_year(day.year)


class Campaigns(Sourced):
    rules: list[CampaignRule]


def check_campaigns(doc: YamlDoc, data: Campaigns) -> list[ContentIssue]:
    issues = [
        doc.issue(("rules", i, "id"), f"duplicate rule id {data.rules[i].id}")
        for i, _ in duplicates(r.id for r in data.rules)
    ]
    issues += [
        doc.issue(("rules", i, "end"), "the window ends before it starts")
        for i, rule in enumerate(data.rules)
        if rule.end.in_year(2024) < rule.start.in_year(2024)
    ]
    return issues
