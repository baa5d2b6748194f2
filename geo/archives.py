"""Zip archives read within limits: members streamed and counted, so a zip bomb is refused.

A zip's directory says how big each member is; that is checked first (a cheap refusal), and
the bytes are counted again while they are unpacked, in case the directory lies. (Python's
``zipfile`` itself stops at the size the directory declares, so an understated size shows as a
checksum error; the count does not depend on that.) The limits come from the caller
(``ArchiveLimits``); geo/ never reads the environment.
"""

from __future__ import annotations

import io
import lzma
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from geo._errors import InputError

CHUNK_BYTES = 1 << 20

ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,  # bz2 members: "Invalid data stream"; also a folder or unreadable file
    RuntimeError,  # an encrypted member
    NotImplementedError,  # a compression method Python cannot unpack (e.g. Deflate64)
    struct.error,
)
"""What ``zipfile`` raises for damaged, truncated or unusual archives."""
_OPEN_ERRORS: tuple[type[Exception], ...] = (*ZIP_ERRORS, ValueError)


@dataclass(frozen=True)
class ArchiveLimits:
    """How much a compressed input may unpack to.

    ``max_bytes`` caps what the members read from one archive unpack to (together);
    ``max_ratio`` caps unpacked size over packed size of each member, once it unpacks to more
    than ``ratio_from_bytes`` (a small, very repetitive table is harmless).
    """

    max_bytes: int = 2_000_000_000
    max_ratio: float = 100.0
    ratio_from_bytes: int = 10_000_000

    def __post_init__(self) -> None:
        if self.max_bytes <= 0 or self.max_ratio <= 0 or self.ratio_from_bytes < 0:
            raise ValueError(f"archive limits must be positive: {self}")


DEFAULT_ARCHIVE_LIMITS = ArchiveLimits()

_WHAT_TO_DO = (
    "unzip it and check what it holds; a genuine file this large must be split into smaller "
    "files (or the archive limit raised)"
)


def _mb(size: float) -> str:
    """``size`` bytes for people: 2.0 GB, 209.7 MB, 2.8 kB, 12 bytes."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size:,.0f} bytes"


class _TooLargeError(ValueError):
    """A member unpacks to more than the limits allow (raised as ``InputError`` by readers)."""


def open_zip(path: Path) -> zipfile.ZipFile:
    """The archive at ``path``; ``InputError`` when it is not a readable zip."""
    try:
        return zipfile.ZipFile(path)
    except _OPEN_ERRORS as exc:
        raise InputError(
            f"is not a readable zip archive ({exc}); download or export it again "
            "(a truncated download?)",
            path=path,
        ) from exc


def _check_declared(info: zipfile.ZipInfo, limits: ArchiveLimits, *, already: int = 0) -> None:
    if already + info.file_size > limits.max_bytes:
        raise _TooLargeError(
            f"unpacks to {_mb(info.file_size)}"
            + (f" (with the other members, {_mb(already + info.file_size)})" if already else "")
            + f", over the limit of {_mb(limits.max_bytes)} for files inside a zip; {_WHAT_TO_DO}"
        )
    _check_ratio(info.file_size, info, limits)


def _check_ratio(unpacked: int, info: zipfile.ZipInfo, limits: ArchiveLimits) -> None:
    if unpacked <= limits.ratio_from_bytes:
        return
    ratio = unpacked / max(info.compress_size, 1)
    if ratio > limits.max_ratio:
        raise _TooLargeError(
            f"is compressed {ratio:,.0f}:1 ({_mb(info.compress_size)} unpacking to "
            f"{_mb(unpacked)}), over the limit of {limits.max_ratio:,.0f}:1 (a zip bomb, or a "
            "damaged file); unzip it and check what it holds, and give a genuine table this "
            "repetitive unzipped (or the archive limit raised)"
        )


def _stream(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ArchiveLimits, *, already: int = 0
) -> Iterator[bytes]:
    """The member's bytes in chunks, counted against the limits as they are unpacked."""
    _check_declared(info, limits, already=already)
    unpacked = 0
    with archive.open(info) as member:
        while chunk := member.read(CHUNK_BYTES):
            unpacked += len(chunk)
            if already + unpacked > limits.max_bytes:
                raise _TooLargeError(
                    f"unpacks to more than {_mb(limits.max_bytes)} (its zip directory said "
                    f"{_mb(info.file_size)}), over the limit for files inside a zip; {_WHAT_TO_DO}"
                )
            _check_ratio(unpacked, info, limits)
            yield chunk


@contextmanager
def _member_errors(path: Path, member: str) -> Iterator[None]:
    where = f"{path}!{member}"
    try:
        yield
    except _TooLargeError as exc:
        raise InputError(str(exc), path=where) from None
    except ZIP_ERRORS as exc:
        raise InputError(
            f"cannot be unpacked ({type(exc).__name__}: {exc}); the zip is damaged or uses "
            "an unusual format: download or export it again, or unzip it and give the file "
            "itself",
            path=where,
        ) from exc


def read_member(
    archive: zipfile.ZipFile,
    member: str,
    *,
    path: Path,
    limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
) -> bytes:
    """The unpacked bytes of ``member``; ``InputError`` naming ``path!member`` if over limits."""
    buffer = io.BytesIO()
    with _member_errors(path, member):
        for chunk in _stream(archive, archive.getinfo(member), limits):
            buffer.write(chunk)
    return buffer.getvalue()


def extract_members(
    archive: zipfile.ZipFile,
    members: list[str],
    folder: Path,
    *,
    path: Path,
    limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
) -> list[Path]:
    """Unpack ``members`` into ``folder`` (flat, by base name) within the limits, together."""
    written: list[Path] = []
    total = 0
    for member in members:
        target = folder / Path(member).name
        with _member_errors(path, member), target.open("wb") as out:
            for chunk in _stream(archive, archive.getinfo(member), limits, already=total):
                out.write(chunk)
        total += target.stat().st_size
        written.append(target)
    return written
