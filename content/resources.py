"""Learning resources the bot recommends where an indicator or a skills area scored low:
those made for that indicator or area first, then those sharing its tags; only those fit
for the person's group and age."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from content.base import FrozenModel, LocalText, NonEmptyStr, Slug
from content.duplicates import duplicates
from content.issues import ContentIssue
from content.yaml_source import YamlDoc

Level = Literal["basic", "intermediate", "advanced"]
_LEVEL_ORDER: dict[str, int] = {"basic": 0, "intermediate": 1, "advanced": 2}


class Resource(FrozenModel):
    id: Slug
    title: LocalText
    url: Annotated[str, Field(pattern=r"^https://\S+$")]
    url_checked: bool  # false until someone has opened the link and seen the right page
    provider: NonEmptyStr
    language: Literal["vi", "en"]
    level: Level
    tags: Annotated[list[Slug], Field(min_length=1)]
    # What it teaches directly: indicator ids (I1…, the association's generic indicators,
    # which every group's question of that id adapts) and digital-skills area ids.
    helps: list[Annotated[str, Field(pattern=r"^(I[1-9][0-9]*|[a-z][a-z0-9_]*)$")]] = Field(
        default_factory=list
    )
    # Whom it suits: target groups (none named: every group) and ages (in years this year).
    groups: list[Slug] | None = None
    min_age: Annotated[int, Field(ge=0)] | None = None
    max_age: Annotated[int, Field(ge=0)] | None = None

    def fits(self, group: str | None, age: int | None) -> bool:
        """Whether it suits a person of `group` and `age` (None: not known, not excluded)."""
        if group is not None and self.groups is not None and group not in self.groups:
            return False
        if age is None:
            return True
        return (self.min_age is None or age >= self.min_age) and (
            self.max_age is None or age <= self.max_age
        )


class ResourcesFile(FrozenModel):
    resources: list[Resource]


def check_resources(doc: YamlDoc, data: ResourcesFile) -> list[ContentIssue]:
    return [
        doc.issue(("resources", i, "id"), f"duplicate id {data.resources[i].id}")
        for i, _ in duplicates(r.id for r in data.resources)
    ]


def check_audiences(
    doc: YamlDoc, data: ResourcesFile, groups: Collection[str], needs: Collection[str]
) -> list[ContentIssue]:
    """Groups a resource names and what it helps must exist (`needs`: indicator and area ids)."""
    issues = []
    for i, r in enumerate(data.resources):
        issues += [
            doc.issue(("resources", i, "groups", j), f"unknown group {g}")
            for j, g in enumerate(r.groups or ())
            if g not in groups
        ]
        issues += [
            doc.issue(("resources", i, "helps", j), f"no indicator or skills area {h}")
            for j, h in enumerate(r.helps)
            if h not in needs
        ]
        if r.min_age is not None and r.max_age is not None and r.min_age > r.max_age:
            issues.append(doc.issue(("resources", i, "max_age"), "below min_age"))
    return issues


def rank_resources(
    resources: list[Resource],
    tags: Iterable[str],
    locale: str,
    limit: int,
    helps: str | None = None,
) -> list[Resource]:
    """Resources made for `helps` (an indicator or area id) or sharing a tag: those made for
    it first, then most shared tags, then the user's language, then easiest."""
    wanted = set(tags)
    language = "en" if locale.lower().startswith("en") else "vi"
    scored = [(helps in r.helps, len(wanted & set(r.tags)), r) for r in resources]
    ranked = sorted(
        ((made, count, r) for made, count, r in scored if made or count),
        key=lambda t: (not t[0], -t[1], t[2].language != language, _LEVEL_ORDER[t[2].level]),
    )
    return [r for _, _, r in ranked[:limit]]


@dataclass(frozen=True)
class Need:
    """Something to learn: a weak indicator or skills area, and the tags of its resources."""

    kind: Literal["indicator", "area"]
    id: str
    tags: tuple[str, ...]


def recommend(
    needs: Iterable[Need],
    resources: list[Resource],
    locale: str,
    exclude: Collection[str],
    limit: int,
    group: str | None = None,
    age: int | None = None,
) -> list[tuple[Need, Resource]]:
    """One resource per need, weakest need first (the caller's order), none twice and none
    in ``exclude`` (already suggested), at most ``limit``; only those that suit a person of
    `group` and `age`."""
    taken = set(exclude)
    chosen: list[tuple[Need, Resource]] = []
    suitable = [r for r in resources if r.fits(group, age)]
    for need in needs:
        if len(chosen) >= limit:
            break
        ranked = rank_resources(suitable, need.tags, locale, len(suitable), helps=need.id)
        best = next((r for r in ranked if r.id not in taken), None)
        if best is not None:
            chosen.append((need, best))
            taken.add(best.id)
    return chosen
