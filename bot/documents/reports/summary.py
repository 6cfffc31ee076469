"""The summary sheet's figures: per unit and target group, from the grouped counts, with the
plan's ratios against the province's targets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields

from content import Content
from content.targets import PopulationRatio, RatioRule
from storage.models import AssessmentStatus, Unit, UnitPopulation
from storage.repositories.reports import REVOKED, Count, SkillCount

STATES = ("registered", "submitted", "approved", "returned", "rejected", "pending", "revoked")


@dataclass
class Tally:
    registered: int = 0
    submitted: int = 0  # every assessment that reached the association, whatever became of it
    approved: int = 0  # recognised: approved, and the certificate not revoked
    returned: int = 0
    rejected: int = 0
    pending: int = 0  # submitted (or reopened) and still waiting for a decision
    revoked: int = 0  # approved, then the certificate was revoked
    # Of the approved, those whose latest digital-skills check reached the plan's levels.
    skilled: int = 0
    proficient: int = 0
    # The submitted by where they came from, each once: the citizen in chat, a paper form
    # an officer entered, or taken by an officer with the citizen beside them.
    by_chat: int = 0
    by_paper: int = 0
    by_assisted: int = 0

    def add(self, count: Count) -> None:
        if count.status is None:
            self.registered += count.n
            return
        if count.status == AssessmentStatus.DRAFT:
            return
        source = f"by_{count.source or 'chat'}"
        setattr(self, source, getattr(self, source) + count.n)
        if count.status == REVOKED:
            self.submitted += count.n
            self.revoked += count.n
            return
        status = AssessmentStatus(count.status)
        self.submitted += count.n
        if status in (AssessmentStatus.SUBMITTED, AssessmentStatus.REOPENED):
            self.pending += count.n
        else:
            setattr(self, status.value, getattr(self, status.value) + count.n)

    def add_skills(self, count: SkillCount) -> None:
        self.skilled += count.skilled
        self.proficient += count.proficient

    def merge(self, other: Tally) -> None:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def values(self) -> list[int]:
        return [getattr(self, state) for state in STATES]

    @property
    def skilled_share(self) -> float | None:
        return self.skilled / self.approved if self.approved else None

    @property
    def proficient_share(self) -> float | None:
        return self.proficient / self.skilled if self.skilled else None


@dataclass(frozen=True)
class Ratio:
    titled: int  # recognised in the ratio's groups, among the people the figure covers
    population: int  # the figure entered with `unit population`

    @property
    def value(self) -> float | None:
        return self.titled / self.population if self.population else None

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.titled + other.titled, self.population + other.population)


@dataclass
class Place:
    """A row group of the summary: the province, a commune or a unit."""

    code: str
    name: str
    level: int  # 0 the province, 1 a commune, 2 a unit
    groups: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    ratios: dict[PopulationRatio, Ratio | None] = field(default_factory=dict)

    @property
    def total(self) -> Tally:
        total = Tally()
        for tally in self.groups.values():
            total.merge(tally)
        return total


def _titled(place: Place, rule: RatioRule) -> int:
    return sum(place.groups[g].approved for g in rule.groups if g in place.groups)


def _own(place: Place, rule: RatioRule, figures: UnitPopulation | None) -> Ratio | None:
    figure = getattr(figures, rule.population) if figures is not None else None
    return None if figure is None else Ratio(_titled(place, rule), figure)


def _sum(ratios: Iterable[Ratio | None]) -> Ratio | None:
    present = [r for r in ratios if r is not None]
    return sum(present[1:], present[0]) if present else None


def summarise(
    content: Content,
    counts: Sequence[Count],
    skills: Sequence[SkillCount],
    units: Sequence[Unit],
    populations: Mapping[str, UnitPopulation],
    *,
    commune_codes: Sequence[str],
    province: str | None,
) -> list[Place]:
    """The places of the report in order: the province total (when ``province`` names it),
    then each commune (those listed, and any other that citizens gave) followed by its units.

    A unit's ratio divides by its own figure. A commune's divides by its own figure or,
    without one, by its units' figures, counting only the citizens of those units. The
    province adds up its communes' numerators and figures."""
    rules = content.targets.ratios
    by_unit = {unit.id: unit for unit in units}
    unit_places = {unit.id: Place(unit.code, unit.name, 2) for unit in units}
    communes: dict[str | None, Place] = {}
    for code in commune_codes:
        commune = content.units.get(code)
        communes[code] = Place(code, commune.name if commune else "", 1)
    for count in counts:
        commune = communes.setdefault(count.commune_code, Place(count.commune_code or "", "", 1))
        group = count.group or ""
        commune.groups[group].add(count)
        unit = unit_places.get(count.unit_id) if count.unit_id is not None else None
        if unit is not None:
            unit.groups[group].add(count)
    for skill in skills:
        communes[skill.commune_code].groups[skill.group].add_skills(skill)
        if skill.unit_id in unit_places:
            unit_places[skill.unit_id].groups[skill.group].add_skills(skill)
    units_of: dict[str | None, list[Place]] = defaultdict(list)
    for unit_id, place in unit_places.items():
        units_of[by_unit[unit_id].commune_code].append(place)
        for ratio, rule in rules.items():
            place.ratios[ratio] = _own(place, rule, populations.get(place.code))
    for code, place in communes.items():
        for ratio, rule in rules.items():
            own = _own(place, rule, populations.get(code or ""))
            place.ratios[ratio] = own or _sum(u.ratios[ratio] for u in units_of[code])
    places: list[Place] = []
    if province is not None:
        total = Place("", province, 0)
        for place in communes.values():
            for group, tally in place.groups.items():
                total.groups[group].merge(tally)
        for ratio in rules:
            total.ratios[ratio] = _sum(c.ratios[ratio] for c in communes.values())
        places.append(total)
    for code in sorted(communes, key=lambda code: (code is None, code or "")):
        places += [communes[code], *units_of[code]]
    return places
