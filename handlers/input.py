"""Making sense of what people type: cleaning, matching typed answers to options, and
reading one number out of a sentence."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz

from content.text import fold, normalize

MAX_TEXT = 4000


class Problem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NO_WORDS = "no_words"  # emoji, symbols or control characters only


def clean(text: str) -> str:
    """Drop control and format characters (keeping line breaks) and trim."""
    kept = (ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return "".join(kept).strip()


def problem_with(text: str) -> Problem | None:
    if not text:
        return Problem.EMPTY
    if len(text) > MAX_TEXT:
        return Problem.TOO_LONG
    if not any(ch.isalnum() for ch in text):
        return Problem.NO_WORDS
    return None


@dataclass(frozen=True)
class Vocabulary:
    """The words a step knows besides its labels, normalized (content/replies.yaml: its
    ``particle_words``, ``yes_words`` and ``no_words``)."""

    particles: frozenset[str] = frozenset()
    yes: frozenset[str] = frozenset()
    no: frozenset[str] = frozenset()


_INNER_PUNCTUATION = re.compile(r"[^\w\s]|_")


def words(text: str, particles: Collection[str] = ()) -> str:
    """A reply as plain words: no accents, case or punctuation, politeness particles at
    either end dropped ("Dạ, đồng ý ạ!" → "dong y") unless nothing else is left ("vâng")."""
    tokens = normalize(_INNER_PUNCTUATION.sub(" ", text)).split()
    while len(tokens) > 1 and tokens[-1] in particles:  # "vâng ạ": the "ạ" goes first
        tokens.pop()
    while len(tokens) > 1 and tokens[0] in particles:
        tokens.pop(0)
    return " ".join(tokens)


_TELEX_MARKS = (
    ("dd", "d"),
    ("aa", "a"),
    ("aw", "a"),
    ("ee", "e"),
    ("oo", "o"),
    ("ow", "o"),
    ("uw", "u"),
    ("w", "u"),
)
_TELEX_TONE = re.compile(r"(?<=[a-z])[sfrxj]\b")


def untelex(text: str) -> str:
    """What a telex-typed word meant when the keyboard did not convert it ("dduwowcj" →
    "duoc"): no Vietnamese syllable ends in s, f, r, x or j, so those are tone keys."""
    out = text
    for typed, letter in _TELEX_MARKS:
        out = out.replace(typed, letter)
    return _TELEX_TONE.sub("", out)


FUZZY_MIN = 88  # rapidfuzz ratio: one slip in a short word, two in a longer label
FUZZY_MARGIN = 6  # over the next label, or the reply is ambiguous


def match_choice(
    text: str,
    labels: Sequence[str],
    vocabulary: Vocabulary = Vocabulary(),
    yes_no: tuple[int, int] | None = None,
) -> int | None:
    """Index of the option a person meant: its number (1-based), its label typed in any
    case, with or without accents and punctuation, a start of exactly one label, or a label
    with a small typo; where a yes or no is asked (`yes_no`: their indexes), a word for yes
    or no. None when nothing, or more than one, fits."""
    typed = words(text, vocabulary.particles)
    if not typed or (typed.isdigit() and text.strip()[:1] in ("-", "+", "−")):
        return None  # "-1", "+2": numbers no option has, not options 1 and 2
    if typed.isdigit():
        number = int(typed)
        return number - 1 if 1 <= number <= len(labels) else None
    plain = [words(label, vocabulary.particles) for label in labels]
    for form in dict.fromkeys((typed, untelex(typed))):
        found = _match(form, plain, vocabulary, yes_no)
        if found is not None:
            return found
    return None


def _match(
    typed: str, labels: list[str], vocabulary: Vocabulary, yes_no: tuple[int, int] | None
) -> int | None:
    exact = [i for i, label in enumerate(labels) if label == typed]
    if exact:
        return exact[0] if len(exact) == 1 else None
    if yes_no is not None and typed in vocabulary.yes:
        return yes_no[0]
    if yes_no is not None and typed in vocabulary.no:
        return yes_no[1]
    # "co" for "Có, tôi đồng ý": a typed start of exactly one label is enough.
    starts = [i for i, label in enumerate(labels) if label.startswith(typed + " ")]
    if starts:
        return starts[0] if len(starts) == 1 else None
    return _close(typed, labels)


def _close(typed: str, labels: list[str]) -> int | None:
    """The one label (or start of a label, as many words as typed) within a small typo."""
    if len(typed) < 4:  # "co" and "ko" are one letter apart: short words must be exact
        return None
    n = len(typed.split())
    scores = sorted(
        ((fuzz.ratio(typed, " ".join(label.split()[:n])), i) for i, label in enumerate(labels)),
        reverse=True,
    )
    if not scores or scores[0][0] < FUZZY_MIN:
        return None
    if len(scores) > 1 and scores[1][0] > scores[0][0] - FUZZY_MARGIN:
        return None
    return scores[0][1]


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def first_number(text: str) -> float | None:
    found = _NUMBER.search(text)
    return float(found.group().replace(",", ".")) if found else None


class NumberProblem(StrEnum):
    NONE = "none"  # no number in the reply
    SEVERAL = "several"  # two plausible answers: which one is meant is asked
    OUT_OF_RANGE = "out_of_range"  # negative or too large


# Digits with "." thousands ("1.000") or a decimal "," or "."; a sign or "âm" before.
_DIGITS = re.compile(r"(?P<minus>-\s*|\bam\s+)?(?P<n>\d+(?:[.,]\d+)*)")
_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
# "năm 2025", "năm nay": a year, not an answer ("năm" is also five).
_YEAR_WORDS = re.compile(r"\bnam\s+(?:nay|ngoai|truoc|roi|qua|\d{4})\b")
_LONGEST = 9  # digits: anything longer is no count of anything
_UNITS = {
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,
    "nam": 5,
    "lam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
}
_TEN = {"muoi", "chuc"}
# Only after "mươi": "hai mươi lăm", "ba mươi mốt", "hai mươi tư" (else "làm", "từ").
_AFTER_TENS_ONLY = {"lam", "tu"}


def read_number(text: str, high: float) -> float | NumberProblem:
    """The one number from 0 to `high` a reply gives: digits anywhere in a sentence
    ("năm 2025 tôi đi 4 buổi" → 4, the year being no count) or words for small numbers
    ("hai buổi", "hai muoi"), digits first."""
    plain = fold(text)
    without_years = _YEAR_WORDS.sub(" ", plain)
    found = [m for m in _DIGITS.finditer(without_years)]
    if not found:
        values = _word_numbers(without_years)
    else:
        values = [_value(m) for m in found]
        if len(values) > 1:  # a bare year beside a count: "2025 di 4 buoi"
            values = [v for v in values if not (v is not None and 1900 <= v <= 2100)]
    if not values:
        return NumberProblem.NONE
    if len(set(values)) > 1:
        return NumberProblem.SEVERAL
    value = values[0]
    if value is None or not 0 <= value <= high:
        return NumberProblem.OUT_OF_RANGE
    return float(value)


def _value(match: re.Match[str]) -> float | None:
    """The number, or None where it is out of every range (negative, very long, 1,2,3)."""
    digits = match.group("n")
    if match.group("minus") or len(re.sub(r"\D", "", digits)) > _LONGEST:
        return None
    if _THOUSANDS.match(digits):
        return float(digits.replace(".", ""))
    if digits.count(".") + digits.count(",") > 1:
        return None
    return float(digits.replace(",", "."))


def _word_numbers(plain: str) -> list[float | None]:
    """Numbers written as words, one per run of number words: "muoi hai" 12, "hai muoi" 20,
    "hai muoi lam" 25."""
    values: list[float | None] = []
    run: list[str] = []
    for token in [*plain.split(), ""]:
        after_tens = bool(run) and run[-1] in _TEN
        is_number = token in _TEN or (
            token in _UNITS and (token not in _AFTER_TENS_ONLY or after_tens)
        )
        if is_number:
            run.append(token)
            continue
        if run and not set(run) & _TEN:  # "mot hai buoi": one or two, so both
            values += [_UNITS[t] for t in run]
        elif run:
            values.append(_words_value(run))
        run = []
    return values


def _words_value(run: list[str]) -> int:
    if run[0] in _TEN:  # "mười", "mười hai"
        return 10 + sum(_UNITS.get(t, 0) for t in run[1:2])
    if len(run) > 1 and run[1] in _TEN:  # "hai mươi", "hai mươi lăm"
        return _UNITS[run[0]] * 10 + sum(_UNITS.get(t, 0) for t in run[2:3])
    return _UNITS[run[0]]
