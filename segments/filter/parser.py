"""The recursive-descent parser of the filter language: tokens to a syntax tree.

The grammar is in the `segments.filter` package docstring; one method per rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from segments._errors import FilterError
from segments.filter.lexer import Token, tokenize
from segments.filter.syntax import (
    And,
    Between,
    Compare,
    CompareOp,
    Expression,
    FieldNode,
    Household,
    InList,
    IsBlank,
    Not,
    Or,
    Quantifier,
    TextMatch,
    TextMatchKind,
    Value,
    Voted,
    walk,
)

__all__ = ["fields", "parse"]

# Deep enough for any real target, shallow enough that recursion can never blow the stack.
_MAX_DEPTH = 50

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
# Words that can never be a field or a bare value, because they glue conditions together.
_RESERVED = frozenset({"and", "or", "not"})


class _Parser:
    def __init__(self, source: str, tokens: list[Token]) -> None:
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
        if name == "voted":
            return self._voted()
        if name not in ("any", "all"):
            raise self._error(
                f"unknown function {token.text!r}",
                token,
                "only any(...), all(...) and voted(...) exist",
            )
        self._advance()
        opening = self._advance()
        with self._nested(token):
            inner = self._or()
        self._close(opening)
        quantifier: Quantifier = "any" if name == "any" else "all"
        return Household(quantifier, inner, position=token.position, source=self._source)

    def _voted(self) -> Voted:
        token = self._advance()
        opening = self._advance()
        example = 'name the election column, e.g. voted("GENERAL-11/05/2024")'
        if self._peek().kind == "rparen":
            raise self._error("voted() needs an election", self._peek(), example)
        election = self._value(opening)
        ballot = None
        if self._peek().kind == "comma":
            ballot = self._value(self._advance())
        if self._peek().kind != "rparen":
            raise self._error(
                "expected ')' after the election of voted(...)",
                self._peek(),
                f"found {self._describe(self._peek())}; voted() takes an election and, "
                'optionally, the party of the ballot: voted("PRIMARY-03/17/2020", D)',
            )
        self._advance()
        return Voted(election, ballot, position=token.position, source=self._source)

    def _comparison(self) -> FieldNode:
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

    def _value(self, after: Token) -> Value:
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

    def _peek(self, ahead: int = 0) -> Token:
        return self._tokens[min(self._index + ahead, len(self._tokens) - 1)]

    def _advance(self) -> Token:
        token = self._peek()
        self._index = min(self._index + 1, len(self._tokens) - 1)
        return token

    def _at_keyword(self, *words: str) -> bool:
        token = self._peek()
        return token.kind == "word" and token.text.casefold() in words

    def _close(self, opening: Token) -> None:
        token = self._peek()
        if token.kind != "rparen":
            raise self._error(
                f"expected ')' to close the '(' at position {opening.position}",
                token,
                f"found {self._describe(token)}",
            )
        self._advance()

    @contextmanager
    def _nested(self, token: Token) -> Iterator[None]:
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

    def _describe(self, token: Token) -> str:
        if token.kind == "end":
            return "end of input"
        return repr(self._source[token.position : token.end])

    def _error(self, reason: str, token: Token, detail: str | None = None) -> FilterError:
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
        If the expression is empty or not in the grammar (see the `segments.filter` docstring);
        the error carries the position of the problem.
    """
    if not expression.strip():
        hint = "type a condition such as: party = D"
        raise FilterError("empty expression", expression, None, hint)
    return _Parser(expression, tokenize(expression)).parse()


def _field_names(node: Expression) -> Iterator[str]:
    for item in walk(node):
        if isinstance(item, Compare | InList | Between | TextMatch | IsBlank):
            yield item.field
        elif isinstance(item, Voted):
            yield item.election.text


def fields(expression: Expression | str) -> set[str]:
    """Return the field names an expression uses.

    Parameters
    ----------
    expression : Expression or str
        A parsed expression, or text to parse.

    Returns
    -------
    set of str
        The field names, lower-cased (fields match columns case-insensitively), with the
        election columns ``voted(...)`` names.

    Raises
    ------
    FilterError
        If `expression` is text that does not parse.
    """
    tree = parse(expression) if isinstance(expression, str) else expression
    return {name.casefold() for name in _field_names(tree)}
