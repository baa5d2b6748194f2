"""Damaged and mistaken inputs for the reader fuzz tests: seeded, bounded, built from real files.

Each reader is fed random bytes, truncated and bit-flipped copies of a real small file, files of
another type under its name, an empty file and a folder. It may read them (a truncated CSV is
still a table) or refuse them; a refusal must be the project's own error naming the file, never
a raw ``KeyError``, ``UnicodeDecodeError``, ``zipfile.BadZipFile``, pyogrio error and the like.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(range(256)) * 4
OTHER_TYPES = {
    "png": PNG,
    "csv": b"voter_id,latitude,longitude\n1,60.17,24.94\n2,60.18,24.95\n",
    "json": b'{"type": "FeatureCollection", "features": [{"type": "Feature"}]}',
    "json-array": b'[1, "two", {"type": "Feature", "geometry": 3}]',
    "json-scalar": b'"just a string"',
    "zip-of-png": b"PK\x03\x04" + PNG,
    "utf16-odd": b"\xff\xfei\x00d\x00,\x00l\x00a\x00t\x00\n",
    "nul-heavy": b"a\x00,\x00b\x00\n\x00" * 50 + b"\x00",
    "xml": b'<?xml version="1.0"?><osm version="0.6"><node id="1" lat="x"/></osm',
    "xml-bad-id": b'<?xml version="1.0"?><osm version="0.6"><way id="w1"><nd ref="1"/></way></osm>',
    "toml": b'[columns]\nlatitude = 5\n"longitude" = [',
    "gzip": zlib.compress(b"voter_id,latitude,longitude\n" * 100),
}


def cases(
    real: bytes, *, seed: int, truncations: int = 6, flips: int = 4
) -> Iterator[tuple[str, bytes]]:
    """Named damaged versions of ``real`` (and unrelated content), the same for every run."""
    rng = random.Random(seed)
    yield "empty", b""
    for size in (1, 63, 4096):
        yield f"random-{size}", rng.randbytes(size)
    cuts = sorted(
        {len(real) // 2, *(rng.randrange(1, max(2, len(real))) for _ in range(truncations))}
    )
    for cut in cuts:
        yield f"truncated-at-{cut}", real[:cut]
    for n in range(flips):
        damaged = bytearray(real)
        for _ in range(max(1, len(real) // 200)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        yield f"flipped-{n}", bytes(damaged)
    yield "real-head-random-tail", real[: min(len(real) // 3, 200)] + rng.randbytes(300)
    yield from ((f"a-{name}-file", content) for name, content in OTHER_TYPES.items())


def leaks(
    read: Callable[[Path], object],
    folder: Path,
    suffix: str,
    real: bytes,
    *,
    clear: tuple[type[Exception], ...],
    seed: int,
) -> list[str]:
    """Feed ``read`` every case of ``real`` saved as ``*{suffix}``; what went wrong with each.

    A case may read fine or raise one of ``clear`` naming the file; anything else is listed.
    """
    problems = []
    inputs: list[tuple[str, bytes | None]] = [*cases(real, seed=seed), ("a-folder", None)]
    for n, (label, content) in enumerate(inputs):
        path = folder / f"{n:02d}-{label}{suffix}"
        if content is None:
            path.mkdir()
        else:
            path.write_bytes(content)
        try:
            read(path)
        except clear as exc:
            if path.name not in str(exc):
                problems.append(f"{path.name}: {type(exc).__name__} without the file name: {exc}")
        except Exception as exc:  # the point: no other kind may escape
            where = exc.__traceback__
            while where is not None and where.tb_next is not None:
                where = where.tb_next
            origin = f" at {where.tb_frame.f_code.co_filename}:{where.tb_lineno}" if where else ""
            problems.append(
                f"{path.name}: raw {type(exc).__module__}.{type(exc).__name__}{origin}: "
                f"{str(exc)[:200]}"
            )
    return problems
