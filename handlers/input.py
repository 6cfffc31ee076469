"""Making sense of what people type: cleaning, and matching typed answers to options."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from enum import StrEnum

from content.text import normalize

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


def match_choice(text: str, labels: Sequence[str]) -> int | None:
    """Index of the option a person meant: its number (1-based) or its label typed in any
    case, with or without accents. None when nothing, or more than one, fits."""
    typed = normalize(text)
    if not typed or (typed.isdigit() and text.strip()[:1] in ("-", "+", "−")):
        return None  # "-1", "+2": numbers no option has, not options 1 and 2
    if typed.isdigit():
        number = int(typed)
        return number - 1 if 1 <= number <= len(labels) else None
    normalized = [normalize(label) for label in labels]
    exact = [i for i, label in enumerate(normalized) if label == typed]
    if len(exact) == 1:
        return exact[0]
    # "co" for "Có, tôi đồng ý": a typed start of exactly one label is enough.
    starts = [i for i, label in enumerate(normalized) if label.startswith(typed + " ")]
    return starts[0] if len(starts) == 1 else None


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def first_number(text: str) -> float | None:
    found = _NUMBER.search(text)
    return float(found.group().replace(",", ".")) if found else None
