"""A corpus of replies older users type (tests/handlers/data/typed_replies.tsv), each with the
option it must pick or "none": matched exactly as a step matches them (handlers.flows.common)."""

from __future__ import annotations

from pathlib import Path

import pytest

from content import Content, load_content
from handlers.input import Vocabulary, match_choice

CORPUS = Path(__file__).parent / "data" / "typed_replies.tsv"
YES_NO = {"consent": (0, 1), "confirm": (0, 1)}


def option_lists(content: Content) -> dict[str, list[str]]:
    groups = content.groups(2025)
    often = content.criteria_for("residents", 2025).indicator("I4").options
    lists = {
        "consent": ["Đồng ý", "Không đồng ý"],
        "confirm": ["Nộp ngay", "Chưa nộp"],
        "group": [g.title.vi for g in groups],
        "often": [o.label.vi for o in often],
        "number_controls": ["« Quay lại", "Bỏ qua", "Tạm dừng"],
    }
    for group, indicator in [
        ("residents", "I1"),
        ("residents", "I2"),
        ("residents", "I5"),
        ("residents", "I6"),
        ("residents", "I9"),
        ("learners", "I6"),
    ]:
        options = content.criteria_for(group, 2025).indicator(indicator).options
        lists[f"{group}_{indicator}"] = [o.label.vi for o in options]
    return lists


def corpus() -> list[tuple[str, str, str]]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    rows = [tuple(line.split("\t")) for line in lines if line and not line.startswith("#")]
    assert all(len(row) == 3 for row in rows)
    return rows  # type: ignore[return-value]


CONTENT = load_content()
LISTS = option_lists(CONTENT)
REPLIES = CONTENT.replies
VOCABULARY = Vocabulary(REPLIES.particle_words, REPLIES.yes_words, REPLIES.no_words)


def test_the_corpus_is_large_and_varied() -> None:
    rows = corpus()
    assert len(rows) >= 300
    assert {question for question, _, _ in rows} == set(LISTS)
    assert sum(expected == "none" for _, _, expected in rows) >= 50


@pytest.mark.parametrize(("question", "reply", "expected"), corpus())
def test_a_typed_reply_picks_its_option_or_none(question: str, reply: str, expected: str) -> None:
    labels = LISTS[question]
    found = match_choice(reply, labels, VOCABULARY, YES_NO.get(question))
    assert (labels[found] if found is not None else "none") == expected
