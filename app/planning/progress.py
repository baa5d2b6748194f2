"""How far a plan has come: its stages in order, with counts where a stage has them.

The pipeline and the writers report to a ``Progress``; the command line draws it as bars, a
background job keeps it for the page that polls it, and a plain ``Progress()`` ignores it.
``Stages`` times each stage as it reports it, for ``summary.json``'s ``timings_s``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Progress:
    """Receives stages and counts; this base class ignores them (subclass to show them)."""

    def stage(self, name: str, total: int | None = None) -> None:
        """A stage starts: ``name`` (``read_voters``, ``route_turfs``, ...), ``total`` items."""

    def advance(self, count: int = 1) -> None:
        """``count`` more items of the current stage are done."""

    def finish(self) -> None:
        """The current stage is over."""


class Stages:
    """Reports stages to a ``Progress`` and keeps how long each took."""

    def __init__(self, progress: Progress | None = None) -> None:
        self.progress = progress or Progress()
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Progress]:
        """Time the ``with`` block as stage ``name``; it may ``advance`` the yielded progress."""
        self.progress.stage(name, total)
        started = time.perf_counter()
        try:
            yield self.progress
        finally:
            self.timings[name] = round(time.perf_counter() - started, 3)
            self.progress.finish()
