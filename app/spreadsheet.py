"""CSV cells that a spreadsheet will not run: text from data never starts a formula.

A voter file may hold ``=HYPERLINK(...)`` or ``@SUM(...)`` in a name or a street; opened in a
spreadsheet, such a cell would run (OWASP, "CSV Injection"). Every CSV and TSV the project
writes passes its text through :func:`neutralise`: a cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a leading apostrophe, which spreadsheets hide and which
makes the cell text. Numbers stay numbers. Our own readers (the store's import, re-cuts) undo
it with :func:`restore`, so an id or a name survives the round trip unchanged.
"""

from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value: object) -> object:
    """``value`` with an apostrophe in front when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return QUOTE + value
    return value


def restore(value: object) -> object:
    """Undo :func:`neutralise` (text written by it gets its first character back)."""
    if isinstance(value, str) and value.startswith(QUOTE) and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [
        c
        for c in frame.columns
        if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c])
    ]


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are safe to open in a spreadsheet."""
    safe = frame.copy()
    for column in _text_columns(safe):
        safe[column] = _neutralised(safe[column])
    safe.columns = [neutralise(c) for c in safe.columns]
    return safe


def _neutralised(column: pd.Series) -> pd.Series:
    """:func:`neutralise` on every cell of ``column``, as one vectorised test.

    A county's files have hundreds of thousands of cells (a call per cell took a second).
    """
    # Mixed objects are written as pandas infers them (1 and 2.5 as 1.0 and 2.5), as before.
    column = column.infer_objects() if column.dtype == object else column
    try:
        starts = column.str.startswith(FORMULA_START)
    except AttributeError:  # a column holding no text at all
        return column
    risky = starts.astype("boolean").fillna(False).to_numpy(dtype=bool)
    if not risky.any():
        return column
    out = column.copy()
    out[risky] = QUOTE + column[risky]
    return out


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as read from a CSV we wrote, with its text as it was before neutralising."""
    for column in _text_columns(frame):
        frame[column] = frame[column].map(restore, na_action="ignore")
    frame.columns = [str(restore(c)) for c in frame.columns]
    return frame
