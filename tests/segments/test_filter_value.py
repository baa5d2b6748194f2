"""Value expressions: arithmetic over voter fields; mistakes named with their position."""

from __future__ import annotations

import pandas as pd
import pytest

from segments._errors import FilterError
from segments.filter.value import evaluate_value

VOTERS = pd.DataFrame(
    {
        "support_score": [80, 50, None],
        "turnout_score": [20, 90, 50],
        "party": ["DEM", "rep", " una"],
        "GENERAL-11/05/2024": ["X", "", None],
        "age": ["25", "40", "unknown"],
    }
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("support_score * (100 - turnout_score) / 100", [64.0, 5.0, 0.0]),
        ('voted("GENERAL-11/05/2024") == 0', [0.0, 1.0, 1.0]),
        ("2 * (party == DEM) + (age < 30)", [3.0, 0.0, 0.0]),
        ("party in (dem, UNA)", [1.0, 0.0, 1.0]),
        ("not (party = rep) and age >= 25", [1.0, 0.0, 0.0]),
        ("max(support_score, 60) / 0", [0.0, 0.0, 0.0]),
        ("100-turnout_score", [80.0, 10.0, 50.0]),
        ("-1.5 * min(turnout_score, 30)", [-30.0, -45.0, -45.0]),
    ],
)
def test_values_per_voter(expression: str, expected: list[float]) -> None:
    assert evaluate_value(VOTERS, expression).tolist() == expected


@pytest.mark.parametrize(
    ("expression", "position", "words"),
    [
        ("support_scor * 2", 0, ["unknown field 'support_scor'", "did you mean 'support_score'"]),
        ("2 * party", 4, ["'party' holds text", "party == DEM"]),
        ("support_score +", 15, ["expected a number, a field or '('"]),
        ("(1 + 2", 6, ["expected ')'"]),
        ("log(age)", 0, ["unknown function 'log'"]),
        ("1 2", 2, ["unexpected '2'"]),
        ("age ; 2", 4, ["unexpected character ';'"]),
        ('voted("GENERAL-2020") * 2', 0, ["unknown election"]),
    ],
)
def test_mistakes_name_the_position(expression: str, position: int, words: list[str]) -> None:
    with pytest.raises(FilterError) as caught:
        evaluate_value(VOTERS, expression)
    assert caught.value.position == position
    message = str(caught.value)
    for word in words:
        assert word in message
    assert message.splitlines()[-1] == "  " + " " * position + "^"
