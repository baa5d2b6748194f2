"""Vote history in targets: voted("ELECTION"), voted("ELECTION", PARTY) and vote counts."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from segments._errors import FilterError
from segments.filter import Not, Value, Voted, fields, parse, select

# Ohio-style history columns: X for voted, the party letter of a primary ballot, blank for
# not voted (as the reader leaves them: categorical text), and counts as numbers.
HISTORY = pd.DataFrame(
    {
        "household_id": ["H1", "H1", "H2", "H3", "H3", "H4"],
        "party": ["D", "R", "", "D", "R", ""],
        "PRIMARY-03/17/2020": ["D", "R", "", "", "", ""],
        "GENERAL-11/03/2020": ["X", "X", "", "X", "", "X"],
        "GENERAL-11/05/2024": ["X", "", "X", "X", "", None],
        "general_votes": [2, 1, 1, 2, 0, 1],
    },
    index=[f"v{i}" for i in range(1, 7)],
)


@pytest.fixture(params=["text", "categorical"])
def voters(request: pytest.FixtureRequest) -> pd.DataFrame:
    frame = HISTORY.copy()
    if request.param == "categorical":
        for column in ("PRIMARY-03/17/2020", "GENERAL-11/03/2020", "GENERAL-11/05/2024"):
            frame[column] = frame[column].astype("category")
    return frame


def ids(frame: pd.DataFrame, expression: str) -> list[str]:
    mask = select(frame, expression, household_column="household_id")
    return frame.index[mask.to_numpy()].tolist()


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('voted("GENERAL-11/05/2024")', ["v1", "v3", "v4"]),
        ("voted('general-11/05/2024')", ["v1", "v3", "v4"]),  # any case, either quote
        ('not voted("GENERAL-11/05/2024")', ["v2", "v5", "v6"]),  # missing is not voted
        ('voted("PRIMARY-03/17/2020")', ["v1", "v2"]),  # a party letter is a vote
        ('voted("PRIMARY-03/17/2020", D)', ["v1"]),
        ('voted("PRIMARY-03/17/2020", "r")', ["v2"]),
        ('voted("GENERAL-11/03/2020") and not voted("GENERAL-11/05/2024")', ["v2", "v6"]),
        ("general_votes >= 2", ["v1", "v4"]),
        ('general_votes = 1 and voted("GENERAL-11/05/2024") and party is blank', ["v3"]),
        ('any(voted("PRIMARY-03/17/2020", R))', ["v1", "v2"]),
        ('all(voted("GENERAL-11/03/2020"))', ["v1", "v2", "v6"]),
    ],
)
def test_voted(voters: pd.DataFrame, expression: str, expected: list[str]) -> None:
    assert ids(voters, expression) == expected


@pytest.mark.parametrize(
    "marks",
    [
        ["Y", "N", "", None, "y", "no"],
        ["1", "0", "", None, "1", "0"],
        [1.0, 0.0, np.nan, np.nan, 1.0, 0.0],
        [True, False, False, False, True, False],
    ],
)
def test_other_vendors_marks(marks: list[object]) -> None:
    frame = pd.DataFrame({"General 2020": marks})

    assert select(frame, 'voted("General 2020")', household_column=None).tolist() == [
        True, False, False, False, True, False,
    ]  # fmt: skip


def test_voted_parses_to_a_node_and_names_its_field() -> None:
    tree = parse('not voted( "GENERAL-11/05/2024" , D )')

    assert tree == Not(Voted(Value("GENERAL-11/05/2024"), Value("D")))
    assert parse('voted("A")') == Voted(Value("A"))
    assert fields('voted("GENERAL-11/05/2024") and party = D') == {"general-11/05/2024", "party"}


def test_a_field_named_voted_still_compares() -> None:
    frame = pd.DataFrame({"voted": [True, False]})

    assert select(frame, "voted = true", household_column=None).tolist() == [True, False]


def test_unknown_election_lists_the_elections(voters: pd.DataFrame) -> None:
    expression = 'party = D and voted("GENERAL-11/05/2042")'

    with pytest.raises(FilterError) as info:
        select(voters, expression)

    error = info.value
    assert error.position == expression.index('"GENERAL')
    message = str(error)
    assert message.startswith("unknown election 'GENERAL-11/05/2042' at position 20")
    assert (
        "elections in the data: PRIMARY-03/17/2020, GENERAL-11/03/2020, GENERAL-11/05/2024"
        in message
    )
    assert "did you mean 'GENERAL-11/05/2024'?" in message
    assert message.splitlines()[2].index("^") - 2 == error.position


def test_voted_without_history_says_so() -> None:
    frame = pd.DataFrame({"party": ["D"], "age": [40]})

    with pytest.raises(FilterError, match="has no vote history columns") as info:
        select(frame, 'voted("GENERAL-11/05/2024")', household_column=None)

    assert info.value.position == 6


def test_unknown_election_is_found_before_any_work() -> None:
    frame = pd.DataFrame({"party": ["D"], "GENERAL-11/05/2024": ["X"]})

    # The unknown election is reported even though the first condition is false.
    with pytest.raises(FilterError, match="unknown election 'GENERAL-2024'"):
        select(frame, 'party = R and voted("GENERAL-2024")', household_column=None)


@pytest.mark.parametrize(
    ("expression", "message", "position"),
    [
        ("voted()", "voted() needs an election", 6),
        ('voted("A" "B")', "expected ')' after the election of voted(...)", 10),
        ('voted("A", D, R)', "expected ')' after the election of voted(...)", 12),
        ("voted(and)", "expected a value after '('", 6),
        ('voted("A"', "unbalanced parentheses", 5),
        ("voted(GENERAL-11/05/2024)", "unexpected character '/'", 16),
        ("votes(GENERAL) > 2", "unknown function 'votes'", 0),
    ],
)
def test_voted_syntax_errors_point_at_the_problem(
    expression: str, message: str, position: int
) -> None:
    with pytest.raises(FilterError, match=re.escape(message)) as info:
        parse(expression)

    assert info.value.position == position
    assert f"at position {position}" in str(info.value)


def test_unquoted_slash_suggests_quotes() -> None:
    with pytest.raises(FilterError) as info:
        parse("voted(GENERAL-11/05/2024)")

    assert 'voted("GENERAL-11/05/2024")' in str(info.value)


@pytest.mark.parametrize(
    "expression",
    [
        "voted(\"__import__('os').system('x')\")",
        'voted("GENERAL-11/05/2024\'); drop table voters; --")',
    ],
)
def test_code_as_an_election_is_only_a_name(expression: str) -> None:
    frame = pd.DataFrame({"GENERAL-11/05/2024": ["X"]})

    with pytest.raises(FilterError, match="unknown election"):
        select(frame, expression, household_column=None)
