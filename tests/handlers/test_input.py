"""Understanding what people type: numbers, labels with or without accents, noise."""

from __future__ import annotations

import pytest

from handlers.input import Problem, clean, first_number, match_choice, problem_with

OPTIONS = ["Thường xuyên", "Không thường xuyên", "Thỉnh thoảng", "Chưa bao giờ"]


@pytest.mark.parametrize(
    ("typed", "index"),
    [
        ("1", 0),
        ("2.", 1),
        (" 4 ", 3),
        ("Thường xuyên", 0),
        ("thuong xuyen", 0),
        ("THUONG XUYEN", 0),
        ("khong thuong xuyen", 1),
        ("Không Thường Xuyên", 1),
        ("thinh thoang", 2),
        ("chua", 3),  # the start of exactly one label
        ("thuong", 0),
        ("  chưa   bao   giờ ", 3),
    ],
)
def test_option_is_matched(typed: str, index: int) -> None:
    assert match_choice(typed, OPTIONS) == index


@pytest.mark.parametrize(
    "typed", ["0", "5", "-1", "+2", "−1", "xuyen", "thuong xuyen lam", "có", "", "😀", "1.5"]
)
def test_unclear_answers_match_nothing(typed: str) -> None:
    assert match_choice(typed, OPTIONS) is None


def test_yes_no_typed_without_accents() -> None:
    assert match_choice("co", ["Có", "Không"]) == 0
    assert match_choice("khong", ["Có", "Không"]) == 1
    assert match_choice("dong y", ["Đồng ý", "Không đồng ý"]) == 0


def test_cleaning_and_problems() -> None:
    assert clean("\x00 Xin\u200b chào \x1b") == "Xin chào"
    assert problem_with(clean("   ")) is Problem.EMPTY
    assert problem_with("a" * 4001) is Problem.TOO_LONG
    assert problem_with("a" * 4000) is None
    assert problem_with("😀🎉") is Problem.NO_WORDS
    assert problem_with("Điện Hồng") is None


def test_first_number() -> None:
    assert first_number("sinh năm 1975") == 1975
    assert first_number("2,5 giờ") == 2.5
    assert first_number("không") is None
