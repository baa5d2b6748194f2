"""The next pass: a plan of the doors still worth knocking, from the results recorded so far.

A results file is our MiniVAN-style export (``app.services.exports``: ``Voter File VANID``,
``Date Canvassed``, ``Result``) or a MiniVAN contact-history report, tab- or comma-separated;
``Result`` holds a MiniVAN result name (``Not Home``, ``Canvassed``...) or one of our codes
(``not_home``). Each household gets ``attempts`` (knocks recorded at its door) and
``last_result`` (our code of the latest), fields the target language can use
(``attempts < 3 and last_result in (not_home, come_back)``). A door whose latest result is final
(a contact, refused, moved, deceased, hostile, do not contact...) leaves the plan; doors never
reached and those still open (`segments.door_results.REKNOCK_CODES`) stay in.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import InputError
from segments.door_results import DOOR_RESULTS, REKNOCK_CODES, RESULT_CODES

VOTER_COLUMNS = ("voter file vanid", "vanid", "voter_id", "voter id")
RESULT_COLUMNS = ("result", "result_code", "code")
DATE_COLUMNS = ("date canvassed", "recorded_at", "date")

# MiniVAN names to our codes; several of ours share "Refused" and "Canvassed" (all final).
_BY_NAME = {r.van_result.casefold(): r.code for r in DOOR_RESULTS}
_BY_NAME["refused"] = "refused"
_BY_NAME["canvassed"] = "canvassed"
_BY_NAME.update({code.casefold(): code for code in RESULT_CODES})


@dataclass(frozen=True)
class ResultHistory:
    """Knocks per voter from a results file."""

    attempts: pd.Series
    """Knocks recorded, indexed by voter id."""
    last_result: pd.Series
    """Our code of the latest result (``canvassed`` for a MiniVAN contact), by voter id."""
    passes: int
    """Passes already made: the most knocks at one voter."""


def _column(header: list[str], names: tuple[str, ...], path: Path, what: str) -> int:
    keys = [h.strip().casefold() for h in header]
    for name in names:
        if name in keys:
            return keys.index(name)
    raise InputError(
        f"no {what} column (looked for {', '.join(repr(n) for n in names)}; the header has "
        f"{', '.join(repr(h) for h in header)}); export results from the plan page or MiniVAN",
        path=path,
        row=1,
    )


def read_results(path: Path) -> ResultHistory:
    """Read a results file; ``InputError`` naming the file, row and column of a bad value."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="utf-16")
    except OSError as exc:
        raise InputError(f"cannot read the results file: {exc.strerror}", path=path) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError("the results file is empty", path=path)
    delimiter = "\t" if "\t" in lines[0] else ","
    rows = list(csv.reader(lines, delimiter=delimiter))
    header = rows[0]
    voter = _column(header, VOTER_COLUMNS, path, "voter id")
    result = _column(header, RESULT_COLUMNS, path, "result")
    date_keys = [h.strip().casefold() for h in header]
    date = next((date_keys.index(n) for n in DATE_COLUMNS if n in date_keys), None)
    records = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(voter, result):
            raise InputError("the row is shorter than the header", path=path, row=number)
        voter_id = row[voter].strip()
        if not voter_id:
            raise InputError("no voter id", path=path, row=number, column=header[voter])
        name = row[result].strip()
        code = _BY_NAME.get(name.casefold())
        if code is None:
            raise InputError(
                f"unknown result {name!r}; expected a MiniVAN result (Not Home, Come Back, "
                f"Canvassed, Refused, Moved, Deceased, ...) or one of {', '.join(RESULT_CODES)}",
                path=path,
                row=number,
                column=header[result],
            )
        when: pd.Timestamp | None = None
        if date is not None and len(row) > date and row[date].strip():
            parsed = pd.to_datetime(row[date].strip(), errors="coerce")
            when = None if pd.isna(parsed) else pd.Timestamp(parsed)
            if when is None:
                raise InputError(
                    f"not a date: {row[date].strip()!r} (use MM/DD/YYYY or YYYY-MM-DD)",
                    path=path,
                    row=number,
                    column=header[date],
                )
        records.append((voter_id, code, when, number))
    frame = pd.DataFrame(records, columns=["voter_id", "code", "when", "row"])
    # The latest result wins; a file without dates is in the order it was recorded.
    frame = frame.sort_values(["when", "row"], kind="stable", na_position="first")
    grouped = frame.groupby("voter_id", sort=True)
    attempts = grouped.size()
    return ResultHistory(
        attempts=attempts,
        last_result=grouped["code"].last(),
        passes=int(attempts.max()) if len(attempts) else 0,
    )


def with_history(voters: pd.DataFrame, history: ResultHistory) -> pd.DataFrame:
    """``voters`` with ``attempts`` and ``last_result`` per household (its latest knock)."""
    ids = voters["voter_id"].astype(str)
    attempts = ids.map(history.attempts).fillna(0).astype(int)
    last = ids.map(history.last_result).fillna("")
    frame = voters.copy()
    # A household's knocks are its most-knocked voter's; its result is any final one first
    # (a door closed for one voter is closed), else the open one.
    final = last.ne("") & ~last.isin(REKNOCK_CODES)
    rank = np.where(final, 2, np.where(last.ne(""), 1, 0))
    picked = pd.DataFrame(
        {"household": frame["household_id"], "rank": rank, "last": last, "n": attempts}
    )
    best = picked.sort_values("rank", kind="stable").groupby("household")["last"].last()
    frame["attempts"] = picked.groupby("household")["n"].transform("max").to_numpy()
    frame["last_result"] = frame["household_id"].map(best).fillna("").to_numpy()
    return frame


def still_open(voters: pd.DataFrame) -> pd.Series:
    """Voters whose door is still worth knocking: never reached, or last result open."""
    last = voters["last_result"].fillna("").astype(str)
    return last.eq("") | last.isin(REKNOCK_CODES)


def pass_suffix(history: ResultHistory) -> str:
    """The suffix of this pass's turf ids: ``-p2`` after one pass."""
    return f"-p{history.passes + 1}"


def apply_results(voters: pd.DataFrame, path: Path | None) -> tuple[pd.DataFrame, str]:
    """Voters with their households' knocks, and the suffix of this pass's turf ids.

    Without a results file: the voters as they are and no suffix.
    """
    if path is None:
        return voters, ""
    history = read_results(path)
    return with_history(voters, history), pass_suffix(history)
