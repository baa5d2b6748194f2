"""Stages and counts of this package's long work, reported without knowing who listens.

A caller that shows progress passes an ``OpenStage`` (the planner's ``Stages.stage``); the
default ``unreported`` times and shows nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

__all__ = ["Counter", "OpenStage", "unreported"]


class Counter(Protocol):
    """Counts the items of the stage that is running."""

    def advance(self, count: int = 1) -> None:
        """``count`` more items are done."""


class OpenStage(Protocol):
    """Opens stage ``name`` of ``total`` items for a ``with`` block; it yields a ``Counter``."""

    def __call__(self, name: str, total: int | None = None) -> AbstractContextManager[Counter]:
        """The stage, open while the block runs."""


class _Uncounted:
    def advance(self, count: int = 1) -> None:
        """Counts nothing."""


@contextmanager
def unreported(name: str, total: int | None = None) -> Iterator[Counter]:
    """A stage nobody follows."""
    yield _Uncounted()
