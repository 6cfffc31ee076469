"""Load every content file, check it, and report all problems at once with file and line."""

from collections.abc import Callable, Collection
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from content.address import Address, check_address
from content.campaigns import Campaigns, check_campaigns
from content.catalog import Content
from content.certificate import CertificateWording, check_certificate
from content.contacts import Contacts, check_contacts
from content.criteria import CriteriaGroup, CriteriaSet, GroupSpec, SetSpec
from content.criteria_checks import check_group, check_set, check_years_apart
from content.digital_skills import DigitalSkills, check_digital_skills
from content.disadvantaged import DisadvantagedFile, check_disadvantaged
from content.issues import ContentError, ContentIssue
from content.official_units import commune_names, province_name
from content.replies import Replies, check_replies
from content.resources import ResourcesFile, check_audiences, check_resources
from content.routing import Routing, check_routing
from content.targets import Targets, check_ratio_groups, check_targets
from content.units import Units
from content.yaml_source import YamlDoc, read_yaml

CONTENT_ROOT = Path(__file__).parent
DEFAULT_PROVINCE = 48  # Thành phố Đà Nẵng, which Quảng Nam joined on 1 July 2025

Model = TypeVar("Model", bound=BaseModel)
_Check = Callable[[YamlDoc, Model], list[ContentIssue]]


def load_content(root: Path | None = None, province_code: int = DEFAULT_PROVINCE) -> Content:
    """Raises ContentError listing every problem found; ValueError for an unknown province."""
    content, issues = _Loading(root or CONTENT_ROOT, province_code).run()
    if content is None:
        raise ContentError(issues)
    return content


def check_content(
    root: Path | None = None, province_code: int = DEFAULT_PROVINCE
) -> list[ContentIssue]:
    return _Loading(root or CONTENT_ROOT, province_code).run()[1]


class _Loading:
    def __init__(self, root: Path, province_code: int) -> None:
        if province_name(province_code) is None:
            raise ValueError(f"unknown province code {province_code}")
        self.root = root
        self.province_code = province_code
        self.issues: list[ContentIssue] = []
        self.set_specs: list[tuple[YamlDoc, SetSpec]] = []

    def run(self) -> tuple[Content | None, list[ContentIssue]]:
        resources_doc = self._read_doc(self.root / "resources.yaml", ResourcesFile)
        resources = None if resources_doc is None else resources_doc[1]
        if resources_doc is not None:
            self.issues += check_resources(*resources_doc)
        targets_doc = self._read_doc(self.root / "targets.yaml", Targets)
        disadvantaged = self._read(
            self.root / "units" / "disadvantaged.yaml", DisadvantagedFile, check_disadvantaged
        )
        # Without the resources file every tag would look unknown: skip that check instead.
        tags = None if resources is None else {t for r in resources.resources for t in r.tags}
        criteria_sets = self._criteria_sets(tags)
        skills = self._read(
            self.root / "digital_skills.yaml",
            DigitalSkills,
            lambda doc, data: check_digital_skills(doc, data, tags),
        )
        campaigns = self._read(self.root / "campaigns.yaml", Campaigns, check_campaigns)
        replies = self._read(self.root / "replies.yaml", Replies, check_replies)
        contacts = self._read(
            self.root / "contacts.yaml",
            Contacts,
            lambda doc, data: check_contacts(
                doc, data, self.province_code, commune_names(self.province_code)
            ),
        )
        # Groups as set.yaml lists them: a group whose own file is broken is still known.
        groups = {g for _, spec in self.set_specs for g in spec.groups}
        routing = self._read(
            self.root / "units" / "routing.yaml",
            Routing,
            lambda doc, data: check_routing(doc, data, groups),
        )
        if resources_doc is not None and skills is not None:
            needs = {
                i.id
                for s in criteria_sets.values()
                for g in s.groups.values()
                for i in g.indicators
            }
            needs |= {a.id for a in skills.areas}
            self.issues += check_audiences(*resources_doc, groups, needs)
        address = self._read(
            self.root / "address.yaml",
            Address,
            lambda doc, data: check_address(doc, data, groups),
        )
        certificate = self._read(
            self.root / "certificate.yaml",
            CertificateWording,
            lambda doc, data: check_certificate(
                doc, data, groups, address.forms if address is not None else ()
            ),
        )
        targets = None
        if targets_doc is not None:
            doc, targets = targets_doc
            self.issues += check_targets(doc, targets)
            self.issues += check_ratio_groups(doc, targets, groups)
        if (
            self.issues
            or resources is None
            or targets is None
            or disadvantaged is None
            or skills is None
            or campaigns is None
            or certificate is None
            or routing is None
            or replies is None
            or contacts is None
            or address is None
        ):
            return None, self.issues
        units = Units(self.province_code, disadvantaged.flags_for(self.province_code))
        content = Content(
            criteria_sets,
            units,
            resources.resources,
            targets,
            skills,
            campaigns.rules,
            certificate,
            routing,
            replies,
            contacts,
            address,
        )
        return content, []

    def _criteria_sets(self, tags: Collection[str] | None) -> dict[str, CriteriaSet]:
        sets: dict[str, CriteriaSet] = {}
        specs = self.set_specs
        set_files = sorted((self.root / "criteria").glob("*/set.yaml"))
        if not set_files:
            self.issues.append(
                ContentIssue(self._shown(self.root / "criteria"), 1, "", "no set.yaml")
            )
        for set_file in set_files:
            loaded = self._read_doc(set_file, SetSpec)
            if loaded is None:
                continue
            doc, spec = loaded
            self.issues += check_set(doc, spec)
            if spec.id in sets:
                self.issues.append(doc.issue(("id",), f"duplicate criteria set id {spec.id}"))
            specs.append(loaded)
            groups = self._groups(set_file.parent, spec, tags)
            fields = {name: value for name, value in spec if name != "groups"}
            sets[spec.id] = CriteriaSet(**fields, groups=groups)
        self.issues += check_years_apart(specs)
        return sets

    def _groups(
        self, folder: Path, spec: SetSpec, tags: Collection[str] | None
    ) -> dict[str, CriteriaGroup]:
        groups = {}
        for group_id in spec.groups:
            loaded = self._read_doc(folder / f"{group_id}.yaml", GroupSpec)
            if loaded is None:
                continue
            doc, group = loaded
            self.issues += check_group(doc, group, spec, group_id, tags)
            indicators = [
                i.model_copy(update={"framework_text": spec.framework_texts.get(i.id)})
                for i in group.indicators
            ]
            groups[group_id] = CriteriaGroup(
                **(dict(group) | {"indicators": indicators}),
                set_id=spec.id,
                set_version=spec.version,
                competencies=spec.competencies,
                pass_rules=spec.pass_rules,
            )
        self.issues += [
            ContentIssue(self._shown(path), 1, "", "group file not listed in set.yaml groups")
            for path in sorted(folder.glob("*.yaml"))
            if path.stem != "set" and path.stem not in spec.groups
        ]
        return groups

    def _read(self, path: Path, model: type[Model], check: _Check[Model]) -> Model | None:
        loaded = self._read_doc(path, model)
        if loaded is None:
            return None
        doc, data = loaded
        self.issues += check(doc, data)
        return data

    def _read_doc(self, path: Path, model: type[Model]) -> tuple[YamlDoc, Model] | None:
        doc, issues = read_yaml(path, self._shown(path))
        self.issues += issues
        if doc is None:
            return None
        data, issues = doc.validate(model)
        self.issues += issues
        return None if data is None else (doc, data)

    def _shown(self, path: Path) -> str:
        return path.relative_to(self.root.parent).as_posix()
