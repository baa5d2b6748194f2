"""Street addresses as people type them: split one-string addresses, normalise them for matching.

Everything works on whole columns. Voter files repeat the same streets and towns many times, so
the text work is done once per distinct value and spread back with ``pd.factorize`` codes.

One-string US addresses are split by ``usaddress`` (a CRF model of US address parts) once per
shape of address; street-first addresses and what it cannot label by patterns. Names are
reduced to keys with the USPS word tables of ``geo.usps`` (suffixes, directionals, ordinals,
unit designators), so "1204 N HIGH ST", "1204 North High Street" and "1204 N High St Apt 3"
share one key.

>>> parse_address(pd.Series(["4190 S Kirkman Rd Apt 912 , Orlando, FL 32811"])).iloc[0].tolist()
['4190', 'S Kirkman Rd', 'Apt 912', 'Orlando', 'FL', '32811']
>>> street_key(pd.Series(["South Kirkman Road", "S. Kirkman Rd"])).tolist()
['s kirkman rd', 's kirkman rd']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import usaddress

from geo.usps import SHORT_DIRECTIONALS, SUFFIXES, UNIT_DESIGNATORS, WORDS

ADDRESS_PARTS = ("house_number", "street", "unit", "city", "state", "zip")

_UNIT_WORDS = r"apt|apartment|unit|ste|suite|bldg|building|fl|floor|rm|room|lot|spc|space|trlr"
_UNIT = rf"(?:(?:{_UNIT_WORDS})\.?\s*#?\s*|#\s*)[\w-]+"
# The fallback patterns run in Arrow's RE2 engine (no look-around), over distinct values.
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
# A unit at the end of a street name: a designator and an identifier with a digit or a single
# letter ("Apt 4", "Ste 200B", "Unit C"), or "#" and anything ("Lot Ln" is a street).
_TRAILING_UNIT = re.compile(
    rf"\s+(?:{'|'.join(UNIT_DESIGNATORS)})\.?\s*#?\s*(?:[\w-]*\d[\w-]*|[a-z])\s*$|\s*#.*$",
    re.IGNORECASE,
)
_WORD = re.compile(r"\b(" + "|".join(sorted(WORDS, key=len, reverse=True)) + r")\b")
# "Peachtree St N E" -> "peachtree st ne"
_SPLIT_DIRECTIONAL = re.compile(r"\b([ns]) ([ew])$")
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
    (``''`` where a part is absent) on ``values``' index. Addresses that begin with a number
    (US order: ``"12 Main St Apt 3, Springfield, IL 62704"``, with or without commas) are
    labelled by ``usaddress``; street-first addresses (``"Mannerheimintie 5 A 12"``) and the
    few ``usaddress`` cannot label are split by pattern. PO boxes give no street address.

    Parameters
    ----------
    values
        One address per row, as typed.
    """
    encoded = pc.dictionary_encode(_arrow_text(values))
    codes = encoded.indices
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(encoded.dictionary, r"\s+", " "))
    parts = _parse_unique(text)
    us = pc.and_(
        pc.match_substring_regex(text, r"^\d"),
        pc.invert(pc.match_substring_regex(text, _PO_BOX)),
    )
    rows = np.flatnonzero(us.to_numpy(zero_copy_only=False))
    if len(rows):
        labelled = _label_us(pc.take(text, pa.array(rows)))
        found = labelled.pop("_found")
        mask = np.zeros(len(text), dtype=bool)
        mask[rows[found.to_numpy(zero_copy_only=False)]] = True
        for name, part in labelled.items():
            column = parts[name].cast(pa.string())
            parts[name] = pc.replace_with_mask(column, pa.array(mask), pc.filter(part, found))
    return pd.DataFrame(
        {name: _to_series(pc.take(part, codes), values.index) for name, part in parts.items()}
    )


_LABEL_PART = {
    "AddressNumberPrefix": 0, "AddressNumber": 0, "AddressNumberSuffix": 0,
    "StreetNamePreModifier": 1, "StreetNamePreDirectional": 1, "StreetNamePreType": 1,
    "StreetName": 1, "StreetNamePostType": 1, "StreetNamePostDirectional": 1,
    "OccupancyType": 2, "OccupancyIdentifier": 2, "SubaddressType": 2,
    "SubaddressIdentifier": 2, "PlaceName": 3, "StateName": 4, "ZipCode": 5,
}  # fmt: skip
# usaddress.tokenize's pattern, for the tokens' positions in the text.
_TOKEN = re.compile(r"\(*\b[^\s,;#&()]+[.,;)\n]*|[#&]")


@functools.lru_cache(maxsize=65_536)
def _template_spans(template: str) -> tuple[bool, tuple[tuple[int, int], ...]]:
    """Label ``template`` with ``usaddress``: whether it is usable and each part's span.

    Kept between calls: a big file is parsed in batches that share most templates.
    """
    matches = list(_TOKEN.finditer(template))
    tokens = [m.group() for m in matches]
    labels = usaddress.TAGGER.tag(usaddress.tokens2features(tokens)) if tokens else []
    spans = [(0, 0)] * len(ADDRESS_PARTS)
    for match, label in zip(matches, labels, strict=True):
        part = _LABEL_PART.get(label)
        if part is not None:
            start, end = spans[part]
            spans[part] = (match.start(), match.end()) if end == 0 else (start, match.end())
    return spans[0][1] > 0 and "StreetName" in labels, tuple(spans)


def _label_us(text: pa.Array) -> dict[str, pa.Array]:
    """``ADDRESS_PARTS`` of each (distinct, squeezed) address as ``usaddress`` labels them.

    ``usaddress`` sees a whole-number token only through its length and trailing zeros, so
    their digits are masked (1204 -> 1101, keeping the text's length) and addresses that
    differ only in their numbers ("1204 N High St Apt 3", "1310 N High St Apt 12") are
    labelled once; each part is then cut from the address at the positions found. Also
    returns ``_found``: False where ``usaddress`` found no house number and street.
    """
    text = text.cast(pa.string())
    words = pc.split_pattern(text, " ")
    flat = pc.list_flatten(words)
    number = pc.match_substring_regex(flat, r"^\(*\d+[.,;)]*$")
    flat = pc.if_else(number, pc.replace_substring_regex(flat, "[1-9]", "1"), flat)
    masked = pc.binary_join(pa.ListArray.from_arrays(words.offsets, flat), " ")
    templates = pc.dictionary_encode(masked)
    labelled = [_template_spans(t) for t in templates.dictionary.to_pylist()]
    which = templates.indices.to_numpy(zero_copy_only=False)
    found = np.array([ok for ok, _ in labelled], dtype=bool)[which]
    spans = np.array([s for _, s in labelled], dtype=np.int64).reshape(-1, len(ADDRESS_PARTS), 2)
    spans = spans[which]
    addresses = text.to_pylist()
    out: dict[str, pa.Array] = {"_found": pa.array(found)}
    for i, name in enumerate(ADDRESS_PARTS):
        starts, ends = spans[:, i, 0].tolist(), spans[:, i, 1].tolist()
        cut = pa.array([a[s:e] for a, s, e in zip(addresses, starts, ends, strict=True)])
        cut = pc.utf8_trim(pc.replace_substring_regex(cut, r"\s*[,;]\s*", " "), " ,;()")
        if name in ("house_number", "state"):
            cut = pc.utf8_upper(cut)
        out[name] = cut
    out["unit"] = pc.replace_substring(out["unit"], "# ", "#")
    out["state"] = pc.utf8_rtrim(out["state"], ".")
    return out


def _parse_unique(text: pa.Array) -> dict[str, pa.Array]:
    """The parts of each (distinct, squeezed) address by pattern."""

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


def _short_words(text: pd.Series) -> pd.Series:
    """Lower-case words, punctuation dropped, USPS words and phrases shortened (table lookup)."""
    text = text.str.lower().str.replace(r"['’`.]", "", regex=True)  # "N.E." -> "ne"
    text = text.str.replace(r"[^\w\s]|_", " ", regex=True)
    text = text.str.replace(r"\s+", " ", regex=True).str.strip()
    return text.str.replace(_WORD, lambda m: WORDS[m.group(1)], regex=True)


def street_key(values: pd.Series) -> pd.Series:
    """Street names reduced so that spellings of one street agree.

    Lower case, accents kept, punctuation dropped, a trailing unit (``"Apt 4"``, ``"#4"``)
    dropped, and words shortened the USPS way (Publication 28: Avenue -> ave, North -> n,
    Street -> st, Fifth -> 5th, County Road -> co rd; see ``geo.usps``).
    """

    def work(text: pd.Series) -> pd.Series:
        text = _short_words(text.str.replace(_TRAILING_UNIT, "", regex=True))
        return text.str.replace(_SPLIT_DIRECTIONAL, r"\1\2", regex=True)

    return _per_unique(values, work)


def street_parts(keys: pd.Series) -> pd.DataFrame:
    """A street key's name apart from its type and directional, to match a key lacking them.

    Returns ``core`` (``"high"`` of ``"n high st"``), ``type`` (``"st"``) and ``direction``
    (``"n"``; a directional before or after the name) on ``keys``' index; a one-word key is
    all core.
    """

    def split(key: str) -> tuple[str, str, str]:
        words = key.split()
        direction = ""
        if len(words) > 1 and words[0] in SHORT_DIRECTIONALS:
            direction = words.pop(0)
        if len(words) > 1 and words[-1] in SHORT_DIRECTIONALS and not direction:
            direction = words.pop()
        kind = words.pop() if len(words) > 1 and words[-1] in SUFFIXES else ""
        return " ".join(words), kind, direction

    codes, uniques = pd.factorize(keys.fillna("").astype(str))
    table = pd.DataFrame([split(k) for k in uniques], columns=["core", "type", "direction"])
    if table.empty:
        table = pd.DataFrame({"core": [""], "type": [""], "direction": [""]}).iloc[:0]
    return table.take(codes).set_axis(keys.index)


def number_key(values: pd.Series) -> pd.Series:
    """House numbers compared loosely: ``"12 A"``, ``"12-a"``, ``"012A"`` become ``"12a"``."""

    def work(text: pd.Series) -> pd.Series:
        text = text.str.lower().str.replace(r"\s*1/2$", "½", regex=True)
        text = text.str.replace(r"[\s.]+|-(?=[a-z])", "", regex=True)
        return text.str.replace(r"^0+(?=\d)", "", regex=True).str.strip()

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
    """City names compared loosely: lower case, punctuation dropped, USPS words shortened."""
    return _per_unique(values, _short_words)


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


def resolve_streets(targets: pd.DataFrame, known: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Targets' street keys, completed where they lack a type or directional the data has.

    A target street (``street_key`` with its ``zip_key``) that no known street matches, in
    its ZIP code or with either ZIP unknown, takes the one known street with the same name
    whose type and directional agree where both have one: ``"main"`` -> ``"main st"``,
    ``"high st"`` -> ``"n high st"``. Never when several streets would do (``"main st"``
    and ``"main ave"``), and never across a conflict (``"main ave"`` stays).

    Parameters
    ----------
    targets, known
        ``street_key`` and ``zip_key`` columns (``address_keys``); ``known`` the streets of
        the address data.

    Returns
    -------
    tuple of pandas.Series
        The street key of each target, and whether the target's street is unknown but
        several known streets would fit it; on ``targets``' index.
    """
    asked = targets[["street_key", "zip_key"]].drop_duplicates()
    asked = asked.loc[asked["street_key"] != ""].reset_index(drop=True)
    known = known[["street_key", "zip_key"]].drop_duplicates()
    unchanged = (targets["street_key"], pd.Series(False, index=targets.index))
    if asked.empty or known.empty:
        return unchanged

    def zips_agree(pairs: pd.DataFrame) -> pd.Series:
        mine, theirs = pairs["zip_key"], pairs["zip_key_k"]
        return (mine == "") | (theirs == "") | (mine == theirs)

    exact = asked.rename_axis("_p").reset_index().merge(known, on="street_key", suffixes=("", "_k"))
    found = exact.loc[zips_agree(exact), "_p"].unique()
    missing = asked.drop(index=found)
    if missing.empty:
        return unchanged
    mine = pd.concat([missing, street_parts(missing["street_key"])], axis=1)
    theirs = pd.concat([known, street_parts(known["street_key"])], axis=1)
    pairs = mine.rename_axis("_p").reset_index().merge(theirs, on="core", suffixes=("", "_k"))

    def fits(name: str) -> pd.Series:
        return (
            (pairs[name] == "") | (pairs[f"{name}_k"] == "") | (pairs[name] == pairs[f"{name}_k"])
        )

    pairs = pairs.loc[zips_agree(pairs) & fits("type") & fits("direction")]
    choices = pairs.groupby("_p")["street_key_k"].agg(["nunique", "first"])
    chosen = choices.loc[choices["nunique"] == 1, "first"]
    several = choices.index[choices["nunique"] > 1]
    resolved = pd.concat(
        [
            missing.loc[chosen.index].assign(resolved=chosen.to_numpy(), several=False),
            missing.loc[several].assign(resolved=missing.loc[several, "street_key"], several=True),
        ]
    )
    merged = targets[["street_key", "zip_key"]].merge(
        resolved, on=["street_key", "zip_key"], how="left"
    )
    new = merged["resolved"].where(merged["resolved"].notna(), merged["street_key"])
    return (
        pd.Series(new.to_numpy(), index=targets.index, dtype=targets["street_key"].dtype),
        pd.Series(merged["several"].fillna(False).to_numpy(dtype=bool), index=targets.index),
    )
