"""Organisers edit a cut plan's turfs from the plan page: split one, merge some, draw one.

Each edit is checked at once against the plan's ``stops.csv`` (unknown plan or turfs: not
found; unknown turf or empty polygon: invalid; input files gone: gone) and then queued as a
job (``app.services.jobs``; one job per plan at a time). The job makes the plan again from its
recorded inputs with the edit applied (``app.planning.request.request_from_plan``,
``PlanRequest.edit``): every other turf keeps its id and walking order, the edited turfs are
routed afresh. The folder is replaced atomically, imported into the database (results stay
with their households) and the edit is written to the audit log. What was done is the last
entry of the plan summary's ``edits``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import shapely

from app.errors import ConflictError, GoneError, InvalidError, NotFoundError
from app.plan_folder import PlanFolder
from app.planning.edits import TurfEdit
from app.planning.progress import Progress
from app.planning.request import PlanInputsError, PlanRequest, request_from_plan
from app.services.jobs import JobQueue, PlanJob
from app.store.audit import audit
from app.store.engine import Database
from app.store.privacy import privacy_keys
from geo.archives import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits

MakePlan = Callable[[PlanRequest, Path, Progress], dict[str, Any]]
"""A plan job's work: make a request's plan, write it into a folder, import it; its counts."""


def polygon_from_geojson(geometry: dict[str, Any]) -> shapely.Geometry:
    """The shapely polygon of a GeoJSON geometry; ``InvalidError`` for a shape with no area."""
    try:
        shape = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise InvalidError(f"the drawn shape is not a polygon ({exc})") from None
    bounds = shapely.bounds(shape)
    if not (-180 <= bounds[0] <= bounds[2] <= 180 and -90 <= bounds[1] <= bounds[3] <= 90):
        raise InvalidError("the polygon is not in longitude, latitude (WGS 84)")
    shape = shapely.make_valid(shape)
    if isinstance(shape, shapely.GeometryCollection):
        parts = [g for g in shape.geoms if isinstance(g, shapely.Polygon | shapely.MultiPolygon)]
        shape = shapely.union_all(parts) if parts else shapely.Polygon()
    if not isinstance(shape, shapely.Polygon | shapely.MultiPolygon) or shape.area == 0:
        raise InvalidError("the drawn shape has no area: draw a polygon around the stops")
    return shape


class TurfEditor:
    """Checks edits against a plan folder and queues them on the planner's job queue."""

    def __init__(
        self,
        db: Database,
        jobs: JobQueue,
        plan_dir: Callable[[str], Path],
        *,
        graph_cache_dir: Path | None,
        make: MakePlan,
        archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
    ) -> None:
        self.db = db
        self.jobs = jobs
        self.plan_dir = plan_dir
        """The folder of a plan by name; raises ``NotFoundError`` for an unknown plan."""
        self.graph_cache_dir = graph_cache_dir
        self.make = make
        """Makes, writes and imports a plan as every plan job does (``Planner.make``)."""
        self.archive_limits = archive_limits

    def _stops(self, folder: Path) -> pd.DataFrame:
        stops = PlanFolder(folder).read_stops()
        if stops is None or not {"stop_id", "turf", "lat", "lon"} <= set(stops.columns):
            raise NotFoundError(f"plan {folder.name!r} has no turfs to edit")
        return stops

    def check(self, name: str, edit: TurfEdit) -> Path:
        """The plan's folder if ``edit`` can be made to it (else not found, gone, invalid)."""
        folder = self.plan_dir(name)
        stops = self._stops(folder)
        sizes = stops["turf"].value_counts()
        unknown = [t for t in edit.turfs if t not in sizes.index]
        if unknown:
            raise InvalidError(f"plan {name!r} has no turf {', '.join(map(repr, unknown))}")
        if edit.kind == "split" and sizes[edit.turfs[0]] < 2:
            raise InvalidError(f"turf {edit.turfs[0]!r} has one stop and cannot be split")
        if edit.kind == "draw":
            assert edit.polygon is not None
            points = shapely.points(stops["lon"].to_numpy(), stops["lat"].to_numpy())
            if not shapely.covers(edit.polygon, points).any():
                raise InvalidError("the drawn polygon contains no stop of this plan")
        try:
            request_from_plan(folder)
        except PlanInputsError as exc:
            raise GoneError(str(exc)) from None
        return folder

    def start(self, name: str, edit: TurfEdit, *, user_id: int | None) -> PlanJob:
        """Check ``edit`` and queue it; the job makes, writes and imports the edited plan."""
        conflict = f"plan {name!r} is being changed; wait for that job to finish"
        if self.jobs.busy(name):  # its folder may be being replaced: do not read it now
            raise ConflictError(conflict)
        folder = self.check(name, edit)

        def work(progress: Progress) -> None:
            progress.stage("read_plan")
            request = replace(
                request_from_plan(
                    folder,
                    graph_cache_dir=self.graph_cache_dir,
                    archive_limits=self.archive_limits,
                ),
                edit=edit,
                privacy=privacy_keys(self.db),
            )
            counts = self.make(request, folder, progress)
            record = counts["edits"][-1]
            with self.db.writing() as session:
                audit(
                    session,
                    "plan.edit",
                    name,
                    user_id=user_id,
                    kind=record["kind"],
                    turfs=record["turfs"],
                    new=record["new"],
                    removed=record["removed"],
                    stops_moved=record["stops_moved"],
                )

        return self.jobs.submit(name, work, conflict=conflict)
