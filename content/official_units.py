"""Official provinces and communes since 1 July 2025, from the `vietnam-provinces` package."""

from vietnam_provinces import Province, ProvinceCode, Ward


def province_name(province_code: int) -> str | None:
    try:
        return Province.from_code(ProvinceCode(province_code)).name
    except ValueError:
        return None


def commune_names(province_code: int) -> dict[str, str]:
    """Official commune code (five digits, as the government writes it) -> official name."""
    try:
        code = ProvinceCode(province_code)
    except ValueError:
        return {}
    return {f"{int(ward.code):05d}": ward.name for ward in Ward.iter_by_province(code)}
