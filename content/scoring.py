"""Score one self-assessment against its group's criteria and pass rules."""

from collections.abc import Mapping
from dataclasses import dataclass

from content.criteria import CriteriaGroup


@dataclass(frozen=True)
class ScoreResult:
    per_indicator: dict[str, int]  # answered indicators only
    total: int
    threshold: int
    passed: bool
    failed_rules: list[str]  # "min_total", "min_indicator", "complete"
    low_indicators: list[str]  # answered below the per-indicator minimum
    missing: list[str]  # not answered yet


def score(group: CriteriaGroup, points: Mapping[str, int], disadvantaged: bool) -> ScoreResult:
    """`points` maps indicator ids to the points of the chosen answers.

    `disadvantaged` is whether the person's commune gets the lower total threshold.
    """
    unknown = set(points) - {indicator.id for indicator in group.indicators}
    if unknown:
        raise ValueError(f"unknown indicators for group {group.id}: {sorted(unknown)}")
    per_indicator: dict[str, int] = {}
    for indicator in group.indicators:
        if indicator.id not in points:
            continue
        value = points[indicator.id]
        if not 0 <= value <= indicator.max_points:
            raise ValueError(f"{indicator.id}: {value} is outside 0..{indicator.max_points}")
        per_indicator[indicator.id] = value

    rules = group.pass_rules
    total = sum(per_indicator.values())
    threshold = rules.min_total.threshold(disadvantaged)
    low = [i for i, value in per_indicator.items() if value < rules.min_indicator.value]
    missing = [i.id for i in group.indicators if i.id not in per_indicator]
    failed = [
        rule
        for rule, broken in (
            ("min_total", total < threshold),
            ("min_indicator", bool(low)),
            ("complete", bool(missing)),
        )
        if broken
    ]
    return ScoreResult(
        per_indicator=per_indicator,
        total=total,
        threshold=threshold,
        passed=not failed,
        failed_rules=failed,
        low_indicators=low,
        missing=missing,
    )
