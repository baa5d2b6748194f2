"""Bad uploads get a 4xx with a clear message and leave nothing behind; good ones are kept."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.services.accounts import create_user
from app.settings import Settings
from app.store.models import Upload, UploadedPrecinct
from app.web.app import create_app
from geo.archives import ArchiveLimits
from tests.app.conftest import BuiltPlan

PASSWORD = "uploading password"


@pytest.fixture(scope="module")
def client(workspace: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    create_user(app.state.services.db, "uploader", PASSWORD, "organiser")
    client = TestClient(app)
    token = client.post(
        "/api/login", json={"username": "uploader", "password": PASSWORD, "bearer": True}
    ).json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    yield client
    app.state.services.db.dispose()


def _uploads(client: TestClient) -> tuple[int, int]:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    with db.reading() as session:
        return (
            int(session.scalar(select(func.count()).select_from(Upload)) or 0),
            int(session.scalar(select(func.count()).select_from(UploadedPrecinct)) or 0),
        )


def _kept_files(workspace: Path) -> list[str]:
    folder = workspace / ".canvass" / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _post(client: TestClient, kind: str, name: str, data: bytes) -> tuple[int, dict]:
    response = client.post(f"/api/uploads/{kind}", files={"file": (name, data)})
    return response.status_code, response.json()


def _shapefile_zip(precincts: Path, tmp_path: Path, *, with_prj: bool) -> bytes:
    layer = gpd.read_file(precincts)[["precinct_id", "geometry"]].rename(
        columns={"precinct_id": "pid"}
    )
    layer.to_file(tmp_path / "p.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for ext in ("shp", "shx", "dbf", *(("prj",) if with_prj else ())):
            archive.write(tmp_path / f"p.{ext}", f"p.{ext}")
    return buffer.getvalue()


def test_bad_uploads_are_refused_and_leave_nothing(
    client: TestClient, demo_plan: BuiltPlan, workspace: Path, tmp_path: Path
) -> None:
    voters = demo_plan.inputs.voters.read_bytes()
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("voters.csv", voters)
    precincts = json.loads(demo_plan.inputs.precincts.read_text(encoding="utf-8"))
    null_geometries = {
        "type": "FeatureCollection",
        "features": [{**f, "geometry": None} for f in precincts["features"]],
    }
    no_prj = _shapefile_zip(demo_plan.inputs.precincts, tmp_path, with_prj=False)
    before, files_before = _uploads(client), _kept_files(workspace)
    cases = [
        ("voters", "voters.zip", zipped.getvalue()[: len(zipped.getvalue()) // 2], "zip"),
        ("voters", "voters.csv", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe" * 50, "latitude"),
        ("voters", "voters.csv", b"", "empty"),
        ("voters", "voters.exe", b"MZ", "unsupported file type"),
        ("precincts", "p.zip", no_prj, ".prj"),
        ("precincts", "nulls.geojson", json.dumps(null_geometries).encode(), "no feature has"),
        ("precincts", "broken.geojson", b'{"type": "FeatureCollection", "features": [', "complete"),
    ]
    for kind, name, data, words in cases:
        status, body = _post(client, kind, name, data)
        assert status == 422, (name, body)
        assert name.split(".")[0] in body["detail"] and words in body["detail"], body
        assert ".incoming" not in body["detail"] and "/tmp" not in body["detail"]
    too_big = client.post(
        "/api/uploads/voters",
        content=b"x",
        headers={"content-length": str(60_000_000), "content-type": "multipart/form-data; b=x"},
    )
    assert too_big.status_code == 413 and "too large" in too_big.json()["detail"]
    assert _uploads(client) == before
    assert _kept_files(workspace) == files_before


def test_good_uploads_are_kept_in_one_piece(
    client: TestClient, demo_plan: BuiltPlan, workspace: Path, tmp_path: Path
) -> None:
    before = _uploads(client)
    status, body = _post(client, "voters", "../../voters.csv", demo_plan.inputs.voters.read_bytes())
    assert status == 201, body
    assert body["filename"] == "voters.csv"
    assert body["total"] == body["accepted"] + body["rejected"] and body["rejected"] >= 4
    shapefile = _shapefile_zip(demo_plan.inputs.precincts, tmp_path, with_prj=True)
    status, body = _post(client, "precincts", "precincts.zip", shapefile)
    assert status == 201, body
    assert body["features"] == 8 and body["id_column"] == "pid"
    precincts = json.loads(demo_plan.inputs.precincts.read_text(encoding="utf-8"))
    precincts["features"][0]["geometry"] = None
    status, body = _post(client, "precincts", "some-null.geojson", json.dumps(precincts).encode())
    assert status == 201, body
    assert body["features"] == 7 and body["dropped_empty"] == 1
    assert _uploads(client) == (before[0] + 3, before[1] + 15)
    assert not [name for name in _kept_files(workspace) if name.startswith(".")]


def test_uploads_need_an_organiser(client: TestClient, demo_plan: BuiltPlan) -> None:
    anonymous = TestClient(client.app)
    response = anonymous.post("/api/uploads/voters", files={"file": ("v.csv", b"a,b\n1,2\n")})
    assert response.status_code == 401


def _zip(members: dict[str, Iterable[bytes]]) -> bytes:
    """A zip of ``members`` (name -> chunks of its content), written a chunk at a time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, chunks in members.items():
            with archive.open(member, "w") as out:
                for chunk in chunks:
                    out.write(chunk)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_with_422_and_leaves_nothing(
    client: TestClient, workspace: Path
) -> None:
    # 422, not 413: the upload itself is small (20 KB); what it unpacks to is unusable.
    before, files_before = _uploads(client), _kept_files(workspace)
    for kind, member in (("voters", "voters.csv"), ("precincts", "county/p.dbf")):
        zeros = (b"\0" * 1_000_000 for _ in range(20))  # 20 MB
        parts = {"county/p.shp": [b"\0" * 100]} if kind == "precincts" else {}
        bomb = _zip({**parts, member: zeros})
        assert len(bomb) < 50_000
        status, body = _post(client, kind, "bomb.zip", bomb)
        assert status == 422, body
        assert body["detail"].startswith(f"bomb.zip!{member}: is compressed"), body
        assert "over the limit of 100:1" in body["detail"]
        assert ".incoming" not in body["detail"] and "/tmp" not in body["detail"]
    assert _uploads(client) == before
    assert _kept_files(workspace) == files_before


def test_a_restart_removes_unfinished_uploads_and_applies_the_archive_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads = tmp_path / ".canvass" / "uploads"
    (uploads / ".incoming-k2j4_x").mkdir(parents=True)
    (uploads / ".incoming-k2j4_x" / "voters.csv").write_bytes(b"half an upload")
    (uploads / ".incoming-stray").write_bytes(b"")
    kept = uploads / f"{'a' * 64}.csv"
    kept.write_bytes(b"voter_id,latitude,longitude\n1,60.17,24.94\n")
    monkeypatch.setenv("CANVASS_MAX_ARCHIVE_BYTES", "1000000")
    monkeypatch.setenv("CANVASS_MAX_ARCHIVE_RATIO", "50")
    app = create_app(Settings(workspace=tmp_path))
    try:
        limits = app.state.services.settings.archive_limits
        assert limits == ArchiveLimits(max_bytes=1_000_000, max_ratio=50.0)
        assert sorted(p.name for p in uploads.iterdir()) == [kept.name]
        create_user(app.state.services.db, "restarter", PASSWORD, "organiser")
        client = TestClient(app)
        token = client.post(
            "/api/login", json={"username": "restarter", "password": PASSWORD, "bearer": True}
        ).json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        rows = (f"{i},{60 + i / 1e6:.6f},{24 + i / 1e6:.6f}\n".encode() for i in range(80_000))
        zipped = _zip({"voters.csv": [b"voter_id,latitude,longitude\n", *rows]})
        status, body = _post(client, "voters", "voters.zip", zipped)
        assert status == 422, body
        limit = "voters.zip!voters.csv: unpacks to 2.1 MB, over the limit of 1.0 MB"
        assert limit in body["detail"]
    finally:
        app.state.services.db.dispose()
