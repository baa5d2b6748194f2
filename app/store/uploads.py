"""Uploads of voter files, precinct layers and address data: checked by the geo/ readers.

An upload is written to a private folder first, read with the same readers as
``canvass plan`` (``geo.voters.read_voters``, ``geo.precincts.read_precincts``,
``geo.address_sources.read_address_file`` for ``--addresses`` files), and only when
it reads cleanly is it kept (by its sha256) and recorded in one transaction. A file that
cannot be used raises :class:`UploadError` naming the file and what to do; nothing is left.
A zipped upload may unpack to no more than the server's archive limits allow. What an upload
cut short by a killed server left in its private folder is removed when the server starts
(:func:`remove_incoming`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from app.store.audit import audit
from app.store.engine import Database, utcnow
from app.store.models import Upload, UploadedPrecinct
from geo._errors import InputError
from geo.address_sources import read_address_file
from geo.archives import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits
from geo.precincts import read_precincts
from geo.voters import NOT_FOUND, read_voters, require_voters

KINDS = ("voters", "precincts", "addresses")
VOTER_SUFFIXES = {".csv", ".tsv", ".txt", ".zip", ".parquet", ".geojson", ".json", ".gpkg"}
PRECINCT_SUFFIXES = {".geojson", ".json", ".gpkg", ".zip"}
ADDRESS_SUFFIXES = VOTER_SUFFIXES | {".geojsonl", ".geojsons", ".ndjson", ".fgb"}
_SUFFIXES = {
    "voters": VOTER_SUFFIXES,
    "precincts": PRECINCT_SUFFIXES,
    "addresses": ADDRESS_SUFFIXES,
}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
INCOMING_PREFIX = ".incoming-"
"""Private folders of uploads being checked (never a kept upload: those are named by hash)."""

logger = logging.getLogger(__name__)


def _no_address_points() -> gpd.GeoDataFrame:
    """None yet: the streets are chosen later; rows that need a geocode wait for them."""
    columns = ["osm_type", "osm_id", "street", "house_number", "postcode", "city"]
    columns += ["building", "building_levels"]
    return gpd.GeoDataFrame(
        {name: pd.Series(dtype=object) for name in columns},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
    )


class UploadError(ValueError):
    """An uploaded file that cannot be used; the message names the file and what to do."""


def safe_filename(name: str | None) -> str:
    """The file name without folders or odd characters (``upload`` when nothing is left)."""
    base = Path((name or "").replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("_", base).strip("._")[:200]
    return cleaned or "upload"


def _check_suffix(kind: str, filename: str) -> None:
    allowed = _SUFFIXES[kind]
    suffix = Path(filename).suffix.lower()
    if suffix not in allowed:
        raise UploadError(
            f"{filename}: unsupported file type {suffix or '(none)'!r} for {kind}; "
            f"use one of {', '.join(sorted(allowed))}"
            + (
                "; a shapefile goes in a .zip with its .shx, .dbf and .prj"
                if kind != "voters"
                else ""
            )
        )


def remove_incoming(uploads_dir: Path) -> int:
    """Remove the private folders of uploads a killed server left behind; how many there were.

    Called when the server starts, before any upload: one server serves a workspace (its job
    queue and caches live in its process), so every ``.incoming-*`` entry then is a leftover.
    """
    if not uploads_dir.is_dir():
        return 0
    removed = 0
    for entry in uploads_dir.glob(f"{INCOMING_PREFIX}*"):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    if removed:
        logger.info("removed %d upload(s) left unfinished in %s", removed, uploads_dir)
    return removed


def _read(
    kind: str, path: Path, limits: ArchiveLimits
) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    if kind == "voters":
        # No street data is chosen yet: rows that only lack a geocode are placed when the plan
        # runs against its streets (ncvoter files have no coordinates at all).
        table = read_voters(path, address_points=_no_address_points, archive_limits=limits)
        to_geocode = int(table.rejected["reason"].str.startswith(NOT_FOUND).sum())
        report: dict[str, Any] = {
            "total": table.total,
            "accepted": len(table.accepted),
            "to_geocode": to_geocode,
            "rejected": len(table.rejected) - to_geocode,
            "layout": table.layout,
            "columns": dict(table.columns),
        }
        if to_geocode == 0:
            require_voters(table, path=path)
        return report, []
    if kind == "addresses":
        contents, frame = read_address_file(path, archive_limits=limits)
        if frame.empty:
            raise InputError(
                f"no usable address {contents} (each needs a house number, a street and a place)",
                path=path,
            )
        return {"contents": contents, "rows": len(frame)}, []
    layer = read_precincts(path, archive_limits=limits)
    polygons = [
        (str(code)[:100], json.loads(shapely.to_geojson(geometry)))
        for code, geometry in zip(layer.polygons["precinct"], layer.polygons.geometry, strict=True)
    ]
    report = {
        "features": len(polygons),
        "repaired": layer.repaired,
        "dropped_empty": layer.dropped_empty,
        "id_column": layer.id_column,
    }
    return report, polygons


def store_upload(
    db: Database,
    uploads_dir: Path,
    kind: str,
    filename: str,
    data: bytes,
    *,
    user_id: int | None = None,
    archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
) -> dict[str, Any]:
    """Check and keep an upload; returns its report. Raises UploadError (nothing kept).

    A zip bomb (an archive unpacking to more than ``archive_limits``) is an ``UploadError``
    like any other unusable file.
    """
    if kind not in KINDS:
        raise UploadError(f"unknown upload kind {kind!r}; use voters, precincts or addresses")
    filename = safe_filename(filename)
    _check_suffix(kind, filename)
    if not data:
        raise UploadError(f"{filename}: the file is empty (0 bytes); choose the file again")
    uploads_dir.mkdir(parents=True, exist_ok=True)
    incoming = Path(tempfile.mkdtemp(prefix=INCOMING_PREFIX, dir=uploads_dir))
    try:
        path = incoming / filename
        path.write_bytes(data)
        try:
            report, polygons = _read(kind, path, archive_limits)
        except InputError as exc:
            raise UploadError(str(exc).replace(str(incoming) + "/", "")) from None
        except (ValueError, OSError, UnicodeError) as exc:  # a reader's unforeseen complaint
            raise UploadError(
                f"{filename}: cannot be read as {kind} ({type(exc).__name__}); check the file "
                "type and export it again"
            ) from None
        digest = hashlib.sha256(data).hexdigest()
        stored_as = f"{digest}{Path(filename).suffix.lower()}"
        final = uploads_dir / stored_as
        kept_before = final.exists()
        if not kept_before:
            path.replace(final)
        try:
            with db.writing() as session:
                upload = Upload(
                    kind=kind,
                    filename=filename,
                    sha256=digest,
                    size_bytes=len(data),
                    stored_as=stored_as,
                    report=report,
                    created_by=user_id,
                    created_at=utcnow(),
                )
                session.add(upload)
                session.flush()
                session.add_all(
                    UploadedPrecinct(upload_id=upload.id, code=code, geometry=geometry)
                    for code, geometry in polygons
                )
                audit(session, f"upload.{kind}", filename, user_id=user_id, upload_id=upload.id)
                upload_id = upload.id
        except BaseException:
            if not kept_before:
                final.unlink(missing_ok=True)
            raise
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
    return {"id": upload_id, "kind": kind, "filename": filename, **report}
