"""Leaving people out of a plan: opted out or erased voters become rejected rows.

Every input row stays accounted for (``accepted + rejected == total``): a voter left out is a
row of ``rejected.csv`` with the reason "do not contact" or "erased on request", its row
number and nothing else, so the reason itself tells no one who the person is.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from app.privacy.keys import DO_NOT_CONTACT, ERASED, REASONS, PrivacyKeys, key_texts
from geo.voters import VoterTable, reject_rows

KEPT_COLUMNS = ("row", "reason")
"""What ``rejected.csv`` keeps of a row left out for privacy."""


def _blank(rejected: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """The rows of ``mask`` with every field but the row number and the reason emptied."""
    rejected = rejected.copy()
    personal = [c for c in rejected.columns if c not in KEPT_COLUMNS]
    rejected[personal] = rejected[personal].astype(object)
    rejected.loc[mask, personal] = ""
    return rejected


def leave_out(table: VoterTable, keys: PrivacyKeys) -> tuple[VoterTable, dict[str, Any]]:
    """Move opted-out and erased voters of ``table`` to its rejected rows, without their data.

    Rows already rejected for another reason (a repeated id, no coordinates) whose voter id
    is erased keep their reason but lose their fields too. Returns the table and the counts
    for ``summary.json`` (``privacy.do_not_contact``, ``privacy.erased``): numbers, no names.
    """
    kinds = keys.kinds(table.accepted)
    mask = kinds != ""
    counts = {
        DO_NOT_CONTACT: int((kinds == DO_NOT_CONTACT).sum()),
        ERASED: int((kinds == ERASED).sum()),
    }
    if not mask.any() and not keys.erased:
        return table, counts
    out = reject_rows(table, mask, kinds.map(REASONS).where(mask, ""))
    rejected = out.rejected
    left_out = rejected["reason"].isin(list(REASONS.values()))
    if keys.erased and len(rejected):
        ids = key_texts(rejected[["voter_id"]].astype(str))["voter"]
        left_out |= keys.hashes(ids).isin(keys.erased)
    return replace(out, rejected=_blank(rejected, left_out)), counts


def hidden_at_doors(
    voters: pd.DataFrame, doors: pd.DataFrame, keys: PrivacyKeys
) -> tuple[pd.Series, pd.Series]:
    """Which voters and which doors a live link must no longer show.

    ``voters`` has ``voter_id``, ``first_name``, ``last_name``, ``address`` and ``unit``;
    ``doors`` has ``address`` and ``unit``. A voter is hidden when opted out or erased (by id,
    or by name and address); a door when its whole household opted out. Returns two boolean
    Series keyed to the frames' indexes.
    """
    hidden = keys.kinds(voters) != ""
    closed = pd.Series(False, index=doors.index)
    if keys.do_not_contact and len(doors):
        closed = keys.hashes(key_texts(doors)["door"]).isin(keys.do_not_contact)
    return hidden, closed
