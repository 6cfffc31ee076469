import pytest

from content import LocalText
from content.text import normalize
from content.unit_names import split_unit_name


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Điện Hồng", "dien hong"),
        ("ĐIỆN HỒNG", "dien hong"),
        ("dien hong", "dien hong"),
        ("  Thường   xuyên!  ", "thuong xuyen"),
        ("“Gia đình học tập”.", "gia dinh hoc tap"),
        ("Hòa Cường", "hoa cuong"),
        ("Hoà Cường", "hoa cuong"),  # the other accent placement of "hòa"
        ("Xã Ch'ơm", "xa ch'om"),  # punctuation inside is kept
        ("ư ơ ă â ê ô", "u o a a e o"),
    ],
)
def test_normalize_ignores_accents_case_spacing_and_edge_punctuation(
    typed: str, expected: str
) -> None:
    assert normalize(typed) == expected


def test_local_text_falls_back_to_vietnamese() -> None:
    text = LocalText(vi="Xin chào", en="Hello")
    assert text.get("en") == "Hello"
    assert text.get("en_US") == "Hello"
    assert text.get("vi") == "Xin chào"
    assert text.get("fr") == "Xin chào"


def test_local_text_needs_both_languages() -> None:
    with pytest.raises(ValueError):
        LocalText(vi="Xin chào", en="  ")


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("Thị Xã Điện Bàn", ("Thị xã", "Điện Bàn")),  # not "Thị" + "Xã Điện Bàn"
        ("Xã Điện Hồng", ("Xã", "Điện Hồng")),
        ("Thị Trấn Nam Phước", ("Thị trấn", "Nam Phước")),
        ("Đặc khu Hoàng Sa", ("Đặc khu", "Hoàng Sa")),
        ("Thành phố Đà Nẵng", ("Thành phố", "Đà Nẵng")),
        ("Cao Bằng", ("", "Cao Bằng")),
        ("Xã", ("", "Xã")),  # a type word alone is a name
    ],
)
def test_split_unit_name(name: str, parts: tuple[str, str]) -> None:
    assert split_unit_name(name) == parts
