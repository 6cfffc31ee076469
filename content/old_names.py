"""Communes and districts as they were before 1 July 2025, and what they became.

Citizens still type the names they grew up with. `vietnam-address-converter` ships an old->new
table; we read only that table (about 0.15 s) and never build its converter (about 17 s). Its
codes are its own, not the official ones, so callers join its rows to official units by name.
"""

import ast
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
_ROW_START = '{"old":'
_CHUNK = 1 << 16  # characters read at a time


def _national_rows() -> Iterator[dict[str, Any]]:
    """The converter's old->new rows for the whole country, one at a time. The package holds
    them as one JSON text in a string literal that it parses on import into about 35 MB of
    Python objects, kept for the life of the process. Read here from the module's source a
    little at a time, without compiling or running it (the literal alone is ~28 MB as one
    string), each row parsed and dropped in turn."""
    package = importlib.util.find_spec("vietnam_address_converter")
    assert package is not None and package.origin is not None
    path = Path(package.origin).with_name("data.py")
    rows = 0
    pending = ""
    with path.open(encoding="utf-8") as source:
        while chunk := source.read(_CHUNK):
            pending += chunk
            end = 0
            for match in _ROW.finditer(pending):
                rows += 1
                end = match.end()
                yield json.loads(_unescaped(match.group()))
            # Kept: a row begun but not yet read whole.
            begun = pending.rfind(_ROW_START, end)
            pending = pending[begun:] if begun >= 0 else pending[-len(_ROW_START) + 1 :]
    if not rows:
        raise RuntimeError(f"no old->new rows found in {path}: has its format changed?")


def _unescaped(text: str) -> str:
    """A row's text as the string literal it is part of means it: the odd one has escapes
    (Cư M\\'gar)."""
    return ast.literal_eval(f"'{text}'") if "\\" in text else text
