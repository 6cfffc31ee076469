import math

import pytest

from content import CriteriaGroup, NumberInput


@pytest.mark.parametrize(
    ("sessions", "points"),
    [(0, 0), (0.99, 0), (1, 5), (2.99, 5), (3, 8), (5.99, 8), (6, 10), (1000, 10)],
)
def test_band_edges_belong_to_the_band_above(
    residents: CriteriaGroup, sessions: float, points: int
) -> None:
    # Residents I3 counts learning sessions: [0,1) 0, [1,3) 5, [3,6) 8, [6,∞) 10.
    number_input = residents.indicator("I3").number_input
    assert number_input is not None
    assert number_input.points_for(sessions) == points


@pytest.mark.parametrize("value", [-1, -0.01, math.nan])
def test_negative_or_nan_is_refused(residents: CriteriaGroup, value: float) -> None:
    number_input = residents.indicator("I3").number_input
    assert number_input is not None
    with pytest.raises(ValueError):
        number_input.points_for(value)


def test_a_gap_between_bands_is_refused_not_scored() -> None:
    gappy = NumberInput.model_validate(
        {
            "unit": {"vi": "giờ", "en": "hours"},
            "max_value": 10,
            "bands": [{"min": 0, "max": 1, "points": 0}, {"min": 2, "points": 10}],
        }
    )
    assert gappy.points_for(2) == 10
    with pytest.raises(ValueError):
        gappy.points_for(1.5)
