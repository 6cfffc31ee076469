"""The communes of the deployment's province, their flags, and finding one by what people type."""

from collections.abc import Mapping
from functools import cached_property

from content.commune import Commune, CommuneMatch
from content.commune_search import CommuneIndex
from content.official_units import commune_names, province_name

__all__ = ["Commune", "CommuneMatch", "Units"]


class Units:
    def __init__(self, province_code: int, flags: Mapping[str, frozenset[str]]) -> None:
        name = province_name(province_code)
        if name is None:
            raise ValueError(f"unknown province code {province_code}")
        self.province_code = province_code
        self.province_name = name
        self.communes = {
            code: Commune(code, commune_name, flags.get(code, frozenset()))
            for code, commune_name in commune_names(province_code).items()
        }

    def get(self, code: str) -> Commune | None:
        return self.communes.get(code)

    def is_disadvantaged(self, code: str) -> bool:
        commune = self.communes.get(code)
        return commune is not None and commune.disadvantaged

    def search(self, text: str, limit: int = 5) -> list[CommuneMatch]:
        """Best matches first; accepts old names, missing accents, no "xã" and small typos."""
        return self._index.search(text, limit)

    def prepare_search(self) -> None:
        """Build the search index now (about a second): a long-running process calls this in
        a background thread at start, so that neither start-up nor the first person to type
        a commune waits for it."""
        _ = self._index

    @cached_property
    def _index(self) -> CommuneIndex:
        # Built on first use, so that loading content (and every CLI command) stays fast.
        return CommuneIndex(list(self.communes.values()), self.province_name)
