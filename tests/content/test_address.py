"""The forms of address are content: bands by age and group, checked like the rest."""

from pathlib import Path

import pytest

from content import Content
from tests.content.test_content_issues import edit, issues


@pytest.mark.parametrize(
    ("born", "group", "form"),
    [
        (1952, "residents", "ông/bà"),
        (1966, "officials", "ông/bà"),  # 60 this year
        (1967, "workers", "anh/chị"),
        (1991, "residents", "anh/chị"),
        (2013, "learners", "em"),
        (2004, "learners", "em"),  # a student of 22
        (1990, "learners", "anh/chị"),  # an adult trainee
        (2010, "workers", "em"),  # a minor at work
        (None, None, "ông/bà"),  # not known yet: the respectful neutral form
    ],
)
def test_shipped_bands(shipped: Content, born: int | None, group: str | None, form: str) -> None:
    assert shipped.address.form_for(born, group, 2026) == form


def test_a_band_with_an_unknown_form_or_group_is_refused(content_copy: Path) -> None:
    edit(content_copy, "address.yaml", "- form: anh_chi", "- form: ban")
    edit(content_copy, "address.yaml", "groups: [learners]", "groups: [pupils]")
    found = issues(content_copy)
    assert any("bands[3].form: unknown form ban" in i for i in found)
    assert any("bands[1].groups: unknown group pupils" in i for i in found)


def test_the_last_band_fits_anyone_and_forms_are_lower_case(content_copy: Path) -> None:
    edit(content_copy, "address.yaml", "- form: anh_chi", "- form: anh_chi\n    min_age: 18")
    edit(content_copy, "address.yaml", "ong_ba: ông/bà", "ong_ba: Ông/Bà")
    found = issues(content_copy)
    assert any("the last band must fit anyone" in i for i in found)
    assert any("forms.ong_ba: a form is written in lower case" in i for i in found)
