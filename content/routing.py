"""Who verifies whom: which kinds of unit under a commune verify which target groups.

A citizen's unit verifies them only when its kind verifies their group (a pupil's school, an
official's agency); anyone else goes to their commune's officers. It is data
(`units/routing.yaml`) because associations organise this differently.
"""

from collections.abc import Collection
from typing import Annotated

from pydantic import Field

from content.base import Slug, Sourced
from content.duplicates import duplicates
from content.issues import ContentIssue
from content.yaml_source import YamlDoc


class Routing(Sourced):
    # The kinds of unit an admin may create under a commune.
    kinds: Annotated[list[Slug], Field(min_length=1)]
    # Target group -> the kinds of unit whose officers verify its members.
    verified_by: dict[Slug, list[Slug]]

    def verifies(self, kind: str | None, group: str | None) -> bool:
        return kind is not None and kind in self.verified_by.get(group or "", ())

    def kinds_for(self, group: str | None) -> frozenset[str]:
        return frozenset(self.verified_by.get(group or "", ()))

    def groups_for(self, kind: str) -> frozenset[str]:
        return frozenset(g for g, kinds in self.verified_by.items() if kind in kinds)


def check_routing(doc: YamlDoc, data: Routing, groups: Collection[str]) -> list[ContentIssue]:
    issues = [
        doc.issue(("kinds", i), f"duplicate kind {data.kinds[i]}")
        for i, _ in duplicates(data.kinds)
    ]
    for group, kinds in data.verified_by.items():
        if group not in groups:
            issues.append(doc.issue(("verified_by", group), f"unknown target group {group}"))
        issues += [
            doc.issue(("verified_by", group, i), f"unknown kind {kind} (not in kinds)")
            for i, kind in enumerate(kinds)
            if kind not in data.kinds
        ]
    return issues
