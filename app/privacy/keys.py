"""Stable, salted keys of people and doors: how an opt-out or an erasure sticks.

A person is known by their voter id, and also by their normalised name and address (a new
export of the voter file may number them anew); a door by its normalised address and unit.
Addresses are normalised as the geocoder matches them (``geo.address``: "1204 N High St
Apt 3" is "1204 North High Street #3"). Only salted SHA-256 hashes of these keys are kept,
so the store of opt-outs and tombstones holds no personal data.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

from geo.address import address_keys, parse_address
from geo.households import normalise_unit

DO_NOT_CONTACT = "do_not_contact"
ERASED = "erased"
KINDS = (DO_NOT_CONTACT, ERASED)
REASONS = {DO_NOT_CONTACT: "do not contact", ERASED: "erased on request"}
"""The ``rejected.csv`` reason of a voter row left out for each kind of key."""
_NOT_NAME = re.compile(r"[\W_]+")


def hash_key(salt: str, text: str) -> str:
    """The salted hash of one key text (32 hex digits)."""
    return hashlib.sha256(f"{salt}\x1f{text}".encode()).hexdigest()[:32]


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name].fillna("").astype(str)
    return pd.Series("", index=frame.index, dtype=object)


def address_texts(frame: pd.DataFrame) -> pd.Series:
    """``"<number>|<street>|<unit>"`` keys of ``house_number``, ``street`` and ``unit``.

    Rows with a one-string ``address`` column and no street are split first. A row without
    both a house number and a street has no address key (empty string).
    """
    parts = frame
    if "address" in frame and "street" not in frame:
        parts = parse_address(_column(frame, "address"))
        if "unit" in frame:
            given = _column(frame, "unit")
            parts["unit"] = given.where(given != "", parts["unit"])
    keys = address_keys(parts)
    unit = normalise_unit(_column(parts, "unit"))
    text = keys["number_key"] + "|" + keys["street_key"] + "|" + unit
    usable = (keys["number_key"] != "") & (keys["street_key"] != "")
    return text.where(usable, "")


def _name_key(text: str) -> str:
    """Case, accents and punctuation dropped: "O'Lée" is "o lee"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NOT_NAME.sub(" ", plain).strip()


def person_texts(frame: pd.DataFrame, addresses: pd.Series) -> pd.Series:
    """``"<first> <last>@<address key>"``; empty where the name or the address is missing."""
    full = _column(frame, "first_name") + " " + _column(frame, "last_name")
    name = full.map({t: _name_key(t) for t in full.unique()})
    usable = (name != "") & (addresses != "")
    return (name + "@" + addresses).where(usable, "")


def key_texts(frame: pd.DataFrame) -> pd.DataFrame:
    """The three key texts of each row: ``voter``, ``person`` and ``door`` (empty if none)."""
    addresses = address_texts(frame)
    ids = _column(frame, "voter_id").str.strip()
    people = person_texts(frame, addresses)
    return pd.DataFrame(
        {
            "voter": ("id:" + ids).where(ids != "", ""),
            "person": ("person:" + people).where(people != "", ""),
            "door": ("door:" + addresses).where(addresses != "", ""),
        },
        index=frame.index,
    )


@dataclass(frozen=True)
class PrivacyKeys:
    """The hashed keys of people who must not be contacted, and of people erased."""

    salt: str
    do_not_contact: frozenset[str] = field(default_factory=frozenset)
    erased: frozenset[str] = field(default_factory=frozenset)

    def hashes(self, texts: pd.Series) -> pd.Series:
        """The salted hashes of ``texts`` (empty stays empty)."""
        unique = texts.unique()
        done = {t: (hash_key(self.salt, t) if t else "") for t in unique}
        return texts.map(done)

    def kinds(self, frame: pd.DataFrame) -> pd.Series:
        """For each voter row, ``erased``, ``do_not_contact`` or ``""``.

        A voter is matched by their id, their name and address, or (for a whole household's
        opt-out) their door; erasure wins over an opt-out.
        """
        kind = pd.Series("", index=frame.index, dtype=object)
        if not (self.do_not_contact or self.erased) or frame.empty:
            return kind
        texts = key_texts(frame)
        for name, keys in ((DO_NOT_CONTACT, self.do_not_contact), (ERASED, self.erased)):
            hit = pd.Series(False, index=frame.index)
            for column in texts.columns:
                if name == ERASED and column == "door":
                    continue  # erasing a person never hides their housemates
                hit |= self.hashes(texts[column]).isin(keys)
            kind = kind.where(~hit, name)
        return kind
