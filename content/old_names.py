"""Communes and districts as they were before 1 July 2025, and what they became.

Citizens still type the names they grew up with. `vietnam-address-converter` ships an old->new
table; we read only that table (about 0.15 s) and never build its converter (about 17 s). Its
codes are its own, not the official ones, so callers join its rows to official units by name.
"""

import importlib.machinery
import importlib.util
import json
import re
from collections.abc import Iterator
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
        for row in _national_rows()
        if normalize(bare_unit_name(row["new"]["province_name"])) == wanted
    )


# One row of the table as the package writes it: flat objects, nothing nested deeper.
_ROW = re.compile(r'\{"old":\{[^{}]*\},"new":\{[^{}]*\},"keys":\{[^{}]*\}\}')


def _national_rows() -> Iterator[dict[str, Any]]:
    """The converter's old->new rows for the whole country, one at a time. The package holds
    them as one JSON text that it parses on import into about 35 MB of Python objects, kept
    for the life of the process; most of it stays taken even once freed, as the objects kept
    (one province's rows) are scattered among them. Read here from the compiled module's
    text, without running it, each row parsed and dropped in turn."""
    package = importlib.util.find_spec("vietnam_address_converter")
    assert package is not None and package.origin is not None
    path = Path(package.origin).with_name("data.py")
    loader = importlib.machinery.SourceFileLoader("_old_ward_table", str(path))
    code = loader.get_code("_old_ward_table")
    assert code is not None
    table = max((c for c in code.co_consts if isinstance(c, str)), key=len)
    rows = 0
    for match in _ROW.finditer(table):
        rows += 1
        yield json.loads(match.group())
    if not rows:
        raise RuntimeError(f"no old->new rows found in {path}: has its format changed?")
