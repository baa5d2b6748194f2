"""Stable keys of households: the same door gets the same key in every cut of a plan.

Walk lists number households per run (``H000472``), and a re-cut numbers them anew, so results
are attached to a key made from what does not change: the normalised address and unit.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NOT_WORD = re.compile(r"[^\w]+")
_UNIT_PREFIX = re.compile(r"^(apt|apartment|unit|ste|suite|no|number|as|asunto) ")
NO_ADDRESS = "(no street address)"


def normalise(text: str) -> str:
    """Case-folded, accents kept, punctuation and runs of spaces squeezed to one space."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _NOT_WORD.sub(" ", text).strip()


def household_key(
    address: str, unit: str, lat: float | None = None, lon: float | None = None
) -> str:
    """``h`` + 20 hex digits of sha256 over the normalised address and unit.

    A stop without a street address is told apart by its point, rounded to about a metre.

    Examples
    --------
    >>> household_key("31 Annankatu", "A 2") == household_key("31  ANNANKATU.", "a-2")
    True
    """
    unit_text = _UNIT_PREFIX.sub("", normalise(unit))
    place = normalise(address)
    if address.strip() in ("", NO_ADDRESS) and lat is not None and lon is not None:
        place = f"@{lat:.5f},{lon:.5f}"
    digest = hashlib.sha256(f"{place}\x1f{unit_text}".encode()).hexdigest()
    return f"h{digest[:20]}"
