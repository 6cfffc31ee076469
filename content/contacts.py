"""The association a person can turn to: per commune, with the province's as the default."""

from collections.abc import Collection
from typing import Annotated

from pydantic import Field

from content.base import LocalText, Sourced
from content.issues import ContentIssue
from content.yaml_source import YamlDoc


class Contact(Sourced):
    name: LocalText
    # Digits, spaces, dots and a leading +; null while the real number is unknown.
    phone: Annotated[str, Field(pattern=r"^\+?[0-9][0-9 .]{5,18}$")] | None = None


class Contacts(Sourced):
    province_code: int  # the file speaks of one province's associations
    province: Contact
    communes: dict[str, Contact] = Field(default_factory=dict)

    def for_commune(self, code: str | None) -> Contact:
        return self.communes.get(code or "", self.province)


def check_contacts(
    doc: YamlDoc, data: Contacts, province_code: int, commune_codes: Collection[str]
) -> list[ContentIssue]:
    if data.province_code != province_code:
        return [doc.issue(("province_code",), f"the contacts are not those of {province_code}")]
    return [
        doc.issue(("communes", code), f"unknown commune code {code}")
        for code in data.communes
        if code not in commune_codes
    ]
