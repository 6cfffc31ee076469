"""Understanding what people type: numbers, labels with or without accents, noise."""

from __future__ import annotations

import pytest

from handlers.input import (
    NumberProblem,
    Problem,
    clean,
    first_number,
    match_choice,
    problem_with,
    read_number,
    untelex,
    words,
)

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


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("4", 4),
        ("nam 2025 toi di 4 buoi", 4),  # a year is no count
        ("Năm 2025 tôi đi 4 buổi ạ", 4),
        ("2025 di 4 buoi", 4),
        ("5 buoi nam 2024", 5),
        ("năm nay đi ba buổi", 3),
        ("hai buổi", 2),
        ("hai buoi", 2),
        ("Hai Buổi ạ", 2),
        ("mười", 10),
        ("muoi hai", 12),
        ("hai mươi", 20),
        ("hai muoi lam", 25),
        ("ba mươi mốt", 31),
        ("di nam buoi", 5),
        ("2,5 giờ", 2.5),
        ("1.000", None),  # a thousand: out of a range of 0 to 60
        ("0", 0),
        ("60", 60),
    ],
)
def test_one_number_is_read_from_a_reply(typed: str, value: float | None) -> None:
    expected = NumberProblem.OUT_OF_RANGE if value is None else value
    assert read_number(typed, 60) == expected


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("-3", NumberProblem.OUT_OF_RANGE),
        ("âm 3", NumberProblem.OUT_OF_RANGE),
        ("61", NumberProblem.OUT_OF_RANGE),
        ("1000000", NumberProblem.OUT_OF_RANGE),
        ("2025", NumberProblem.OUT_OF_RANGE),
        ("1" * 26, NumberProblem.OUT_OF_RANGE),
        ("1,2,3", NumberProblem.OUT_OF_RANGE),
        ("3 hoac 4", NumberProblem.SEVERAL),
        ("5-6 buoi", NumberProblem.SEVERAL),
        ("mot hai buoi", NumberProblem.SEVERAL),
        ("thinh thoang", NumberProblem.NONE),
        ("khong nho", NumberProblem.NONE),
        ("lam", NumberProblem.NONE),  # "làm", not "lăm"
        ("tu nha", NumberProblem.NONE),  # "từ", not "tư"
    ],
)
def test_a_reply_without_one_number_in_range_is_named(typed: str, problem: NumberProblem) -> None:
    assert read_number(typed, 60) is problem


def test_particles_and_punctuation_are_not_words() -> None:
    particles = {"a", "nhe", "da", "vang"}
    assert words("Dạ, đồng ý ạ!", particles) == "dong y"
    assert words("vâng ạ", particles) == "vang"  # nothing else: the particle is the answer
    assert words("Người dân trong xã, phường", particles) == "nguoi dan trong xa phuong"


def test_telex_leftovers_are_read() -> None:
    assert untelex("dduwowcj") == "duoc"
    assert untelex("ddoongf ys") == "dong y"
    assert untelex("khoong") == "khong"
