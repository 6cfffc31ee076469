"""What a criteria set must keep beyond its schema: counts, order, points, distinct labels.

Every issue points at the key to fix, so an association editing the YAML sees where to look.
"""

from collections import Counter
from collections.abc import Collection, Sequence

from content.criteria import Band, GroupSpec, Indicator, NumberInput, Option, SetSpec
from content.duplicates import duplicates
from content.issues import ContentIssue
from content.text import normalize
from content.yaml_source import KeyPath, YamlDoc


def check_set(doc: YamlDoc, spec: SetSpec) -> list[ContentIssue]:
    issues = [
        doc.issue(("competencies", i, "id"), f"duplicate id {spec.competencies[i].id}")
        for i, _ in duplicates(c.id for c in spec.competencies)
    ]
    issues += [
        doc.issue(("groups", i), f"duplicate group {spec.groups[i]}")
        for i, _ in duplicates(spec.groups)
    ]
    count = sum(c.indicator_count for c in spec.competencies)
    issues += [
        doc.issue(("framework_texts", key), f"no indicator {key} in a set of {count}")
        for key in spec.framework_texts
        if int(key.removeprefix("I")) > count
    ]
    scoring, rules = spec.scoring, spec.pass_rules
    reachable = sum(c.indicator_count for c in spec.competencies) * scoring.indicator_max
    if reachable != scoring.total_max:
        issues.append(
            doc.issue(
                ("scoring", "total_max"),
                f"{scoring.total_max}, but the indicators add up to {reachable}",
            )
        )
    if rules.min_total.value > scoring.total_max:
        issues.append(
            doc.issue(
                ("pass_rules", "min_total", "value"),
                f"{rules.min_total.value} > total_max {scoring.total_max}",
            )
        )
    lower = rules.min_total.disadvantaged
    if lower is not None and lower.value > rules.min_total.value:
        issues.append(
            doc.issue(
                ("pass_rules", "min_total", "disadvantaged", "value"),
                f"{lower.value} > min_total {rules.min_total.value}",
            )
        )
    if rules.min_indicator.value > scoring.indicator_max:
        issues.append(
            doc.issue(
                ("pass_rules", "min_indicator", "value"),
                f"{rules.min_indicator.value} > indicator_max {scoring.indicator_max}",
            )
        )
    if spec.valid_years.last < spec.valid_years.first:
        issues.append(doc.issue(("valid_years", "last"), f"{spec.valid_years.last} < first year"))
    return issues


def check_years_apart(sets: list[tuple[YamlDoc, SetSpec]]) -> list[ContentIssue]:
    """A year must resolve to one set, so no two sets may cover the same year."""
    issues = []
    for i, (doc, spec) in enumerate(sets):
        for _, other in sets[:i]:
            a, b = spec.valid_years, other.valid_years
            if a.first <= b.last and b.first <= a.last:
                issues.append(doc.issue(("valid_years",), f"overlaps the years of set {other.id}"))
    return issues


def check_group(
    doc: YamlDoc, group: GroupSpec, spec: SetSpec, file_stem: str, tags: Collection[str] | None
) -> list[ContentIssue]:
    """`tags` are the resource tags that some resource carries; None skips that check."""
    issues = []
    if group.id != file_stem:
        issues.append(doc.issue(("id",), f"{group.id} does not match the file name"))
    issues += _check_layout(doc, group, spec)
    indicator_max = spec.scoring.indicator_max
    for i, indicator in enumerate(group.indicators):
        at = ("indicators", i)
        issues += _check_answers(doc, at, indicator, indicator_max)
        if indicator.framework_text is not None:
            issues.append(
                doc.issue((*at, "framework_text"), "the generic wording lives in set.yaml")
            )
        issues += _check_evidence_hint(doc, at, indicator)
        issues += [
            doc.issue((*at, "resource_tags", j), f"unknown resource tag {tag}: no resource has it")
            for j, tag in enumerate(indicator.resource_tags)
            if tags is not None and tag not in tags
        ]
    return issues


# What an officer cannot see: a hint must name something that can be shown or photographed.
_UNSEEN = ("tu khai", "tu danh gia", "tu nhan xet")


def _check_evidence_hint(
    doc: YamlDoc, at: tuple[str | int, ...], indicator: Indicator
) -> list[ContentIssue]:
    said = normalize(indicator.evidence_hint.vi)
    return [
        doc.issue((*at, "evidence_hint", "vi"), f"not evidence one can photograph: {unseen!r}")
        for unseen in _UNSEEN
        if unseen in said
    ]


def _check_layout(doc: YamlDoc, group: GroupSpec, spec: SetSpec) -> list[ContentIssue]:
    """Indicators I1..In, competency by competency, as many per competency as the set says."""
    indicators = group.indicators
    order = [c.id for c in spec.competencies]
    expected = {c.id: c.indicator_count for c in spec.competencies}
    issues = []
    total = sum(expected.values())
    if len(indicators) != total:
        issues.append(
            doc.issue(
                ("indicators",),
                f"needs {total} indicators (set {spec.id}), found {len(indicators)}",
            )
        )
    counts = Counter(indicator.competency for indicator in indicators)
    issues += [
        doc.issue(("indicators",), f"{cid} needs {expected[cid]} indicators, found {counts[cid]}")
        for cid in order
        if counts[cid] != expected[cid]
    ]
    rank = 0
    for i, indicator in enumerate(indicators):
        if indicator.competency not in expected:
            issues.append(
                doc.issue(
                    ("indicators", i, "competency"), f"unknown competency {indicator.competency}"
                )
            )
        elif order.index(indicator.competency) < rank:
            issues.append(
                doc.issue(
                    ("indicators", i, "competency"),
                    f"{indicator.competency} after {order[rank]}: keep indicators in "
                    "competency order",
                )
            )
        else:
            rank = order.index(indicator.competency)
    repeated = list(duplicates(indicator.id for indicator in indicators))
    issues += [
        doc.issue(
            ("indicators", i, "id"),
            f"duplicate id {indicators[i].id} (first at line "
            f"{doc.line_of(('indicators', first, 'id'))})",
        )
        for i, first in repeated
    ]
    if not repeated:
        issues += [
            doc.issue(("indicators", i, "id"), f"expected I{i + 1}, found {indicator.id}")
            for i, indicator in enumerate(indicators)
            if indicator.id != f"I{i + 1}"
        ]
    return issues


def _check_answers(
    doc: YamlDoc, at: KeyPath, indicator: Indicator, indicator_max: int
) -> list[ContentIssue]:
    issues = []
    if indicator.options and indicator.number_input is not None:
        issues.append(doc.issue((*at, "options"), "give options or number_input, not both"))
    if indicator.options:
        answers_at: KeyPath = (*at, "options")
        issues += _check_options(doc, answers_at, indicator)
        answers: Sequence[Option | Band] = indicator.options
    elif indicator.number_input is not None:
        answers_at = (*at, "number_input", "bands")
        issues += _check_bands(doc, answers_at, indicator.number_input)
        answers = indicator.number_input.bands
    else:
        return [doc.issue(at, "needs options or number_input")]
    issues += [
        doc.issue((*answers_at, i, "points"), f"{answer.points} > max {indicator_max}")
        for i, answer in enumerate(answers)
        if answer.points > indicator_max
    ]
    if indicator.max_points < indicator_max:
        issues.append(
            doc.issue(
                answers_at,
                f"the best answer gives {indicator.max_points} points, not max {indicator_max}",
            )
        )
    return issues


def _check_options(doc: YamlDoc, at: KeyPath, indicator: Indicator) -> list[ContentIssue]:
    options = indicator.options
    issues = []
    if len(options) < 2:
        issues.append(doc.issue(at, "needs at least 2 options"))
    issues += [
        doc.issue((*at, i, "id"), f"duplicate id {options[i].id}")
        for i, _ in duplicates(o.id for o in options)
    ]
    # A user typing "thuong xuyen" must hit exactly one option.
    for locale in ("vi", "en"):
        issues += [
            doc.issue(
                (*at, i, "label", locale),
                f"{options[i].label.get(locale)!r} is the same as options[{first}] "
                "once accents and case are ignored",
            )
            for i, first in duplicates(normalize(o.label.get(locale)) for o in options)
        ]
    return issues


def _check_bands(doc: YamlDoc, at: KeyPath, number_input: NumberInput) -> list[ContentIssue]:
    """The bands must cover every number from 0 up, each number in exactly one band."""
    bands = number_input.bands
    issues = []
    if bands[0].min != 0:
        issues.append(
            doc.issue((*at, 0, "min"), f"the first band must start at 0, not {bands[0].min:g}")
        )
    for i, band in enumerate(bands):
        last = i == len(bands) - 1
        if band.max is None and not last:
            issues.append(doc.issue((*at, i), "only the last band may have no max"))
        elif band.max is not None and last:
            issues.append(
                doc.issue(
                    (*at, i, "max"),
                    f"the last band must have no max, so numbers from {band.max:g} up score too",
                )
            )
        elif band.max is not None and band.max <= band.min:
            issues.append(
                doc.issue((*at, i, "max"), f"{band.max:g} must be above min {band.min:g}")
            )
        previous_max = bands[i - 1].max if i else None
        if previous_max is not None and band.min > previous_max:
            issues.append(
                doc.issue((*at, i, "min"), f"gap: no band covers {previous_max:g} to {band.min:g}")
            )
        elif previous_max is not None and band.min < previous_max:
            issues.append(
                doc.issue((*at, i, "min"), f"overlap: the band before goes up to {previous_max:g}")
            )
    return issues
