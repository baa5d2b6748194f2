"""Spatial hot spots of a universe: the dense areas worth sending a team to for a day.

`HotSpots` groups places by where they are: DBSCAN on coordinates in metres finds the dense
areas of a universe worth sending a team to for a day, and leaves scattered doors out as noise.

`HotSpots` is a scikit-learn style estimator: parameters in ``__init__``, ``fit`` sets
``labels_`` (a Series keyed to the input's index) and the results are the same on every run.
Its counterpart for people is `segments.micro_segments.MicroSegments`.
"""

from __future__ import annotations

from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from sklearn.cluster import DBSCAN

from geo.effort import WalkModel
from segments._data import FloatArray, metric_xy, require_columns
from segments._errors import SegmentDataError
from segments.universe import walk_share_m

__all__ = ["HotSpots"]

HullKind = Literal["convex", "concave"]


class HotSpots:
    """Dense areas of a universe, by DBSCAN on coordinates in metres, outlined by hulls.

    Parameters
    ----------
    eps_m : float, default 100.0
        Two points closer than this are neighbours.
    min_samples : int, default 20
        Weight (points, or the `weight` column such as doors) within `eps_m` of a point that
        makes it the core of an area.
    hull : {"concave", "convex"}, default "concave"
        Outline of each area around its points.
    concave_ratio : float, default 0.3
        `shapely.concave_hull` ratio: 1 is the convex hull, lower hugs the points more closely.
    buffer_m : float or None, default None
        Margin added around each hull; None uses ``eps_m / 2``. It also gives an area to
        hot spots whose points are on one line.
    min_hours : float, default 0.0
        Areas whose estimated canvass time (`WalkModel` with the walk estimated from the
        spacing of their points) is shorter are left out with the noise.
    model : WalkModel or None
        Time model for ``hours``; None uses the routing defaults.

    Attributes
    ----------
    labels_ : pandas.Series
        Hot spot of each point (0 has the most weight), -1 for noise, indexed like the input.
    areas_ : geopandas.GeoDataFrame
        One row per hot spot in EPSG:4326: ``hotspot``, ``points``, the weight column's sum
        (when weighted), ``area_km2``, ``per_km2`` (weight per km²), ``hours`` and the outline.
    noise_ : int
        Points left out.
    noise_weight_ : float
        Their weight.
    crs_ : pyproj.CRS or None
        The metric CRS used.
    """

    def __init__(
        self,
        *,
        eps_m: float = 100.0,
        min_samples: int = 20,
        hull: HullKind = "concave",
        concave_ratio: float = 0.3,
        buffer_m: float | None = None,
        min_hours: float = 0.0,
        model: WalkModel | None = None,
    ) -> None:
        self.eps_m = eps_m
        self.min_samples = min_samples
        self.hull = hull
        self.concave_ratio = concave_ratio
        self.buffer_m = buffer_m
        self.min_hours = min_hours
        self.model = model

    def fit(self, points: gpd.GeoDataFrame, *, weight: str | None = None) -> HotSpots:
        """Find the hot spots of `points`.

        Parameters
        ----------
        points : geopandas.GeoDataFrame
            Points in any CRS (geographic ones are projected to their UTM zone), e.g. the
            target stops with their ``doors``. Rows without a position are noise.
        weight : str or None
            Column of non-negative weights (e.g. ``"doors"``); None weighs every point 1.

        Returns
        -------
        HotSpots
            This estimator, fitted.
        """
        if self.eps_m <= 0:
            raise SegmentDataError(f"eps_m must be positive, got {self.eps_m}")
        if weight is not None:
            require_columns(points, [weight], "points")
            weights = pd.to_numeric(points[weight], errors="coerce").to_numpy(
                dtype=np.float64, na_value=0.0
            )
        else:
            weights = np.ones(len(points), dtype=np.float64)
        located = metric_xy(points)
        self.crs_ = located.crs
        ok = np.isfinite(located.x) & np.isfinite(located.y)
        raw = np.full(len(points), -1, dtype=np.intp)
        if ok.any():
            xy = np.column_stack([located.x[ok], located.y[ok]])
            scan = DBSCAN(eps=self.eps_m, min_samples=self.min_samples)
            raw[ok] = scan.fit(xy, sample_weight=weights[ok]).labels_
        labels, areas = self._areas(raw, located.x, located.y, weights, weight)
        self.labels_ = pd.Series(labels, index=points.index, name="hotspot", dtype=np.int64)
        self.areas_ = areas
        noise = labels < 0
        self.noise_ = int(noise.sum())
        self.noise_weight_ = float(weights[noise].sum())
        return self

    def _areas(
        self,
        raw: npt.NDArray[np.intp],
        x: FloatArray,
        y: FloatArray,
        weights: FloatArray,
        weight: str | None,
    ) -> tuple[npt.NDArray[np.intp], gpd.GeoDataFrame]:
        model = self.model or WalkModel()
        buffer_m = self.eps_m / 2 if self.buffer_m is None else self.buffer_m
        found: list[dict[str, Any]] = []
        for cluster in range(int(raw.max()) + 1 if len(raw) else 0):
            members = np.flatnonzero(raw == cluster)
            walk_m = float(walk_share_m(x[members], y[members]).sum())
            total = float(weights[members].sum())
            doors = round(total) if weight is not None else len(members)
            minutes = model.minutes(walk_m, doors=doors, stops=len(members))
            if minutes / 60.0 < self.min_hours:
                continue
            found.append(
                {"members": members, "weight": total, "hours": minutes / 60.0, "x0": x[members[0]]}
            )
        # Heaviest first; ties west to east, so the numbering never depends on DBSCAN's order.
        found.sort(key=lambda f: (-f["weight"], f["x0"]))
        labels = np.full(len(raw), -1, dtype=np.intp)
        outlines = []
        for number, spot in enumerate(found):
            labels[spot["members"]] = number
            cloud = shapely.multipoints(np.column_stack([x[spot["members"]], y[spot["members"]]]))
            shape = (
                shapely.concave_hull(cloud, ratio=self.concave_ratio)
                if self.hull == "concave"
                else shapely.convex_hull(cloud)
            )
            outlines.append(shapely.buffer(shape, buffer_m))
        areas_km2 = np.array([shape.area / 1e6 for shape in outlines], dtype=np.float64)
        totals = np.array([f["weight"] for f in found], dtype=np.float64)
        table: dict[str, Any] = {
            "hotspot": np.arange(len(found), dtype=np.int64),
            "points": np.array([len(f["members"]) for f in found], dtype=np.int64),
        }
        if weight is not None:
            table[weight] = totals
        table["area_km2"] = np.round(areas_km2, 4)
        table["per_km2"] = np.round(totals / np.maximum(areas_km2, 1e-12), 1)
        table["hours"] = np.round([f["hours"] for f in found], 2)
        frame = gpd.GeoDataFrame(table, geometry=outlines, crs=self.crs_ or 4326)
        return labels, frame.to_crs(4326)
