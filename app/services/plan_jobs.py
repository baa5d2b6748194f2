"""Organisers make a plan in the browser: count a target live, then cut turfs in the background.

The voter file and precinct layer are uploads (``app.store.uploads``); street data is the
embedded demo extract or a file an administrator put in ``<workspace>/streets/`` (a city's
``.osm.pbf`` is too big for a form). Reading a voter file is the slow part of counting a
target, so the last few prepared files stay in memory and each new expression is only a
filter over them. Cutting runs as a job (``app.services.jobs``), writes the plan folder
exactly as ``canvass plan`` does (with the same street-graph cache) and imports it.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.errors import GoneError, InvalidError, NotFoundError
from app.outputs.writer import write_plan
from app.plan_folder import PlanFolder, PlanFolderError
from app.planning.budget import check_value, voter_values
from app.planning.cluster import ClusterOptions
from app.planning.pipeline import PreparedVoters, prepare_voters, run_plan, target_mask
from app.planning.progress import Progress
from app.planning.regions import RegionSpec
from app.planning.request import PlanRequest
from app.services.cluster_jobs import ClusterPlans
from app.services.jobs import JobQueue, PlanJob
from app.services.region_jobs import make_region_plan, web_regions
from app.services.survey import SurveyStore, printed_survey
from app.store.engine import Database
from app.store.models import Upload
from app.store.privacy import privacy_keys
from geo.archives import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits
from geo.effort import TurfSize
from geo.sample import demo_osm_path
from segments._errors import FilterError
from segments.universe import universe_size

DEMO_STREETS = "demo"
DEMO_STREETS_LABEL = "Helsinki demo (embedded)"
STREET_SUFFIXES = (".osm.pbf", ".osm", ".osm.bz2", ".graphml")
PREPARED_KEEP = 2
"""How many prepared voter files stay in memory for live counts."""
PLAN_NAME = re.compile(r"^[A-Za-z0-9][\w.-]{0,80}$")


@dataclass(frozen=True)
class PlanSource:
    """Uploaded files, street data and a target: what a count or a new plan is made from."""

    voters_upload: int
    precincts_upload: int | None = None
    streets: str = DEMO_STREETS
    target: str = ""
    addresses_upload: int | None = None


def street_sources(streets_dir: Path) -> dict[str, Path]:
    """Street data the server offers: the embedded demo and files in ``streets_dir``."""
    sources = {DEMO_STREETS: demo_osm_path()}
    if streets_dir.is_dir():
        for path in sorted(streets_dir.iterdir()):
            if path.is_file() and path.name.lower().endswith(STREET_SUFFIXES):
                sources[path.name] = path
    return sources


def make_plan(
    request: PlanRequest,
    folder: Path,
    progress: Progress,
    *,
    public_url: str | None,
    survey: SurveyStore | None,
    on_written: Callable[[Path], object],
    cluster: ClusterPlans | None = None,
) -> dict[str, Any]:
    """Make ``request``'s plan, write it into ``folder`` and import it: every plan job's work.

    The walk lists point to ``public_url`` and print the campaign's ``survey``. With a
    ``cluster`` the making and writing run there (``app.services.cluster_jobs``); the import
    is here. Returns the plan's counts.
    """
    questions = printed_survey(survey)
    if cluster is not None:
        counts = cluster.make(request, folder, progress, public_url=public_url, questions=questions)
    else:
        plan = run_plan(request, progress=progress)
        write_plan(plan, folder, progress=progress, public_url=public_url, questions=questions)
        counts = plan.counts
    progress.stage("import")
    on_written(folder)
    return counts


class Planner:
    """Uploads to plans: prepared voter files kept for live counts, and new plans as jobs."""

    def __init__(
        self,
        db: Database,
        jobs: JobQueue,
        *,
        workspace: Path,
        uploads_dir: Path,
        streets_dir: Path,
        graph_cache_dir: Path | None,
        public_url: str | None = None,
        survey: SurveyStore | None = None,
        on_written: Callable[[Path], object],
        archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
        privacy_notice_url: str | None = None,
        cluster: ClusterPlans | None = None,
    ) -> None:
        self.db = db
        self.jobs = jobs
        self.workspace = workspace
        self.uploads_dir = uploads_dir
        self.streets_dir = streets_dir
        self.graph_cache_dir = graph_cache_dir
        self.public_url = public_url
        """Where phones reach the server: what printed walk lists point to."""
        self.survey = survey
        """The campaign's survey, printed on the walk lists."""
        self.archive_limits = archive_limits
        self.privacy_notice_url = privacy_notice_url
        """The campaign's privacy notice, printed on the walk lists."""
        self.on_written = on_written
        self.cluster = cluster
        """Where plans are made when a Dask scheduler is configured; None: in this process."""
        self._prepared: OrderedDict[tuple[int, int | None, str, int | None], PreparedVoters] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def make(self, request: PlanRequest, folder: Path, progress: Progress) -> dict[str, Any]:
        """A plan job's work: make ``request``'s plan, write it into ``folder``, import it."""
        return make_plan(
            request,
            folder,
            progress,
            public_url=self.public_url,
            survey=self.survey,
            on_written=self.on_written,
            cluster=self.cluster,
        )

    def street_choices(self) -> list[dict[str, str]]:
        """Street data a plan can use, with labels for the page."""
        return [
            {"id": key, "label": DEMO_STREETS_LABEL if key == DEMO_STREETS else key}
            for key in street_sources(self.streets_dir)
        ]

    def _upload(self, upload_id: int | None, kind: str) -> Path | None:
        if upload_id is None:
            return None
        with self.db.reading() as session:
            row = session.scalar(select(Upload).where(Upload.id == upload_id))
        if row is None or row.kind != kind:
            raise NotFoundError(f"no {kind} upload with id {upload_id}")
        path = self.uploads_dir / row.stored_as
        if not path.is_file():
            raise GoneError(f"the file of {kind} upload {upload_id} is gone; upload it again")
        return path

    def request(self, source: PlanSource, size: TurfSize | None = None) -> PlanRequest:
        """The plan request of ``source`` (``NotFoundError`` for unknown uploads or streets)."""
        voters = self._upload(source.voters_upload, "voters")
        assert voters is not None
        streets = street_sources(self.streets_dir).get(source.streets)
        if streets is None:
            raise NotFoundError(f"no street data {source.streets!r}; see GET /api/streets")
        addresses = self._upload(source.addresses_upload, "addresses")
        return PlanRequest(
            voters=voters,
            precincts=self._upload(source.precincts_upload, "precincts"),
            addresses=() if addresses is None else (addresses,),
            streets=streets,
            target=source.target or None,
            size=size or TurfSize(),
            graph_cache_dir=self.graph_cache_dir,
            archive_limits=self.archive_limits,
            privacy=privacy_keys(self.db),  # opt-outs and erased people are never planned
            privacy_notice_url=self.privacy_notice_url,
        )

    def prepared(self, source: PlanSource) -> PreparedVoters:
        """The voter file of ``source`` read, joined and grouped (kept for the next count)."""
        key = (
            source.voters_upload,
            source.precincts_upload,
            source.streets,
            source.addresses_upload,
        )
        with self._lock:
            if key in self._prepared:
                self._prepared.move_to_end(key)
                return self._prepared[key]
            prepared = prepare_voters(self.request(source))
            self._prepared[key] = prepared
            while len(self._prepared) > PREPARED_KEEP:
                self._prepared.popitem(last=False)
            return prepared

    def count(self, source: PlanSource) -> dict[str, Any]:
        """Size of the target of ``source``; ``InvalidError`` with the position for a bad one."""
        prepared = self.prepared(source)
        try:
            mask = target_mask(prepared.voters, source.target or None)
        except FilterError as exc:
            raise InvalidError(
                {
                    "message": str(exc),
                    "position": exc.position,
                    "fields": sorted(map(str, prepared.voters.columns.drop("geometry"))),
                }
            ) from None
        size = universe_size(prepared.voters, target=mask)
        return {
            "voters": {
                "total": prepared.table.total,
                "accepted": len(prepared.voters),
                "rejected": len(prepared.table.rejected),
            },
            "target": size.as_dict(),
            "precinct_join": prepared.join_counts,
        }

    def start(
        self,
        name: str,
        source: PlanSource,
        size: TurfSize,
        *,
        walklist_fields: tuple[str, ...] | None = None,
        paper: str | None = None,
        hours: float | None = None,
        value: str = "",
        regions: str = "",
    ) -> PlanJob:
        """Queue a plan run; ``ConflictError`` if a plan of that name exists or is being made.

        ``paper`` is the walk lists' paper (``"A4"``, ``"Letter"``; None: from the data). With
        ``hours`` the plan gets a budget (``app.planning.budget``); a ``value`` expression that
        does not parse is an ``InvalidError`` with its position, before anything runs.
        ``regions`` splits the plan by region (``app.services.region_jobs``).
        """
        if not PLAN_NAME.match(name):
            raise InvalidError("plan name: letters, digits, '.', '_' and '-' (up to 80)")
        try:
            check_value(value)
            if value.strip():  # the fields: on the voter file (read once, kept for counts)
                voter_values(self.prepared(source).voters, value)
        except FilterError as exc:
            raise InvalidError({"message": str(exc), "position": exc.position}) from None
        request = replace(
            self.request(source, size),
            walklist_fields=walklist_fields,
            paper=paper,
            hours=hours,
            value=value or None,
        )
        folder = self.workspace / name
        spec = web_regions(regions)

        def work(progress: Progress) -> None:
            if spec is None:
                self.make(request, folder, progress)
                return
            make_region_plan(
                request,
                folder,
                spec,
                progress,
                cluster=ClusterOptions() if self.cluster is None else self.cluster.options(),
                public_url=self.public_url,
                survey=self.survey,
                on_written=self.on_written,
            )

        def blocked() -> bool:
            # A plan split by region whose regions did not all finish is planned again under
            # its name: the regions already planned are kept, the failed ones run again.
            return folder.exists() and not (spec is not None and _partial_by(folder, spec))

        return self.jobs.submit(
            name,
            work,
            conflict=f"a plan named {name!r} exists; choose another name (a plan split by "
            "region that some regions failed is planned again under its name with the same "
            "regions)",
            blocked=blocked,
        )


def _partial_by(folder: Path, spec: RegionSpec) -> bool:
    """Whether ``folder`` holds a partial plan split by ``spec`` (some regions failed)."""
    try:
        regions = PlanFolder(folder).read_summary().get("regions") or {}
    except (OSError, PlanFolderError):
        return False
    return bool(regions.get("partial")) and regions.get("spec") == spec.text
