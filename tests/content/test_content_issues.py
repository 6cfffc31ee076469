"""Broken copies of the shipped content: every problem names its file, line and key path."""

import shutil
from pathlib import Path

import pytest

from content import ContentError, check_content, load_content

RESIDENTS = "criteria/2023/residents.yaml"
SHOWN = f"content/{RESIDENTS}"


def edit(root: Path, file: str, old: str, new: str, after: str = "") -> int:
    """Replace the first `old` that follows `after`; return the 1-based line of the change."""
    path = root / file
    text = path.read_text(encoding="utf-8")
    at = text.index(old, text.index(after))
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    return text.count("\n", 0, at) + 1


def line_of(root: Path, file: str, needle: str, after: str = "") -> int:
    text = (root / file).read_text(encoding="utf-8")
    return text.count("\n", 0, text.index(needle, text.index(after))) + 1


def issues(root: Path) -> list[str]:
    return [str(issue) for issue in check_content(root)]


def test_points_above_the_indicator_max(content_copy: Path) -> None:
    line = edit(content_copy, RESIDENTS, "points: 10", "points: 12", after="- id: I4")
    assert issues(content_copy) == [f"{SHOWN}:{line} indicators[3].options[0].points: 12 > max 10"]


def test_best_answer_must_reach_the_max(content_copy: Path) -> None:
    edit(content_copy, RESIDENTS, "points: 10", "points: 9", after="- id: I4")
    line = line_of(content_copy, RESIDENTS, "options:", after="- id: I4")
    assert issues(content_copy) == [
        f"{SHOWN}:{line} indicators[3].options: the best answer gives 9 points, not max 10"
    ]


def test_missing_field_points_at_the_indicator(content_copy: Path) -> None:
    edit(content_copy, RESIDENTS, "    resource_tags: [lifelong_learning, vocational]\n", "")
    line = line_of(content_copy, RESIDENTS, "- id: I2")
    assert issues(content_copy) == [
        f"{SHOWN}:{line} indicators[1].resource_tags: missing required field"
    ]


def test_unknown_field(content_copy: Path) -> None:
    line = edit(content_copy, RESIDENTS, "    status: draft", "    stauts: draft", after="- id: I2")
    assert f"{SHOWN}:{line} indicators[1].stauts: unknown field" in issues(content_copy)


def test_wrong_type(content_copy: Path) -> None:
    line = edit(content_copy, RESIDENTS, "points: 8", "points: eight", after="- id: I1")
    assert issues(content_copy) == [
        f"{SHOWN}:{line} indicators[0].options[1].points: "
        "Input should be a valid integer, unable to parse string as an integer"
    ]


def test_unknown_resource_tag(content_copy: Path) -> None:
    line = edit(content_copy, RESIDENTS, "[reading]", "[reading, astrology]")
    assert issues(content_copy) == [
        f"{SHOWN}:{line} indicators[0].resource_tags[1]: "
        "unknown resource tag astrology: no resource has it"
    ]


def test_yaml_syntax_error_names_the_line(content_copy: Path) -> None:
    # The classic slip: a colon followed by a space inside unquoted text.
    line = edit(
        content_copy,
        RESIDENTS,
        "vi: Đọc sách báo, cập nhật thông tin",
        "vi: Đọc sách báo: cập nhật thông tin",
    )
    assert issues(content_copy) == [
        f"{SHOWN}:{line}: YAML syntax error: mapping values are not allowed here"
    ]


def test_nine_indicators(content_copy: Path) -> None:
    path = content_copy / RESIDENTS
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("  - id: I10")], encoding="utf-8")
    line = line_of(content_copy, RESIDENTS, "indicators:")
    assert issues(content_copy) == [
        f"{SHOWN}:{line} indicators: needs 10 indicators (set vape-cdht-2023), found 9",
        f"{SHOWN}:{line} indicators: C3 needs 2 indicators, found 1",
    ]


def test_competencies_out_of_order(content_copy: Path) -> None:
    edit(content_copy, RESIDENTS, "competency: C1", "competency: C2", after="- id: I4")
    line = edit(content_copy, RESIDENTS, "competency: C2", "competency: C1", after="- id: I5")
    assert issues(content_copy) == [
        f"{SHOWN}:{line} indicators[4].competency: C1 after C2: keep indicators in competency order"
    ]


def test_duplicate_indicator_id(content_copy: Path) -> None:
    first = line_of(content_copy, RESIDENTS, "- id: I2")
    line = edit(content_copy, RESIDENTS, "- id: I3", "- id: I2")
    assert issues(content_copy) == [
        f"{SHOWN}:{line} indicators[2].id: duplicate id I2 (first at line {first})"
    ]


def test_labels_equal_without_accents_are_duplicates(content_copy: Path) -> None:
    line = edit(
        content_copy, RESIDENTS, "vi: Khá thường xuyên", "vi: THUONG XUYEN", after="- id: I4"
    )
    assert issues(content_copy) == [
        f"{SHOWN}:{line} indicators[3].options[1].label.vi: 'THUONG XUYEN' is the same as "
        "options[0] once accents and case are ignored"
    ]


def test_band_gap(content_copy: Path) -> None:
    line = edit(content_copy, RESIDENTS, "{min: 3, max: 6", "{min: 4, max: 6")
    assert issues(content_copy) == [
        f"{SHOWN}:{line} indicators[2].number_input.bands[2].min: gap: no band covers 3 to 4"
    ]


def test_band_overlap_and_closed_last_band(content_copy: Path) -> None:
    overlap = edit(content_copy, RESIDENTS, "{min: 3, max: 6", "{min: 2, max: 6")
    closed = edit(content_copy, RESIDENTS, "{min: 6, points: 10}", "{min: 6, max: 9, points: 10}")
    assert issues(content_copy) == [
        f"{SHOWN}:{overlap} indicators[2].number_input.bands[2].min: "
        "overlap: the band before goes up to 3",
        f"{SHOWN}:{closed} indicators[2].number_input.bands[3].max: "
        "the last band must have no max, so numbers from 9 up score too",
    ]


def test_commune_code_must_be_in_the_province(content_copy: Path) -> None:
    file = "units/disadvantaged.yaml"
    line = edit(content_copy, file, 'code: "20944"', 'code: "00070"')  # Phường Hoàn Kiếm, Hà Nội
    assert issues(content_copy) == [
        f"content/{file}:{line} provinces[48].communes[0].code: "
        "00070 is not a commune of Thành phố Đà Nẵng"
    ]


def test_commune_name_must_match_its_code(content_copy: Path) -> None:
    file = "units/disadvantaged.yaml"
    line = edit(content_copy, file, "name: Xã Nam Trà My", "name: Xã Bắc Trà My")
    assert issues(content_copy) == [
        f"content/{file}:{line} provinces[48].communes[0].name: "
        "commune 20944 is Xã Nam Trà My, not Xã Bắc Trà My"
    ]


def test_pass_rule_above_the_indicator_max(content_copy: Path) -> None:
    file = "criteria/2023/set.yaml"
    line = edit(content_copy, file, "value: 5", "value: 12", after="min_indicator:")
    assert issues(content_copy) == [
        f"content/{file}:{line} pass_rules.min_indicator.value: 12 > indicator_max 10"
    ]


def test_two_sets_may_not_cover_the_same_year(content_copy: Path) -> None:
    shutil.copytree(content_copy / "criteria/2023", content_copy / "criteria/2024")
    edit(content_copy, "criteria/2024/set.yaml", "id: vape-cdht-2023", "id: vape-cdht-2024")
    line = line_of(content_copy, "criteria/2024/set.yaml", "valid_years:")
    assert issues(content_copy) == [
        f"content/criteria/2024/set.yaml:{line} valid_years: "
        "overlaps the years of set vape-cdht-2023"
    ]


def test_missing_and_unlisted_files(content_copy: Path) -> None:
    (content_copy / "targets.yaml").unlink()
    (content_copy / "criteria/2023/learners.yaml").rename(
        content_copy / "criteria/2023/pupils.yaml"
    )
    assert issues(content_copy) == [
        "content/targets.yaml:1: file not found",
        "content/criteria/2023/learners.yaml:1: file not found",
        "content/criteria/2023/pupils.yaml:1: group file not listed in set.yaml groups",
    ]


def test_load_content_raises_with_every_issue(content_copy: Path) -> None:
    edit(content_copy, RESIDENTS, "points: 10", "points: 12", after="- id: I4")
    edit(content_copy, "units/disadvantaged.yaml", 'code: "20944"', 'code: "00070"')
    with pytest.raises(ContentError) as raised:
        load_content(content_copy)
    assert len(raised.value.issues) == 2
    assert str(raised.value) == "\n".join(str(issue) for issue in raised.value.issues)


def test_unknown_province_is_a_programming_error_not_a_content_issue() -> None:
    with pytest.raises(ValueError):
        load_content(province_code=99)


def test_certificate_placeholders_are_checked(content_copy: Path) -> None:
    holder = edit(content_copy, "certificate.yaml", "{name}", "{ten}", after="holder:")
    detail = edit(content_copy, "certificate.yaml", "{birth_year}", "{birth_year", after="details:")
    assert issues(content_copy) == [
        f"content/certificate.yaml:{holder} holder: unknown placeholder {{ten}}",
        f"content/certificate.yaml:{detail} details[0]: braces: expected '}}' before end of string",
    ]


def test_certificate_wording_by_group_names_known_groups(content_copy: Path) -> None:
    file = "certificate.yaml"
    group = edit(content_copy, file, "  learners:", "  pupils:", after="details_by_group:")
    place = edit(content_copy, file, "{place_commune}", "{workplace}", after="  workers:")
    assert issues(content_copy) == [
        f"content/{file}:{group} details_by_group.pupils: unknown target group 'pupils'",
        f"content/{file}:{place} details_by_group.workers[1]: unknown placeholder {{workplace}}",
    ]


def test_routing_names_only_known_groups_and_kinds(content_copy: Path) -> None:
    file = "units/routing.yaml"
    group = edit(content_copy, file, "learners: [school]", "pupils: [school]")
    kind = edit(content_copy, file, "residents: [village]", "residents: [hamlet]")
    assert issues(content_copy) == [
        f"content/{file}:{kind} verified_by.residents[0]: unknown kind hamlet (not in kinds)",
        f"content/{file}:{group} verified_by.pupils: unknown target group pupils",
    ]


def test_a_ratio_counts_only_known_target_groups(content_copy: Path) -> None:
    line = edit(content_copy, "targets.yaml", "[residents, workers]", "[residents, farmers]")
    assert issues(content_copy) == [
        f"content/targets.yaml:{line} ratios.adults_in_learning_communities_titled.groups[1]: "
        "unknown target group 'farmers'"
    ]


def test_an_evidence_hint_must_be_something_to_photograph(content_copy: Path) -> None:
    line = edit(content_copy, RESIDENTS, 'vi: "Ảnh thẻ thư viện,', 'vi: "Tự khai; ảnh thẻ,')
    where = f"{SHOWN}:{line} indicators[0].evidence_hint.vi"
    assert f"{where}: not evidence one can photograph: 'tu khai'" in issues(content_copy)


def test_the_generic_wording_lives_in_the_set_for_indicators_it_has(content_copy: Path) -> None:
    edit(content_copy, "criteria/2023/set.yaml", "  I10:\n", "  I11:\n")
    edit(
        content_copy,
        RESIDENTS,
        "    resource_tags: [reading]\n",
        "    resource_tags: [reading]\n    framework_text: {vi: x, en: x, status: draft}\n",
    )
    found = issues(content_copy)
    assert any("framework_texts.I11: no indicator I11 in a set of 10" in i for i in found)
    assert any("framework_text: the generic wording lives in set.yaml" in i for i in found)
