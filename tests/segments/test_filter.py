from __future__ import annotations

import builtins
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from segments._errors import FilterError
from segments.filter import (
    And,
    Compare,
    Household,
    InList,
    Not,
    Or,
    Value,
    evaluate,
    fields,
    parse,
    select,
)

COLUMNS = [
    "household_id", "party", "age", "turnout_score", "support", "precinct", "zip", "last_name",
    "street", "voted",
]  # fmt: skip
# 12 voters in 5 households, with the mess a real voter file has: mixed-case and padded party
# codes, blank and missing values, ZIPs read as text that keep their leading zero.
ROWS = [
    ("H1", "D", 34, 55, 5, "P01", "02134", "MacDonald", "12 Park Ave", True),
    ("H1", "d", 29, 40, 4, "P01", "02134", "macdonald", "12 Park Ave", False),
    ("H1", "R", 61, 80, 2, "P01", "02134", "MacDonald", "12 Park Ave", True),
    ("H2", " u ", np.nan, 30, 3, "P07", "02139", "Smith", "3 Main St", False),
    ("H2", "U", 45, 70, pd.NA, "P07", "02139", "Smith", "3 Main St", True),
    ("H3", "R", 52, 65, 1, "P02", "10001", "Mackey", "7 Parkside Rd", True),
    ("H3", "r", 24, 20, 2, "P02", "10001", "Mackey", "7 Parkside Rd", False),
    ("H4", "D", 19, 10, 5, "P07", "02134", "O'Neil", "40 Elm St", False),
    ("H4", "", 70, 95, 4, "P07", "02134", "O'Neil", "40 Elm St", True),
    ("H4", None, 33, 50, 3, "P07", "02134", "Nguyen", "40 Elm St", False),
    ("H5", " D", 27, 35, 4, "P03", "", "Brown", " 9 Oak Ln ", True),
    ("H5", "R", np.nan, 60, 2, "P03", None, "brown", "9 Oak Ln", False),
]


def make_voters() -> pd.DataFrame:
    index = pd.Index([f"v{i:02d}" for i in range(1, len(ROWS) + 1)], name="voter_id")
    frame = pd.DataFrame(ROWS, columns=COLUMNS, index=index)
    # A nullable integer column, as read from Parquet.
    frame["support"] = frame["support"].astype("Int64")
    return frame


@pytest.fixture(params=["inferred", "object"])
def voters(request: pytest.FixtureRequest) -> pd.DataFrame:
    frame = make_voters()
    if request.param == "object":
        # Text columns as pandas < 3 and many readers give them.
        text = frame.select_dtypes(exclude=["number", "bool"]).columns
        frame = frame.astype(dict.fromkeys(text, object))
    return frame


def ids(frame: pd.DataFrame, expression: str, **kwargs: Any) -> list[str]:
    mask = select(frame, expression, **kwargs)
    return [str(label) for label in mask[mask].index]


def v(*numbers: int) -> list[str]:
    return [f"v{n:02d}" for n in numbers]


# --------------------------------------------------------------------------- result shape


def test_result_is_boolean_series_aligned_with_frame(voters: pd.DataFrame) -> None:
    mask = select(voters, "party = D")
    assert mask.dtype == bool
    assert mask.name == "target"
    assert mask.index.equals(voters.index)
    assert evaluate(parse("party = D"), voters).equals(mask)


def test_empty_frame_gives_empty_mask(voters: pd.DataFrame) -> None:
    mask = select(voters.iloc[:0], "party = D and any(age < 30)")
    assert len(mask) == 0
    assert mask.dtype == bool


# --------------------------------------------------------------------------- operators


@pytest.mark.parametrize("expression", ["party = D", "party == d", 'party = " D "', "party='d'"])
def test_equality_ignores_case_and_padding(voters: pd.DataFrame, expression: str) -> None:
    assert ids(voters, expression) == v(1, 2, 8, 11)


@pytest.mark.parametrize("expression", ["party != R", "party <> r"])
def test_not_equal_skips_missing(voters: pd.DataFrame, expression: str) -> None:
    # v09 (blank) and v10 (None) have no party, so they are not "not R" either.
    assert ids(voters, expression) == v(1, 2, 4, 5, 8, 11)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("age >= 45", v(3, 5, 6, 9)),
        ("age > 60", v(3, 9)),
        ("age < 25", v(7, 8)),
        ("age <= 24", v(7, 8)),
        ("age = 34", v(1)),
        ("age = 34.0", v(1)),
        ("age != 34", v(2, 3, 5, 6, 7, 8, 9, 10, 11)),
        ("support >= 4", v(1, 2, 8, 9, 11)),
        ("turnout_score > -1", v(*range(1, 13))),
    ],
)
def test_numeric_comparisons(voters: pd.DataFrame, expression: str, expected: list[str]) -> None:
    assert ids(voters, expression) == expected


def test_between_is_inclusive(voters: pd.DataFrame) -> None:
    assert ids(voters, "turnout_score between 30 and 70") == v(1, 2, 4, 5, 6, 10, 11, 12)
    assert ids(voters, "turnout_score not between 30 and 70") == v(3, 7, 8, 9)


def test_not_between_skips_missing(voters: pd.DataFrame) -> None:
    assert ids(voters, "age not between 25 and 60") == v(3, 7, 8, 9)


def test_between_on_text_is_alphabetical(voters: pd.DataFrame) -> None:
    assert ids(voters, 'last_name between "b" and n') == v(1, 2, 3, 6, 7, 11, 12)


def test_in_and_not_in(voters: pd.DataFrame) -> None:
    assert ids(voters, 'precinct in ("P01", p02)') == v(1, 2, 3, 6, 7)
    assert ids(voters, "party not in (D, R)") == v(4, 5)
    assert ids(voters, "age in (34, 19, old)") == v(1, 8)


def test_zip_with_leading_zero_compares_as_typed(voters: pd.DataFrame) -> None:
    assert ids(voters, "zip = 02134") == v(1, 2, 3, 8, 9, 10)
    assert ids(voters, "zip = 2134") == []
    assert ids(voters, "zip in (02139, 10001)") == v(4, 5, 6, 7)


def test_ordering_text_column_against_number_reads_numbers(voters: pd.DataFrame) -> None:
    assert ids(voters, "zip > 5000") == v(6, 7)
    ages_as_text = pd.DataFrame({"age": ["34", " 19", "", "n/a", "70"]})
    mask = select(ages_as_text, "age >= 25", household_column=None)
    assert mask.tolist() == [True, False, False, False, True]


def test_number_never_equals_text_code(voters: pd.DataFrame) -> None:
    assert ids(voters, "precinct = 1") == []
    assert ids(voters, "age = abc") == []
    assert ids(voters, "age != abc") == v(1, 2, 3, 5, 6, 7, 8, 9, 10, 11)


def test_contains_startswith_endswith(voters: pd.DataFrame) -> None:
    assert ids(voters, 'last_name startswith "Mac"') == v(1, 2, 3, 6, 7)
    assert ids(voters, 'street contains "park"') == v(1, 2, 3, 6, 7)
    assert ids(voters, "street endswith ST") == v(4, 5, 8, 9, 10)
    assert ids(voters, "street endswith 'ln'") == v(11, 12)
    assert ids(voters, "zip startswith 021") == v(1, 2, 3, 4, 5, 8, 9, 10)


def test_contains_is_literal_not_a_pattern(voters: pd.DataFrame) -> None:
    assert ids(voters, 'last_name contains ".*"') == []
    assert ids(voters, 'last_name contains "\'"') == v(8, 9)


def test_quoted_strings_take_escapes(voters: pd.DataFrame) -> None:
    assert ids(voters, r"last_name = 'O\'Neil'") == v(8, 9)
    assert parse(r'party = "a \"b\" \\ c"') == Compare("party", "=", Value('a "b" \\ c'))


def test_is_blank(voters: pd.DataFrame) -> None:
    assert ids(voters, "party is blank") == v(9, 10)
    assert ids(voters, "age is blank") == v(4, 12)
    assert ids(voters, "support IS BLANK") == v(5)
    assert ids(voters, "zip is not blank") == v(*range(1, 11))


def test_categorical_and_numeric_id_columns(voters: pd.DataFrame) -> None:
    voters["party"] = voters["party"].astype("category")
    voters["household_id"] = voters["household_id"].str[1:].astype(int)
    assert ids(voters, "party in (u) or party is blank") == v(4, 5, 9, 10)
    assert ids(voters, "all(party = r)") == v(6, 7)


def test_boolean_column_compares_as_words(voters: pd.DataFrame) -> None:
    assert ids(voters, "voted = true") == v(1, 3, 5, 6, 9, 11)
    assert ids(voters, "voted = FALSE and party = d") == v(2, 8)


# --------------------------------------------------------------------------- missing values


def test_missing_values_never_match_but_not_negates_plainly(voters: pd.DataFrame) -> None:
    assert ids(voters, "age > 30") == v(1, 3, 5, 6, 9, 10)
    # not is boolean negation: voters with no age are "not older than 30".
    assert ids(voters, "not (age > 30)") == v(2, 4, 7, 8, 11, 12)
    assert ids(voters, "party contains d") == v(1, 2, 8, 11)


# --------------------------------------------------------------------------- precedence


def test_and_binds_tighter_than_or(voters: pd.DataFrame) -> None:
    assert ids(voters, "party = R or party = D and age > 30") == v(1, 3, 6, 7, 12)
    assert ids(voters, "(party = R or party = D) and age > 30") == v(1, 3, 6)
    a, b, c = (Compare(name, "=", Value("1")) for name in "abc")
    assert parse("a = 1 or b = 1 and c = 1") == Or((a, And((b, c))))


def test_not_binds_tighter_than_and(voters: pd.DataFrame) -> None:
    assert ids(voters, "not party = R and age > 30") == v(1, 5, 9, 10)
    assert ids(voters, "not (party = R and age > 30)") == v(1, 2, 4, 5, 7, 8, 9, 10, 11, 12)
    a, b = Compare("a", "=", Value("1")), Compare("b", "=", Value("1"))
    assert parse("not a = 1 and b = 1") == And((Not(a), b))
    assert parse("not not a = 1") == Not(Not(a))


def test_nested_parentheses(voters: pd.DataFrame) -> None:
    expression = "((party in (D, U)) and ((age >= 25) or (support >= 5)))"
    assert ids(voters, expression) == v(1, 2, 5, 8, 11)


def test_spacing_does_not_change_the_tree() -> None:
    assert parse("party=D and age>=25") == parse("  party  =  D   AND   age >= 25 ")
    assert parse("party in(D,U)") == InList("party", (Value("D"), Value("U")))


# --------------------------------------------------------------------------- households


def test_any_and_all_per_household(voters: pd.DataFrame) -> None:
    assert ids(voters, "any(age < 25)") == v(6, 7, 8, 9, 10)
    assert ids(voters, "all(party != R)") == v(4, 5)
    assert ids(voters, "all(party = R)") == v(6, 7)
    assert ids(voters, "any(age < 25) and not all(party = R)") == v(8, 9, 10)
    assert parse("ANY(age < 25)") == Household("any", Compare("age", "<", Value("25")))


def test_voters_without_household_stand_alone(voters: pd.DataFrame) -> None:
    voters.loc["v12", "household_id"] = None
    voters.loc["v10", "household_id"] = " "
    assert ids(voters, "any(age < 30)") == v(1, 2, 3, 6, 7, 8, 9, 11)
    assert ids(voters, "all(party is blank)") == v(10)


def test_household_column_is_matched_case_insensitively(voters: pd.DataFrame) -> None:
    renamed = voters.rename(columns={"household_id": " Household_ID"})
    assert ids(renamed, "any(age < 25)") == v(6, 7, 8, 9, 10)
    other = voters.rename(columns={"household_id": "door"})
    assert ids(other, "any(age < 25)", household_column="door") == v(6, 7, 8, 9, 10)


def test_household_column_missing_is_an_error(voters: pd.DataFrame) -> None:
    with pytest.raises(FilterError, match="household column 'household_id'") as info:
        select(voters.drop(columns="household_id"), "age > 3 and any(age < 25)")
    assert info.value.position == 12
    with pytest.raises(FilterError, match="needs a household column"):
        select(voters, "all(age < 25)", household_column=None)
    # Without any()/all() the household column is not needed.
    assert ids(voters, "age < 20", household_column=None) == v(8)


# --------------------------------------------------------------------------- names


def test_fields_and_keywords_are_case_insensitive(voters: pd.DataFrame) -> None:
    messy = voters.rename(columns={"party": " Party ", "age": "AGE"})
    expression = "PARTY In (d) AND Age BETWEEN 20 AND 40 Or Party IS BLANK"
    assert ids(messy, expression) == v(1, 2, 9, 10, 11)


def test_space_in_column_name_can_be_typed_as_underscore(voters: pd.DataFrame) -> None:
    renamed = voters.rename(columns={"last_name": "Last Name"})
    assert ids(renamed, "last_name = brown") == v(11, 12)


def test_fields_lists_names_used() -> None:
    expression = "Party in (D) and any(AGE < 30) or not zip is blank"
    assert fields(expression) == {"party", "age", "zip"}
    assert fields(parse("a = 1 and A = 2")) == {"a"}


def test_ambiguous_columns_are_an_error(voters: pd.DataFrame) -> None:
    voters["PARTY"] = "x"
    assert ids(voters, "party = d") == v(1, 2, 8, 11)  # the exact name wins
    with pytest.raises(FilterError, match="matches several columns"):
        select(voters, "Party = d")


# --------------------------------------------------------------------------- errors


def caret_column(error: FilterError) -> int:
    caret_line = str(error).splitlines()[2]
    return caret_line.index("^") - 2


def test_unknown_field_lists_existing_fields(voters: pd.DataFrame) -> None:
    with pytest.raises(FilterError) as info:
        select(voters, "partyy = D")
    error = info.value
    assert error.position == 0
    assert error.expression == "partyy = D"
    lines = str(error).splitlines()
    assert lines[0].startswith(
        "unknown field 'partyy' at position 0; fields that exist: age, household_id, last_name, "
        "party, precinct, street, support, turnout_score, voted, zip"
    )
    assert "did you mean 'party'?" in lines[0]
    assert lines[1:] == ["  partyy = D", "  ^"]


def test_unknown_field_is_reported_where_it_was_typed(voters: pd.DataFrame) -> None:
    with pytest.raises(FilterError, match="unknown field 'precint'") as info:
        select(voters, "age > 30 and (precint = P01 or colour = red)")
    assert info.value.position == 14
    assert caret_column(info.value) == 14


@pytest.mark.parametrize(
    ("expression", "message", "position"),
    [
        ("age >=", "expected a value after '>='", 6),
        ("age >= and party = D", "expected a value after '>='", 7),
        ("party in (D, )", "expected a value after ','", 13),
        ("party = D R", "unexpected 'R'", 10),
        ("party D", "expected an operator after field 'party'", 6),
        ("party in D", "expected '(' after 'in'", 9),
        ("age between 20 40", "expected 'and' between the two bounds", 15),
        ("party is nothing", "expected 'blank' or 'not blank'", 9),
        ("party not like D", "expected 'in' or 'between' after 'not'", 10),
        ("party = D and", "expected a condition after 'and'", 13),
        ("and party = D", "expected a condition at the start", 0),
        ("party = and", "expected a value after '='", 8),
        ('last_name = "Mac', "unterminated string", 12),
        ("last_name = 'Mac\\'", "unterminated string", 12),
        ("(party = D", "unbalanced parentheses", 0),
        ("party = D)", "unbalanced parentheses", 9),
        ("((party = D) or (age > 3)", "unbalanced parentheses", 0),
        ("(party = D R)", "expected ')' to close the '(' at position 0", 11),
        ("sum(age) > 3", "unknown function 'sum'", 0),
        ("party = \u201cD\u201d", "unexpected character", 8),
    ],
)
def test_syntax_errors_point_at_the_problem(expression: str, message: str, position: int) -> None:
    with pytest.raises(FilterError, match=re.escape(message)) as info:
        parse(expression)
    assert info.value.position == position
    assert info.value.expression == expression
    assert f"at position {position}" in str(info.value)
    assert caret_column(info.value) == position


@pytest.mark.parametrize(
    ("expression", "position"),
    [("age >= abc", 7), ("age between 20 and old", 19), ("support < 'high'", 10)],
)
def test_numeric_column_against_non_number(
    voters: pd.DataFrame, expression: str, position: int
) -> None:
    with pytest.raises(FilterError, match=r"column '\w+' is numeric") as info:
        select(voters, expression)
    assert info.value.position == position
    assert caret_column(info.value) == position


@pytest.mark.parametrize("expression", ["", "   ", "\t\n"])
def test_empty_expression(expression: str) -> None:
    with pytest.raises(FilterError, match="empty expression") as info:
        parse(expression)
    assert info.value.position is None


def test_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(FilterError, match="nested too deeply"):
        parse("(" * 500 + "a = 1" + ")" * 500)
    with pytest.raises(FilterError, match="nested too deeply"):
        parse("not " * 500 + "a = 1")


def test_caret_stays_aligned_across_tabs_and_newlines() -> None:
    with pytest.raises(FilterError) as info:
        parse("party = D\n\tand age >")
    lines = str(info.value).splitlines()
    assert lines[1] == "  party = D  and age >"
    assert caret_column(info.value) == 20


def test_filter_error_is_a_value_error_and_pickles() -> None:
    with pytest.raises(ValueError, match="unknown function") as info:
        parse("max(age)")
    assert isinstance(info.value, FilterError)
    copy = pickle.loads(pickle.dumps(info.value))
    assert isinstance(copy, FilterError)
    assert (copy.position, copy.expression, str(copy)) == (0, "max(age)", str(info.value))


# --------------------------------------------------------------------------- injection


INJECTIONS = [
    "__import__('pathlib').Path('pwned').touch()",
    "__import__('os').system('echo hi > pwned')",
    "party = D; __import__('os').system('echo hi > pwned')",
    "party == @pwned",
    "@pwned",
    "`party` == 'D'",
    "party = D or __import__('os').system('echo hi > pwned')",
    "age > 1 if True else 0",
    "party = D or 1 = 1",
    "party = D --",
    "lambda: open('pwned', 'w')",
    "party.str.contains('D') = 1",
    "party = 'D' + open('pwned','w').write('x')",
]


@pytest.mark.parametrize("expression", INJECTIONS)
def test_code_in_expression_is_rejected_never_run(
    voters: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, expression: str
) -> None:
    monkeypatch.chdir(tmp_path)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("user text reached an evaluator")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    monkeypatch.setattr(pd, "eval", refuse)
    monkeypatch.setattr(pd.DataFrame, "query", refuse)
    monkeypatch.setattr(pd.DataFrame, "eval", refuse)
    try:
        mask = select(voters, expression)
    except FilterError:
        pass
    else:
        assert not mask.any()
    finally:
        monkeypatch.undo()
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "value",
    [
        "__import__('pathlib').Path('pwned').touch()",
        "D' or '1' = '1",
        "`party`",
        "@party",
        "${party}",
    ],
)
def test_code_in_quotes_is_just_data(
    voters: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    tree = parse(f'party = "{escaped}"')
    assert tree == Compare("party", "=", Value(value))
    assert not evaluate(tree, voters).any()
    assert not (tmp_path / "pwned").exists()
