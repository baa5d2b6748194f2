"""Street addresses as people type them: split one-string addresses, normalise them for matching.

Everything works on whole columns. Voter files repeat the same streets and towns many times, so
the text work is done once per distinct value and spread back with ``pd.factorize`` codes.

>>> parse_address(pd.Series(["4190 S Kirkman Rd Apt 912 , Orlando, FL 32811"])).iloc[0].tolist()
['4190', 'S Kirkman Rd', 'Apt 912', 'Orlando', 'FL', '32811']
>>> street_key(pd.Series(["South Kirkman Road", "S. Kirkman Rd"])).tolist()
['s kirkman rd', 's kirkman rd']
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ADDRESS_PARTS = ("house_number", "street", "unit", "city", "state", "zip")

# USPS street suffixes, directionals and a few common words, spelled out -> the short form.
# The same table is applied to both sides of a match, so mapping a word wherever it appears
# in a name ("Lake Shore Drive" -> "lk shr dr") is harmless and keeps the rule simple.
STREET_WORDS: dict[str, str] = {
    "alley": "aly", "avenue": "ave", "av": "ave", "avn": "ave", "bend": "bnd", "bluff": "blf",
    "boulevard": "blvd", "boul": "blvd", "branch": "br", "bridge": "brg", "brook": "brk",
    "bypass": "byp", "causeway": "cswy", "center": "ctr", "centre": "ctr", "circle": "cir",
    "cove": "cv", "court": "ct", "courts": "cts", "creek": "crk", "crescent": "cres",
    "crossing": "xing", "drive": "dr", "drv": "dr", "estates": "ests", "expressway": "expy",
    "extension": "ext", "freeway": "fwy", "gardens": "gdns", "glen": "gln", "green": "grn",
    "grove": "grv", "harbor": "hbr", "heights": "hts", "highway": "hwy", "hill": "hl",
    "hills": "hls", "hollow": "holw", "junction": "jct", "lake": "lk", "landing": "lndg",
    "lane": "ln", "manor": "mnr", "meadow": "mdw", "meadows": "mdws", "mount": "mt",
    "mountain": "mtn", "parkway": "pkwy", "pkway": "pkwy", "place": "pl", "plaza": "plz",
    "point": "pt", "ridge": "rdg", "road": "rd", "route": "rte", "shore": "shr",
    "square": "sq", "station": "sta", "street": "st", "str": "st", "terrace": "ter",
    "trace": "trce", "trail": "trl", "turnpike": "tpke", "valley": "vly", "view": "vw",
    "village": "vlg", "fort": "ft", "saint": "st",
    "north": "n", "south": "s", "east": "e", "west": "w", "northeast": "ne",
    "northwest": "nw", "southeast": "se", "southwest": "sw",
    "first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th",
    "sixth": "6th", "seventh": "7th", "eighth": "8th", "ninth": "9th", "tenth": "10th",
}  # fmt: skip

_UNIT_WORDS = r"apt|apartment|unit|ste|suite|bldg|building|fl|floor|rm|room|lot|spc|space|trlr"
_UNIT = rf"(?:(?:{_UNIT_WORDS})\.?\s*#?\s*|#\s*)[\w-]+"
# The parsing patterns run in Arrow's RE2 engine (no look-around), over distinct values.
_SPLIT = r"^(?P<line>[^,]*)(?:,(?P<rest>.*))?$"
# "4190 S Kirkman Rd Apt 912", "12B Oak Ave #3", "7-A Elm St", "5 1/2 Pine St"
_US_LINE = (
    rf"(?i)^(?P<number>\d+(?:-?[A-Za-z])?(?:-\d+)?(?: 1/2)?) (?P<street>.+?)"
    rf"(?: (?P<unit>{_UNIT}))?$"
)
# "Mannerheimintie 5 A 12": the street first, as in most of Europe.
_EU_LINE = r"^(?P<street>[^\d]+?) (?P<number>\d+[A-Za-z]?)(?: (?P<unit>.+))?$"
# What follows the first comma: an optional unit part, the city, state and ZIP code.
_REST = (
    rf"(?i)^(?:(?P<unit>{_UNIT})\s*(?:,\s*|$))?(?P<city>[^,]*?)\s*"
    r"(?:,?\s*\b(?P<state>[A-Za-z]{2})\.?)?\s*(?:,?\s*(?P<zip>\d{5}(?:-?\d{4})?))?"
    r"\s*,?\s*(?:USA?|United States)?\s*$"
)
_PO_BOX = r"(?i)^(?:p\.?\s*o\.?\s*)?box\b"
_TRAILING_UNIT = re.compile(rf"\s+{_UNIT}\s*$|\s*#.*$", re.IGNORECASE)
_WORD = re.compile(r"\b(" + "|".join(sorted(STREET_WORDS, key=len, reverse=True)) + r")\b")
_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def _per_unique(values: pd.Series, work: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply ``work`` to each distinct text value once and spread the result back."""
    text = values.fillna("").astype(str)
    codes, uniques = pd.factorize(text)
    done = work(pd.Series(uniques, dtype=object)).fillna("")
    return pd.Series(done.to_numpy(dtype=object), dtype=_STR).take(codes).set_axis(values.index)


def _arrow_text(values: pd.Series) -> pa.Array:
    """The values as an Arrow string array, missing values as ''."""
    array = pa.array(values.fillna("").astype(_STR).array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return pc.fill_null(array, "")


def _to_series(array: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    return pd.Series(array.to_pandas(types_mapper={pa.string(): _STR}.get)).set_axis(index)


def squeeze(values: pd.Series) -> pd.Series:
    """Trim and collapse runs of whitespace (state files pad fields with spaces)."""
    text = pc.replace_substring_regex(_arrow_text(values), r"\s+", " ")
    return _to_series(pc.utf8_trim_whitespace(text), values.index)


def parse_address(values: pd.Series) -> pd.DataFrame:
    """Split one-string addresses into their parts.

    Returns ``house_number``, ``street``, ``unit``, ``city``, ``state`` and ``zip`` columns
    (``''`` where a part is absent) on ``values``' index. Takes US order
    (``"12 Main St Apt 3, Springfield, IL 62704"``) and street-first order
    (``"Mannerheimintie 5 A 12"``). PO boxes give no street address.

    Parameters
    ----------
    values
        One address per row, as typed.
    """
    encoded = pc.dictionary_encode(_arrow_text(values))
    codes = encoded.indices
    parts = _parse_unique(
        pc.utf8_trim_whitespace(pc.replace_substring_regex(encoded.dictionary, r"\s+", " "))
    )
    return pd.DataFrame(
        {name: _to_series(pc.take(part, codes), values.index) for name, part in parts.items()}
    )


def _parse_unique(text: pa.Array) -> dict[str, pa.Array]:
    def field(struct: pa.StructArray, name: str) -> pa.Array:
        return pc.fill_null(struct.field(name), "")

    def pick(mask: pa.Array, yes: pa.Array, no: pa.Array | str) -> pa.Array:
        return pc.if_else(mask, yes, no)

    split = pc.extract_regex(text, _SPLIT)
    line = pc.utf8_trim_whitespace(field(split, "line"))
    rest = pc.utf8_trim_whitespace(field(split, "rest"))
    us, eu = pc.extract_regex(line, _US_LINE), pc.extract_regex(line, _EU_LINE)
    # Few distinct "city, state zip" tails: parse each once.
    tails = pc.dictionary_encode(rest)
    tail = pc.take(pc.extract_regex(tails.dictionary, _REST), tails.indices)
    is_us = us.is_valid()
    is_eu = pc.and_(pc.invert(is_us), eu.is_valid())
    kept = pc.invert(pc.match_substring_regex(line, _PO_BOX))
    number = pick(is_us, field(us, "number"), pick(is_eu, field(eu, "number"), ""))
    street = pick(is_us, field(us, "street"), pick(is_eu, field(eu, "street"), line))
    unit = pick(is_us, field(us, "unit"), pick(is_eu, field(eu, "unit"), ""))
    unit = pick(pc.equal(unit, ""), field(tail, "unit"), unit)
    return {
        "house_number": pc.utf8_upper(pick(kept, number, "")),
        "street": pick(kept, street, ""),
        "unit": pc.utf8_trim_whitespace(unit),
        "city": pc.utf8_trim_whitespace(field(tail, "city")),
        "state": pc.utf8_upper(field(tail, "state")),
        "zip": field(tail, "zip"),
    }


def street_key(values: pd.Series) -> pd.Series:
    """Street names reduced so that spellings of one street agree.

    Lower case, accents kept, punctuation dropped, a trailing unit (``"Apt 4"``, ``"#4"``)
    dropped, and words shortened the USPS way (Avenue -> ave, North -> n, Street -> st).
    """

    def work(text: pd.Series) -> pd.Series:
        text = text.str.replace(_TRAILING_UNIT, "", regex=True).str.lower()
        text = text.str.replace(r"['’`.]", "", regex=True)  # "N.E." -> "ne", "O'Neil" -> "oneil"
        text = text.str.replace(r"[^\w\s]|_", " ", regex=True)
        text = text.str.replace(_WORD, lambda m: STREET_WORDS[m.group(1)], regex=True)
        return text.str.replace(r"\s+", " ", regex=True).str.strip()

    return _per_unique(values, work)


def number_key(values: pd.Series) -> pd.Series:
    """House numbers compared loosely: ``"12 A"``, ``"12-a"`` and ``"12A"`` become ``"12a"``."""

    def work(text: pd.Series) -> pd.Series:
        text = text.str.lower().str.replace(r"\s*1/2$", "½", regex=True)
        text = text.str.replace(r"[\s.]+|-(?=[a-z])", "", regex=True)
        return text.str.strip()

    return _per_unique(values, work)


def number_value(keys: pd.Series) -> np.ndarray:
    """The leading integer of each house number key (NaN where there is none)."""
    codes, uniques = pd.factorize(keys.fillna("").astype(str))
    digits = pd.Series(uniques, dtype=object).str.extract(r"^(\d{1,7})", expand=False)
    return pd.to_numeric(digits, errors="coerce").to_numpy(dtype=float)[codes]


def zip_key(values: pd.Series) -> pd.Series:
    """Postcodes compared loosely: ZIP+4 -> ZIP5, and leading zeros a spreadsheet ate restored."""

    def work(text: pd.Series) -> pd.Series:
        text = text.str.upper().str.replace(r"[\s-]", "", regex=True)
        digits = text.str.fullmatch(r"\d+")
        text = text.where(~(digits & (text.str.len() == 9)), text.str[:5])
        short = digits & text.str.len().between(3, 4)
        return text.where(~short, text.str.zfill(5))

    return _per_unique(values, work)


def place_key(values: pd.Series) -> pd.Series:
    """City names compared loosely: lower case, punctuation and extra spaces dropped."""

    def work(text: pd.Series) -> pd.Series:
        text = text.str.lower().str.replace(r"[^\w\s]|_", " ", regex=True)
        text = text.str.replace(_WORD, lambda m: STREET_WORDS[m.group(1)], regex=True)
        return text.str.replace(r"\s+", " ", regex=True).str.strip()

    return _per_unique(values, work)


def address_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Match keys of ``frame``'s ``street``, ``house_number``, ``zip`` and ``city`` columns.

    Returns ``street_key``, ``number_key``, ``zip_key``, ``city_key``, ``locality`` (the ZIP
    key where known, else the city key, prefixed so the two never collide) and ``number``
    (the numeric house number, NaN where there is none), on ``frame``'s index.
    """

    def column(name: str) -> pd.Series:
        if name in frame:
            return frame[name]
        return pd.Series("", index=frame.index, dtype=object)

    zips = zip_key(column("zip"))
    cities = place_key(column("city"))
    codes, uniques = pd.factorize(column("house_number").fillna("").astype(str))
    unique_keys = number_key(pd.Series(uniques, dtype=object))
    numbers = unique_keys.take(codes).set_axis(frame.index)
    locality = ("z:" + zips).where(zips != "", ("c:" + cities).where(cities != "", ""))
    return pd.DataFrame(
        {
            "street_key": street_key(column("street")),
            "number_key": numbers,
            "zip_key": zips,
            "city_key": cities,
            "locality": locality,
            "number": number_value(unique_keys)[codes],
        },
        index=frame.index,
    )
