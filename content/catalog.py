"""All content, loaded and checked, as the handlers use it."""

from collections.abc import Iterable
from dataclasses import dataclass

from content.address import Address
from content.campaigns import CampaignRule
from content.certificate import CertificateWording
from content.contacts import Contacts
from content.criteria import CriteriaGroup, CriteriaSet
from content.digital_skills import DigitalSkills
from content.replies import Replies
from content.resources import Resource, rank_resources
from content.routing import Routing
from content.targets import Targets
from content.units import Units


@dataclass(frozen=True)
class Content:
    criteria_sets: dict[str, CriteriaSet]
    units: Units
    resources: list[Resource]
    targets: Targets
    digital_skills: DigitalSkills
    campaigns: list[CampaignRule]
    certificate: CertificateWording
    routing: Routing  # which kinds of unit verify which target groups
    replies: Replies  # typed words for yes, no, commands and languages
    contacts: Contacts  # whom to call when the bot does not help
    address: Address  # ông/bà, anh/chị or em, by age and group

    def criteria_for(self, group_id: str, year: int) -> CriteriaGroup:
        """The group's criteria in the set that covers the assessed year."""
        groups = self.criteria_set_for(year).groups
        if group_id not in groups:
            raise KeyError(f"unknown group {group_id!r}")
        return groups[group_id]

    def groups(self, year: int) -> list[CriteriaGroup]:
        return list(self.criteria_set_for(year).groups.values())

    def criteria_set_for(self, year: int) -> CriteriaSet:
        for criteria_set in self.criteria_sets.values():
            if criteria_set.valid_years.covers(year):
                return criteria_set
        raise KeyError(f"no criteria set covers the year {year}")

    def resources_for(self, tags: Iterable[str], locale: str, limit: int = 3) -> list[Resource]:
        return rank_resources(self.resources, tags, locale, limit)
