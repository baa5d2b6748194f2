"""Street files through routing's loader: damaged or mistaken ones fail clearly, naming the file.

OSM XML, PBF and bzip2-compressed XML (all read by libosmium, which streams them) and osmnx
GraphML each get the seeded cases of ``tests.fuzz``; a refusal must be a ``StreetDataError``
or geo's ``InputError`` (for what ``geo.osm.check_osm_path`` refuses), naming the file. The
OSM files are also read for their address points (``geo.osm.read_address_points``).
"""

from __future__ import annotations

import bz2
from pathlib import Path

import osmium
import osmnx
import pytest

from geo._errors import InputError
from geo.osm import read_address_points
from routing._errors import StreetDataError
from routing.streets import load_walk_graph
from tests.fuzz import leaks
from tests.routing.osm_xml import arterial_osm

SEED = 20_251_204


def street_files(tmp: Path) -> dict[str, bytes]:
    xml = tmp / "streets.osm"
    xml.write_text(arterial_osm("primary"), encoding="utf-8")
    pbf = tmp / "streets.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    graphml = tmp / "streets.graphml"
    osmnx.save_graphml(osmnx.graph_from_xml(xml, retain_all=True), graphml)
    return {
        ".osm": xml.read_bytes(),
        ".osm.pbf": pbf.read_bytes(),
        ".osm.bz2": bz2.compress(xml.read_bytes()),
        ".graphml": graphml.read_bytes(),
    }


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return street_files(tmp_path_factory.mktemp("streets"))


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf", ".osm.bz2", ".graphml"])
def test_street_files_refuse_bad_files_clearly(
    files: dict[str, bytes], tmp_path: Path, suffix: str
) -> None:
    (tmp_path / f"real{suffix}").write_bytes(files[suffix])
    assert len(load_walk_graph(tmp_path / f"real{suffix}").edges) > 0  # the undamaged file reads
    problems = leaks(
        load_walk_graph,
        tmp_path,
        suffix,
        files[suffix],
        clear=(StreetDataError, InputError),
        seed=SEED + len(suffix),
    )
    assert problems == []


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf", ".osm.bz2"])
def test_address_points_refuse_bad_files_clearly(
    files: dict[str, bytes], tmp_path: Path, suffix: str
) -> None:
    problems = leaks(
        read_address_points,
        tmp_path,
        suffix,
        files[suffix],
        clear=(InputError,),
        seed=SEED + 10 * len(suffix),
    )
    assert problems == []
