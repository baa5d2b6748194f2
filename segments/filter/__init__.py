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
    voted("GENERAL-11/05/2024") and not voted("GENERAL-11/08/2022") and general_votes >= 2
    voted("PRIMARY-03/17/2020", D)

Grammar (keywords are case-insensitive)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | atom
    atom       := "(" expr ")" | ("any" | "all") "(" expr ")"
                | "voted" "(" value ["," value] ")" | comparison
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
- ``voted(election)`` reads a vote history column, named like a field but quoted when it holds
  ``/`` (``voted("GENERAL-11/05/2024")``): true when the voter's value is a mark (``X``, a party
  letter, ``Y``, ``1``), false when it is blank, missing, ``0``, ``N``, ``No`` or ``False``.
  ``voted(election, D)`` is true only for the mark ``D`` (the party ballot of a primary). An
  election that is not a column is a `FilterError` listing the elections there are. Counts such
  as ``general_votes`` are ordinary numeric fields (``geo.voter_fields`` adds them).
"""

from segments._errors import FilterError
from segments.filter.columns import BoolArray as BoolArray
from segments.filter.evaluator import evaluate, select
from segments.filter.parser import fields, parse
from segments.filter.syntax import (
    And,
    Between,
    Compare,
    Expression,
    Household,
    InList,
    IsBlank,
    Not,
    Or,
    TextMatch,
    Value,
    Voted,
)
from segments.filter.syntax import CompareOp as CompareOp
from segments.filter.syntax import Quantifier as Quantifier
from segments.filter.syntax import TextMatchKind as TextMatchKind

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
    "Voted",
    "evaluate",
    "fields",
    "parse",
    "select",
]
