"""The QR codes walk lists print (a volunteer's link), with segno's mask chosen with numpy.

segno tries the 8 masks of the standard and keeps the one with the lowest penalty score
(ISO/IEC 18004:2015 7.8.3), in pure Python: 4 of the 5 ms a QR code cost. Here the 8 masked
matrices are scored at once by segno's rules to the letter (its quirks included), and the
code made with mask 0 is masked again with the mask found: the code ``segno.make`` makes on
its own (the tests compare the two).
"""

from __future__ import annotations

import copy
from functools import cache

import numpy as np
import segno
from segno import encoder

_FINDER_LIKE = 0b1011101
"""Dark, light, 3 dark, light, dark: the pattern penalty N3 looks for."""


def qr_code(text: str) -> segno.QRCode:
    """The QR code both walk lists print for ``text`` (a volunteer link): never a Micro QR."""
    code = segno.make(text, error="m", micro=False, mask=0)
    mask = best_mask(code)
    return code if mask == 0 else _remasked(code, mask)


def qr_svg_data_uri(text: str | segno.QRCode) -> str:
    """A QR code of ``text`` as an SVG data URI (prints sharp at any size, no file to ship)."""
    code = qr_code(text) if isinstance(text, str) else text
    return str(code.svg_data_uri(scale=4, border=2))


def best_mask(code: segno.QRCode) -> int:
    """The mask segno would choose for ``code`` (a QR code, not a Micro QR, any mask)."""
    modules = _modules(code)
    layout, data_region, masks = _symbol(len(modules))
    # The code's modules with its own mask taken off: the data bits in the data region.
    unmasked = modules ^ masks[code.mask]
    # What segno scores: the function patterns, the format and version areas still light, and
    # the data under each mask.
    candidates = np.where(data_region, unmasked ^ masks, layout)
    return int(np.argmin(_penalties(candidates)))  # the first of equal scores, as segno


def _remasked(code: segno.QRCode, mask: int) -> segno.QRCode:
    """``code`` (a QR code) with its data under ``mask``: as segno makes it with that mask.

    Encoding again would cost twice what the rest of ``qr_code`` does.
    """
    modules = _modules(code)
    _, data_region, masks = _symbol(len(modules))
    data = modules ^ masks[code.mask] ^ masks[mask]
    # The format information names the mask: row 8 and column 8 around the corners.
    row, column = _format_modules(code.error, mask)
    formatted = modules.copy()
    formatted[8, :9], formatted[8, -8:] = row[:9], row[-8:]
    formatted[:9, 8], formatted[-8:, 8] = column[:9], column[-8:]
    result = copy.copy(code)
    final = np.where(data_region, data, formatted)
    result.matrix = tuple(bytearray(line.tobytes()) for line in final)
    result.mask = mask
    return result


def _modules(code: segno.QRCode) -> np.ndarray:
    size = len(code.matrix)
    return np.frombuffer(b"".join(code.matrix), dtype=np.uint8).reshape(size, size)


@cache
def _format_modules(error: str, mask: int) -> tuple[np.ndarray, np.ndarray]:
    """Row 8 and column 8 of a symbol with ``error`` and ``mask``: where the format goes.

    The format information is the same modules around the corners of every size of symbol
    (here the smallest, by segno's own steps); only the version information depends on size.
    """
    matrix = encoder.make_matrix(21, 21)
    encoder.add_format_info(matrix, 1, encoder.normalize_errorlevel(error), mask)
    modules = np.array([list(line) for line in matrix], dtype=np.uint8)
    row, column = modules[8, :], modules[:, 8]
    row.flags.writeable = column.flags.writeable = False  # cached
    return row, column


@cache
def _symbol(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A symbol of ``size`` modules a side before its data, and the 8 masks (1: flip a module).

    The function patterns with the format and version areas light, and where the data goes.
    """
    # segno's own steps (encoder.find_and_apply_best_mask), so the regions are the same.
    matrix = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(matrix, size, size)
    encoder.add_alignment_patterns(matrix, size, size)
    layout = np.array([list(row) for row in matrix], dtype=np.uint8)
    data_region = layout == 0x2
    layout[data_region] = 0
    i, j = np.indices((size, size))
    product = i * j
    masks = np.array(
        [
            (i + j) % 2 == 0,
            i % 2 == 0,
            j % 3 == 0,
            (i + j) % 3 == 0,
            (i // 2 + j // 3) % 2 == 0,
            product % 2 + product % 3 == 0,
            (product % 2 + product % 3) % 2 == 0,
            ((i + j) % 2 + product % 3) % 2 == 0,
        ],
        dtype=np.uint8,
    )
    for shared in (layout, data_region, masks):
        shared.flags.writeable = False  # cached: the same arrays for every code of this size
    return layout, data_region, masks


def _penalties(matrices: np.ndarray) -> list[int]:
    """The penalty score of each of ``matrices`` (k, n, n), as ``encoder.evaluate_mask``."""
    count, size, _ = matrices.shape
    # Every row and every column of each matrix: N1 and N3 look along both.
    lines = np.concatenate([matrices, matrices.transpose(0, 2, 1)], axis=1)
    runs = _run_scores(lines)
    blocks = (
        (matrices[:, :-1, :-1] == matrices[:, 1:, :-1])
        & (matrices[:, :-1, :-1] == matrices[:, :-1, 1:])
        & (matrices[:, :-1, :-1] == matrices[:, 1:, 1:])
    ).sum(axis=(1, 2))
    patterns = _pattern_scores(lines)
    dark = matrices.sum(axis=(1, 2), dtype=np.int64)
    scores = []
    for k in range(count):
        percent = float(dark[k]) / (size**2)
        balance = 10 * int(abs(percent * 100 - 50) / 5)
        scores.append(int(runs[k]) + 3 * int(blocks[k]) + int(patterns[k]) + balance)
    return scores


def _run_scores(lines: np.ndarray) -> np.ndarray:
    """Penalty N1 of each matrix: ``length - 2`` for each run of 5 or more like modules."""
    count, rows, size = lines.shape
    # A value no module has between lines, so that no run goes on from one line to the next.
    fenced = np.full((count, rows, size + 1), 2, dtype=np.int8)
    fenced[:, :, 1:] = lines
    flat = np.append(fenced.ravel(), 2)
    starts = np.flatnonzero(np.diff(flat)) + 1
    lengths = np.diff(starts)
    long = lengths >= 5  # a fence is a run of 1
    owner = starts[:-1][long] // (rows * (size + 1))
    return np.bincount(owner, weights=lengths[long] - 2, minlength=count)


def _pattern_scores(lines: np.ndarray) -> np.ndarray:
    """Penalty N3 of each matrix: 40 for each finder-like pattern segno counts.

    A pattern counts when it touches an edge of the symbol or has 4 light modules (fewer at
    an edge) before or after it. segno searches each line from the left and goes on 7 modules
    after a pattern it counts, else 4 (``n3_pattern_occurrences``): so a pattern is passed
    over when the one just before it on its line, 4 or 6 modules back (two patterns overlap
    no other way), was counted.
    """
    count, rows, size = lines.shape
    # The 7 modules from each place as the bits of a number: the pattern is 0b1011101.
    window = lines[:, :, : size - 6].copy()
    for offset in range(1, 7):
        window <<= 1
        window |= lines[:, :, offset : offset + size - 6]
    matrix, line, place = np.nonzero(window == _FINDER_LIKE)
    # The 4 modules before and the 4 after each pattern, light past the edges.
    padded = np.zeros((count, rows, size + 8), dtype=lines.dtype)
    padded[:, :, 4:-4] = lines
    before = place[:, None] + np.arange(4)
    dark_before = padded[matrix[:, None], line[:, None], before].any(axis=1)
    dark_after = padded[matrix[:, None], line[:, None], before + 11].any(axis=1)
    counted = (place == 0) | (place == size - 7) | ~dark_before | ~dark_after
    overlapping = np.flatnonzero(
        (matrix[1:] == matrix[:-1]) & (line[1:] == line[:-1]) & (place[1:] - place[:-1] < 7)
    )
    searched = np.ones(len(place), dtype=bool)
    for later in (overlapping + 1).tolist():  # in order: a pattern's fate decides the next's
        searched[later] = not (searched[later - 1] and counted[later - 1])
    return 40 * np.bincount(matrix[searched & counted], minlength=count)
