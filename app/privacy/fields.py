"""Minimal data on paper: the voter fields a plan's walk lists carry, chosen by the organiser.

The walk-list rows keep their columns (the phone records results by voter id), but a field
not chosen is left blank, so the printed and downloadable lists hold only what the organiser
picked, as volunteer links do. The default is the name and an age band ("40-49"): no party,
no scores. The store imports every field from the plan's ``voter_data.csv`` instead
(``app.outputs.voter_data``), which only organisers and admins can download.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from geo._errors import InputError

FIELD_CHOICES = ("name", "age_band", "age", "party", "support_score", "turnout_score")
DEFAULT_FIELDS = ("name", "age_band")
FIELD_LABELS = {
    "name": "Name",
    "age_band": "Age band (40-49)",
    "age": "Age",
    "party": "Party",
    "support_score": "Support score",
    "turnout_score": "Turnout score",
}
"""How the new-plan page offers each field."""
_COLUMNS = {
    "name": ("first_name", "last_name"),
    "age": ("age",),
    "party": ("party",),
    "support_score": ("support_score",),
    "turnout_score": ("turnout_score",),
}


def walklist_fields(names: Iterable[str]) -> tuple[str, ...]:
    """The chosen fields, checked (``InputError`` naming an unknown one and the choices)."""
    chosen = []
    for name in names:
        for part in str(name).split(","):
            part = part.strip().lower()
            if not part:
                continue
            if part not in FIELD_CHOICES:
                raise InputError(
                    f"walk-list field {part!r} is not one of {', '.join(FIELD_CHOICES)}"
                )
            if part not in chosen:
                chosen.append(part)
    return tuple(chosen)


def age_band(age: pd.Series) -> pd.Series:
    """``"40-49"`` for 40 to 49 (``"18-29"`` below 30, ``"80+"`` from 80); blank if unknown."""
    numbers = pd.to_numeric(age, errors="coerce")
    low = (numbers // 10 * 10).clip(lower=20)
    text = low.astype("Int64").astype(str) + "-" + (low + 9).astype("Int64").astype(str)
    text = text.where(numbers >= 30, "18-29").where(numbers < 80, "80+")
    return text.where(numbers.notna(), "").astype(object)


def minimal_rows(rows: pd.DataFrame, fields: Iterable[str] | None) -> pd.DataFrame:
    """Walk-list rows with every voter field not in ``fields`` blanked (default fields if None)."""
    chosen = set(DEFAULT_FIELDS if fields is None else fields)
    out = rows.copy()
    for field, columns in _COLUMNS.items():
        if field in chosen:
            continue
        for column in columns:
            if column in out:
                out[column] = pd.Series([None] * len(out), index=out.index, dtype=object)
    if "age_band" in chosen and "age" not in chosen and "age" in rows:
        out["age"] = age_band(rows["age"]).to_numpy()
    return out


def fields_record(fields: Iterable[str] | None) -> list[str]:
    """The choice as ``summary.json`` records it (``privacy.walklist_fields``)."""
    return list(DEFAULT_FIELDS if fields is None else fields)
