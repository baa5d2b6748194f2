"""Voter frame columns prepared for comparison: as numbers, or as normalised distinct text."""

from __future__ import annotations

import functools
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["BoolArray", "ColumnView"]

BoolArray: TypeAlias = npt.NDArray[np.bool_]

# Marks of a vote history column that say "did not vote" (compared casefolded).
NOT_VOTED = frozenset({"0", "n", "no", "false", "f"})


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


class ColumnView:
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
        """The column as float64 numbers; NaN where missing."""
        return np.asarray(self._series.to_numpy(dtype=np.float64, na_value=np.nan))

    @functools.cached_property
    def text(self) -> _TextView:
        """The column as normalised text, one entry per distinct value."""
        return _TextView(self._series, self.is_numeric)

    @functools.cached_property
    def missing(self) -> BoolArray:
        """Rows whose value is missing (for text columns: missing or blank)."""
        return np.isnan(self.numbers) if self.is_numeric else self.text.missing

    @functools.cached_property
    def marked(self) -> BoolArray:
        """Rows holding a vote history mark: filled, and not 0, N, No or False."""
        if self.is_numeric:
            return ~np.isnan(self.numbers) & (self.numbers != 0)
        text = self.text
        return text.spread(~text.uniques.isin(NOT_VOTED).to_numpy(dtype=bool))
