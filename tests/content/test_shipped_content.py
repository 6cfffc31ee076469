"""The content files in the repository: valid, and shaped as the handlers expect."""

import re

import pytest

from content import Content, check_content
from content.text import normalize

GROUPS = ["residents", "workers", "officials", "learners"]


def test_shipped_content_has_no_issues() -> None:
    assert [str(issue) for issue in check_content()] == []


def test_groups_come_in_a_stable_order(shipped: Content) -> None:
    assert [group.id for group in shipped.groups(2025)] == GROUPS


def test_a_year_resolves_to_the_2023_set(shipped: Content) -> None:
    for year in (2023, 2026, 2030):
        group = shipped.criteria_for("workers", year)
        assert (group.set_id, group.set_version) == ("vape-cdht-2023", "2023.1")
    with pytest.raises(KeyError):
        shipped.criteria_for("workers", 2022)


def test_unknown_group_is_a_key_error(shipped: Content) -> None:
    with pytest.raises(KeyError):
        shipped.criteria_for("farmers", 2025)


@pytest.mark.parametrize("group_id", GROUPS)
def test_each_group_has_ten_draft_indicators_four_four_two(shipped: Content, group_id: str) -> None:
    group = shipped.criteria_for(group_id, 2025)
    assert [i.id for i in group.indicators] == [f"I{n}" for n in range(1, 11)]
    assert [i.number for i in group.indicators] == list(range(1, 11))
    assert [i.competency for i in group.indicators] == ["C1"] * 4 + ["C2"] * 4 + ["C3"] * 2
    assert {i.status for i in group.indicators} == {"draft"}
    assert {i.max_points for i in group.indicators} == {10}
    assert any(i.number_input is not None for i in group.indicators)
    assert group.competency("C2").title.vi == "Năng lực sử dụng các công cụ tương tác"
    assert group.pass_rules.min_total.threshold(disadvantaged=True) == 70


def test_only_learners_may_be_minors(shipped: Content) -> None:
    assert {g.id: g.minor_possible for g in shipped.groups(2025)} == {
        "residents": False,
        "workers": False,
        "officials": False,
        "learners": True,
    }


def test_questions_address_the_person_by_the_placeholder(shipped: Content) -> None:
    """Every question names the person as "Anh/Chị", which becomes their own form (em for a
    pupil, ông/bà from 60) when shown; never a fixed "Bạn" or "Ông/Bà"."""
    for group in shipped.groups(2025):
        for indicator in group.indicators:
            question = indicator.question.vi
            assert "Anh/Chị" in question, indicator.id
            fixed = re.search(r"\b(bạn(?! bè)|ông/bà|em)\b", question, re.IGNORECASE)
            assert fixed is None, indicator.id


def test_evidence_never_asks_for_identity_documents(shipped: Content) -> None:
    for group in shipped.groups(2025):
        for indicator in group.indicators:
            hint = normalize(indicator.evidence_hint.vi)
            assert (
                "can cuoc" not in hint and "cccd" not in hint and "chung minh nhan dan" not in hint
            )


def test_every_resource_tag_of_an_indicator_has_resources(shipped: Content) -> None:
    for group in shipped.groups(2025):
        for indicator in group.indicators:
            assert shipped.resources_for(indicator.resource_tags, "vi"), indicator.id


def test_resources_prefer_more_shared_tags_then_the_users_language(shipped: Content) -> None:
    vi = shipped.resources_for(["foreign_language"], "vi", limit=2)
    en = shipped.resources_for(["foreign_language"], "en", limit=2)
    assert [r.language for r in vi] == ["vi", "en"]
    assert [r.language for r in en] == ["en", "en"]
    best = shipped.resources_for(["vneid", "digital_basics", "online_safety"], "vi", limit=1)
    assert [r.id for r in best] == ["binhdanhocvuso"]
    assert shipped.resources_for(["no_such_tag"], "vi") == []


def test_targets_for_da_nang(shipped: Content) -> None:
    targets = shipped.targets.provinces[48]
    assert targets.years[2025].titled_with_digital_skills == 70
    assert targets.years[2030].staff_in_learning_units_titled == 80
    assert targets.status == "draft"
    assert targets.report_due is not None
    assert (targets.report_due.month, targets.report_due.day) == (12, 15)
    assert targets.milestone(2024) == (2025, targets.years[2025])
    assert targets.milestone(2026) == (2030, targets.years[2030])
    assert targets.milestone(2031) is None
    ratios = shipped.targets.ratios
    assert ratios["staff_in_learning_units_titled"].groups == ["officials"]
    assert all(rule.status == "draft" for rule in ratios.values())


def test_each_group_is_verified_by_its_own_kind_of_unit(shipped: Content) -> None:
    routing = shipped.routing
    assert routing.verifies("school", "learners") and routing.verifies("agency", "officials")
    assert not routing.verifies("village", "learners") and not routing.verifies(None, "residents")
    assert routing.groups_for("enterprise") == {"workers", "officials"}
    assert routing.kinds_for("unknown") == frozenset()


def test_the_associations_own_texts_are_recorded_with_their_sources(shipped: Content) -> None:
    criteria = shipped.criteria_set_for(2025)
    assert [c.title.vi for c in criteria.competencies] == [
        "Năng lực tự học và học tập suốt đời",
        "Năng lực sử dụng các công cụ tương tác",
        "Năng lực xây dựng và thực hiện các mối quan hệ xã hội",
    ]
    decision = next(b for b in criteria.legal_basis if b.code == "244/QĐ-KHVN")
    assert (str(decision.issued), decision.status) == ("2022-07-28", "official")
    for group in shipped.groups(2025):
        texts = [i.framework_text for i in group.indicators]
        assert all(t is not None and t.source for t in texts), group.id
        # 1–8 from the association's newspaper (May 2022); 9–10 only from the 2020 draft.
        assert [t.status for t in texts if t] == ["official"] * 8 + ["draft"] * 2
        assert texts[4] and texts[4].vi == (
            "Kỹ năng: sử dụng công nghệ thông tin đáp ứng yêu cầu công việc và cuộc sống."
        )
        assert all(i.status == "draft" for i in group.indicators)  # the adaptations are ours


def test_residents_questions_are_short_and_ask_one_thing(shipped: Content) -> None:
    for indicator in shipped.criteria_for("residents", 2025).indicators:
        question = indicator.question.vi
        assert len(question) <= 160, indicator.id
        assert not (" hoặc " in question and " và " in question), indicator.id
