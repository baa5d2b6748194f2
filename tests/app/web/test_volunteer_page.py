"""The volunteer page's template, script, service worker and their routes (no browser)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from app.outputs.assets import leaflet_dir, static_dir
from app.settings import Settings
from app.store.engine import Database
from app.store.links import create_volunteer_link, resolve_link, revoke_link
from app.web.app import create_app
from app.web.pages import render_page
from app.web.routers.volunteer_assets import volunteer_page_assets


def db_link_id(db: Database, token: str) -> int:
    return resolve_link(db, token).id


TOKEN = "abcDEF123_-xyz789abcDEF123_-xyz789abcDEF1"
VOLUNTEER_STATIC = static_dir() / "volunteer"


def _page(tile_url: str | None = None) -> str:
    return render_page(
        "volunteer.html",
        token=TOKEN,
        plan="demo",
        turf_id="P01-01",
        expires_at="2030-01-01T12:00:00+00:00",
        tile_url=tile_url,
    )


@pytest.fixture(scope="module")
def served(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    database = tmp_path_factory.mktemp("db") / "canvass.db"
    app = create_app(Settings(workspace=workspace, database_url=f"sqlite:///{database}"))
    yield TestClient(app)
    app.state.services.db.dispose()


@pytest.fixture(scope="module")
def client(served: TestClient) -> TestClient:
    return served


@pytest.fixture(scope="module")
def link(served: TestClient) -> str:
    """A live volunteer link's token."""
    return create_volunteer_link(served.app.state.services.db, "demo", "P01-01")  # type: ignore[attr-defined]


def test_page_loads_script_and_style_only_from_this_server() -> None:
    page = _page("https://tile.example.org/{z}/{x}/{y}.png")
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", page)
    assert urls, "the page has no assets?"
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
    for asset in volunteer_page_assets():
        assert asset in page
    # The tile URL is data for the script, not something the page loads by itself.
    assert 'data-tile-url="https://tile.example.org/{z}/{x}/{y}.png"' in page
    # Strict CSP: no inline script or inline event handler.
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None
    assert re.search(r"\son[a-z]+\s*=", page) is None


def test_page_without_tiles_has_an_empty_tile_url() -> None:
    assert 'data-tile-url=""' in _page(None)


def test_page_escapes_what_it_is_given() -> None:
    page = render_page(
        "volunteer.html",
        token=TOKEN,
        plan='<script>alert("x")</script>',
        turf_id="P01-01",
        expires_at="2030-01-01T12:00:00+00:00",
        tile_url=None,
    )
    assert "<script>alert" not in page


@pytest.mark.parametrize("name", ["volunteer.js", "volunteer.css", "sw.js"])
def test_volunteer_files_reference_no_outside_host(name: str) -> None:
    text = (VOLUNTEER_STATIC / name).read_text(encoding="utf-8")
    assert re.search(r"https?://|//cdn|@import", text) is None


def test_service_worker_caches_every_asset_of_the_page() -> None:
    worker = (VOLUNTEER_STATIC / "sw.js").read_text(encoding="utf-8")
    for asset in volunteer_page_assets():
        assert f'"{asset}"' in worker


def test_service_worker_is_served_with_a_scope_covering_the_link(
    client: TestClient, link: str
) -> None:
    response = client.get(f"/t/{link}/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/t/"
    assert response.headers["cache-control"] == "no-cache"
    assert 'addEventListener("fetch"' in response.text


def test_manifest_starts_at_the_link(client: TestClient, link: str) -> None:
    response = client.get(f"/t/{link}/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["start_url"] == f"/t/{link}"
    # A home-screen icon the page can show offline: served here, cached by the worker.
    icons = {icon["src"] for icon in manifest["icons"]}
    assert icons == {"/static/volunteer/icon.svg"}
    icon = static_dir() / "volunteer" / "icon.svg"
    assert ElementTree.parse(icon).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    assert "/static/volunteer/icon.svg" in client.get(f"/t/{link}/sw.js").text


def test_leaflet_is_served_locally(client: TestClient) -> None:
    for asset in volunteer_page_assets():
        if asset.startswith("/vendor/"):
            response = client.get(asset)
            assert response.status_code == 200, asset
            assert len(response.content) > 1000


@pytest.mark.parametrize("token", ["short", "has.dot.in.it.x", "a" * 201, TOKEN])
def test_odd_and_unknown_tokens_get_no_worker(client: TestClient, token: str) -> None:
    assert client.get(f"/t/{token}/sw.js").status_code == 404
    assert client.get(f"/t/{token}/manifest.webmanifest").status_code == 404


def test_a_revoked_link_gets_no_worker(client: TestClient) -> None:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    token = create_volunteer_link(db, "demo", "P01-01")
    assert client.get(f"/t/{token}/sw.js").status_code == 200
    link_id = db_link_id(db, token)
    assert revoke_link(db, link_id, user_id=None)
    assert client.get(f"/t/{token}/sw.js").status_code == 410
    assert client.get(f"/t/{token}/manifest.webmanifest").status_code == 410


def test_page_weight_without_tiles_is_small() -> None:
    """Everything a phone downloads for the page, less tiles and the turf JSON: < 400 KB."""
    files = {
        "/vendor/leaflet/": leaflet_dir(),
        "/static/volunteer/": VOLUNTEER_STATIC,
        "/static/maps/": VOLUNTEER_STATIC.parent / "maps",
    }
    total = len(_page().encode()) + len((VOLUNTEER_STATIC / "sw.js").read_bytes())
    for asset in volunteer_page_assets():
        prefix, name = asset.rsplit("/", 1)
        total += (files[prefix + "/"] / name).stat().st_size
    assert total < 400_000, f"{total} bytes"
