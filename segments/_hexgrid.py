"""A hexagon grid in metres: pointy-top cells of a fixed size, anchored at the CRS origin.

Cells are numbered in axial coordinates ``(q, r)`` (see Red Blob Games, "Hexagonal Grids"),
so the same size in the same projected CRS always gives the same cells.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_SQRT3 = float(np.sqrt(3.0))


def cell_area_m2(size_m: float) -> float:
    """Area of one cell whose centre-to-corner distance (and edge) is `size_m`."""
    return 1.5 * _SQRT3 * size_m * size_m


def cells(x: FloatArray, y: FloatArray, size_m: float) -> tuple[IntArray, IntArray]:
    """Axial ``(q, r)`` of the cell holding each point (NaN coordinates give garbage: mask them)."""
    qf = (_SQRT3 / 3.0 * x - y / 3.0) / size_m
    rf = (2.0 / 3.0 * y) / size_m
    sf = -qf - rf
    q, r, s = np.rint(qf), np.rint(rf), np.rint(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    # Cube rounding: the coordinate that moved most is recomputed from the other two.
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def centres(q: IntArray, r: IntArray, size_m: float) -> tuple[FloatArray, FloatArray]:
    """Centre of each cell in metres."""
    cx = size_m * (_SQRT3 * q + _SQRT3 / 2.0 * r)
    cy = size_m * (1.5 * r)
    return cx.astype(np.float64), cy.astype(np.float64)


def polygons(q: IntArray, r: IntArray, size_m: float) -> npt.NDArray[np.object_]:
    """Outline of each cell as a shapely Polygon in metres."""
    cx, cy = centres(q, r, size_m)
    angles = np.radians(60.0 * np.arange(6) - 30.0)
    ring = np.stack(
        [
            cx[:, None] + size_m * np.cos(angles)[None, :],
            cy[:, None] + size_m * np.sin(angles)[None, :],
        ],
        axis=-1,
    )
    return np.asarray(shapely.polygons(ring), dtype=object)
