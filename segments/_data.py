"""Checks and conversions shared by the segments modules (validate once, at the boundary)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo.crs import utm_epsg
from segments._errors import SegmentDataError

FloatArray = npt.NDArray[np.float64]


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise `SegmentDataError` naming every column of `columns` that `frame` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns)) or "(none)"
        raise SegmentDataError(
            f"the {what} frame has no column {', '.join(map(repr, missing))}; "
            f"columns it has: {have}"
        )


def target_mask(voters: pd.DataFrame, target: str | pd.Series | None) -> npt.NDArray[np.bool_]:
    """The target as a boolean array aligned with `voters`' rows.

    Parameters
    ----------
    voters : pandas.DataFrame
        One row per voter.
    target : str, pandas.Series or None
        A boolean column name, a boolean Series indexed like `voters`, or None for everyone.
    """
    if target is None:
        return np.ones(len(voters), dtype=bool)
    if isinstance(target, str):
        require_columns(voters, [target], "voters")
        series = voters[target]
    else:
        if not target.index.equals(voters.index):
            raise SegmentDataError(
                "the target mask is not indexed like the voters frame; "
                "build it from the same frame (e.g. segments.filter.select(voters, ...))"
            )
        series = target
    values = series.to_numpy(dtype=bool, na_value=False)
    return np.asarray(values, dtype=bool)


@dataclass(frozen=True)
class MetricPoints:
    """Point coordinates in metres in a projected CRS, one per input row (NaN when missing)."""

    x: FloatArray
    y: FloatArray
    crs: CRS | None
    """The projected CRS, or None when there were no points to choose one from."""


def metric_xy(frame: gpd.GeoDataFrame) -> MetricPoints:
    """Project a point GeoDataFrame to metres.

    A geographic frame is projected to the UTM zone of its points (the same choice as the
    pipeline's, `geo.crs.local_metric_crs`); a projected frame is used as it is.

    Raises
    ------
    SegmentDataError
        If the frame has no CRS or its CRS is projected in units other than metres.
    """
    if frame.crs is None:
        raise SegmentDataError(
            "the points have no CRS; set one first (e.g. `frame.set_crs(4326)` for lon/lat)"
        )
    geometry = frame.geometry.to_numpy()
    x = np.asarray(shapely.get_x(geometry), dtype=np.float64)
    y = np.asarray(shapely.get_y(geometry), dtype=np.float64)
    crs = CRS.from_user_input(frame.crs)
    if crs.is_projected:
        unit = crs.axis_info[0].unit_name if crs.axis_info else ""
        if unit not in ("metre", "meter"):
            raise SegmentDataError(
                f"the points are in {crs.name} with units of {unit or 'unknown'}; "
                "reproject to EPSG:4326 or a metric CRS first (e.g. `frame.to_crs(4326)`)"
            )
        return MetricPoints(x, y, crs)
    present = np.isfinite(x) & np.isfinite(y)
    if not present.any():
        return MetricPoints(x, y, None)
    metric = utm_crs(x[present], y[present])
    transformer = Transformer.from_crs(crs, metric, always_xy=True)
    mx, my = transformer.transform(x, y)
    return MetricPoints(np.asarray(mx, dtype=np.float64), np.asarray(my, dtype=np.float64), metric)


def stripped_codes(values: pd.Series) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.object_]]:
    """Number the distinct values of an id column, compared as text without surrounding spaces.

    Returns ``(codes, labels)``: the code of every row (-1 where the value is missing or blank)
    and the text of each code, in order of first appearance. String work runs once per distinct
    value, so a million rows cost one factorize.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(uniques)
    if not isinstance(distinct.dtype, pd.StringDtype):
        distinct = distinct.astype(str)  # ids read as numbers compare as their text
    texts = distinct.str.strip().to_numpy(dtype=object)
    merged, labels = pd.factorize(texts)
    labels = np.asarray(labels, dtype=object)
    named = labels != ""
    renumber = np.full(len(labels), -1, dtype=np.intp)
    renumber[named] = np.arange(int(named.sum()))
    per_unique = np.append(renumber[np.asarray(merged, dtype=np.intp)], -1)
    return np.asarray(per_unique[codes], dtype=np.intp), labels[named]


def utm_crs(lon: FloatArray, lat: FloatArray) -> CRS:
    """`geo.crs.local_metric_crs` of the points, for their centre rounded to ~1 km."""
    centre_lon = (float(np.nanmin(lon)) + float(np.nanmax(lon))) / 2
    centre_lat = (float(np.nanmin(lat)) + float(np.nanmax(lat))) / 2
    return CRS.from_epsg(utm_epsg(round(centre_lon, 2), round(centre_lat, 2)))


def group_codes(ids: pd.Series) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.object_]]:
    """Number the groups of an id column: ``(code of every row, label of every group)``.

    Ids are compared as text without surrounding spaces. A missing or blank id is a group of its
    own, labelled None, as in the filter language's ``any()``/``all()``: a voter without a
    household id is one door. Named groups come first, so ``labels[:k]`` are the named ones.
    """
    codes, labels = stripped_codes(ids)
    alone = codes < 0
    if not alone.any():
        return codes, labels
    codes = codes.copy()
    codes[alone] = len(labels) + np.arange(int(alone.sum()))
    return codes, np.concatenate([labels, np.full(int(alone.sum()), None, dtype=object)])


def group_names(
    codes: npt.NDArray[np.intp], labels: npt.NDArray[np.object_], index: pd.Index
) -> npt.NDArray[np.object_]:
    """Name of each group from `group_codes`; a lone row is named after its index label."""
    first = first_rows(codes)
    return np.array(
        [
            label if label is not None else f"(no household: row {index[row]})"
            for label, row in zip(labels, first, strict=True)
        ],
        dtype=object,
    )


def first_rows(codes: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """Position of the first row of each code ``0..n-1`` (codes from `group_codes`)."""
    _, first = np.unique(codes, return_index=True)
    return np.asarray(first, dtype=np.intp)
