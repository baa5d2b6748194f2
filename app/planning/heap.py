"""The objects alive when a plan starts are kept out of the cycle collector while it runs.

A process that has imported the pipeline holds ~230,000 objects of its libraries, and a plan's
heap (the demo's) grows to ~300,000; each full collection walks them all (0.13-0.15 s), and a
plan or the writing of its files used to meet two or three of them. Frozen, they are skipped;
what the plan makes meanwhile is collected as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze the objects alive now (``gc.freeze``) until the block ends.

    A heap already frozen is left as it is: the web server freezes what it starts with, and
    ``gc.unfreeze`` here would thaw that too.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
