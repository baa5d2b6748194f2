from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from segments._errors import SegmentDataError
from segments.hot_spots import HotSpots

UTM35 = 32635
X0, Y0 = 385_000.0, 6_672_000.0


def blobs(seed: int = 0) -> gpd.GeoDataFrame:
    """Two dense blocks of 40 and 25 stops, plus 6 stops scattered far apart."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 200, size=(40, 2))
    b = rng.uniform(0, 120, size=(25, 2)) + np.array([2000.0, 0.0])
    scattered = np.array(
        [[900, 900], [-900, 1500], [3000, 2000], [1200, -1500], [-1500, -800], [2600, 1400]],
        dtype=float,
    )
    xy = np.vstack([a, b, scattered]) + np.array([X0, Y0])
    return gpd.GeoDataFrame(
        {"doors": np.r_[np.full(40, 2), np.full(25, 3), np.full(6, 1)]},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        index=pd.Index([f"S{i:03d}" for i in range(len(xy))], name="stop_id"),
        crs=UTM35,
    )


def test_hot_spots_outline_dense_areas_and_leave_out_the_noise() -> None:
    stops = blobs()
    spots = HotSpots(eps_m=80, min_samples=5).fit(stops)
    assert spots.labels_.index.equals(stops.index)
    assert spots.labels_.iloc[:40].eq(0).all()  # the biggest is hot spot 0
    assert spots.labels_.iloc[40:65].eq(1).all()
    assert spots.labels_.iloc[65:].eq(-1).all()
    assert spots.noise_ == 6 and spots.noise_weight_ == 6
    areas = spots.areas_
    assert areas.crs.to_epsg() == 4326
    assert areas["points"].tolist() == [40, 25]
    assert (areas["area_km2"] > 0).all() and (areas["hours"] > 0).all()
    assert areas.geometry.is_valid.all()
    # Every member lies inside its outline.
    in_lonlat = stops.to_crs(4326)
    for spot in areas.itertuples():
        members = in_lonlat.geometry[spots.labels_ == spot.hotspot]
        assert shapely.contains(spot.geometry, members.to_numpy()).all()


def test_min_samples_counts_weight_and_results_are_deterministic() -> None:
    stops = blobs()
    weighted = HotSpots(eps_m=80, min_samples=30).fit(stops, weight="doors")
    # 40 stops of 2 doors and 25 of 3 are dense enough in doors, not in stops.
    assert len(weighted.areas_) == 2 and "doors" in weighted.areas_
    member_doors = stops["doors"].groupby(weighted.labels_).sum()
    assert weighted.areas_["doors"].tolist() == member_doors.loc[[0, 1]].tolist()
    assert weighted.areas_["doors"].iloc[1] == 75  # the whole second block
    assert weighted.noise_weight_ == stops["doors"].sum() - weighted.areas_["doors"].sum()
    assert len(HotSpots(eps_m=80, min_samples=30).fit(stops).areas_) == 0
    again = HotSpots(eps_m=80, min_samples=30).fit(stops, weight="doors")
    pd.testing.assert_series_equal(weighted.labels_, again.labels_)
    assert weighted.areas_.geometry.geom_equals_exact(again.areas_.geometry, tolerance=0).all()


def test_concave_hulls_hug_closer_than_convex_and_small_areas_can_be_dropped() -> None:
    stops = blobs()
    concave = HotSpots(eps_m=80, min_samples=5, hull="concave", concave_ratio=0.1).fit(stops)
    convex = HotSpots(eps_m=80, min_samples=5, hull="convex").fit(stops)
    assert (concave.areas_["area_km2"] <= convex.areas_["area_km2"] + 1e-9).all()
    # 25 stops x 3 doors is about 2 hours of doors; ask for 2.5 h and it becomes noise.
    big_only = HotSpots(eps_m=80, min_samples=5, min_hours=2.5).fit(stops, weight="doors")
    assert len(big_only.areas_) == 1
    assert big_only.noise_ == 6 + 25


def test_hot_spots_of_nothing() -> None:
    empty = HotSpots().fit(blobs().iloc[:0])
    assert empty.labels_.empty and empty.areas_.empty and empty.noise_ == 0
    lonely = HotSpots(min_samples=3).fit(blobs().iloc[65:67])
    assert lonely.labels_.tolist() == [-1, -1] and lonely.areas_.empty
    with pytest.raises(SegmentDataError, match="no CRS"):
        HotSpots().fit(blobs().set_crs(None, allow_override=True))
