import subprocess
import sys
from collections import Counter

import pytest

from content import Commune, Content, Units
from content.commune_search import join_old_wards
from content.old_names import OldWard, old_wards
from content.text import normalize
from content.unit_names import bare_unit_name


@pytest.fixture(scope="module")
def units(shipped: Content) -> Units:
    return shipped.units


def test_da_nang_has_its_94_official_communes(units: Units) -> None:
    assert (units.province_code, units.province_name) == (48, "Thành phố Đà Nẵng")
    assert len(units.communes) == 94
    assert units.get("20242") == Commune("20242", "Phường Hải Châu")
    assert units.get("99999") is None


def test_every_converter_ward_of_da_nang_joins_exactly_one_commune(units: Units) -> None:
    olds = old_wards(units.province_name)
    official = Counter(normalize(c.name) for c in units.communes.values())
    new_names = {old.new_ward for old in olds}
    assert new_names, "the converter has no wards for the province: the province join failed"
    assert {name: official[normalize(name)] for name in new_names} == {
        name: 1 for name in new_names
    }
    joined, unjoined = join_old_wards(olds, units.communes.values())
    assert unjoined == []
    # and every official commune is reachable from some old name
    assert {commune.code for _, commune in joined} == set(units.communes)


def test_old_names_read_from_the_converter_keep_its_escaped_apostrophes() -> None:
    # The table is read from the converter's source text: "Cư M'gar" is written there with
    # an escaped apostrophe, and the rest of the row around it must read as usual.
    olds = old_wards("Tỉnh Đắk Lắk")
    cu_mgar = [old for old in olds if old.district == "Huyện Cư M'gar"]
    assert cu_mgar
    assert all(old.province == "Tỉnh Đắk Lắk" and old.new_ward for old in cu_mgar)
    assert not any("\\" in field for old in olds for field in vars(old).values())


def test_wards_matching_no_commune_or_several_are_set_aside() -> None:
    hai_chau = Commune("20242", "Phường Hải Châu")
    twins = [Commune("1", "Xã An Phú"), Commune("2", "Xã An Phú")]
    known = OldWard("Phường Thạch Thang", "Quận Hải Châu", "Thành phố Đà Nẵng", "Phường Hải Châu")
    unknown = OldWard("Xã A", "Huyện B", "Tỉnh C", "Xã Không Có")
    ambiguous = OldWard("Xã D", "Huyện E", "Tỉnh C", "Xã An Phú")
    joined, unjoined = join_old_wards([known, unknown, ambiguous], [hai_chau, *twins])
    assert joined == [(known, hai_chau)]
    assert unjoined == [unknown, ambiguous]


def first(units: Units, text: str) -> tuple[str, str | None]:
    match = units.search(text)[0]
    return match.commune.name, match.old_name


@pytest.mark.parametrize("typed", ["dien hong", "Điện Hồng", "xã Điện Hồng", "DIEN HONG"])
def test_old_commune_name_leads_to_the_new_commune(units: Units, typed: str) -> None:
    assert first(units, typed) == ("Xã Điện Bàn Tây", "Xã Điện Hồng (Điện Bàn)")


def test_old_commune_with_district_and_province(units: Units) -> None:
    assert first(units, "Điện Hồng, Điện Bàn, Quảng Nam") == (
        "Xã Điện Bàn Tây",
        "Xã Điện Hồng (Điện Bàn)",
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("thach thang", ("Phường Hải Châu", "Phường Thạch Thang (Hải Châu)")),
        ("hai chau", ("Phường Hải Châu", None)),
        ("Hoa Cuong", ("Phường Hòa Cường", None)),
        ("hoa cuongg", ("Phường Hòa Cường", None)),
        ("Phường Hòa Cường", ("Phường Hòa Cường", None)),
        ("chom", ("Xã Hùng Sơn", "Xã Ch'ơm (Tây Giang)")),
    ],
)
def test_search_examples(units: Units, typed: str, expected: tuple[str, str | None]) -> None:
    assert first(units, typed) == expected


def test_typo_scores_below_an_exact_match(units: Units) -> None:
    assert units.search("hoa cuong")[0].score == 100
    assert 80 <= units.search("hoa cuongg")[0].score < 100


def test_old_district_lists_the_communes_it_became(units: Units) -> None:
    matches = units.search("Nam Trà My", limit=10)
    assert (matches[0].commune.name, matches[0].old_name) == ("Xã Nam Trà My", None)
    from_district = {m.commune.name for m in matches if m.old_name == "Huyện Nam Trà My"}
    assert from_district == {"Xã Trà Leng", "Xã Trà Linh", "Xã Trà Tập", "Xã Trà Vân"}


def test_every_commune_is_found_first_by_its_own_name(units: Units) -> None:
    for commune in units.communes.values():
        for typed in (commune.name, normalize(bare_unit_name(commune.name))):
            match = units.search(typed)[0]
            assert (match.commune, match.old_name) == (commune, None), typed


def test_search_respects_the_limit_and_ignores_noise(units: Units) -> None:
    assert len(units.search("dien ban", limit=3)) == 3
    assert units.search("") == []
    assert units.search("???") == []
    assert units.search("zzzz qqqq") == []


def test_disadvantaged_flags_come_from_the_data(units: Units) -> None:
    nam_tra_my = units.get("20944")
    assert nam_tra_my is not None
    assert nam_tra_my.flags == {"remote", "especially_difficult", "ethnic_minority_area"}
    assert units.is_disadvantaged("20944")
    assert units.is_disadvantaged("20656")  # Xã Nông Sơn: remote only
    assert not units.is_disadvantaged("20242")  # Phường Hải Châu
    assert not units.is_disadvantaged("99999")
    assert sum(c.disadvantaged for c in units.communes.values()) == 37


def test_another_province_works_without_a_disadvantaged_list() -> None:
    hanoi = Units(1, {})
    assert hanoi.province_name == "Thành phố Hà Nội"
    assert not any(c.disadvantaged for c in hanoi.communes.values())
    assert first(hanoi, "hoan kiem") == ("Phường Hoàn Kiếm", None)


def test_unknown_province() -> None:
    with pytest.raises(ValueError):
        Units(99, {})


def test_loading_content_does_not_load_the_old_names_and_a_search_does_not_keep_them() -> None:
    # The old-name table costs time; only the first search may pay for it. The whole
    # country's table (about 35 MB in memory) is read once for the province's rows and
    # kept by nothing: every long-running process searches.
    code = (
        "import sys, content; units = content.load_content().units; "
        "loaded = lambda: any(m.startswith('vietnam_address_converter') for m in sys.modules); "
        "print(loaded(), end=' '); "
        "print(units.search('dien hong')[0].old_name is not None, end=' '); "
        "print(loaded())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True", "False"]
