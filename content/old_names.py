"""Communes and districts as they were before 1 July 2025, and what they became.

Citizens still type the names they grew up with. `vietnam-address-converter` ships an old->new
table; we read only that table (about 0.15 s) and never build its converter (about 17 s). Its
codes are its own, not the official ones, so callers join its rows to official units by name.
"""

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

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
    wanted = normalize(bare_unit_name(province_name))
    return tuple(
        OldWard(
            ward=tidy_unit_name(row["old"]["ward_name"]),
            district=tidy_unit_name(row["old"]["district_name"]),
            province=tidy_unit_name(row["old"]["province_name"]),
            new_ward=row["new"]["ward_name"],
        )
        for row in _national_table()["mapping"]["rows"]
        if normalize(bare_unit_name(row["new"]["province_name"])) == wanted
    )


def _national_table() -> dict[str, Any]:
    """The converter's table for the whole country, read when first searched. Loaded as a
    module of its own, not imported: an imported package keeps it (about 35 MB of Python
    objects) for the life of the process, where one province's rows are all it needs."""
    package = importlib.util.find_spec("vietnam_address_converter")
    assert package is not None and package.origin is not None
    spec = importlib.util.spec_from_file_location(
        "_old_ward_table", Path(package.origin).with_name("data.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.DEFAULT_DATA
