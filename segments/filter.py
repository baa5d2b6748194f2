r"""A small, safe filter language that picks target voters out of a voter DataFrame.

Organisers type a target expression; it is tokenized and parsed into a tree of frozen
dataclasses and evaluated with whole-column pandas/numpy operations. User text is never handed
to ``eval``, ``exec`` or ``DataFrame.query``: anything outside the grammar is a `FilterError`,
and quoted text is only ever compared as data.

Examples
--------
::

    party in (D, U) and age >= 25 and turnout_score between 30 and 70
    not (party = R) or support >= 4
    last_name startswith "Mac" and street contains "park"
    any(age < 30) and all(party != R)

Grammar (keywords are case-insensitive)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | atom
    atom       := "(" expr ")" | ("any" | "all") "(" expr ")" | comparison
    comparison := FIELD op value
                | FIELD ["not"] "in" "(" value ("," value)* ")"
                | FIELD ["not"] "between" value "and" value
                | FIELD ("contains" | "startswith" | "endswith") value
                | FIELD "is" ["not"] "blank"
    op         := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    value      := NUMBER | "double quoted" | 'single quoted' | bare-word

Strings take backslash escapes (``\"``, ``\\``). A bare word is a run of letters, digits,
``_``, ``-`` and ``.``; a bare word that looks like a number (``25``, ``-1.5``, ``02134``) is a
number. Write ``and``, ``or`` or ``not`` in quotes to use them as values.

Semantics
---------
- Field names match the frame's columns case-insensitively, ignoring surrounding whitespace
  (and a space inside a column name may be typed as ``_``).
- A numeric column (``pd.api.types.is_numeric_dtype``, booleans excluded) is compared
  numerically; ordering it (``<``, ``<=``, ``>``, ``>=``, ``between``) against a non-number is a
  `FilterError`, while ``=``/``in`` against a non-number simply never match.
- Any other column is compared as text, case-insensitively and ignoring surrounding whitespace.
  A number is compared as the text the user typed, so ``zip = 02134`` matches ``"02134"``.
  Ordering a text column against a number compares the values that parse as numbers
  (``age >= 25`` works on an age column read as text); against text it is alphabetical.
- ``between`` is inclusive.
- Missing values (NaN, None, blank text) never satisfy a comparison, including ``!=``,
  ``not in``, ``not between`` and ``contains``; only ``is blank`` matches them. ``not`` is plain
  boolean negation, so ``not (age > 30)`` is True for a voter whose age is missing.
- ``any(e)`` / ``all(e)`` evaluate ``e`` per voter and give every voter of a household the same
  answer: whether any / all voters of that household match. Voters without a household id form a
  household of their own.
"""

from __future__ import annotations

import difflib
import functools
import operator
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, assert_never

import numpy as np
import numpy.typing as npt
import pandas as pd

from segments._errors import FilterError

__all__ = [
    "And",
    "Between",
    "Compare",
    "Expression",
    "FilterError",
    "Household",
    "InList",
    "IsBlank",
    "Not",
    "Or",
    "TextMatch",
    "Value",
    "evaluate",
    "fields",
    "parse",
    "select",
]

CompareOp: TypeAlias = Literal["=", "!=", "<", "<=", ">", ">="]
TextMatchKind: TypeAlias = Literal["contains", "startswith", "endswith"]
Quantifier: TypeAlias = Literal["any", "all"]
BoolArray: TypeAlias = npt.NDArray[np.bool_]

# Deep enough for any real target, shallow enough that recursion can never blow the stack.
_MAX_DEPTH = 50


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class _Node:
    # Where the node starts and the text it came from, only for error messages; left out of
    # equality so that "party=D" and "party = D" parse to equal trees.
    position: int | None = field(default=None, kw_only=True, compare=False)
    source: str = field(default="", kw_only=True, compare=False, repr=False)


@dataclass(frozen=True)
class Value(_Node):
    """A literal value exactly as typed (quotes removed, escapes resolved).

    Parameters
    ----------
    text : str
        The value's text. Numbers keep their raw text so that ``02134`` can still match the
        text ``"02134"`` in a ZIP column.
    """

    text: str

    @property
    def number(self) -> float | None:
        """The value as a number, or None when its text is not a number."""
        stripped = self.text.strip()
        return float(stripped) if _NUMBER.fullmatch(stripped) else None


@dataclass(frozen=True)
class Compare(_Node):
    """``field op value``; ``==`` is stored as ``=`` and ``<>`` as ``!=``."""

    field: str
    op: CompareOp
    value: Value


@dataclass(frozen=True)
class InList(_Node):
    """``field [not] in (value, ...)``."""

    field: str
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True)
class Between(_Node):
    """``field [not] between low and high``, bounds included."""

    field: str
    low: Value
    high: Value
    negated: bool = False


@dataclass(frozen=True)
class TextMatch(_Node):
    """``field contains|startswith|endswith value``."""

    field: str
    kind: TextMatchKind
    value: Value


@dataclass(frozen=True)
class IsBlank(_Node):
    """``field is [not] blank``."""

    field: str
    negated: bool = False


@dataclass(frozen=True)
class Not(_Node):
    """``not operand``: plain boolean negation (missing values included)."""

    operand: Expression


@dataclass(frozen=True)
class And(_Node):
    """All operands hold."""

    operands: tuple[Expression, ...]


@dataclass(frozen=True)
class Or(_Node):
    """At least one operand holds."""

    operands: tuple[Expression, ...]


@dataclass(frozen=True)
class Household(_Node):
    """``any(operand)`` / ``all(operand)`` over the voters of each household."""

    quantifier: Quantifier
    operand: Expression


Expression: TypeAlias = (
    Compare | InList | Between | TextMatch | IsBlank | Not | And | Or | Household
)
_FieldNode: TypeAlias = Compare | InList | Between | TextMatch | IsBlank


# --------------------------------------------------------------------------- tokenizer

_TokenKind: TypeAlias = Literal[
    "word", "number", "string", "op", "lparen", "rparen", "comma", "end"
]

_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
# Longest first so that "<=" is not read as "<" followed by "=".
_OPERATORS = ("==", "!=", "<>", "<=", ">=", "=", "<", ">")
_OP_NAMES: dict[str, CompareOp] = {
    "=": "=",
    "==": "=",
    "!=": "!=",
    "<>": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}
_TEXT_MATCHES: dict[str, TextMatchKind] = {
    "contains": "contains",
    "startswith": "startswith",
    "endswith": "endswith",
}
_PUNCTUATION: dict[str, _TokenKind] = {"(": "lparen", ")": "rparen", ",": "comma"}
_SMART_QUOTES = "\u201c\u201d\u2018\u2019\u201e\u00ab\u00bb"
# Words that can never be a field or a bare value, because they glue conditions together.
_RESERVED = frozenset({"and", "or", "not"})


@dataclass(frozen=True)
class _Token:
    kind: _TokenKind
    text: str  # strings: content with escapes resolved; everything else: as typed
    position: int
    end: int


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_-."


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
        elif ch in _PUNCTUATION:
            tokens.append(_Token(_PUNCTUATION[ch], ch, i, i + 1))
            i += 1
        elif op := next((o for o in _OPERATORS if source.startswith(o, i)), None):
            tokens.append(_Token("op", op, i, i + len(op)))
            i += len(op)
        elif ch in "\"'":
            text, end = _read_string(source, i)
            tokens.append(_Token("string", text, i, end))
            i = end
        elif _is_word_char(ch):
            end = i
            while end < n and _is_word_char(source[end]):
                end += 1
            word = source[i:end]
            tokens.append(_Token("number" if _NUMBER.fullmatch(word) else "word", word, i, end))
            i = end
        else:
            hint = "use straight quotes \" or '" if ch in _SMART_QUOTES else None
            raise FilterError(f"unexpected character {ch!r}", source, i, hint)
    tokens.append(_Token("end", "", n, n))
    _check_parentheses(tokens, source)
    return tokens


def _read_string(source: str, start: int) -> tuple[str, int]:
    quote = source[start]
    chars: list[str] = []
    i = start + 1
    while i < len(source):
        ch = source[i]
        if ch == "\\" and i + 1 < len(source):
            chars.append(source[i + 1])
            i += 2
        elif ch == quote:
            return "".join(chars), i + 1
        else:
            chars.append(ch)
            i += 1
    raise FilterError("unterminated string", source, start, f"add the closing {quote}")


def _check_parentheses(tokens: list[_Token], source: str) -> None:
    # Checked before parsing so the error points at the culprit, not at wherever the parser
    # happens to notice.
    opened: list[int] = []
    for token in tokens:
        if token.kind == "lparen":
            opened.append(token.position)
        elif token.kind == "rparen":
            if not opened:
                raise FilterError(
                    "unbalanced parentheses", source, token.position, "this ')' has no '('"
                )
            opened.pop()
    if opened:
        raise FilterError("unbalanced parentheses", source, opened[-1], "this '(' is never closed")


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, source: str, tokens: list[_Token]) -> None:
        self._source = source
        self._tokens = tokens
        self._index = 0
        self._depth = 0

    def parse(self) -> Expression:
        tree = self._or()
        token = self._peek()
        if token.kind != "end":
            raise self._error(
                f"unexpected {self._describe(token)}",
                token,
                "expected 'and', 'or' or the end of the expression",
            )
        return tree

    # ---- grammar rules

    def _or(self) -> Expression:
        operands = [self._and()]
        while self._at_keyword("or"):
            self._advance()
            operands.append(self._and())
        if len(operands) == 1:
            return operands[0]
        return Or(tuple(operands), position=operands[0].position, source=self._source)

    def _and(self) -> Expression:
        operands = [self._not()]
        while self._at_keyword("and"):
            self._advance()
            operands.append(self._not())
        if len(operands) == 1:
            return operands[0]
        return And(tuple(operands), position=operands[0].position, source=self._source)

    def _not(self) -> Expression:
        if not self._at_keyword("not"):
            return self._atom()
        token = self._advance()
        with self._nested(token):
            operand = self._not()
        return Not(operand, position=token.position, source=self._source)

    def _atom(self) -> Expression:
        token = self._peek()
        if token.kind == "lparen":
            self._advance()
            with self._nested(token):
                inner = self._or()
            self._close(token)
            return inner
        if token.kind != "word" or token.text.casefold() in _RESERVED:
            raise self._error(
                f"expected a condition {self._where()}",
                token,
                f"found {self._describe(token)}; a condition looks like: party = D",
            )
        if self._peek(1).kind != "lparen":
            return self._comparison()
        name = token.text.casefold()
        if name not in ("any", "all"):
            raise self._error(
                f"unknown function {token.text!r}", token, "only any(...) and all(...) exist"
            )
        self._advance()
        opening = self._advance()
        with self._nested(token):
            inner = self._or()
        self._close(opening)
        quantifier: Quantifier = "any" if name == "any" else "all"
        return Household(quantifier, inner, position=token.position, source=self._source)

    def _comparison(self) -> _FieldNode:
        field_token = self._advance()
        name = field_token.text
        at = field_token.position
        token = self._peek()
        if token.kind == "op":
            self._advance()
            value = self._value(token)
            return Compare(name, _OP_NAMES[token.text], value, position=at, source=self._source)
        negated = self._at_keyword("not")
        if negated:
            self._advance()
            if not self._at_keyword("in", "between"):
                raise self._error(
                    "expected 'in' or 'between' after 'not'",
                    self._peek(),
                    f"found {self._describe(self._peek())}",
                )
        if self._at_keyword("in"):
            in_token = self._advance()
            opening = self._peek()
            if opening.kind != "lparen":
                raise self._error(
                    "expected '(' after 'in'", opening, "write the values as: in (D, R)"
                )
            self._advance()
            values = [self._value(opening)]
            while self._peek().kind == "comma":
                values.append(self._value(self._advance()))
            if self._peek().kind != "rparen":
                raise self._error(
                    f"expected ',' or ')' in the list after {in_token.text!r}",
                    self._peek(),
                    f"found {self._describe(self._peek())}",
                )
            self._advance()
            return InList(name, tuple(values), negated, position=at, source=self._source)
        if self._at_keyword("between"):
            between = self._advance()
            low = self._value(between)
            if not self._at_keyword("and"):
                raise self._error(
                    "expected 'and' between the two bounds of 'between'",
                    self._peek(),
                    f"found {self._describe(self._peek())}; write: between 30 and 70",
                )
            high = self._value(self._advance())
            return Between(name, low, high, negated, position=at, source=self._source)
        if self._at_keyword("contains", "startswith", "endswith"):
            keyword = self._advance()
            kind = _TEXT_MATCHES[keyword.text.casefold()]
            value = self._value(keyword)
            return TextMatch(name, kind, value, position=at, source=self._source)
        if self._at_keyword("is"):
            self._advance()
            blank_negated = False
            if self._at_keyword("not"):
                self._advance()
                blank_negated = True
            if not self._at_keyword("blank"):
                raise self._error(
                    "expected 'blank' or 'not blank' after 'is'",
                    self._peek(),
                    f"found {self._describe(self._peek())}",
                )
            self._advance()
            return IsBlank(name, blank_negated, position=at, source=self._source)
        raise self._error(
            f"expected an operator after field {name!r}",
            token,
            f"found {self._describe(token)}; use one of =, !=, <, <=, >, >=, in, not in, "
            "between, contains, startswith, endswith, is blank",
        )

    def _value(self, after: _Token) -> Value:
        token = self._peek()
        reserved = token.kind == "word" and token.text.casefold() in _RESERVED
        if token.kind in ("number", "string") or (token.kind == "word" and not reserved):
            self._advance()
            return Value(token.text, position=token.position, source=self._source)
        detail = f"found {self._describe(token)}"
        if reserved:
            detail += f'; write "{token.text}" in quotes to use it as a value'
        raise self._error(f"expected a value after {after.text!r}", token, detail)

    # ---- helpers

    def _peek(self, ahead: int = 0) -> _Token:
        return self._tokens[min(self._index + ahead, len(self._tokens) - 1)]

    def _advance(self) -> _Token:
        token = self._peek()
        self._index = min(self._index + 1, len(self._tokens) - 1)
        return token

    def _at_keyword(self, *words: str) -> bool:
        token = self._peek()
        return token.kind == "word" and token.text.casefold() in words

    def _close(self, opening: _Token) -> None:
        token = self._peek()
        if token.kind != "rparen":
            raise self._error(
                f"expected ')' to close the '(' at position {opening.position}",
                token,
                f"found {self._describe(token)}",
            )
        self._advance()

    @contextmanager
    def _nested(self, token: _Token) -> Iterator[None]:
        self._depth += 1
        if self._depth > _MAX_DEPTH:
            raise self._error(
                "expression is nested too deeply",
                token,
                f"at most {_MAX_DEPTH} levels of parentheses, not, any() and all()",
            )
        try:
            yield
        finally:
            self._depth -= 1

    def _where(self) -> str:
        if self._index == 0:
            return "at the start"
        previous = self._tokens[self._index - 1]
        return f"after {self._source[previous.position : previous.end]!r}"

    def _describe(self, token: _Token) -> str:
        if token.kind == "end":
            return "end of input"
        return repr(self._source[token.position : token.end])

    def _error(self, reason: str, token: _Token, detail: str | None = None) -> FilterError:
        return FilterError(reason, self._source, token.position, detail)


def parse(expression: str) -> Expression:
    """Parse a target expression into a syntax tree.

    Parameters
    ----------
    expression : str
        What the organiser typed, e.g. ``"party in (D, U) and age >= 25"``.

    Returns
    -------
    Expression
        The root node. Nodes are frozen dataclasses; equal expressions give equal trees
        regardless of spacing.

    Raises
    ------
    FilterError
        If the expression is empty or not in the grammar (see the module docstring); the error
        carries the position of the problem.
    """
    if not expression.strip():
        hint = "type a condition such as: party = D"
        raise FilterError("empty expression", expression, None, hint)
    return _Parser(expression, _tokenize(expression)).parse()


def _walk(node: Expression) -> Iterator[Expression]:
    # Pre-order, which is also the order in which the user typed things.
    yield node
    match node:
        case And(operands=operands) | Or(operands=operands):
            for operand in operands:
                yield from _walk(operand)
        case Not(operand=operand) | Household(operand=operand):
            yield from _walk(operand)
        case _:
            pass


def _field_nodes(node: Expression) -> Iterator[_FieldNode]:
    for item in _walk(node):
        if isinstance(item, Compare | InList | Between | TextMatch | IsBlank):
            yield item


def fields(expression: Expression | str) -> set[str]:
    """Return the field names an expression uses.

    Parameters
    ----------
    expression : Expression or str
        A parsed expression, or text to parse.

    Returns
    -------
    set of str
        The field names, lower-cased (fields match columns case-insensitively).

    Raises
    ------
    FilterError
        If `expression` is text that does not parse.
    """
    tree = parse(expression) if isinstance(expression, str) else expression
    return {node.field.casefold() for node in _field_nodes(tree)}


# --------------------------------------------------------------------------- evaluation


def _normalise(text: str) -> str:
    return text.strip().casefold()


def _column_key(name: str) -> str:
    return "_".join(name.split()).casefold()


def _number_texts(uniques: Any) -> pd.Series[str]:
    """Text of distinct numbers as a person would type them (34.0 -> "34")."""
    series = pd.Series(uniques)
    if not pd.api.types.is_float_dtype(series.dtype):
        return series.astype(str)
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    whole = np.isfinite(values) & (np.abs(values) < 2.0**53)
    whole[whole] = np.floor(values[whole]) == values[whole]
    texts = series.astype(str).to_numpy(dtype=object)
    texts[whole] = values[whole].astype(np.int64).astype(str)
    return pd.Series(texts, dtype=object).astype(str)


class _TextView:
    """A column as normalised text, stored once per distinct value.

    String work (strip, casefold, contains...) runs on the distinct values only and is spread
    back to the rows through the factorize codes: a party column of a million voters costs a
    handful of string operations.
    """

    def __init__(self, series: pd.Series[Any], numeric: bool) -> None:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        texts = _number_texts(uniques) if numeric else pd.Series(uniques).astype(str)
        self.codes: npt.NDArray[np.intp] = np.asarray(codes, dtype=np.intp)
        self.uniques: pd.Series[str] = texts.str.strip().str.casefold().reset_index(drop=True)
        self.present: BoolArray = (self.uniques != "").to_numpy(dtype=bool)

    def spread(self, per_unique: BoolArray) -> BoolArray:
        """Map a mask over distinct values to rows; missing and blank rows are False."""
        # Code -1 marks a missing value; it picks the False appended at the end.
        return np.append(per_unique & self.present, False)[self.codes]

    @functools.cached_property
    def missing(self) -> BoolArray:
        return ~self.spread(np.ones(len(self.uniques), dtype=bool))

    @functools.cached_property
    def numbers(self) -> npt.NDArray[np.float64]:
        """Distinct values read as numbers; NaN where they are not numbers."""
        parsed = pd.to_numeric(self.uniques, errors="coerce")
        return np.asarray(pd.Series(parsed).to_numpy(dtype=np.float64, na_value=np.nan))


class _ColumnView:
    """One frame column, prepared lazily for numeric or text comparison."""

    def __init__(self, series: pd.Series[Any], name: str) -> None:
        self.name = name
        # Booleans count as numeric to pandas, but people write "voted = true", not "= 1".
        self.is_numeric = pd.api.types.is_numeric_dtype(
            series.dtype
        ) and not pd.api.types.is_bool_dtype(series.dtype)
        self._series = series

    @functools.cached_property
    def numbers(self) -> npt.NDArray[np.float64]:
        return np.asarray(self._series.to_numpy(dtype=np.float64, na_value=np.nan))

    @functools.cached_property
    def text(self) -> _TextView:
        return _TextView(self._series, self.is_numeric)

    @functools.cached_property
    def missing(self) -> BoolArray:
        return np.isnan(self.numbers) if self.is_numeric else self.text.missing


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
        self._views: dict[int, _ColumnView] = {}
        self._groups: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]] | None = None

    # ---- columns

    def _column_index(self, name: str, node: _FieldNode | Household) -> int | None:
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

    def _view(self, node: _FieldNode) -> _ColumnView:
        index = self._column_index(node.field, node)
        if index is None:
            detail = self._existing()
            # Compare keys, so that a typo of "Party" is not judged on its capital letter.
            keys = {_column_key(label): label for label in self._labels}
            close = difflib.get_close_matches(_column_key(node.field), list(keys), n=1)
            if close:
                detail += f"; did you mean {keys[close[0]]!r}?"
            raise FilterError(f"unknown field {node.field!r}", node.source, node.position, detail)
        if index not in self._views:
            self._views[index] = _ColumnView(self._frame.iloc[:, index], self._labels[index])
        return self._views[index]

    def check(self, tree: Expression) -> None:
        """Raise for the first unknown field (in typing order) before doing any work."""
        for node in _walk(tree):
            if isinstance(node, Household):
                self._household_index(node)
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
            case _:
                assert_never(node)

    def _equal_any(self, view: _ColumnView, values: tuple[Value, ...]) -> BoolArray:
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
    def _require_number(view: _ColumnView, node: _FieldNode, value: Value, op: str) -> float:
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
