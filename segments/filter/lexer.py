"""The tokenizer of the filter language: target text to tokens, or a `FilterError`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeAlias

from segments._errors import FilterError

__all__ = ["NUMBER", "Token", "TokenKind", "tokenize"]

TokenKind: TypeAlias = Literal["word", "number", "string", "op", "lparen", "rparen", "comma", "end"]

NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
# Longest first so that "<=" is not read as "<" followed by "=".
_OPERATORS = ("==", "!=", "<>", "<=", ">=", "=", "<", ">")
_PUNCTUATION: dict[str, TokenKind] = {"(": "lparen", ")": "rparen", ",": "comma"}
_SMART_QUOTES = "\u201c\u201d\u2018\u2019\u201e\u00ab\u00bb"


@dataclass(frozen=True)
class Token:
    """One token of a target expression and the characters ``source[position:end]`` it spans."""

    kind: TokenKind
    text: str  # strings: content with escapes resolved; everything else: as typed
    position: int
    end: int


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_-."


def tokenize(source: str) -> list[Token]:
    """Split a target expression into tokens, ending with an ``end`` token.

    Raises
    ------
    FilterError
        For a character outside the grammar, an unterminated string or unbalanced parentheses.
    """
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
        elif ch in _PUNCTUATION:
            tokens.append(Token(_PUNCTUATION[ch], ch, i, i + 1))
            i += 1
        elif op := next((o for o in _OPERATORS if source.startswith(o, i)), None):
            tokens.append(Token("op", op, i, i + len(op)))
            i += len(op)
        elif ch in "\"'":
            text, end = _read_string(source, i)
            tokens.append(Token("string", text, i, end))
            i = end
        elif _is_word_char(ch):
            end = i
            while end < n and _is_word_char(source[end]):
                end += 1
            word = source[i:end]
            tokens.append(Token("number" if NUMBER.fullmatch(word) else "word", word, i, end))
            i = end
        else:
            hint = "use straight quotes \" or '" if ch in _SMART_QUOTES else None
            if ch == "/":
                hint = 'put a name holding "/" in quotes, e.g. voted("GENERAL-11/05/2024")'
            raise FilterError(f"unexpected character {ch!r}", source, i, hint)
    tokens.append(Token("end", "", n, n))
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


def _check_parentheses(tokens: list[Token], source: str) -> None:
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
