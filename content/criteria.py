"""Criteria sets: competencies, indicators with their answers and points, and pass rules.

A set lives in `criteria/<year>/`: `set.yaml` for what all groups share and one `<group>.yaml`
per target group. Each assessment records the set id and version it was scored against.
"""

import math
from datetime import date
from typing import Annotated

from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveInt,
    field_validator,
    model_validator,
)

from content.base import FrozenModel, LocalText, NonEmptyStr, Slug, Sourced


class LegalBasis(Sourced):
    code: NonEmptyStr
    issued: date | None = None
    title: LocalText


class YearRange(Sourced):
    first: int
    last: int

    def covers(self, year: int) -> bool:
        return self.first <= year <= self.last


class Competency(Sourced):
    id: Annotated[str, Field(pattern=r"^C[1-9][0-9]*$")]
    title: LocalText
    indicator_count: PositiveInt


class Scoring(Sourced):
    indicator_max: PositiveInt
    total_max: PositiveInt


class Threshold(Sourced):
    value: NonNegativeInt


class MinTotalRule(Threshold):
    # A lower bar in communes flagged remote, especially difficult or ethnic-minority areas.
    disadvantaged: Threshold | None = None

    def threshold(self, disadvantaged: bool) -> int:
        if disadvantaged and self.disadvantaged is not None:
            return self.disadvantaged.value
        return self.value


class PassRules(FrozenModel):
    min_total: MinTotalRule
    min_indicator: Threshold


class Option(FrozenModel):
    id: Slug
    label: LocalText
    points: NonNegativeInt


class Band(FrozenModel):
    """Numbers from `min` up to, but not including, `max`; no `max` means no upper bound."""

    min: NonNegativeFloat
    max: float | None = None
    points: NonNegativeInt

    def contains(self, value: float) -> bool:
        return self.min <= value and (self.max is None or value < self.max)


class NumberInput(FrozenModel):
    unit: LocalText
    # Answers run from 0 to this; beyond it is a slip of the finger, asked again.
    max_value: PositiveInt
    bands: Annotated[list[Band], Field(min_length=1)]

    @model_validator(mode="after")
    def _bands_within_range(self) -> "NumberInput":
        if any(band.min > self.max_value for band in self.bands):
            raise ValueError(f"a band starts above max_value {self.max_value}")
        return self

    def points_for(self, value: float) -> int:
        if math.isnan(value) or value < 0:
            raise ValueError(f"expected a number of 0 or more, got {value}")
        for band in self.bands:
            if band.contains(value):
                return band.points
        raise ValueError(f"no band covers {value}")


IndicatorId = Annotated[str, Field(pattern=r"^I[1-9][0-9]*$")]


class FrameworkText(Sourced):
    """The association's own generic wording of an indicator ("chỉ số đánh giá" of the
    framework, the same for every group), verbatim, which each group's question adapts."""

    vi: NonEmptyStr
    en: NonEmptyStr  # our translation


class Indicator(Sourced):
    id: IndicatorId
    competency: NonEmptyStr
    title: LocalText
    question: LocalText
    # Filled from the set's `framework_texts` by the loader: beside the adapted question.
    framework_text: FrameworkText | None = None
    # Exactly one of the two: the loader checks it, with the line to fix.
    options: list[Option] = Field(default_factory=list)
    number_input: NumberInput | None = None
    evidence_hint: LocalText
    resource_tags: Annotated[list[Slug], Field(min_length=1)]

    @property
    def number(self) -> int:
        return int(self.id.removeprefix("I"))

    @property
    def possible_points(self) -> list[int]:
        """Every number of points an answer can give, highest first."""
        given = (
            [band.points for band in self.number_input.bands]
            if self.number_input is not None
            else [option.points for option in self.options]
        )
        return sorted(set(given), reverse=True)

    @property
    def max_points(self) -> int:
        if self.number_input is not None:
            return max(band.points for band in self.number_input.bands)
        return max((option.points for option in self.options), default=0)


GROUP_LABEL_MAX = 40


class GroupSpec(Sourced):
    """One `<group>.yaml` file."""

    id: Slug
    title: LocalText
    # The group as an option to press: short enough for a button's width.
    label: LocalText
    description: LocalText
    minor_possible: bool = False
    indicators: list[Indicator]

    @field_validator("label")
    @classmethod
    def _fits_a_button(cls, label: LocalText) -> LocalText:
        for text in (label.vi, label.en):
            if len(text) > GROUP_LABEL_MAX:
                raise ValueError(f"{text!r} is longer than {GROUP_LABEL_MAX} characters")
        return label


class CriteriaGroup(GroupSpec):
    """A target group's criteria together with what its set says about them."""

    set_id: str
    set_version: str
    competencies: list[Competency]
    pass_rules: PassRules

    def competency(self, competency_id: str) -> Competency:
        for competency in self.competencies:
            if competency.id == competency_id:
                return competency
        raise KeyError(competency_id)

    def indicator(self, indicator_id: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise KeyError(indicator_id)


class _SetFields(Sourced):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    version: NonEmptyStr
    title: LocalText
    legal_basis: list[LegalBasis]
    valid_years: YearRange
    competencies: Annotated[list[Competency], Field(min_length=1)]
    scoring: Scoring
    pass_rules: PassRules
    # Indicator id -> the generic wording all groups adapt.
    framework_texts: dict[IndicatorId, FrameworkText] = Field(default_factory=dict)


class SetSpec(_SetFields):
    """One `set.yaml` file; `groups` lists the group files in the order users see them."""

    groups: Annotated[list[Slug], Field(min_length=1)]


class CriteriaSet(_SetFields):
    groups: dict[str, CriteriaGroup]  # in the order of set.yaml
