"""The syntax tree of the filter language: one frozen dataclass per construct.

`segments.filter.parse` builds these trees; `segments.filter.evaluate` runs them. The grammar
and the semantics are described in the `segments.filter` package docstring.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from segments.filter.lexer import NUMBER

__all__ = [
    "And",
    "Between",
    "Compare",
    "CompareOp",
    "Expression",
    "FieldNode",
    "Household",
    "InList",
    "IsBlank",
    "Not",
    "Or",
    "Quantifier",
    "TextMatch",
    "TextMatchKind",
    "Value",
    "Voted",
    "walk",
]

CompareOp: TypeAlias = Literal["=", "!=", "<", "<=", ">", ">="]
TextMatchKind: TypeAlias = Literal["contains", "startswith", "endswith"]
Quantifier: TypeAlias = Literal["any", "all"]


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
        return float(stripped) if NUMBER.fullmatch(stripped) else None


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


@dataclass(frozen=True)
class Voted(_Node):
    """``voted(election)`` / ``voted(election, ballot)``: the voter's vote history.

    ``election`` names a column of the voter data (``"GENERAL-11/05/2024"``); the voter voted
    when it holds a mark (``X``, a party letter, ``Y``, ``1``...). With ``ballot``, only a mark
    equal to it counts (the party ballot taken in a primary).
    """

    election: Value
    ballot: Value | None = None


Expression: TypeAlias = (
    Compare | InList | Between | TextMatch | IsBlank | Voted | Not | And | Or | Household
)
FieldNode: TypeAlias = Compare | InList | Between | TextMatch | IsBlank


def walk(node: Expression) -> Iterator[Expression]:
    """Every node of a tree, pre-order, which is also the order in which the user typed them."""
    yield node
    match node:
        case And(operands=operands) | Or(operands=operands):
            for operand in operands:
                yield from walk(operand)
        case Not(operand=operand) | Household(operand=operand):
            yield from walk(operand)
        case _:
            pass
