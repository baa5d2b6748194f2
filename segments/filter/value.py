r"""What a voter is worth: numeric expressions over voter fields, in the target's safe language.

A value expression is arithmetic over fields and numbers, with comparisons and ``and``/``or``/
``not`` that count as 1 (true) or 0 (false), and ``voted(...)`` as in the target language.
Like the target, it is tokenized and parsed into a small tree and evaluated with whole-column
numpy operations; user text never reaches ``eval``. Mistakes are a `FilterError` with the
position of the problem.

Examples
--------
::

    support_score * (100 - turnout_score) / 100
    voted("GENERAL-11/05/2024") == 0
    2 * (party == DEM) + (age < 30)
    max(support_score, 50) / 50

Grammar (keywords are case-insensitive)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := sum [op sum | ["not"] "in" "(" sum ("," sum)* ")"]
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := NUMBER | "text" | FIELD | "(" expr ")"
                | "voted" "(" value ["," value] ")" | ("min" | "max") "(" expr ("," expr)* ")"
    op         := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="

Semantics: a field is read as numbers (text columns as the values that parse as numbers); a
text column compared with text (``party == DEM``, ``party in (DEM, UNA)``) compares
case-insensitively, and a bare word that is not a field is text there. A missing value, a
division by zero or a comparison with a missing value counts as 0, so every voter gets a finite
value.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from segments._errors import FilterError
from segments.filter.columns import ColumnView

__all__ = ["ValueExpression", "evaluate_value", "parse_value"]

Floats: TypeAlias = npt.NDArray[np.float64]

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?(?![A-Za-z_]))
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>==|!=|<>|<=|>=|=|<|>|\+|-|\*|/|\(|\)|,)""",
    re.VERBOSE,
)
_COMPARE = {
    **{"=": "==", "==": "==", "!=": "!=", "<>": "!="},
    **{"<": "<", "<=": "<=", ">": ">", ">=": ">="},
}
_RESERVED = frozenset({"and", "or", "not", "in"})


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


@dataclass(frozen=True)
class ValueExpression:
    """A parsed value expression; `evaluate_value` runs it over a voter frame."""

    source: str
    tree: tuple[object, ...]


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(source):
        match = _TOKEN.match(source, i)
        if match is None:
            hint = None
            if source[i] in "\u201c\u201d\u2018\u2019":
                hint = "use straight quotes \" or '"
            raise FilterError(f"unexpected character {source[i]!r}", source, i, hint)
        kind = match.lastgroup or "space"
        if kind != "space":
            text = match.group()
            if kind == "string":
                text = re.sub(r"\\(.)", r"\1", text[1:-1])
            tokens.append(_Token(kind, text, i))
        i = match.end()
    tokens.append(_Token("end", "", len(source)))
    return tokens


# The tree is tuples, kind and position first: ("num", pos, float) ("word", pos, name, literal)
# ("text", pos, text) ("neg", pos, a) ("bin", pos, op, a, b) ("cmp", pos, op, a, b)
# ("in", pos, negated, a, items) ("and"|"or", pos, items) ("not", pos, a)
# ("voted", pos, election, ballot) ("min"|"max", pos, items)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.index = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def at(self, *texts: str) -> bool:
        token = self.peek()
        return token.kind in ("op", "word") and token.text.casefold() in texts

    def error(self, reason: str, token: _Token, detail: str | None = None) -> FilterError:
        return FilterError(reason, self.source, token.position, detail)

    def describe(self, token: _Token) -> str:
        return "end of input" if token.kind == "end" else repr(token.text)

    def expect(self, text: str, after: str) -> None:
        if not self.at(text):
            token = self.peek()
            raise self.error(f"expected {text!r} {after}", token, f"found {self.describe(token)}")
        self.take()

    def parse(self) -> tuple[object, ...]:
        if not self.source.strip():
            raise FilterError("empty value expression", self.source, None, "e.g. support_score")
        tree = self.expr()
        token = self.peek()
        if token.kind != "end":
            raise self.error(
                f"unexpected {self.describe(token)}",
                token,
                "expected an operator (+ - * / = < > and or) or the end of the expression",
            )
        return tree

    def expr(self) -> tuple[object, ...]:
        self.depth += 1
        if self.depth > 50:
            raise self.error("expression is nested too deeply", self.peek())
        try:
            return self._logic("or", self._and)
        finally:
            self.depth -= 1

    def _and(self) -> tuple[object, ...]:
        return self._logic("and", self._not)

    def _logic(self, word: str, inner: object) -> tuple[object, ...]:
        assert callable(inner)
        start = self.peek().position
        items = [inner()]
        while self.at(word):
            self.take()
            items.append(inner())
        return items[0] if len(items) == 1 else (word, start, tuple(items))

    def _not(self) -> tuple[object, ...]:
        if self.at("not"):
            token = self.take()
            return ("not", token.position, self._not())
        return self._comparison()

    def _comparison(self) -> tuple[object, ...]:
        start = self.peek().position
        left = self._sum()
        token = self.peek()
        if token.kind == "op" and token.text in _COMPARE:
            self.take()
            return ("cmp", token.position, _COMPARE[token.text], left, self._sum(literal=True))
        negated = False
        if self.at("not"):
            self.take()
            negated = True
            if not self.at("in"):
                raise self.error("expected 'in' after 'not'", self.peek())
        if self.at("in"):
            self.take()
            self.expect("(", "after 'in'")
            items = [self._sum(literal=True)]
            while self.at(","):
                self.take()
                items.append(self._sum(literal=True))
            self.expect(")", "to close the list after 'in'")
            return ("in", start, negated, left, tuple(items))
        return left

    def _sum(self, *, literal: bool = False) -> tuple[object, ...]:
        left = self._product(literal)
        while self.at("+", "-"):
            token = self.take()
            left = ("bin", token.position, token.text, left, self._product(literal))
        return left

    def _product(self, literal: bool) -> tuple[object, ...]:
        left = self._unary(literal)
        while self.at("*", "/"):
            token = self.take()
            left = ("bin", token.position, token.text, left, self._unary(literal))
        return left

    def _unary(self, literal: bool) -> tuple[object, ...]:
        if self.at("-"):
            token = self.take()
            return ("neg", token.position, self._unary(literal))
        return self._primary(literal)

    def _primary(self, literal: bool) -> tuple[object, ...]:
        token = self.peek()
        if token.kind == "number":
            self.take()
            return ("num", token.position, float(token.text))
        if token.kind == "string":
            self.take()
            return ("text", token.position, token.text)
        if token.kind == "op" and token.text == "(":
            self.take()
            inner = self.expr()
            self.expect(")", f"to close the '(' at position {token.position}")
            return inner
        if token.kind == "word" and token.text.casefold() not in _RESERVED:
            self.take()
            if not self.at("("):
                return ("word", token.position, token.text, literal)
            name = token.text.casefold()
            if name == "voted":
                return self._voted(token)
            if name in ("min", "max"):
                self.take()
                items = [self.expr()]
                while self.at(","):
                    self.take()
                    items.append(self.expr())
                self.expect(")", f"to close {name}(")
                return (name, token.position, tuple(items))
            raise self.error(
                f"unknown function {token.text!r}", token, "only voted(), min() and max() exist"
            )
        raise self.error(
            "expected a number, a field or '('",
            token,
            f"found {self.describe(token)}; e.g. support_score * 2",
        )

    def _voted(self, token: _Token) -> tuple[object, ...]:
        self.take()
        names: list[str] = []
        while self.peek().kind in ("string", "word", "number") and len(names) < 2:
            names.append(self.take().text)
            if not self.at(","):
                break
            self.take()
        if not names:
            raise self.error(
                "voted() needs an election", self.peek(), 'e.g. voted("GENERAL-11/05/2024")'
            )
        self.expect(")", "after the election of voted(...)")
        return ("voted", token.position, names[0], names[1] if len(names) > 1 else None)


def parse_value(expression: str) -> ValueExpression:
    """Parse a value expression (see the module docstring for the grammar).

    Raises
    ------
    FilterError
        If the text is not in the grammar; the error carries the position of the problem.
    """
    return ValueExpression(expression, _Parser(expression).parse())


@dataclass
class _Result:
    numbers: Floats
    text: npt.NDArray[np.object_] | None = None
    """Normalised text (strip, casefold) when the operand is text; None for numbers."""


class _Evaluator:
    def __init__(self, frame: pd.DataFrame, source: str) -> None:
        self.frame = frame
        self.source = source
        self.rows = len(frame)
        self.by_key = {"_".join(str(c).split()).casefold(): c for c in frame.columns}

    def error(self, reason: str, position: int, detail: str | None = None) -> FilterError:
        return FilterError(reason, self.source, position, detail)

    def column(self, name: str) -> object | None:
        return self.by_key.get("_".join(name.split()).casefold())

    def unknown(self, name: str, position: int) -> FilterError:
        names = sorted(str(c) for c in self.frame.columns)
        detail = f"fields that exist: {', '.join(names) if names else '(none)'}"
        close = difflib.get_close_matches(name.casefold(), list(self.by_key), n=1)
        if close:
            detail += f"; did you mean {self.by_key[close[0]]!r}?"
        return self.error(f"unknown field {name!r}", position, detail)

    def run(self, node: tuple[object, ...]) -> _Result:
        kind, position = str(node[0]), int(node[1])  # type: ignore[call-overload]
        if kind == "num":
            return _Result(np.full(self.rows, float(node[2])))  # type: ignore[arg-type]
        if kind == "text":
            text = str(node[2]).strip().casefold()
            return _Result(np.full(self.rows, np.nan), np.full(self.rows, text, dtype=object))
        if kind == "word":
            return self.field(str(node[2]), position, literal=bool(node[3]))
        if kind == "voted":
            return _Result(self.voted(str(node[2]), node[3], position))
        if kind == "neg":
            return _Result(-self.numbers(node[2]))
        if kind == "bin":
            left, right = self.numbers(node[3]), self.numbers(node[4])
            with np.errstate(divide="ignore", invalid="ignore"):
                result = {
                    "+": np.add,
                    "-": np.subtract,
                    "*": np.multiply,
                    "/": np.divide,
                }[str(node[2])](left, right)
            return _Result(np.where(np.isfinite(result), result, np.nan))
        if kind == "cmp":
            return _Result(self.compare(str(node[2]), node[3], node[4]).astype(np.float64))
        if kind == "in":
            items = node[4]
            assert isinstance(items, tuple)
            hit = np.zeros(self.rows, dtype=bool)
            for item in items:
                hit |= self.compare("==", node[3], item)
            known = ~self.missing(node[3])
            return _Result((known & (hit != bool(node[2]))).astype(np.float64))
        if kind in ("and", "or", "not"):
            parts = node[2] if kind != "not" else (node[2],)
            assert isinstance(parts, tuple)
            truths = [self.truth(part) for part in parts]
            combined = {
                "and": lambda: np.logical_and.reduce(truths),
                "or": lambda: np.logical_or.reduce(truths),
                "not": lambda: ~truths[0],
            }[kind]()
            return _Result(np.asarray(combined, dtype=np.float64))
        items = node[2]
        assert isinstance(items, tuple)
        stacked = np.vstack([self.numbers(item) for item in items])
        with np.errstate(invalid="ignore"):
            picked = np.nanmin(stacked, axis=0) if kind == "min" else np.nanmax(stacked, axis=0)
        return _Result(picked)

    def field(self, name: str, position: int, *, literal: bool) -> _Result:
        label = self.column(name)
        if label is None:
            if literal:  # a bare word compared with a field is text: party == DEM
                word = name.strip().casefold()
                return _Result(np.full(self.rows, np.nan), np.full(self.rows, word, dtype=object))
            raise self.unknown(name, position)
        view = ColumnView(self.frame[label], str(label))
        if view.is_numeric:
            return _Result(view.numbers)
        text = view.text
        numbers = np.append(text.numbers, np.nan)[np.where(text.codes < 0, -1, text.codes)]
        normalised = np.append(text.uniques.to_numpy(dtype=object), "")[
            np.where(text.codes < 0, -1, text.codes)
        ]
        return _Result(np.asarray(numbers, dtype=np.float64), normalised)

    def numbers(self, node: object) -> Floats:
        assert isinstance(node, tuple)
        result = self.run(node)
        if result.text is not None and node[0] != "num":
            filled = result.text != ""
            if filled.any() and np.isnan(result.numbers[filled]).all():
                what = f"field {node[2]!r}" if node[0] == "word" else "text"
                raise self.error(
                    f"{what} holds text, not numbers",
                    int(node[1]),
                    f"compare it to make a number, e.g. ({node[2]} == DEM)",
                )
        return result.numbers

    def missing(self, node: object) -> npt.NDArray[np.bool_]:
        assert isinstance(node, tuple)
        result = self.run(node)
        if result.text is not None:
            return np.asarray(result.text == "", dtype=bool)
        return np.isnan(result.numbers)

    def truth(self, node: object) -> npt.NDArray[np.bool_]:
        values = self.numbers(node)
        return np.asarray(~np.isnan(values) & (values != 0), dtype=bool)

    def compare(self, op: str, left_node: object, right_node: object) -> npt.NDArray[np.bool_]:
        assert isinstance(left_node, tuple) and isinstance(right_node, tuple)
        left, right = self.run(left_node), self.run(right_node)
        if left.text is not None and right.text is not None:
            a, b = left.text, right.text
            known = (a != "") & (b != "")
            both_numbers = ~np.isnan(left.numbers) & ~np.isnan(right.numbers)
            if op in ("==", "!="):
                same = np.where(both_numbers, left.numbers == right.numbers, a == b)
                return np.asarray(known & (same if op == "==" else ~same), dtype=bool)
            if both_numbers[known].all():
                return _order(op, left.numbers, right.numbers)
            return np.asarray(known & _order(op, a.astype(str), b.astype(str)), dtype=bool)
        # Quoted text against a number never matches; a text field against a number compares
        # the values that read as numbers.
        quoted = left_node[0] == "text" or right_node[0] == "text"
        if (left.text is not None or right.text is not None) and quoted and op in ("==", "!="):
            return np.zeros(self.rows, dtype=bool)
        return _order(op, left.numbers, right.numbers)

    def voted(self, election: str, ballot: object, position: int) -> Floats:
        label = self.column(election)
        if label is None:
            raise self.error(
                f"unknown election {election!r}",
                position,
                'name a vote history column, e.g. voted("GENERAL-11/05/2024")',
            )
        view = ColumnView(self.frame[label], str(label))
        marked = view.marked
        if ballot is not None:
            wanted = str(ballot).strip().casefold()
            text = view.text
            marked = text.spread((text.uniques == wanted).to_numpy(dtype=bool))
        return marked.astype(np.float64)


def _order(op: str, left: npt.ArrayLike, right: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    with np.errstate(invalid="ignore"):
        result = {
            "==": np.equal,
            "!=": np.not_equal,
            "<": np.less,
            "<=": np.less_equal,
            ">": np.greater,
            ">=": np.greater_equal,
        }[op](left, right)
    values = np.asarray(result, dtype=bool)
    if op == "!=":  # a missing value is never "different"
        left_arr, right_arr = np.asarray(left), np.asarray(right)
        if left_arr.dtype.kind == "f" and right_arr.dtype.kind == "f":
            values &= ~np.isnan(left_arr) & ~np.isnan(right_arr)
    return values


def evaluate_value(frame: pd.DataFrame, expression: str | ValueExpression) -> pd.Series:
    """The value of every voter of ``frame``: finite floats, missing and undefined as 0.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per voter.
    expression : str or ValueExpression
        What the organiser typed, or a parsed expression.

    Returns
    -------
    pandas.Series
        Float values indexed like ``frame``, named ``"value"``.

    Raises
    ------
    FilterError
        If the expression does not parse, names a field the frame lacks, or does arithmetic
        on a text field; the error carries the position.
    """
    parsed = parse_value(expression) if isinstance(expression, str) else expression
    values = _Evaluator(frame, parsed.source).numbers(parsed.tree)
    finite = np.where(np.isfinite(values), values, 0.0)
    return pd.Series(finite, index=frame.index, name="value")
