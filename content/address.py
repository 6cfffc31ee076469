"""How the bot addresses a person in Vietnamese: the form (ông/bà, anh/chị, em) chosen from
their age and group, as Vietnamese address one another.

Vietnamese texts (interface messages and content alike) write the person as `PLACEHOLDER`
("Anh/Chị", in any case); the person's form replaces it when the text is shown
(`handlers.i18n.addressed`), capitalised at the start of a sentence only."""

from typing import Annotated

from pydantic import Field

from content.base import FrozenModel, NonEmptyStr, Slug, Sourced
from content.issues import ContentIssue
from content.yaml_source import YamlDoc

PLACEHOLDER = "anh/chị"

Age = Annotated[int, Field(ge=0, le=130)]


class Band(FrozenModel):
    """People of these ages (in years reached this calendar year), and of these groups if
    named, are addressed with `form`."""

    form: Slug
    min_age: Age | None = None
    max_age: Age | None = None
    groups: list[Slug] | None = None

    def fits(self, age: int, group: str | None) -> bool:
        return (
            (self.min_age is None or age >= self.min_age)
            and (self.max_age is None or age <= self.max_age)
            and (self.groups is None or group in self.groups)
        )


class Address(Sourced):
    # Form id -> the words, lower-case as written mid-sentence ("ông/bà").
    forms: dict[Slug, NonEmptyStr]
    # Before the birth year is known.
    neutral: Slug
    # The first band that fits decides; the last must fit everyone left.
    bands: Annotated[list[Band], Field(min_length=1)]

    def form_for(self, birth_year: int | None, group: str | None, year: int) -> str:
        """The words for a person born in `birth_year`, of `group`, in `year`."""
        return self.forms[self.form_id(birth_year, group, year)]

    def form_id(self, birth_year: int | None, group: str | None, year: int) -> str:
        if birth_year is None:
            return self.neutral
        age = year - birth_year
        return next((b for b in self.bands if b.fits(age, group)), self.bands[-1]).form


def check_address(doc: YamlDoc, data: Address, groups: set[str]) -> list[ContentIssue]:
    issues = [
        doc.issue(("bands", i, "form"), f"unknown form {band.form}")
        for i, band in enumerate(data.bands)
        if band.form not in data.forms
    ]
    issues += [
        doc.issue(("bands", i, "groups"), f"unknown group {group}")
        for i, band in enumerate(data.bands)
        for group in band.groups or ()
        if group not in groups
    ]
    if data.neutral not in data.forms:
        issues.append(doc.issue(("neutral",), f"unknown form {data.neutral}"))
    last = data.bands[-1]
    if last.min_age is not None or last.max_age is not None or last.groups is not None:
        issues.append(doc.issue(("bands", len(data.bands) - 1), "the last band must fit anyone"))
    issues += [
        doc.issue(("forms", form_id), "a form is written in lower case")
        for form_id, words in data.forms.items()
        if words != words.lower()
    ]
    return issues
