"""Where to cut one long walk into turfs: dynamic programming over the cut points.

``routing.cutting.even_cuts`` chooses how many pieces; this module finds the best cut points
for a given number, with a charge for each barrier crossed inside a piece and for each block
face a cut splits.
"""

from __future__ import annotations

import numpy as np

from routing.local_search import _compiled

# Cutting cost of one barrier crossing inside a turf: as bad as missing the size by 15 %.
CROSSING_CHARGE = 0.15**2
# Cutting cost of a cut between two stops of one block face: as bad as a 5 % miss.
FACE_CUT_CHARGE = 0.05**2
# A turf is never cut longer than this many targets of effort (the DP's band).
MAX_PIECE = 3.0


def dp_cuts(
    effort: np.ndarray,
    walk_in: np.ndarray,
    target: float,
    pieces: int,
    changes: np.ndarray,
    joined: np.ndarray,
) -> list[int]:
    """Best ``pieces`` cut points by dynamic programming over a band of piece lengths.

    A piece ending at stop ``b`` starts at most ``MAX_PIECE`` targets of effort earlier (or
    is the single stop ``b - 1``): longer pieces never win and the band keeps the work
    linear in the number of stops.
    """
    n = len(effort)
    prefix = np.concatenate([[0.0], np.cumsum(effort)])
    ends = np.arange(1, n + 1)
    first = np.searchsorted(prefix, prefix[ends] - MAX_PIECE * target, side="left")
    first = np.minimum(first, ends - 1)
    width = int((ends - first).max())
    # starts[b - 1, j]: the j-th candidate start of a piece ending at b (b-1, b-2, ...).
    starts = ends[:, None] - 1 - np.arange(width)[None, :]
    valid = starts >= first[:, None]
    starts = np.where(valid, starts, 0)
    walk_first = np.concatenate([walk_in, [0.0]])
    piece = prefix[ends][:, None] - prefix[starts] - walk_first[starts]
    # Cell changes strictly inside piece [a, b): at positions a+1 .. b-1.
    crossed = np.concatenate([[0], np.cumsum(changes.astype(np.int64))])
    inside = np.maximum(crossed[ends][:, None] - crossed[np.minimum(starts + 1, n)], 0)
    # A piece ending at b cuts a block face when stop b (the next piece's first) joins b - 1.
    splits_face = np.append(joined[1:], False)[:, None]
    charges = CROSSING_CHARGE * inside + FACE_CUT_CHARGE * splits_face
    penalty = np.where(valid, ((piece - target) / target) ** 2 + charges, np.inf)
    choice = dp_choices(starts, penalty, pieces)
    bounds = [n]
    for k in range(pieces, 0, -1):
        bounds.append(int(choice[k, bounds[-1]]))
    return bounds[::-1]


@_compiled
def dp_choices(starts: np.ndarray, penalty: np.ndarray, pieces: int) -> np.ndarray:
    """choice[k, b]: where the last of ``k`` pieces ending at stop ``b`` best starts.

    Compiled: the table is pieces x stops x band, seconds in numpy for a county's groups.
    """
    n, width = starts.shape
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    following = np.empty(n + 1)
    choice = np.zeros((pieces + 1, n + 1), dtype=np.int64)
    for k in range(1, pieces + 1):
        following[0] = np.inf
        for row in range(n):
            # The first cheapest start wins ties, as an argmin does.
            pick, lowest = 0, best[starts[row, 0]] + penalty[row, 0]
            for j in range(1, width):
                total = best[starts[row, j]] + penalty[row, j]
                if total < lowest:
                    pick, lowest = j, total
            choice[k, row + 1] = starts[row, pick]
            following[row + 1] = lowest
        best[:] = following
    return choice
