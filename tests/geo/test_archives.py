"""Zip bombs are refused quickly, with little memory, naming the file, the member and the limit.

The bomb is 200 MB of zeros that deflate to about 200 KB, built in chunks in a temporary
folder; the limits in these tests are small so nothing near 200 MB is ever unpacked.
"""

from __future__ import annotations

import struct
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

import geo.archives
from geo._errors import InputError
from geo.archives import ArchiveLimits
from geo.precincts import read_precincts
from geo.tables import read_table
from geo.voters import read_voters

BOMB_MB = 200
SMALL = ArchiveLimits(max_bytes=10_000_000)


def write_zeros(archive: zipfile.ZipFile, member: str, megabytes: int) -> None:
    chunk = b"\0" * 1_000_000
    with archive.open(member, "w") as out:
        for _ in range(megabytes):
            out.write(chunk)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "voters.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        write_zeros(archive, "voters.csv", BOMB_MB)
    assert path.stat().st_size < 1_000_000
    return path


def refused(read: Callable[[], object]) -> tuple[str, int, float]:
    """The message ``read`` is refused with, the peak bytes allocated and the seconds taken."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(InputError) as caught:
            read()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return str(caught.value), peak, time.perf_counter() - started


def test_a_member_declaring_more_than_the_limit_is_refused_unread(bomb: Path) -> None:
    message, peak, seconds = refused(lambda: read_voters(bomb, archive_limits=SMALL))
    assert f"{bomb}!voters.csv: unpacks to 200.0 MB, over the limit of 10.0 MB" in message
    assert "unzip it and check what it holds" in message and "split" in message
    assert peak < 2_000_000 and seconds < 2


def test_a_bomb_under_the_size_limit_is_refused_by_its_ratio(bomb: Path) -> None:
    message, peak, seconds = refused(lambda: read_table(bomb))  # the defaults: 2 GB, 100:1
    assert f"{bomb}!voters.csv: is compressed 1,0" in message  # about 1,000:1
    assert "over the limit of 100:1 (a zip bomb, or a damaged file)" in message
    assert peak < 2_000_000 and seconds < 2


def test_a_small_repetitive_table_is_not_held_to_the_ratio(tmp_path: Path) -> None:
    path = tmp_path / "voters.zip"
    rows = "voter_id,latitude,longitude\n" + "7,60.17,24.94\n" * 100_000  # 1.4 MB, ~300:1
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("voters.csv", rows)
    assert len(read_table(path)) == 100_000


def _lying_copy(bomb: Path, folder: Path, declared: int) -> Path:
    """The bomb with its central directory saying the member unpacks to ``declared`` bytes."""
    data = bytearray(bomb.read_bytes())
    entry = data.rindex(b"PK\x01\x02")  # the one member's central directory record
    assert struct.unpack_from("<I", data, entry + 24)[0] == BOMB_MB * 1_000_000
    struct.pack_into("<I", data, entry + 24, declared)
    lying = folder / "lying.zip"
    lying.write_bytes(bytes(data))
    return lying


def test_a_directory_that_understates_the_size_is_caught(bomb: Path, tmp_path: Path) -> None:
    lying = _lying_copy(bomb, tmp_path, declared=1_000)
    assert zipfile.ZipFile(lying).getinfo("voters.csv").file_size == 1_000
    message, peak, seconds = refused(lambda: read_table(lying, archive_limits=SMALL))
    # Python's zipfile stops at the declared size; the checksum then gives the lie away.
    assert f"{lying}!voters.csv: cannot be unpacked (BadZipFile: Bad CRC-32" in message
    assert "download or export it again" in message
    assert peak < 5_000_000 and seconds < 2


def test_bytes_are_counted_while_unpacking(bomb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Were the directory's sizes not checked first (or not honoured by the unpacker), the
    # count of unpacked bytes still stops the read just past the limit.
    monkeypatch.setattr(geo.archives, "_check_declared", lambda *args, **kwargs: None)
    message, peak, seconds = refused(lambda: read_table(bomb, archive_limits=SMALL))
    assert f"{bomb}!voters.csv: unpacks to more than 10.0 MB" in message
    assert peak < 40_000_000 and seconds < 5
    ratio_only = ArchiveLimits(max_bytes=10**12, max_ratio=100.0)
    message, peak, _ = refused(lambda: read_table(bomb, archive_limits=ratio_only))
    assert f"{bomb}!voters.csv: is compressed" in message and "over the limit of 100:1" in message
    assert peak < 40_000_000


@pytest.fixture(scope="module")
def shapefile_parts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shp")
    layer = gpd.GeoDataFrame(
        {"pid": ["A"]}, geometry=[shapely.box(24.93, 60.16, 24.94, 60.17)], crs=4326
    )
    layer.to_file(folder / "p.shp")
    return folder


def test_a_zipped_shapefile_bomb_is_refused(shapefile_parts: Path, tmp_path: Path) -> None:
    path = tmp_path / "precincts.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for ext in ("shp", "shx", "prj"):
            archive.write(shapefile_parts / f"p.{ext}", f"county/p.{ext}")
        write_zeros(archive, "county/p.dbf", 20)
    message, peak, _ = refused(lambda: read_precincts(path))
    assert f"{path}!county/p.dbf: is compressed" in message and "100:1" in message
    assert peak < 2_000_000


def test_the_parts_of_a_shapefile_count_together(shapefile_parts: Path, tmp_path: Path) -> None:
    path = tmp_path / "precincts.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(shapefile_parts / "p.shp", "p.shp")
        for ext in ("dbf", "shx", "cpg"):
            write_zeros(archive, f"p.{ext}", 4)
    lenient_ratio = ArchiveLimits(max_bytes=10_000_000, max_ratio=1e6)
    with pytest.raises(InputError, match=r"precincts\.zip!p\.\w+: unpacks to 4\.0 MB \(with the"):
        read_precincts(path, archive_limits=lenient_ratio)


def test_a_zipped_shapefile_within_the_limits_reads(shapefile_parts: Path, tmp_path: Path) -> None:
    path = tmp_path / "precincts.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            archive.write(shapefile_parts / f"p.{ext}", f"county/p.{ext}")
        archive.writestr("county/readme.txt", "not part of the layer")
    layer = read_precincts(path, archive_limits=ArchiveLimits(max_bytes=100_000))
    assert layer.polygons["precinct"].tolist() == ["A"]


@pytest.mark.parametrize("limits", [{"max_bytes": 0}, {"max_ratio": -1.0}])
def test_limits_must_be_positive(limits: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="positive"):
        ArchiveLimits(**limits)
