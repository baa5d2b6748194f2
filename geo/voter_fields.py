"""Fields derived from a voter file's own columns: ages from birth dates, vote history.

State files give a birth date (or year) rather than an age, and one column per election
rather than a turnout score. ``derived_fields`` turns them into columns a target can use:

- ``age`` on a reference date (today unless given), where the file has no age of its own;
- every vote history column under its own name (``GENERAL-11/05/2024``), its values trimmed
  and upper-cased: ``X`` or a party letter for voted, ``''`` for not voted;
- ``general_votes``, ``primary_votes``, ``special_votes`` (one per kind of election found):
  how many elections of that kind the voter voted in, and ``elections_voted`` over all.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.layouts import Columns
from geo.tables import numbers

__all__ = ["ages", "derived_fields", "history_kinds"]

DEFAULT_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
# Ages outside this range come from wrong or placeholder dates (01/01/1800, 1900-01-01).
OLDEST = 115


def ages(
    birth_dates: pd.Series,
    on: dt.date,
    formats: tuple[str, ...] = DEFAULT_DATE_FORMATS,
) -> pd.Series:
    """Whole years from each birth date to ``on``; NaN where blank, unreadable or implausible.

    The text is parsed once per distinct value, trying ``formats`` in order.
    """
    text = birth_dates.astype(object).where(birth_dates.notna(), "").astype(str).str.strip()
    codes, uniques = pd.factorize(text)
    distinct = pd.Series(uniques, dtype=object)
    parsed = pd.Series(pd.NaT, index=distinct.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = parsed.isna() & (distinct != "")
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(distinct[todo], format=fmt, errors="coerce")
    years = on.year - parsed.dt.year
    before_birthday = (parsed.dt.month > on.month) | (
        (parsed.dt.month == on.month) & (parsed.dt.day > on.day)
    )
    age = np.array((years - before_birthday.astype(float)).to_numpy(dtype=float), copy=True)
    age[~((age >= 0) & (age <= OLDEST))] = np.nan
    return pd.Series(np.append(age, np.nan)[codes], index=birth_dates.index, dtype=float)


def history_kinds(columns: Columns) -> dict[str, list[str]]:
    """Election kind (lower case: ``general``) -> its history columns, in file order."""
    kinds: dict[str, list[str]] = {}
    pattern = None if columns.table is None else columns.table.history
    for column in columns.history:
        found = pattern.match(column.strip()) if pattern is not None else None
        kind = found.group("kind") if found is not None else "other"
        kinds.setdefault(re.sub(r"\W+", "_", kind.strip().lower()), []).append(column)
    return kinds


def derived_fields(
    frame: pd.DataFrame, raw: pd.DataFrame, columns: Columns, *, on: dt.date | None = None
) -> pd.DataFrame:
    """``frame`` (canonical fields, one row per ``raw`` row) with ages and vote history added.

    Parameters
    ----------
    frame
        The canonical fields; ``age`` as numbers (NaN where missing).
    raw
        The file as read.
    columns
        Where the fields are (``geo.layouts.resolve_columns``).
    on
        The date ages are counted to; today when not given.
    """
    on = on or dt.date.today()
    frame = frame.copy()
    formats = DEFAULT_DATE_FORMATS if columns.table is None else columns.table.date_formats
    if "birth_date" in columns.mapping:
        derived = ages(raw[columns.mapping["birth_date"]], on, formats)
        frame["age"] = frame["age"].where(frame["age"].notna(), derived)
    if "birth_year" in columns.mapping:
        # Without a day and month the age is the one reached in the year of ``on``.
        years = numbers(raw[columns.mapping["birth_year"]])
        derived = (on.year - years).where((years > 0) & (on.year - years).between(0, OLDEST))
        frame["age"] = frame["age"].where(frame["age"].notna(), derived)
    if not columns.history:
        return frame
    history: dict[str, pd.Series] = {}
    counts = {f"{kind}_votes": np.zeros(len(raw), np.int64) for kind in history_kinds(columns)}
    counts["elections_voted"] = np.zeros(len(raw), np.int64)
    for kind, names in history_kinds(columns).items():
        for column in names:
            history[column], voted = _marks(raw[column])
            counts[f"{kind}_votes"] += voted
            counts["elections_voted"] += voted
    history = {column: history[column] for column in columns.history}  # file order
    added = pd.DataFrame({**history, **counts}, index=frame.index)
    return pd.concat([frame.drop(columns=added.columns, errors="ignore"), added], axis=1)


def _marks(values: pd.Series) -> tuple[pd.Series, npt.NDArray[np.bool_]]:
    """A history column as trimmed, upper-case marks ('' for none), and which rows hold one.

    The marks come back as a categorical. The text work is done once per distinct value: a
    statewide file repeats a handful of marks (X, D, R, blank) over millions of rows and a
    hundred elections.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    marks = pd.Index(uniques, dtype=object).astype(str).str.strip().str.upper()
    mark_codes, categories = pd.factorize(pd.Index([*marks, ""]))
    # Code -1 (missing) picks the '' appended last.
    rows = mark_codes[np.where(codes < 0, len(marks), codes)]
    blank = mark_codes[-1]
    series = pd.Series(
        pd.Categorical.from_codes(rows, categories=categories), index=values.index, name=values.name
    )
    return series, rows != blank
