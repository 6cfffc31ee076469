from dataclasses import dataclass


@dataclass(frozen=True)
class Commune:
    code: str  # official, five digits
    name: str  # official, e.g. "Phường Hải Châu"
    flags: frozenset[str] = frozenset()  # remote, especially_difficult, ethnic_minority_area

    @property
    def disadvantaged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class CommuneMatch:
    commune: Commune
    old_name: str | None  # the pre-2025 name that led here, e.g. "Xã Điện Hồng (Điện Bàn)"
    score: float  # 100 = the same text once accents and case are ignored
    # Found by its pre-2025 district's name: one of the district's several communes.
    by_district: bool = False
