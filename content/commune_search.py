"""Find a commune from what a person typed: today's name or a pre-2025 commune or district."""

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from content.commune import Commune, CommuneMatch
from content.old_names import OldWard, old_wards
from content.text import normalize
from content.unit_names import bare_unit_name

log = logging.getLogger(__name__)

# fuzz.ratio: "hoa cuongg" vs "hoa cuong" scores 95, "tra mi" vs "tra my" 83.
_MIN_SCORE = 80
# On equal scores today's name wins over an old commune name, which wins over an old district.
_CURRENT, _OLD_WARD, _OLD_DISTRICT = 0, 1, 2


@dataclass(frozen=True)
class _Entry:
    key: str
    commune: Commune
    old_name: str | None
    kind: int


def _search_key(text: str) -> str:
    """Normalised, without apostrophes ("Ch'ơm" = "chom") and with other punctuation as spaces."""
    return " ".join(re.sub(r"\W+", " ", normalize(text).replace("'", "")).split())


def join_old_wards(
    olds: Iterable[OldWard], communes: Iterable[Commune]
) -> tuple[list[tuple[OldWard, Commune]], list[OldWard]]:
    """Pair each old ward with the official commune it became, by name within the province.

    Returns the pairs and the old wards whose new name matches no commune, or several.
    """
    by_name: dict[str, list[Commune]] = defaultdict(list)
    for commune in communes:
        by_name[normalize(commune.name)].append(commune)
    joined, unjoined = [], []
    for old in olds:
        matches = by_name.get(normalize(old.new_ward), [])
        if len(matches) == 1:
            joined.append((old, matches[0]))
        else:
            unjoined.append(old)
    return joined, unjoined


class CommuneIndex:
    def __init__(self, communes: list[Commune], province_name: str) -> None:
        entries = []
        for commune in communes:
            for key in _with_number_words(commune.name, bare_unit_name(commune.name)):
                entries.append(_Entry(key, commune, None, _CURRENT))
        joined, unjoined = join_old_wards(old_wards(province_name), communes)
        if unjoined:
            log.warning(
                "old names not linked to a commune of %s: %s",
                province_name,
                sorted({old.new_ward for old in unjoined}),
            )
        provinces = {province_name}
        for old, commune in joined:
            provinces.add(old.province)
            entries += _old_entries(old, commune)
        self._entries = list({(e.key, e.commune.code, e.old_name): e for e in entries}.values())
        self._keys = [entry.key for entry in self._entries]
        self._province_suffixes = {" " + _search_key(bare_unit_name(p)) for p in provinces}

    def search(self, text: str, limit: int) -> list[CommuneMatch]:
        query = self._without_province(_search_key(text))
        if not query:
            return []
        found = process.extract(
            query, self._keys, scorer=fuzz.ratio, score_cutoff=_MIN_SCORE, limit=None
        )
        ranked = sorted(
            ((score, self._entries[i]) for _, score, i in found),
            key=lambda pair: (-pair[0], pair[1].kind, pair[1].commune.name),
        )
        matches: dict[str, CommuneMatch] = {}
        for score, entry in ranked:
            if entry.commune.code not in matches:
                matches[entry.commune.code] = CommuneMatch(
                    entry.commune, entry.old_name, score, entry.kind == _OLD_DISTRICT
                )
        return list(matches.values())[:limit]

    def _without_province(self, query: str) -> str:
        # People often add the province out of habit: "Điện Hồng, Điện Bàn, Quảng Nam".
        for suffix in self._province_suffixes:
            if query.endswith(suffix):
                return query.removesuffix(suffix)
        return query


# "Tam Xuân 1" is typed "tam xuan mot" too.
_NUMBER_WORDS = dict(enumerate(("mot", "hai", "ba", "bon", "nam", "sau", "bay", "tam", "chin"), 1))


def _with_number_words(*names: str) -> set[str]:
    """The search keys of names, and of those ending in a digit also with the digit's word."""
    keys = {_search_key(name) for name in names}
    for key in list(keys):
        head, _, last = key.rpartition(" ")
        if head and last.isdigit() and int(last) in _NUMBER_WORDS:
            keys.add(f"{head} {_NUMBER_WORDS[int(last)]}")
    return keys


def _old_entries(old: OldWard, commune: Commune) -> list[_Entry]:
    district = bare_unit_name(old.district)
    entries = [
        _Entry(key, commune, old.district, _OLD_DISTRICT)
        for key in _with_number_words(old.district, district)
    ]
    if old.ward:
        ward = bare_unit_name(old.ward)
        # A commune that kept its name was not called anything else before.
        same = normalize(ward) == normalize(bare_unit_name(commune.name))
        shown = None if same else f"{old.ward} ({district})"
        entries += [
            _Entry(key, commune, shown, _CURRENT if same else _OLD_WARD)
            for key in _with_number_words(old.ward, ward, f"{ward} {district}")
        ]
    return entries
