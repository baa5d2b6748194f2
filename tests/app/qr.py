"""Read QR codes back the way a phone would: from a picture of the printed page."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import zxingcpp
from PIL import Image


def decode_qr(png: bytes) -> list[str]:
    """The texts of every QR code in a PNG image."""
    image = Image.open(io.BytesIO(png)).convert("L")
    return [found.text for found in zxingcpp.read_barcodes(image) if found.valid]


def pdf_page_png(pdf: bytes, page: int = 1, dpi: int = 150) -> bytes:
    """Page ``page`` of a PDF as a PNG, as poppler's pdftoppm draws it."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "page.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
             "-singlefile", str(source), str(Path(folder) / "page")],
            check=True,
        )  # fmt: skip
        return (Path(folder) / "page.png").read_bytes()
