"""Plan the next pass from the plan page: the results stored so far, as a new plan in one step.

The plan's results are exported as our MiniVAN contact history (``app.services.exports``),
kept in ``WORKSPACE/.canvass/passes/`` (the new plan's record points at it, so it can be made
again), and the plan is made again from its own inputs with them (``--results``): doors with a
final result leave, the others keep their households, and the turf ids say the pass.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from app.errors import InvalidError
from app.planning.next_pass import pass_suffix, read_results
from app.planning.request import PlanInputsError, request_from_plan
from app.services.exports import minivan_results
from app.services.jobs import PlanJob
from app.services.plan_jobs import Planner
from app.store.engine import Database
from app.store.privacy import privacy_keys

PASSES_DIR = Path(".canvass") / "passes"
PASS_NAME = re.compile(r"-p\d+$")


def start_next_pass(planner: Planner, db: Database, name: str, *, user_id: int | None) -> PlanJob:
    """Queue the next pass of plan ``name`` as a new plan named ``<name>-p<N>``.

    ``NotFoundError`` for an unknown plan, ``InvalidError`` when it has no results yet or its
    inputs are gone, ``ConflictError`` when that pass exists already.
    """
    text = minivan_results(db, name, user_id=user_id)
    if len(text.splitlines()) < 2:
        raise InvalidError(f"plan {name!r} has no results yet: the next pass needs some knocks")
    try:
        request = request_from_plan(
            planner.workspace / name,
            graph_cache_dir=planner.graph_cache_dir,
            archive_limits=planner.archive_limits,
        )
    except PlanInputsError as exc:
        raise InvalidError(str(exc)) from None
    if request.results is not None:  # the passes before this plan's: their closed doors too
        earlier = request.results.read_text(encoding="utf-8").splitlines(keepends=True)
        text = "".join(earlier) + "".join(text.splitlines(keepends=True)[1:])
    folder = planner.workspace / PASSES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    results = folder / f"{name}.results.tsv"
    results.write_text(text, encoding="utf-8")
    new_name = PASS_NAME.sub("", name) + pass_suffix(read_results(results))
    stored = folder / f"{new_name}.results.tsv"
    results.replace(stored)
    request = replace(
        request,
        results=stored,
        previous_stops=None,
        previous_edits=(),
        privacy=privacy_keys(db),  # opted out at a door of this pass: not in the next
    )
    out = planner.workspace / new_name

    return planner.jobs.submit(
        new_name,
        lambda progress: planner.make(request, out, progress),
        conflict=f"the next pass {new_name!r} exists already",
        blocked=out.exists,
    )
