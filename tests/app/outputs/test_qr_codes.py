"""Walk-list QR codes: the mask chosen with numpy is the one segno chooses on its own."""

from __future__ import annotations

import random
import string

import segno

from app.outputs.qr_codes import qr_code


def _texts() -> list[str]:
    """Volunteer links and odd texts of lengths up to QR version 15 or so."""
    pick = random.Random(7)
    links = [f"https://canvass.example.org/v/{pick.getrandbits(64):x}" for _ in range(40)]
    printable = [
        "".join(pick.choice(string.printable) for _ in range(pick.randint(1, 400)))
        for _ in range(30)
    ]
    return [*links, *printable, "é" * 90, "0123456789" * 30, "HELLO WORLD " * 10]


def test_qr_codes_are_the_codes_segno_makes_with_its_own_mask() -> None:
    versions, masks = set(), set()
    for text in _texts():
        ours, segnos = qr_code(text), segno.make(text, error="m", micro=False)
        assert (ours.version, ours.error, ours.mask) == (segnos.version, segnos.error, segnos.mask)
        assert ours.matrix == segnos.matrix, text
        versions.add(segnos.version)
        masks.add(ours.mask)
    # Sizes with and without alignment and version patterns; every mask chosen somewhere.
    assert len(versions) >= 10 and max(versions) >= 7
    assert len(masks) == 8
