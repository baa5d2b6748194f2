"""A walk list printed for an assignment: the volunteer's own link in its QR code and URL.

The generic walk lists of a plan folder carry no link. Printing a turf for the person it is
given to reuses the assignment's link (or makes it) and renders the turf's walk list from the
plan folder (``app.outputs.walklist_reprint``), as HTML or PDF, with that link.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from app import plan_folder
from app.outputs.walklist_page import walklist_html
from app.outputs.walklist_pdf import PAPERS, Paper, walklist_pdf
from app.outputs.walklist_reprint import read_walk_list
from app.plan_folder import PlanFolder
from app.services.volunteer_share import Share, assignment_share
from app.store.engine import Database

PrintFormat = Literal["html", "pdf"]


def print_for_assignment(
    db: Database,
    key: bytes,
    folder: PlanFolder,
    turf: str,
    form: PrintFormat,
    *,
    link_base: str,
    by: int | None = None,
    notice_url: str | None = None,
) -> tuple[bytes, Share]:
    """The walk list of the assigned ``turf`` with its volunteer's link, and that link.

    ``notice_url`` is the campaign's privacy notice as the server knows it now (None: the one
    the plan printed, if any). Raises NotFoundError when the turf is not assigned or not in
    the plan.
    """
    share = assignment_share(db, key, folder.name, turf, link_base=link_base, by=by)
    listing = read_walk_list(folder, turf)
    if notice_url:
        listing = replace(listing, privacy_notice=notice_url)
    if form == "html":
        html = walklist_html(
            listing,
            map_url=share.url,
            paper=_paper(folder),
            files=plan_folder.file_url(folder.name).rstrip("/"),
        )
        return html.encode("utf-8"), share
    return walklist_pdf(
        listing, map_url=share.url, plan_name=folder.name, paper=_paper(folder)
    ), share


def _paper(folder: PlanFolder) -> Paper:
    """The paper the plan's own PDFs were printed on (A4 unless the plan says otherwise)."""
    try:
        paper = folder.read_summary().get("paper")
    except plan_folder.PlanFolderError:
        return "A4"
    size = paper.get("size") if isinstance(paper, dict) else paper
    return size if size in PAPERS else "A4"
