"""Which columns of a precinct layer name the precincts, and why.

Counties publish precinct layers in many shapes: one row per precinct with a code column, a
precinct stored as several rows (one per part), or precinct numbers that restart in every
county, ward or district of a metro layer. ``choose_id`` picks the id from the columns' names
and values; ``explicit_id`` checks the columns a person named with ``--precinct-id``.

Rules, in order:

1. Code-like columns (``CODE_HINTS``: PREC_ID, PRECCODE, PRECINCT_C, GEOID20, VTD, PCT,
   PRECINCT, ...; any case, ``_`` and a trailing year ignored) are tried by rank. Values must
   be filled and be text or whole numbers (a ``PCT`` of percentages is not an id).
2. A column unique per row is the id.
3. A column whose values repeat is the id when the repeats are parts of one precinct. When a
   county, ward or district column (``SCOPES``) differs between rows of the same value, the
   number restarts in each of them and the id is the pair (``COUNTY,PRECINCT`` gives
   ``C-4``): parts of different counties are never merged. When another code column or a
   name column differs between rows of the same value, they are different precincts and the
   column is not the id.
4. Otherwise a unique text column that is not a name; at last a unique name column.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import InputError

__all__ = ["CODE_HINTS", "SCOPES", "IdChoice", "choose_id", "explicit_id", "id_values"]

logger = logging.getLogger(__name__)

# Header keys (lower case, no spaces, dots, dashes or "_", a trailing year dropped), best
# first. Shapefile columns are cut to 10 characters: PRECINCT_C(ODE), PRECINCT_I(D).
CODE_HINTS = (
    "precinctid", "precid", "pctid", "precincti",
    "preccode", "precinctcode", "precinctc", "preccd", "precinctcd", "pctcode", "pctcd",
    "geoid", "vtdid", "vtd", "vtdst", "vtdcode",
    "pct", "precinct", "precno", "precnum", "precinctno", "precinctnum", "pctno", "pctnum",
    "prec",
)  # fmt: skip
# Columns within which precinct numbers may restart, most usual first.
SCOPES = (
    ("county", re.compile(r"^(county|cnty|cty|co)(fp|fips|code|cd|id|num|no|nam|name)?$")),
    ("ward", re.compile(r"^ward(no|num|id|code)?$")),
    ("district", re.compile(r"^(district|dist)(no|num|id|code)?$")),
    (
        "municipality",
        re.compile(r"^(muni|municipal|municipality|mcd|cousub|township|twp|town|city|juris)"),
    ),
)
_NAME = re.compile(r"name|nam$|label|lbl|desc")
# A column repeating so much that fewer ids than this share of rows remain is not an id
# (a precinct type or a party, not a precinct); name it with --precinct-id if it is.
MIN_IDS_PER_ROW = 0.25
_JOINERS = ("-", " / ", " | ")


@dataclass(frozen=True)
class IdChoice:
    """The columns whose values, joined with ``-``, are the precinct ids."""

    columns: tuple[str, ...]
    reason: str
    """Why these columns, in a sentence for the log and the summary."""

    @property
    def label(self) -> str:
        """The columns as ``--precinct-id`` takes them (``COUNTY,PRECINCT``)."""
        return ",".join(self.columns)


def _key(name: object) -> str:
    return re.sub(r"[\s._\-]+", "", str(name).strip().lower())


def _base(key: str) -> str:
    """A key without a trailing census year (``geoid20`` -> ``geoid``)."""
    return re.sub(r"(19|20)?\d\d$", "", key) or key


def _hint_rank(name: object) -> int | None:
    key = _key(name)
    for candidate in (key, _base(key)):
        if candidate in CODE_HINTS:
            return CODE_HINTS.index(candidate)
    return None


def _scope_rank(name: object) -> int | None:
    key = _base(_key(name))
    return next((i for i, (_, pattern) in enumerate(SCOPES) if pattern.match(key)), None)


def _is_name(name: object) -> bool:
    return _hint_rank(name) is None and bool(_NAME.search(_key(name)))


def _text(values: pd.Series) -> pd.Series:
    """Values as id text: whole numbers without ``.0``, text trimmed, missing as ''."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(str)
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.notna() & (values == np.floor(values))
        text = values.astype(str)
        text[whole] = values[whole].astype(np.int64).astype(str)
        return text.where(values.notna(), "")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype(str)
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def _fillable_id(values: pd.Series) -> bool:
    """Filled everywhere, and text or whole numbers (not measurements such as percentages)."""
    if pd.api.types.is_bool_dtype(values.dtype) or (_text(values) == "").any():
        return False
    if pd.api.types.is_float_dtype(values.dtype):
        return bool((values == np.floor(values)).all())
    return (
        pd.api.types.is_numeric_dtype(values.dtype)
        or values.dtype == object
        or (pd.api.types.is_string_dtype(values.dtype))
    )


def id_values(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """The precinct id of every row: the columns' values joined with ``-`` (``C-4``).

    A joiner that would make two different combinations look alike (values that hold ``-``
    themselves) is replaced by the next of ``" / "`` and ``" | "``.
    """
    parts = [_text(frame[c]) for c in columns]
    if len(parts) == 1:
        return parts[0]
    table = pd.DataFrame({i: p for i, p in enumerate(parts)})
    combinations = len(table.drop_duplicates())
    for joiner in _JOINERS:
        joined = parts[0].astype(object)
        for part in parts[1:]:
            joined = joined + joiner + part.astype(object)
        if joined.nunique() == combinations:
            break
    return joined.astype(str)


def _varies_within(frame: pd.DataFrame, ids: pd.Series, column: str) -> pd.Series:
    """The ids whose rows hold more than one value (normalised text) in ``column``."""
    values = _text(frame[column]).str.casefold()
    counts = values.groupby(ids.to_numpy(), sort=False).nunique()
    return counts[counts > 1]


def _example(frame: pd.DataFrame, ids: pd.Series, column: str, varying: pd.Series) -> str:
    first = varying.index[0]
    seen = _text(frame.loc[(ids == first).to_numpy(), column]).unique()[:3]
    return f"{first} in {' and '.join(map(str, seen))}"


@dataclass(frozen=True)
class _Verdict:
    columns: tuple[str, ...]
    notes: tuple[str, ...] = ()
    why_not: str = ""


def _attributes(frame: pd.DataFrame) -> list[str]:
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    return [str(c) for c in frame.columns if c != geometry]


def _judge(frame: pd.DataFrame, columns: tuple[str, ...], others: list[str]) -> _Verdict:
    """Whether ``columns`` (widened by the scopes they restart in) name the precincts."""
    label = ",".join(columns)
    ids = id_values(frame, columns)
    if ids.is_unique:
        return _Verdict(columns)
    notes = []
    scopes = sorted(
        (c for c in others if _scope_rank(c) is not None and c not in columns),
        key=lambda c: (_scope_rank(c), others.index(c)),
    )
    for scope in scopes:
        varying = _varies_within(frame, ids, scope)
        if not varying.empty:
            notes.append(
                f"{label} repeats across {scope} (e.g. {_example(frame, ids, scope, varying)}), "
                f"so a precinct is the pair {scope},{label}"
            )
            columns = (scope, *columns)
            label = ",".join(columns)
            ids = id_values(frame, columns)
    for other in others:
        if other in columns or _scope_rank(other) is not None:
            continue
        if _hint_rank(other) is None and not _is_name(other):
            continue
        varying = _varies_within(frame, ids, other)
        if not varying.empty:
            return _Verdict(
                columns,
                why_not=f"rows with the same {label} have different {other} (e.g. "
                f"{_example(frame, ids, other, varying)}): they are different precincts",
            )
    precincts = ids.nunique()
    if precincts < MIN_IDS_PER_ROW * len(ids):
        return _Verdict(
            columns,
            why_not=f"{label} has only {precincts} values over {len(ids)} rows: not a precinct id",
        )
    return _Verdict(columns, tuple(notes))


def _merged(ids: pd.Series) -> str:
    sizes = ids.value_counts(sort=False)
    several = sizes[sizes > 1]
    if several.empty:
        return "one row per precinct"
    return (
        f"{len(several)} precincts are stored as several rows (e.g. {several.index[0]}, "
        f"{several.iloc[0]} rows) and are merged into one each"
    )


def choose_id(frame: pd.DataFrame, *, path: str | Path) -> IdChoice:
    """Pick the column(s) holding the precinct ids by the rules in the module docstring.

    Raises
    ------
    InputError
        If no column or pair of columns names one precinct per value.
    """
    columns = _attributes(frame)
    usable = [c for c in columns if _fillable_id(frame[c])]
    ranked = sorted(
        (c for c in usable if _hint_rank(c) is not None),
        key=lambda c: (_hint_rank(c), columns.index(c)),
    )
    passed = []
    for column in ranked:
        verdict = _judge(frame, (column,), columns)
        if verdict.why_not:
            passed.append(f"not {column}: {verdict.why_not}")
            continue
        chosen = verdict.columns
        reason = [
            f"{column} looks like a precinct code",
            *verdict.notes,
            _merged(id_values(frame, chosen)),
            *passed,
        ]
        return IdChoice(chosen, "; ".join(reason))
    textual = [
        c
        for c in usable
        if c not in ranked
        and _scope_rank(c) is None
        and not pd.api.types.is_numeric_dtype(frame[c].dtype)
        and _text(frame[c]).is_unique
    ]
    plain = [c for c in textual if not _is_name(c)]
    if plain or textual:
        column = (plain or textual)[0]
        why = "its text is unique" if plain else "the names in it are unique, so they serve as ids"
        reason = [f"{column}: no precinct code column fits, and {why}", *passed]
        return IdChoice((column,), "; ".join(reason))
    tried = "; ".join(passed)
    raise InputError(
        f"no column with a unique id per precinct found among {columns}"
        + (f" ({tried})" if tried else "")
        + "; name one with --precinct-id COLUMN, or two with --precinct-id COUNTY,PRECINCT "
        "when numbers restart in each county",
        path=path,
    )


def _find_column(columns: list[str], name: str, *, path: str | Path) -> str:
    found = next((c for c in columns if c == name), None)
    if found is None:
        loose = [c for c in columns if c.strip().lower() == name.strip().lower()]
        found = loose[0] if len(loose) == 1 else None
    if found is None:
        raise InputError(
            f"precinct id column not found; columns present: {columns} (use one of them with "
            "--precinct-id, or two as --precinct-id COUNTY,PRECINCT)",
            path=path,
            column=name,
        )
    return found


def explicit_id(frame: pd.DataFrame, spec: str, *, path: str | Path) -> IdChoice:
    """The column(s) named with ``--precinct-id`` (``PRECCODE`` or ``COUNTY,PRECINCT``).

    Names are matched trimmed and in any case. Rows sharing an id are merged, unless a county,
    ward or district column differs between them: parts of different counties are never
    merged. Rows of one id with different names are merged as asked, with a note in the reason
    (and a warning in the log).

    Raises
    ------
    InputError
        If a column is missing or has blanks, or the ids would merge different counties.
    """
    columns = _attributes(frame)
    names = [n for n in (part.strip() for part in spec.split(",")) if n]
    if not names:
        raise InputError("--precinct-id names no column", path=path, column=spec)
    chosen = tuple(dict.fromkeys(_find_column(columns, n, path=path) for n in names))
    for column in chosen:
        blank = _text(frame[column]) == ""
        if blank.any():
            raise InputError(
                f"{int(blank.sum())} of {len(frame)} precincts have no id in this column; fill "
                "them in or choose another column with --precinct-id",
                path=path,
                column=column,
            )
    label = ",".join(chosen)
    ids = id_values(frame, chosen)
    for other in sorted(
        (c for c in columns if c not in chosen and _scope_rank(c) is not None),
        key=lambda c: (_scope_rank(c), columns.index(c)),
    ):
        varying = _varies_within(frame, ids, other)
        if not varying.empty:
            raise InputError(
                f"precinct ids repeat over rows of different {other} (e.g. "
                f"{_example(frame, ids, other, varying)}): merging them would join precincts "
                f"of different {other} values; use --precinct-id {other},{label} so that each "
                f"{other} keeps its own",
                path=path,
                column=label,
            )
    reason = [f"{label} given with --precinct-id", _merged(ids)]
    for other in (c for c in columns if c not in chosen and _is_name(c)):
        varying = _varies_within(frame, ids, other)
        if not varying.empty:
            reason.append(
                f"note: {other} differs within {len(varying)} of them (e.g. "
                f"{_example(frame, ids, other, varying)}), merged as --precinct-id says; "
                f"--precinct-id {label},{other} would keep them apart"
            )
            logger.warning("precinct ids of %s: %s", Path(path).name, reason[-1])
    return IdChoice(chosen, "; ".join(reason))
