"""Reading tabular files as text columns, whatever their encoding, delimiter or packaging."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo._errors import InputError
from geo.archives import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits, open_zip, read_member

__all__ = [
    "DEFAULT_ARCHIVE_LIMITS",
    "ArchiveLimits",
    "decode_text",
    "numbers",
    "read_table",
    "read_text_table",
]

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
SPATIAL_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".fgb"}


def decode_text(raw: bytes, *, path: str | Path) -> str:
    """Decode bytes of a text table: UTF-16 by BOM, UTF-8 (with or without BOM), else Latin-1."""
    utf16 = None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        utf16 = "utf-16"
    # UTF-16 without a BOM shows as every other byte NUL in ASCII-heavy text.
    elif len(raw) >= 4 and raw[1:4:2] == b"\x00\x00":
        utf16 = "utf-16-le"
    if utf16 is not None:
        try:
            return raw.decode(utf16)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"looks like UTF-16 text but cannot be decoded ({exc.reason} at byte "
                f"{exc.start:,}): a truncated or damaged file, or not a text table; export it "
                "again as CSV",
                path=path,
            ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _sniff_delimiter(text: str, *, path: str | Path) -> str:
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise InputError("the first line is empty; it must hold the column names", path=path)
    counts = {d: first_line.count(d) for d in ("\t", ",", ";", "|")}
    delimiter, best = max(counts.items(), key=lambda item: item[1])
    if best == 0:
        # One column only: still a valid table.
        return ","
    return delimiter


def read_text_table(
    raw: bytes, *, path: str | Path, names: list[str] | None = None
) -> pd.DataFrame:
    """Parse delimited text into a DataFrame of strings, keeping leading zeros and blanks as ''.

    ``names`` are the column names of a file without a header line (its first line is data);
    rows shorter than ``names`` get blanks.
    """
    if not raw.strip():
        raise InputError("the file is empty", path=path)
    text = decode_text(raw, path=path)
    delimiter = _sniff_delimiter(text, path=path)
    frame = _read_with_arrow(text, delimiter, names)
    if frame is not None:
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            quoting=csv.QUOTE_MINIMAL,
            skipinitialspace=False,
            header=None if names else "infer",
            names=names,
        )
    except pd.errors.ParserError as exc:
        raise InputError(
            f"cannot be read as a {delimiter!r}-delimited table ({exc}); check quoting",
            path=path,
        ) from exc
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas makes the first values of rows longer than the header an index: the columns
        # would be shifted against their names.
        count = len(frame.columns)
        raise InputError(
            f"the rows hold more values ({count + frame.index.nlevels}) than the header has "
            f"column names ({count}), so the columns would not line up; check the delimiter "
            "and quoting, or remove the extra delimiters at the ends of the lines",
            path=path,
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.fillna("") if names else frame


def _read_with_arrow(text: str, delimiter: str, names: list[str] | None) -> pd.DataFrame | None:
    """Parse with pyarrow's multi-threaded reader (3x faster on big files), or None.

    It is strict (ragged rows, unusual quoting); anything it refuses goes to pandas' own
    parser, which is lenient and reports problems with line numbers.
    """
    try:
        frame = pd.read_csv(
            io.BytesIO(text.encode("utf-8")),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            engine="pyarrow",
            header=None if names else "infer",
            names=names,
        )
    except (pa.ArrowException, ValueError):
        return None
    if frame.columns.duplicated().any():
        return None  # pandas' parser renames repeated headers ("a", "a.1"); keep that
    return frame


def numbers(values: pd.Series) -> pd.Series:
    """Text to float64, NaN where a value is blank or not a plain decimal number.

    Vectorised with Arrow compute for Arrow-backed text (what ``read_text_table`` gives);
    other columns go through ``pd.to_numeric``.
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(float)
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        text = pc.utf8_trim_whitespace(pa.array(values.array))
        plain = pc.match_substring_regex(text, r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
        parsed = pc.cast(pc.if_else(plain, text, pa.scalar(None, pa.string())), pa.float64())
        return pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index, dtype=float)
    return pd.to_numeric(values, errors="coerce").astype(float)


def read_table(
    path: str | Path,
    *,
    archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
    names: list[str] | None = None,
) -> pd.DataFrame:
    """Read a voter-style table from CSV/TSV (also zipped), Parquet or a spatial point file.

    Text columns come back as strings; spatial files gain ``longitude``/``latitude`` columns
    from their point geometry (reprojected to EPSG:4326). A zipped table may unpack to no
    more than ``archive_limits`` allow. ``names`` name the columns of a text table without a
    header line.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError("is a folder, not a file; give the table itself", path=path)
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _read_zipped_table(path, archive_limits, names)
    if suffix in TEXT_SUFFIXES:
        return read_text_table(path.read_bytes(), path=path, names=names)
    if suffix == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"cannot be read as Parquet ({exc})", path=path) from exc
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame
    if suffix in SPATIAL_SUFFIXES:
        return _read_point_layer(path)
    raise InputError(
        f"unsupported file type {suffix!r}; use CSV/TSV (optionally zipped), Parquet, "
        "GeoJSON or GeoPackage",
        path=path,
    )


def _read_zipped_table(
    path: Path, limits: ArchiveLimits, names: list[str] | None = None
) -> pd.DataFrame:
    with open_zip(path) as archive:
        members = [
            m
            for m in archive.namelist()
            if not m.endswith("/")
            and Path(m).suffix.lower() in TEXT_SUFFIXES | {".xls"}
            and not Path(m).name.startswith(".")
        ]
        if len(members) != 1:
            raise InputError(
                f"the zip must hold exactly one .csv/.tsv/.txt table, found {members or 'none'}",
                path=path,
            )
        # VAN report exports name tab-separated UTF-16 text ".xls"; it is still text.
        data = read_member(archive, members[0], path=path, limits=limits)
    return read_text_table(data, path=f"{path}!{members[0]}", names=names)


def _read_point_layer(path: Path) -> pd.DataFrame:
    import geopandas as gpd
    import shapely

    try:
        layer = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise InputError(f"cannot be read as a spatial layer ({exc})", path=path) from exc
    if not isinstance(layer, gpd.GeoDataFrame):
        raise InputError(
            "the layer has no geometry; give voter points, or a table with latitude and "
            "longitude columns",
            path=path,
        )
    if layer.crs is not None and not layer.crs.equals("EPSG:4326"):
        layer = layer.to_crs(4326)
    frame = pd.DataFrame(layer.drop(columns=layer.geometry.name))
    frame.columns = [str(c).strip() for c in frame.columns]
    # Non-point, empty and null geometries give NaN here and are rejected later with a reason.
    geometry = layer.geometry.to_numpy()
    points = (shapely.get_type_id(geometry) == 0) & ~shapely.is_empty(geometry)
    frame["longitude"] = np.where(points, shapely.get_x(np.where(points, geometry, None)), np.nan)
    frame["latitude"] = np.where(points, shapely.get_y(np.where(points, geometry, None)), np.nan)
    return frame
