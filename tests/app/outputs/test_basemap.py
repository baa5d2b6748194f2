"""A turf's base map: the streets around it with their names, buildings and house numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.outputs.basemap import PlanBaseMap, base_map_data, build_base_map
from app.outputs.maps import read_data_file, write_base_map, write_data_file
from geo.map_features import read_map_features

# Around Eerikinkatu between Annankatu and Yrjönkatu (west, south, east, north).
BLOCK = (24.9365, 60.1655, 24.9400, 60.1672)


@pytest.fixture(scope="module")
def base(helsinki_pbf: Path) -> PlanBaseMap:
    return build_base_map(read_map_features(helsinki_pbf), lat0=60.168, lon0=24.94)


def _decoded(line: list[int]) -> np.ndarray:
    """A written line as (N, 2) lat, lon: the first point, then steps, in 1e-5 degrees."""
    return np.cumsum(np.array(line).reshape(-1, 2), axis=0) / 1e5


def _points(document: dict[str, Any]) -> np.ndarray:
    lines = [line for kind in document["streets"].values() for line in kind]
    lines += document["buildings"]
    return np.vstack([_decoded(line) for line in lines])


def test_the_streets_around_a_turf_come_with_their_names(base: PlanBaseMap) -> None:
    document = base_map_data(base, BLOCK, margin_m=50)
    assert {"Eerikinkatu", "Annankatu", "Yrjönkatu"} <= set(document["names"])
    labelled = {document["names"][label[3]] for label in document["labels"]}
    assert {"Eerikinkatu", "Annankatu"} <= labelled
    # Text is never upside down.
    assert all(-90 <= label[2] <= 90 for label in document["labels"])
    assert document["buildings"] and document["numbers"]


def test_it_is_cut_to_the_turf_and_a_margin(base: PlanBaseMap) -> None:
    near = base_map_data(base, BLOCK, margin_m=50)
    wider = base_map_data(base, BLOCK, margin_m=300)
    lat, lon = _points(near).T
    # Lines are clipped to the box; buildings that cross its edge stay whole (a few metres).
    assert lat.min() > BLOCK[1] - 0.0015 and lat.max() < BLOCK[3] + 0.0015
    assert lon.min() > BLOCK[0] - 0.003 and lon.max() < BLOCK[2] + 0.003
    assert len(_points(wider)) > 2 * len(_points(near))
    assert "Mannerheimintie" not in near["names"] and "Mannerheimintie" in wider["names"]


def test_coordinates_are_whole_metres_and_house_numbers_not_repeated(
    base: PlanBaseMap,
) -> None:
    document = base_map_data(base, BLOCK)
    lines = [line for kind in document["streets"].values() for line in kind]
    assert all(isinstance(v, int) for line in lines + document["buildings"] for v in line)
    # After its first point a line is written as steps of a few metres (small numbers).
    steps = np.abs(np.concatenate([line[2:] for line in lines if len(line) > 2]))
    assert np.median(steps) < 100
    numbers = [(n[2], round(n[0], 4), round(n[1], 4)) for n in document["numbers"]]
    assert len(numbers) == len(set(numbers))


def test_the_whole_plan_map_has_no_buildings(base: PlanBaseMap) -> None:
    document = base_map_data(base, BLOCK, buildings=False, simplify_m=3.0)
    assert document["buildings"] == [] and document["numbers"] == []
    assert document["streets"]["minor"]


def test_a_written_base_map_reads_back_whatever_its_names_hold(
    base: PlanBaseMap, tmp_path: Path
) -> None:
    document = base_map_data(base, BLOCK)
    document["names"][0] = '</script><b>"&'
    path = write_base_map(document, tmp_path / "T1.basemap.js")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("window.CANVASS_BASEMAP = ") and "</script>" not in text
    assert read_data_file(path) == json.loads(json.dumps(document))
    assert read_data_file(tmp_path / "missing.basemap.js") is None


def test_a_data_file_holds_numpy_numbers_and_any_text_safely(tmp_path: Path) -> None:
    data = {
        "names": ["Åbo\u2028gatan", 'a<b>&c"</script>'],
        "numbers": [np.float64(1.5), np.int64(-2), 1e-7, None],
        "ids": {7: "seven"},
    }
    path = write_data_file(data, tmp_path / "T1.data.js", variable="CANVASS_TURF")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("window.CANVASS_TURF = {") and text.endswith("};\n")
    assert "<" not in text and ">" not in text and "&" not in text
    assert "Åbo" in text  # text is kept as it is, not as \u escapes
    assert read_data_file(path) == {
        "names": ["Åbo\u2028gatan", 'a<b>&c"</script>'],
        "numbers": [1.5, -2, 1e-7, None],
        "ids": {"7": "seven"},
    }
