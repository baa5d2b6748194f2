"""A plan from the New plan page split by region: the web's ``canvass plan --regions``.

The job's thread is the driver (``app.services.region_plans.plan_by_region``): it reads the
uploads once and submits one task per region to the Dask scheduler the server is configured
with (``DASK_SCHEDULER_ADDRESS``), or to a LocalCluster it starts for the job; the merged
plan is imported like any other. The page offers the region specs that name no file: a
voter or precinct column, or ``auto:N``. A polygon layer of regions is a file on the server,
which a form must not be able to point at; ``canvass plan --regions FILE`` takes one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from app.errors import InvalidError, ServiceError
from app.planning.cluster import ClusterOptions
from app.planning.progress import Progress
from app.planning.regions import AUTO_PREFIX, RegionSpec, parse_regions
from app.planning.request import PlanRequest
from app.services.region_plans import plan_by_region
from app.services.survey import SurveyStore, printed_survey
from geo._errors import InputError

COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_ ]{0,63}$")


def web_regions(text: str) -> RegionSpec | None:
    """The regions a form asked for (None: not split); ``InvalidError`` for anything else."""
    text = text.strip()
    if not text:
        return None
    if text.lower().startswith(AUTO_PREFIX):
        try:
            return parse_regions(text)
        except InputError as exc:
            raise InvalidError(f"regions: {exc}") from None
    if not COLUMN.match(text):
        raise InvalidError(
            f"regions {text!r}: a voter or precinct column (such as county) or auto:N "
            "(groups of whole precincts of about N voters); a polygon layer of regions is "
            "for canvass plan --regions FILE"
        )
    return RegionSpec(text, column=text)


def make_region_plan(
    request: PlanRequest,
    folder: Path,
    spec: RegionSpec,
    progress: Progress,
    *,
    cluster: ClusterOptions,
    public_url: str | None,
    survey: SurveyStore | None,
    on_written: Callable[[Path], object],
) -> None:
    """Plan ``request`` region by region into ``folder`` and import it (a plan job's work).

    A region that fails after its retries leaves the others' plan written and imported, and
    fails the job naming the regions and their errors.
    """
    run = plan_by_region(
        request,
        folder,
        spec,
        cluster=cluster,
        public_url=public_url,
        questions=printed_survey(survey),
        progress=progress,
    )
    failed = "; ".join(f"{region}: {error}" for region, error in sorted(run.failed.items()))
    if run.partial and not run.summary.get("turfs"):  # nothing planned: nothing to import
        raise ServiceError(
            f"no region could be planned ({failed}); plan it again under the same name and "
            "regions once the cause is fixed"
        )
    progress.stage("import")
    on_written(folder)
    if run.partial:
        raise ServiceError(
            f"{len(run.failed)} region(s) could not be planned ({failed}); the plan holds "
            "the other regions; plan it again under the same name and regions to retry them"
        )
