"""The ``canvass`` command line (``app.cli.main``)."""

from app.cli.main import main

__all__ = ["main"]
