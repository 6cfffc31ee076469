import pytest

from content import CriteriaGroup
from content.scoring import score

IDS = [f"I{n}" for n in range(1, 11)]


def answers(*points: int) -> dict[str, int]:
    return dict(zip(IDS, points, strict=False))


def test_79_fails_and_80_passes_the_total(residents: CriteriaGroup) -> None:
    failed = score(residents, answers(7, 8, 8, 8, 8, 8, 8, 8, 8, 8), disadvantaged=False)
    assert (failed.total, failed.threshold, failed.passed) == (79, 80, False)
    assert failed.failed_rules == ["min_total"]

    passed = score(residents, answers(*[8] * 10), disadvantaged=False)
    assert (passed.total, passed.passed, passed.failed_rules) == (80, True, [])


def test_disadvantaged_commune_passes_at_70_not_69(residents: CriteriaGroup) -> None:
    passed = score(residents, answers(*[7] * 10), disadvantaged=True)
    assert (passed.total, passed.threshold, passed.passed) == (70, 70, True)

    failed = score(residents, answers(6, 7, 7, 7, 7, 7, 7, 7, 7, 7), disadvantaged=True)
    assert (failed.total, failed.passed, failed.failed_rules) == (69, False, ["min_total"])

    elsewhere = score(residents, answers(*[7] * 10), disadvantaged=False)
    assert (elsewhere.threshold, elsewhere.passed) == (80, False)


def test_one_indicator_below_5_fails_a_high_total(residents: CriteriaGroup) -> None:
    # 9 x 10 + 4 = 94 is the highest total with an indicator at 4.
    result = score(residents, answers(*[10] * 9, 4), disadvantaged=False)
    assert (result.total, result.passed) == (94, False)
    assert result.failed_rules == ["min_indicator"]
    assert result.low_indicators == ["I10"]


def test_exactly_5_is_not_low(residents: CriteriaGroup) -> None:
    result = score(residents, answers(*[10] * 9, 5), disadvantaged=False)
    assert (result.passed, result.low_indicators) == (True, [])


def test_missing_answers_never_pass(residents: CriteriaGroup) -> None:
    result = score(residents, answers(*[10] * 9), disadvantaged=False)
    assert result.total == 90
    assert result.missing == ["I10"]
    assert result.failed_rules == ["complete"]
    assert not result.passed
    assert list(result.per_indicator) == IDS[:9]


def test_nothing_answered(residents: CriteriaGroup) -> None:
    result = score(residents, {}, disadvantaged=False)
    assert result.per_indicator == {}
    assert result.missing == IDS
    assert result.failed_rules == ["min_total", "complete"]


@pytest.mark.parametrize("bad", [{"I1": 11}, {"I1": -1}, {"I11": 5}])
def test_points_out_of_range_or_unknown_indicator_raise(
    residents: CriteriaGroup, bad: dict[str, int]
) -> None:
    with pytest.raises(ValueError):
        score(residents, bad, disadvantaged=False)
