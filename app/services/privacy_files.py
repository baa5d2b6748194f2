"""Erasing a person from the voter files uploaded to the workspace.

Uploaded voter files are kept under ``<workspace>/.canvass/uploads/`` so plans made in the
browser can be made again. A text table (CSV, TSV) loses the rows whose cells hold the voter
id and is written back as UTF-8; other formats (zipped, Parquet, GeoPackage) are reported so
the organiser replaces the upload (the tombstone keeps the person out of plans meanwhile).
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

from sqlalchemy import select

from app.store.engine import Database
from app.store.models import Upload
from geo.tables import decode_text

TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}


def _without_rows(text: str, voter_id: str) -> str | None:
    """``text`` without the rows holding ``voter_id`` in a cell; None if none did."""
    first = text.split("\n", 1)[0]
    delimiter = max(("\t", ",", ";", "|"), key=first.count)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    kept = [row for row in rows if voter_id not in (cell.strip() for cell in row)]
    if len(kept) == len(rows):
        return None
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(kept)
    return out.getvalue()


def erase_from_uploads(db: Database, uploads_dir: Path, voter_id: str) -> tuple[int, list[str]]:
    """Cut ``voter_id``'s rows out of uploaded voter files.

    Returns how many files were rewritten and the names of uploads that still hold the id
    (formats that are not plain text tables).
    """
    rewritten, left = 0, []
    needle = voter_id.encode()
    with db.writing() as session:
        for upload in session.scalars(select(Upload).where(Upload.kind == "voters")):
            path = uploads_dir / upload.stored_as
            if not path.is_file():
                continue
            raw = path.read_bytes()
            if needle not in raw and voter_id.encode("utf-16-le") not in raw:
                continue
            if path.suffix.lower() not in TEXT_SUFFIXES:
                left.append(upload.filename)
                continue
            text = _without_rows(decode_text(raw, path=path), voter_id)
            if text is None:
                continue
            data = text.encode("utf-8")
            path.write_bytes(data)
            upload.sha256 = hashlib.sha256(data).hexdigest()
            upload.size_bytes = len(data)
            rewritten += 1
    return rewritten, left
