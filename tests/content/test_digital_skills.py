"""The digital-skills check as data: the shipped framework, its level rules, and the checks
that catch a broken copy."""

from pathlib import Path

import pytest

from content import Content
from content.digital_skills import DigitalSkills
from content.resources import Need, recommend
from tests.content.test_content_issues import edit, issues

FILE = "digital_skills.yaml"
SHOWN = f"content/{FILE}"


@pytest.fixture(scope="module")
def skills(shipped: Content) -> DigitalSkills:
    return shipped.digital_skills


def all_at(skills: DigitalSkills, points: int) -> dict[str, int]:
    return {q.id: points for _, q in skills.questions()}


def test_five_areas_of_practical_questions_with_known_resources(
    shipped: Content, skills: DigitalSkills
) -> None:
    assert [a.id for a in skills.areas] == [
        "information",
        "communication",
        "content",
        "safety",
        "public_services",
    ]
    assert all(len(a.questions) == 3 for a in skills.areas)
    tags = {t for r in shipped.resources for t in r.tags}
    assert all(set(a.resource_tags) <= tags for a in skills.areas)
    assert skills.status == "draft"  # not the official framework: never shown as official


def test_overall_level_is_the_weakest_area(skills: DigitalSkills) -> None:
    answers = all_at(skills, 3)
    assert skills.result(answers).overall == "advanced"
    answers |= {"vneid": 0, "public_service": 0, "payment": 1}
    result = skills.result(answers)
    assert result.areas["public_services"] == "none"
    assert result.areas["safety"] == "advanced"
    assert result.overall == "none"


def test_area_levels_follow_the_shares(skills: DigitalSkills) -> None:
    # 9 points in an area of three questions: Cơ bản from 55 % (5 points), Khá from 66 %
    # (6: everything alone), Cao from 85 % (8), Nâng cao at 9.
    def area_level(points: list[int]) -> str:
        ids = [q.id for q in skills.areas[0].questions]
        return skills.result(dict(zip(ids, points, strict=True))).areas["information"]

    assert area_level([2, 2, 0]) == "none"
    assert area_level([2, 2, 1]) == "basic"
    assert area_level([2, 2, 2]) == "fair"
    assert area_level([3, 3, 1]) == "fair"
    assert area_level([3, 3, 2]) == "proficient"
    assert area_level([3, 3, 3]) == "advanced"


def test_unanswered_questions_count_as_not_yet(skills: DigitalSkills) -> None:
    assert skills.result({}).overall == "none"
    assert set(skills.result({}).areas.values()) == {"none"}


def test_plan_mapping_names_levels(skills: DigitalSkills) -> None:
    assert skills.rank(skills.plan.has_digital_skills) < skills.rank(skills.plan.proficient)
    assert skills.at_or_above("basic") == ["basic", "fair", "proficient", "advanced"]
    assert skills.at_or_above("proficient") == ["proficient", "advanced"]


def test_the_check_has_da_nangs_five_levels_and_the_plan_on_them(skills: DigitalSkills) -> None:
    assert [level.title.vi for level in skills.levels] == [
        "Bắt đầu",
        "Cơ bản",
        "Khá",
        "Cao",
        "Nâng cao",
    ]
    assert "Đà Nẵng" in skills.levels_source
    assert skills.level(skills.plan.has_digital_skills).title.vi == "Cơ bản"
    assert skills.level(skills.plan.proficient).title.vi == "Cao"


def test_unknown_level_in_the_plan_mapping(content_copy: Path) -> None:
    line = edit(content_copy, FILE, "proficient: proficient", "proficient: expert")
    assert issues(content_copy) == [f"{SHOWN}:{line} plan.proficient: unknown level expert"]


def test_proficient_must_be_above_has_digital_skills(content_copy: Path) -> None:
    line = edit(content_copy, FILE, "proficient: proficient", "proficient: basic")
    assert issues(content_copy) == [
        f"{SHOWN}:{line} plan.proficient: must be a higher level than has_digital_skills"
    ]


def test_levels_must_rise(content_copy: Path) -> None:
    edit(content_copy, FILE, "min_share: 0.85", "min_share: 0.5")
    [problem] = issues(content_copy)
    assert problem.endswith("levels: min_share must start at 0 and rise strictly, lowest first")


def test_duplicate_question_ids(content_copy: Path) -> None:
    line = edit(content_copy, FILE, "- id: judge", "- id: search")
    assert issues(content_copy) == [
        f"{SHOWN}:{line} areas[0].questions[1].id: duplicate question id"
    ]


def test_area_tags_must_have_resources(content_copy: Path) -> None:
    line = edit(content_copy, FILE, "resource_tags: [online_safety]", "resource_tags: [hacking]")
    assert issues(content_copy) == [
        f"{SHOWN}:{line} areas[3].resource_tags[0]: no resource has tag hacking"
    ]


def test_recommend_takes_one_resource_per_need_in_order_none_twice(shipped: Content) -> None:
    needs = [
        Need("area", "safety", ("online_safety",)),
        Need("indicator", "I5", ("online_safety", "vneid")),
        Need("indicator", "I6", ("foreign_language",)),
    ]
    picked = recommend(needs, shipped.resources, "vi", exclude={"khonggianmang"}, limit=2)

    assert [need.id for need, _ in picked] == ["safety", "I5"]
    first, second = (resource for _, resource in picked)
    assert first.id != second.id and "khonggianmang" not in (first.id, second.id)
    assert "online_safety" in first.tags
    assert recommend(needs, shipped.resources, "vi", exclude=set(), limit=0) == []
