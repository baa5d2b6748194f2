"""Leaving people out of a plan: opted out or erased voters become rejected rows.

Every input row stays accounted for (``accepted + rejected == total``): a voter left out is a
row of ``rejected.csv`` with the reason "do not contact" or "erased on request", its row
number and nothing else, so the reason itself tells no one who the person is.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
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


class _RecentTurfs:
    """The key hashes of the turfs asked for lately, by a digest of their rows.

    Normalising addresses costs far more than matching, and a phone asks for the same turf
    again at every sync. Entries are found by a digest, so no name or address is kept in
    memory for the cache's sake (an erased person's rows are gone from it at once).
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._found: OrderedDict[str, tuple[tuple[str, str, str], ...]] = OrderedDict()
        self._lock = threading.Lock()

    def hashed(
        self, salt: str, rows: Sequence[tuple[str, str, str, str, str]]
    ) -> tuple[tuple[str, str, str], ...]:
        """The (voter, person, door) key hashes of ``(voter_id, first, last, address, unit)``."""
        digest = hashlib.sha256("\x1e".join([salt, *map("\x1f".join, rows)]).encode()).hexdigest()
        with self._lock:
            if digest in self._found:
                self._found.move_to_end(digest)
                return self._found[digest]
        frame = pd.DataFrame(
            list(rows), columns=["voter_id", "first_name", "last_name", "address", "unit"]
        )
        keys = PrivacyKeys(salt=salt)
        texts = key_texts(frame)
        found = tuple(zip(*(keys.hashes(texts[c]).tolist() for c in texts.columns), strict=True))
        with self._lock:
            self._found[digest] = found
            while len(self._found) > self.size:
                self._found.popitem(last=False)
        return found


_RECENT = _RecentTurfs()


def hidden_at_doors(
    voters: Sequence[tuple[str, str, str, str, str]],
    doors: Sequence[tuple[str, str]],
    keys: PrivacyKeys,
) -> tuple[set[int], set[int]]:
    """Which voters and which doors a live link must no longer show (their positions).

    ``voters`` are ``(voter_id, first_name, last_name, address, unit)``, ``doors`` are
    ``(address, unit)``. A voter is hidden when opted out or erased (by id, or by name and
    address) or when their whole household opted out; a door when its household opted out.
    """
    if not (keys.do_not_contact or keys.erased):
        return set(), set()
    people = _RECENT.hashed(keys.salt, voters)
    out = keys.do_not_contact
    hidden = {
        i
        for i, (voter, person, door) in enumerate(people)
        if voter in out or person in out or door in out or {voter, person} & keys.erased
    }
    places = _RECENT.hashed(keys.salt, [("", "", "", a, u) for a, u in doors])
    closed = {i for i, (_, _, door) in enumerate(places) if door and door in out}
    return hidden, closed
