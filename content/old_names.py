"""Communes and districts as they were before 1 July 2025, and what they became.

Citizens still type the names they grew up with. `vietnam-address-converter` ships an old->new
table; we read only that table (about 0.15 s) and never build its converter (about 17 s). Its
codes are its own, not the official ones, so callers join its rows to official units by name.
"""

from dataclasses import dataclass
from functools import cache

from content.text import normalize
from content.unit_names import bare_unit_name, tidy_unit_name


@dataclass(frozen=True)
class OldWard:
    ward: str  # "Xã Điện Hồng"; empty where the table lists a district without wards
    district: str  # "Thị xã Điện Bàn"
    province: str  # "Tỉnh Quảng Nam"
    new_ward: str  # the converter's name for the commune it became: "Xã Điện Bàn Tây"


@cache
def old_wards(province_name: str) -> tuple[OldWard, ...]:
    """Every pre-2025 ward that now lies in the province of that (official) name."""
    # Imported here so that only the first search pays for loading the table.
    from vietnam_address_converter.data import DEFAULT_DATA

    wanted = normalize(bare_unit_name(province_name))
    return tuple(
        OldWard(
            ward=tidy_unit_name(row["old"]["ward_name"]),
            district=tidy_unit_name(row["old"]["district_name"]),
            province=tidy_unit_name(row["old"]["province_name"]),
            new_ward=row["new"]["ward_name"],
        )
        for row in DEFAULT_DATA["mapping"]["rows"]
        if normalize(bare_unit_name(row["new"]["province_name"])) == wanted
    )
