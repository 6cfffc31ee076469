"""Communes where the lower pass threshold applies: remote, especially difficult, ethnic-minority.

Which communes count is a government list, so it is data (`units/disadvantaged.yaml`).
"""

from typing import Annotated, Literal

from pydantic import Field

from content.base import FrozenModel, NonEmptyStr, Sourced
from content.duplicates import duplicates
from content.issues import ContentIssue
from content.official_units import commune_names, province_name
from content.text import normalize
from content.yaml_source import YamlDoc

Flag = Literal["remote", "especially_difficult", "ethnic_minority_area"]


class FlaggedCommune(FrozenModel):
    code: Annotated[str, Field(pattern=r"^[0-9]{5}$")]
    name: NonEmptyStr  # the official name too, so that a mistyped code cannot go unnoticed
    flags: Annotated[list[Flag], Field(min_length=1)]


class ProvinceCommunes(FrozenModel):
    communes: list[FlaggedCommune]


class DisadvantagedFile(Sourced):
    provinces: dict[int, ProvinceCommunes]

    def flags_for(self, province_code: int) -> dict[str, frozenset[str]]:
        province = self.provinces.get(province_code)
        if province is None:
            return {}
        return {c.code: frozenset(c.flags) for c in province.communes}


def check_disadvantaged(doc: YamlDoc, data: DisadvantagedFile) -> list[ContentIssue]:
    issues = []
    for province_code, province in data.provinces.items():
        at = ("provinces", province_code)
        official_province = province_name(province_code)
        if official_province is None:
            issues.append(doc.issue(at, f"unknown province code {province_code}"))
            continue
        names = commune_names(province_code)
        communes = province.communes
        issues += [
            doc.issue((*at, "communes", i, "code"), f"duplicate commune {communes[i].code}")
            for i, _ in duplicates(c.code for c in communes)
        ]
        for i, commune in enumerate(communes):
            official = names.get(commune.code)
            if official is None:
                issues.append(
                    doc.issue(
                        (*at, "communes", i, "code"),
                        f"{commune.code} is not a commune of {official_province}",
                    )
                )
            elif normalize(commune.name) != normalize(official):
                issues.append(
                    doc.issue(
                        (*at, "communes", i, "name"),
                        f"commune {commune.code} is {official}, not {commune.name}",
                    )
                )
    return issues
