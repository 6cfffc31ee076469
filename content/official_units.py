"""Official provinces and communes since 1 July 2025, from the `vietnam-provinces` package.

Read from the package's own data file (its NESTED_DIVISIONS_JSON_PATH), for the one province
a deployment serves: importing the package builds every ward of the country as an enum
member, about 5 MB that every long-running process would hold for a few dozen names."""

import json
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any


def province_name(province_code: int) -> str | None:
    province = _province(province_code)
    return None if province is None else province["name"]


def commune_names(province_code: int) -> dict[str, str]:
    """Official commune code (five digits, as the government writes it) -> official name."""
    province = _province(province_code)
    if province is None:
        return {}
    return {f"{ward['code']:05d}": ward["name"] for ward in province["wards"]}


@cache
def _province(province_code: int) -> dict[str, Any] | None:
    spec = find_spec("vietnam_provinces")  # found, not imported
    assert spec is not None and spec.origin is not None, "vietnam-provinces is not installed"
    path = Path(spec.origin).parent / "data" / "nested-divisions.json"
    with path.open(encoding="utf-8") as file:
        provinces = json.load(file)
    return next((p for p in provinces if p["code"] == province_code), None)
