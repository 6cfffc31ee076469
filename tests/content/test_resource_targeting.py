"""Learning resources are tied to the indicator or area they help and suit the person."""

from pathlib import Path

from content import Content
from content.resources import Need, recommend
from tests.content.test_content_issues import edit, issues


def need(shipped: Content, indicator: str, group: str = "residents") -> Need:
    tags = shipped.criteria_for(group, 2026).indicator(indicator).resource_tags
    return Need("indicator", indicator, tuple(tags))


def picks(shipped: Content, needs: list[Need], group: str, age: int) -> list[str]:
    chosen = recommend(needs, shipped.resources, "vi", set(), 10, group=group, age=age)
    return [r.id for _, r in chosen]


def test_what_is_made_for_the_indicator_comes_first(shipped: Content) -> None:
    assert picks(shipped, [need(shipped, "I6")], "residents", 40) == ["duolingo"]
    assert picks(shipped, [need(shipped, "I1")], "residents", 40)[0] in {
        "thu_vien_quoc_gia",
        "itrithuc",
        "vov",
        "bao_da_nang",
    }


def test_a_74_year_old_resident_gets_nothing_meant_for_the_young(shipped: Content) -> None:
    weak = [need(shipped, i) for i in ("I10", "I9", "I2", "I5", "I3")]
    old = picks(shipped, weak, "residents", 74)
    assert "doan_thanh_nien" not in old and "giao_duc_nghe_nghiep" not in old
    assert old[0] == "lien_minh_htx"  # cooperation, as residents and older people do it
    young = picks(shipped, [need(shipped, "I10", "learners")], "learners", 20)
    assert young == ["doan_thanh_nien"]


def test_a_pupil_gets_what_suits_pupils(shipped: Content) -> None:
    safety = Need("area", "safety", ("online_safety",))
    assert "be_internet_awesome" in [
        r.id for r in shipped.resources if r.fits("learners", 13) and "safety" in r.helps
    ]
    assert "be_internet_awesome" not in picks(shipped, [safety], "residents", 74)
    assert "dichvucong" not in picks(shipped, [Need("area", "public_services", ())], "learners", 13)


def test_unknown_groups_and_needs_are_refused(content_copy: Path) -> None:
    edit(content_copy, "resources.yaml", "groups: [learners]", "groups: [pupils]")
    edit(content_copy, "resources.yaml", "helps: [I6]", "helps: [I16]")
    found = issues(content_copy)
    assert any("groups[0]: unknown group pupils" in i for i in found)
    assert any("helps[0]: no indicator or skills area I16" in i for i in found)
