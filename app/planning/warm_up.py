"""Compile the routing kernels once, at install time: ``python -m app.planning.warm_up``.

The turf cutting and the walk order run compiled (numba). numba compiles each kernel the first
time a process calls it and keeps the result on disk (``cache=True``: ``__pycache__`` beside the
module, or the user's cache folder where that cannot be written), so only the first plan after
an install waits for it, about 40 s. ``make install`` (and so CI, which installs the same way)
runs this module to pay that once: it plans a few hundred of the demo's voters on the demo's
streets, which calls every kernel with the argument types a real plan uses, and later
processes load the compiled code from the cache in well under a second.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from app.planning.pipeline import run_plan
from app.planning.request import PlanRequest
from geo.sample import write_demo_inputs

WARM_UP_VOTERS = 400
"""Enough voters for several turfs (the moves between turfs run), few enough to plan in seconds."""


def warm_up(voters: int = WARM_UP_VOTERS) -> float:
    """Plan ``voters`` of the demo's voters (street by street), then forget it; seconds taken."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="canvass-warm-up-") as folder:
        inputs = write_demo_inputs(Path(folder) / "inputs")
        frame = pd.read_csv(inputs.voters, dtype=str, keep_default_na=False)
        small = Path(folder) / "voters.csv"
        frame.sort_values(["street", "house_number"]).head(voters).to_csv(small, index=False)
        request = PlanRequest(voters=small, precincts=inputs.precincts, streets=inputs.streets)
        plan = run_plan(request)
        if len(plan.turfs) < 2:  # the kernels between turfs would not have run
            raise RuntimeError("the warm-up plan has fewer than 2 turfs")
    return time.perf_counter() - started


def main() -> None:
    """Warm the cache and say how long it took (``make install`` prints it)."""
    seconds = warm_up()
    sys.stdout.write(f"compiled the routing kernels (numba cache) in {seconds:.1f} s\n")


if __name__ == "__main__":
    main()
