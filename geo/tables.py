"""Reading tabular files as text columns, whatever their encoding, delimiter or packaging."""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo._errors import InputError

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
SPATIAL_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".fgb"}


def decode_text(raw: bytes, *, path: str | Path) -> str:
    """Decode bytes of a text table: UTF-16 by BOM, UTF-8 (with or without BOM), else Latin-1."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    # UTF-16 without a BOM shows as every other byte NUL in ASCII-heavy text.
    if len(raw) >= 4 and raw[1:4:2] == b"\x00\x00":
        return raw.decode("utf-16-le")
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


def read_text_table(raw: bytes, *, path: str | Path) -> pd.DataFrame:
    """Parse delimited text into a DataFrame of strings, keeping leading zeros and blanks as ''."""
    if not raw.strip():
        raise InputError("the file is empty", path=path)
    text = decode_text(raw, path=path)
    delimiter = _sniff_delimiter(text, path=path)
    frame = _read_with_arrow(text, delimiter)
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
        )
    except pd.errors.ParserError as exc:
        raise InputError(
            f"cannot be read as a {delimiter!r}-delimited table ({exc}); check quoting",
            path=path,
        ) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _read_with_arrow(text: str, delimiter: str) -> pd.DataFrame | None:
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


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a voter-style table from CSV/TSV (also zipped), Parquet or a spatial point file.

    Text columns come back as strings; spatial files gain ``longitude``/``latitude`` columns
    from their point geometry (reprojected to EPSG:4326).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _read_zipped_table(path)
    if suffix in TEXT_SUFFIXES:
        return read_text_table(path.read_bytes(), path=path)
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


def _read_zipped_table(path: Path) -> pd.DataFrame:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise InputError("is not a readable zip archive (truncated download?)", path=path) from exc
    with archive:
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
        try:
            data = archive.read(members[0])
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise InputError(
                f"the zip is damaged ({exc}); download or export it again", path=path
            ) from exc
        return read_text_table(data, path=f"{path}!{members[0]}")


def _read_point_layer(path: Path) -> pd.DataFrame:
    import geopandas as gpd
    import shapely

    try:
        layer = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise InputError(f"cannot be read as a spatial layer ({exc})", path=path) from exc
    if layer.crs is not None and not layer.crs.equals("EPSG:4326"):
        layer = layer.to_crs(4326)
    frame = pd.DataFrame(layer.drop(columns=layer.geometry.name))
    frame.columns = [str(c).strip() for c in frame.columns]
    # Non-point and null geometries give NaN here and are rejected later with a reason.
    geometry = layer.geometry.to_numpy()
    frame["longitude"] = shapely.get_x(geometry)
    frame["latitude"] = shapely.get_y(geometry)
    return frame
