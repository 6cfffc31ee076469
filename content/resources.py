"""Learning resources the bot recommends where an indicator scored low."""

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


class ResourcesFile(FrozenModel):
    resources: list[Resource]


def check_resources(doc: YamlDoc, data: ResourcesFile) -> list[ContentIssue]:
    return [
        doc.issue(("resources", i, "id"), f"duplicate id {data.resources[i].id}")
        for i, _ in duplicates(r.id for r in data.resources)
    ]


def rank_resources(
    resources: list[Resource], tags: Iterable[str], locale: str, limit: int
) -> list[Resource]:
    """Resources sharing a tag: most shared tags first, then the user's language, then easiest."""
    wanted = set(tags)
    language = "en" if locale.lower().startswith("en") else "vi"
    shared = [(len(wanted & set(r.tags)), r) for r in resources]
    ranked = sorted(
        ((count, r) for count, r in shared if count),
        key=lambda pair: (-pair[0], pair[1].language != language, _LEVEL_ORDER[pair[1].level]),
    )
    return [r for _, r in ranked[:limit]]


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
) -> list[tuple[Need, Resource]]:
    """One resource per need, weakest need first (the caller's order), none twice and none
    in ``exclude`` (already suggested), at most ``limit``."""
    taken = set(exclude)
    chosen: list[tuple[Need, Resource]] = []
    for need in needs:
        if len(chosen) >= limit:
            break
        ranked = rank_resources(resources, need.tags, locale, len(resources))
        best = next((r for r in ranked if r.id not in taken), None)
        if best is not None:
            chosen.append((need, best))
            taken.add(best.id)
    return chosen
