"""Every turf's walk-list files in one pass: ``walklists/<turf>.csv``, ``.html`` and ``.pdf``.

The rows of all turfs come from one join and one sort (``WalklistTable``), their spreadsheet
cells are neutralised once for all turfs, and each turf's ``WalkList`` is built once for both
the HTML page and the PDF. A plan written in batches of turfs works all that out once
(``WalklistSource``) and each batch takes its turfs' part. The files are the same as writing
each turf on its own with ``walklist_rows``, ``walklist_html`` and ``write_walklist_pdf``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from app.outputs.paper import Paper
from app.outputs.walklist_marks import PrintedQuestion
from app.outputs.walklist_page import walklist_html
from app.outputs.walklist_pdf import walklist_pdf
from app.outputs.walklists import ListSource, WalklistTable, walk_lists
from app.privacy.fields import minimal_rows
from app.spreadsheet import neutralise_frame

if TYPE_CHECKING:
    import shapely

    from app.plan_folder import PlanFolder
    from app.planning.pipeline import Plan, Turf


@dataclass(frozen=True)
class WalklistSource:
    """The walk-list rows of some turfs and what their files are made from, worked out once."""

    everything: WalklistTable
    """The rows with every field (``voter_data.csv``)."""
    table: WalklistTable
    """The same rows with only the voter fields the organiser chose (issue 21)."""
    safe: WalklistTable
    """The same rows with their spreadsheet cells neutralised (the CSV files)."""
    lists: ListSource

    @classmethod
    def of(
        cls,
        plan: Plan,
        turfs: list[Turf] | None = None,
        outlines: Iterable[shapely.Geometry] | None = None,
    ) -> WalklistSource:
        """The source of the walk lists of ``turfs`` (``None``: every turf of ``plan``).

        ``outlines``: ``tables.turf_outlines(plan)``, if the caller has it, for the sketches.
        """
        everything = WalklistTable.of(plan, turfs)
        table = replace(
            everything, rows=minimal_rows(everything.rows, plan.request.walklist_fields)
        )
        safe = replace(table, rows=neutralise_frame(table.rows))
        return cls(everything, table, safe, ListSource.of(plan, table, outlines))

    def with_outlines(self, plan: Plan, outlines: Iterable[shapely.Geometry]) -> WalklistSource:
        """The same, with ``tables.turf_outlines(plan)`` for the sketches."""
        return replace(self, lists=self.lists.with_outlines(plan, outlines))


def write_walklists(
    plan: Plan,
    folder: PlanFolder,
    turf_ids: Iterable[str] | None = None,
    *,
    plan_name: str,
    paper: Paper = "A4",
    questions: tuple[PrintedQuestion, ...] = (),
    source: WalklistSource | None = None,
) -> None:
    """Write the CSV, HTML and PDF walk lists of every turf (or of ``turf_ids``) into ``folder``.

    Parameters
    ----------
    turf_ids
        The turfs to write, in any order (``None``: all of ``plan.turfs``). Disjoint sets of
        turfs can be written by separate processes into one folder.
    plan_name
        The plan's name as the server serves it (``/files/<plan_name>/``); the folder may be
        a staging folder with another name.
    paper
        ``"A4"`` or ``"Letter"``, for the PDFs and the HTML pages.
    questions
        The survey questions to print (``walklist_marks.printed_questions``).
    source
        ``WalklistSource.of(plan)`` (or of some turfs including these) when the caller writes
        several batches; ``None``: worked out for these turfs.
    """
    if turf_ids is None:
        turfs = list(plan.turfs)
    else:
        wanted = set(turf_ids)
        turfs = [turf for turf in plan.turfs if turf.turf_id in wanted]
        unknown = wanted - {turf.turf_id for turf in turfs}
        if unknown:
            raise KeyError(f"no such turfs in the plan: {', '.join(sorted(unknown))}")
    folder.walklists_dir.mkdir(parents=True, exist_ok=True)
    made = source or WalklistSource.of(plan, turfs)
    ranks = {turf_id: rank for rank, turf_id in enumerate(made.table.turf_ids)}
    write_csv_lists(made.safe, [ranks[turf.turf_id] for turf in turfs], folder)
    listings = walk_lists(plan, turfs, made.table, questions=questions, source=made.lists)
    for turf, listing in zip(turfs, listings, strict=True):
        # Generic prints carry no volunteer link: whoever picks the paper up must not get
        # into the voters' data. A print for an assignment carries its volunteer's link
        # (made on request by the web app, app.services.assignment_print).
        html = walklist_html(listing, map_url=None, paper=paper)
        folder.walklist(turf.turf_id, "html").write_text(html, encoding="utf-8")
        document = walklist_pdf(listing, map_url=None, plan_name=plan_name, paper=paper)
        folder.walklist(turf.turf_id, "pdf").write_bytes(document)


def write_csv_lists(safe: WalklistTable, ranks: list[int], folder: PlanFolder) -> None:
    """Write the CSV walk lists of the turfs at ``ranks`` of ``safe``."""
    for rank, text in zip(ranks, csv_texts(safe, ranks), strict=True):
        path = folder.walklist(safe.turf_ids[rank], "csv")
        with path.open("w", encoding="utf-8", newline="") as file:
            file.write(text)


def csv_texts(safe: WalklistTable, ranks: list[int]) -> list[str]:
    """The CSV walk lists of the turfs at ``ranks`` of ``safe``, from one ``to_csv`` for all.

    A row is one line unless a cell holds a line break (then it is quoted over several lines):
    where the lines do not add up to the rows, each turf's is made on its own instead.
    """
    counts = [int(safe.ends[rank + 1] - safe.ends[rank]) for rank in ranks]
    header, *lines = safe.rows.iloc[safe.positions(ranks)].to_csv(index=False).split("\n")[:-1]
    if len(lines) != sum(counts):
        return [safe.part(rank).to_csv(index=False) for rank in ranks]
    texts, start = [], 0
    for count in counts:
        texts.append("".join(f"{line}\n" for line in [header, *lines[start : start + count]]))
        start += count
    return texts
