"""The evaluator of the filter language: a syntax tree to a boolean mask over a voter frame.

Whole-column pandas/numpy operations only; the semantics are in the `segments.filter` package
docstring.
"""

from __future__ import annotations

import difflib
import functools
import operator
import re
from collections.abc import Callable
from typing import Any, assert_never

import numpy as np
import numpy.typing as npt
import pandas as pd

from segments._errors import FilterError
from segments.filter.columns import BoolArray, ColumnView
from segments.filter.parser import parse
from segments.filter.syntax import (
    And,
    Between,
    Compare,
    Expression,
    FieldNode,
    Household,
    InList,
    IsBlank,
    Not,
    Or,
    TextMatch,
    Value,
    Voted,
    walk,
)

__all__ = ["evaluate", "select"]


def _normalise(text: str) -> str:
    return text.strip().casefold()


def _column_key(name: str) -> str:
    return "_".join(name.split()).casefold()


# Column names that look like an election (a date, or the kind of election): listed when
# voted() names a column that does not exist.
_ELECTION = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}|general|primary|special", re.I)
_ELECTIONS_SHOWN = 8

_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _order(op: str, left: Any, right: Any) -> BoolArray:
    return np.asarray(_ORDER[op](left, right), dtype=bool)


class _Evaluator:
    def __init__(self, frame: pd.DataFrame, household_column: str | None) -> None:
        self._frame = frame
        self._household_column = household_column
        self._labels = [str(label).strip() for label in frame.columns]
        self._by_key: dict[str, list[int]] = {}
        for i, label in enumerate(self._labels):
            self._by_key.setdefault(_column_key(label), []).append(i)
        self._views: dict[int, ColumnView] = {}
        self._groups: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]] | None = None

    # ---- columns

    def _column_index(self, name: str, node: FieldNode | Household | Value) -> int | None:
        matches = self._by_key.get(_column_key(name), [])
        exact = [i for i in matches if self._labels[i] == name]
        if len(matches) == 1 or len(exact) == 1:
            return (exact or matches)[0]
        if matches:
            shown = ", ".join(repr(self._labels[i]) for i in matches)
            raise FilterError(
                f"field {name!r} matches several columns", node.source, node.position, shown
            )
        return None

    def _existing(self) -> str:
        names = sorted(set(self._labels), key=lambda label: (label.casefold(), label))
        return f"fields that exist: {', '.join(names) if names else '(none)'}"

    def _view(self, node: FieldNode) -> ColumnView:
        index = self._column_index(node.field, node)
        if index is None:
            detail = self._existing()
            # Compare keys, so that a typo of "Party" is not judged on its capital letter.
            keys = {_column_key(label): label for label in self._labels}
            close = difflib.get_close_matches(_column_key(node.field), list(keys), n=1)
            if close:
                detail += f"; did you mean {keys[close[0]]!r}?"
            raise FilterError(f"unknown field {node.field!r}", node.source, node.position, detail)
        return self._view_at(index)

    def _view_at(self, index: int) -> ColumnView:
        if index not in self._views:
            self._views[index] = ColumnView(self._frame.iloc[:, index], self._labels[index])
        return self._views[index]

    def _election_view(self, node: Voted) -> ColumnView:
        name = node.election.text
        index = self._column_index(name, node.election)
        if index is None:
            raise FilterError(
                f"unknown election {name!r}",
                node.source,
                node.election.position,
                self._elections(name),
            )
        return self._view_at(index)

    def _elections(self, name: str) -> str:
        elections = [label for label in self._labels if _ELECTION.search(label)]
        if not elections:
            return (
                "the voter data has no vote history columns; voted() needs a voter file with "
                "one column per election (the Ohio voter file's GENERAL-11/05/2024, ...)"
            )
        shown = ", ".join(elections[-_ELECTIONS_SHOWN:])
        more = len(elections) - _ELECTIONS_SHOWN
        detail = f"elections in the data: {shown}" + (f" and {more} earlier" if more > 0 else "")
        keys = {_column_key(label): label for label in elections}
        close = difflib.get_close_matches(_column_key(name), list(keys), n=1)
        if close:
            detail += f"; did you mean {keys[close[0]]!r}?"
        return detail

    def check(self, tree: Expression) -> None:
        """Raise for the first unknown field (in typing order) before doing any work."""
        for node in walk(tree):
            if isinstance(node, Household):
                self._household_index(node)
            elif isinstance(node, Voted):
                self._election_view(node)
            elif not isinstance(node, And | Or | Not):
                self._view(node)

    def _household_index(self, node: Household) -> int:
        column = self._household_column
        if column is None:
            raise FilterError(
                f"{node.quantifier}() needs a household column",
                node.source,
                node.position,
                "household_column=None was given",
            )
        index = self._column_index(column, node)
        if index is None:
            raise FilterError(
                f"{node.quantifier}() needs the household column {column!r}, "
                "which is not in the data",
                node.source,
                node.position,
                self._existing(),
            )
        return index

    # ---- nodes

    def run(self, node: Expression) -> BoolArray:
        match node:
            case And(operands=operands):
                return functools.reduce(np.logical_and, (self.run(o) for o in operands))
            case Or(operands=operands):
                return functools.reduce(np.logical_or, (self.run(o) for o in operands))
            case Not(operand=operand):
                return ~self.run(operand)
            case Household():
                return self._household(node)
            case Compare():
                return self._compare(node)
            case InList():
                view = self._view(node)
                found = self._equal_any(view, node.values)
                return ~found & ~view.missing if node.negated else found
            case Between():
                return self._between(node)
            case TextMatch():
                return self._text_match(node)
            case IsBlank():
                missing = self._view(node).missing
                return ~missing if node.negated else missing.copy()
            case Voted():
                view = self._election_view(node)
                if node.ballot is not None:
                    return self._equal_any(view, (node.ballot,))
                return view.marked.copy()
            case _:
                assert_never(node)

    def _equal_any(self, view: ColumnView, values: tuple[Value, ...]) -> BoolArray:
        if view.is_numeric:
            # A non-number can never equal a number; NaN is never in the list, so missing
            # values stay False.
            numbers = [v.number for v in values if v.number is not None]
            return np.isin(view.numbers, numbers)
        wanted = {_normalise(v.text) for v in values}
        return view.text.spread(view.text.uniques.isin(wanted).to_numpy(dtype=bool))

    def _compare(self, node: Compare) -> BoolArray:
        view = self._view(node)
        if node.op == "=":
            return self._equal_any(view, (node.value,))
        if node.op == "!=":
            return ~self._equal_any(view, (node.value,)) & ~view.missing
        if view.is_numeric:
            number = self._require_number(view, node, node.value, node.op)
            # NaN compares False, so missing values never match.
            return _order(node.op, view.numbers, number)
        text = view.text
        if node.value.number is not None:
            return text.spread(_order(node.op, text.numbers, node.value.number))
        return text.spread(_order(node.op, text.uniques, _normalise(node.value.text)))

    def _between(self, node: Between) -> BoolArray:
        view = self._view(node)
        low, high = node.low.number, node.high.number
        if view.is_numeric:
            low = self._require_number(view, node, node.low, "between")
            high = self._require_number(view, node, node.high, "between")
            inside = (view.numbers >= low) & (view.numbers <= high)
        elif low is not None and high is not None:
            values = view.text.numbers
            inside = view.text.spread((values >= low) & (values <= high))
        else:
            values_text = view.text.uniques
            per_unique = (values_text >= _normalise(node.low.text)) & (
                values_text <= _normalise(node.high.text)
            )
            inside = view.text.spread(per_unique.to_numpy(dtype=bool))
        return ~inside & ~view.missing if node.negated else inside

    def _text_match(self, node: TextMatch) -> BoolArray:
        text = self._view(node).text
        needle = _normalise(node.value.text)
        if node.kind == "contains":
            # regex=False: the user's text is data, never a pattern.
            found = text.uniques.str.contains(needle, regex=False)
        elif node.kind == "startswith":
            found = text.uniques.str.startswith(needle)
        else:
            found = text.uniques.str.endswith(needle)
        return text.spread(found.to_numpy(dtype=bool))

    @staticmethod
    def _require_number(view: ColumnView, node: FieldNode, value: Value, op: str) -> float:
        number = value.number
        if number is None:
            example = "between 30 and 70" if op == "between" else f"{op} 30"
            raise FilterError(
                f"column {view.name!r} is numeric and cannot be compared with {value.text!r} "
                f"using {op!r}",
                node.source,
                value.position,
                f"use a number, e.g. {node.field} {example}",
            )
        return number

    def _household(self, node: Household) -> BoolArray:
        groups, sizes = self._households(self._household_index(node))
        hits = np.bincount(groups[self.run(node.operand)], minlength=len(sizes))
        per_household: BoolArray = hits > 0 if node.quantifier == "any" else hits == sizes
        return per_household[groups]

    def _households(self, index: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Household number of every voter and the size of every household (cached)."""
        if self._groups is None:
            codes, uniques = pd.factorize(self._frame.iloc[:, index], use_na_sentinel=True)
            groups = np.array(codes, dtype=np.intp)
            # Blank ids are as good as missing; each voter without an id is a household alone.
            blank = (pd.Series(uniques).astype(str).str.strip() == "").to_numpy(dtype=bool)
            alone = (groups < 0) | np.append(blank, False)[groups]
            groups[alone] = len(uniques) + np.arange(int(alone.sum()))
            sizes = np.bincount(groups, minlength=len(uniques) + int(alone.sum()))
            self._groups = (groups, sizes.astype(np.intp))
        return self._groups

    def result(self, tree: Expression) -> pd.Series[bool]:
        return pd.Series(self.run(tree), index=self._frame.index, name="target", dtype=bool)


def evaluate(
    expression: Expression,
    frame: pd.DataFrame,
    *,
    household_column: str | None = "household_id",
) -> pd.Series[bool]:
    """Evaluate a parsed expression against a voter frame.

    Parameters
    ----------
    expression : Expression
        A tree from `parse`.
    frame : pandas.DataFrame
        One row per voter. Fields match its columns case-insensitively.
    household_column : str or None, default "household_id"
        The column that groups voters into households for ``any()``/``all()``; it is only
        needed when the expression uses them.

    Returns
    -------
    pandas.Series
        Boolean, indexed like `frame`, named ``"target"``.

    Raises
    ------
    FilterError
        For an unknown field, a numeric column ordered against a non-number, or ``any()`` /
        ``all()`` without the household column.
    """
    return _Evaluator(frame, household_column).result(expression)


def select(
    frame: pd.DataFrame,
    expression: str | Expression,
    *,
    household_column: str | None = "household_id",
) -> pd.Series[bool]:
    """Parse a target expression, check its fields against `frame` and evaluate it.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per voter.
    expression : str or Expression
        What the organiser typed (or an already parsed tree).
    household_column : str or None, default "household_id"
        The column that groups voters into households for ``any()``/``all()``.

    Returns
    -------
    pandas.Series
        Boolean mask indexed like `frame`, named ``"target"``.

    Raises
    ------
    FilterError
        If the expression does not parse, names a field `frame` does not have (the first such
        field as typed is reported) or cannot be evaluated.

    Examples
    --------
    >>> voters = pd.DataFrame({"party": ["D", "r", " d "], "age": [30, 41, None]})
    >>> select(voters, "party = D and age >= 25", household_column=None).tolist()
    [True, False, False]
    """
    tree = parse(expression) if isinstance(expression, str) else expression
    evaluator = _Evaluator(frame, household_column)
    evaluator.check(tree)
    return evaluator.result(tree)
