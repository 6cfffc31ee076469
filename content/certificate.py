"""The certificate's wording: Vietnamese texts with placeholders, checked at load time so that
a typo in a placeholder is a content error, not a failure when a certificate is sent."""

from collections.abc import Collection, Iterator
from string import Formatter
from typing import Annotated

from pydantic import Field

from content.base import NonEmptyStr, Slug, Sourced
from content.issues import ContentIssue
from content.yaml_source import KeyPath, YamlDoc

PLACEHOLDERS = frozenset(
    {
        "issuer",
        "number",
        "code",
        "name",
        "title",
        "birth_year",
        "commune",
        "place_commune",
        "province",
        "group",
        "year",
        "total",
        "max_total",
        "day",
        "month",
        "issued_year",
        "url",
    }
)
# Lines the holder's target group changes: each replaces `details` for that group.
DetailsByGroup = dict[Slug, list[NonEmptyStr]]


class CertificateWording(Sourced):
    document_title: NonEmptyStr
    file_name: Annotated[str, Field(pattern=r"^[a-z0-9_{}-]+\.pdf$")]
    nation: NonEmptyStr
    motto: NonEmptyStr
    number: NonEmptyStr
    title: NonEmptyStr
    subtitle: NonEmptyStr
    certifies: NonEmptyStr
    holder: NonEmptyStr
    # {title} by the holder's form of address (content/address.yaml): a formal document says
    # "Ông/Bà" to every adult, "Em" to a pupil.
    titles: dict[Slug, NonEmptyStr]
    details: list[NonEmptyStr]
    # Workers and pupils are certified where they work or study, not where they live.
    details_by_group: DetailsByGroup = Field(default_factory=dict)
    achievement: NonEmptyStr
    dated: NonEmptyStr
    signer: NonEmptyStr
    verify: NonEmptyStr
    code: NonEmptyStr
    footnote: NonEmptyStr

    def details_for(self, group: str) -> list[str]:
        return self.details_by_group.get(group, self.details)

    def texts(self) -> Iterator[tuple[KeyPath, str]]:
        for name, value in self:
            if name in ("status", "source"):
                continue
            if name == "titles":
                yield from (((name, form), title) for form, title in value.items())
            elif isinstance(value, dict):
                yield from (
                    ((name, group, i), line)
                    for group, lines in value.items()
                    for i, line in enumerate(lines)
                )
            elif isinstance(value, list):
                yield from (((name, i), line) for i, line in enumerate(value))
            else:
                yield (name,), value


def placeholders(text: str) -> set[str]:
    """The names in braces; ValueError for unbalanced braces."""
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def check_certificate(
    doc: YamlDoc, data: CertificateWording, groups: set[str], forms: Collection[str]
) -> list[ContentIssue]:
    """`forms`: the forms of address, each of which needs a title."""
    issues = [
        doc.issue(("details_by_group", group), f"unknown target group {group!r}")
        for group in data.details_by_group
        if group not in groups
    ]
    issues += [
        doc.issue(("titles",), f"no title for the form of address {form}")
        for form in forms
        if form not in data.titles
    ]
    for path, text in data.texts():
        try:
            unknown = placeholders(text) - PLACEHOLDERS
        except ValueError as error:
            issues.append(doc.issue(path, f"braces: {error}"))
            continue
        if unknown:
            names = ", ".join("{" + n + "}" for n in sorted(unknown))
            issues.append(doc.issue(path, f"unknown placeholder {names}"))
    return issues
