"""One plan folder from the plan folders of its regions (``canvass plan --regions``).

Each region's folder is a whole plan whose turf ids carry the region's prefix, so merging is
concatenation: the tables and GeoJSON layers are joined region by region (regions in id
order, which is also turf-id order), each turf's walk lists and maps are linked in as they
are (hard links: no copy of a statewide set of PDFs), and one ``summary.json`` adds up the
regions' counts. The merged folder is made beside ``out`` and swapped into place, like
``write_plan`` does, so a failed merge leaves the earlier plan untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from app.outputs.assets import copy_assets
from app.outputs.geojson import write_geojson
from app.outputs.maps import plan_map_data, write_base_map, write_plan_map
from app.outputs.region_maps import merged_base_map, write_merged_heatmap
from app.outputs.tables import GPX_NS
from app.plan_folder import PlanFolder
from app.spreadsheet import neutralise_frame
from geo.effort import WalkModel

PLAN_WIDE_MAPS = ("index.", "heat.")
"""A region's own overview and heat maps (``maps/index.html``, ``maps/heat.html``, their
data): the merged plan draws its own overview; the rest of ``maps/`` is per turf."""

_SUMMED = ("households", "stops")


def merge_regions(
    out: Path,
    regions: dict[str, Path],
    *,
    document: dict[str, Any],
    rejected: pd.DataFrame,
    precincts: gpd.GeoDataFrame | None,
) -> dict[str, Any]:
    """Merge the plan folders ``regions`` (region id -> folder) into ``out``; its summary.

    ``document`` holds the whole plan's entries (inputs, the voter file's counts, the
    ``regions`` record); the regions' counts are added to it. ``rejected`` are the rows the
    driver refused (in no region, in a failed region) besides the regions' own.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        folder = PlanFolder(staging)
        summaries = {r: PlanFolder(p).read_summary() for r, p in sorted(regions.items())}
        folders = [PlanFolder(regions[r]) for r in summaries]
        # Cells as text, blanks blank (as the regions' files have them).
        refused = neutralise_frame(rejected).astype(object).where(rejected.notna(), "")
        _concat_csv([f.rejected_path for f in folders], folder.rejected_path,
                    refused.astype(str), sort_by="row")  # fmt: skip
        _concat_csv([f.stops_path for f in folders], folder.stops_path)
        _concat_csv([f.turfs_csv_path for f in folders], folder.turfs_csv_path)
        _concat_csv([f.path / "voter_data.csv" for f in folders], staging / "voter_data.csv")
        _concat_geojson([f.turfs_path for f in folders], folder.turfs_path)
        _concat_geojson([f.routes_path for f in folders], folder.routes_path)
        _concat_gpx([f.gpx_path for f in folders], folder.gpx_path)
        if precincts is not None and len(precincts):
            write_geojson(precincts[["precinct", "geometry"]], folder.precincts_path)
        copy_assets(folder.assets_dir)
        for sub in ("walklists", "maps"):
            (staging / sub).mkdir()
            for region in folders:
                _link_files(region.path / sub, staging / sub)
        model = WalkModel(**document["walk_model"]) if "walk_model" in document else WalkModel()
        _write_overview(folder, folders, precincts, model)
        merged = _summary(document, summaries)
        folder.write_summary(merged)
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return merged


def _concat_csv(
    paths: list[Path], target: Path, first: pd.DataFrame | None = None, sort_by: str = ""
) -> None:
    """The CSVs one after another (cells as text, read and written as they are)."""
    frames = [first] if first is not None else []
    frames += [pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths if p.is_file()]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if sort_by and sort_by in frame.columns:
        frame = frame.iloc[np.argsort(pd.to_numeric(frame[sort_by]).to_numpy(), kind="stable")]
    frame.to_csv(target, index=False)


def _concat_geojson(paths: list[Path], target: Path) -> None:
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    for path in paths:
        layer = json.loads(path.read_text(encoding="utf-8"))
        collection = {**layer, "features": collection["features"] + layer["features"]}
    target.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")


def _concat_gpx(paths: list[Path], target: Path) -> None:
    """One GPX: every region's waypoints, then every region's tracks (GPX wants that order)."""
    ET.register_namespace("", GPX_NS)
    root = ET.Element(f"{{{GPX_NS}}}gpx", version="1.1", creator="Canvass Planner")
    trees = [ET.parse(p).getroot() for p in paths]
    for kind in ("wpt", "trk"):
        for tree in trees:
            root.extend(tree.findall(f"{{{GPX_NS}}}{kind}"))
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)


def _link_files(source: Path, target: Path) -> None:
    """Link (or copy, across file systems) a region's per-turf files into ``target``."""
    if not source.is_dir():
        return
    for path in sorted(source.iterdir()):
        if path.name.startswith(PLAN_WIDE_MAPS) or not path.is_file():
            continue
        try:
            os.link(path, target / path.name)
        except OSError:
            shutil.copy2(path, target / path.name)


class _Outlines:
    """What ``plan_map_data`` reads of a plan: its precinct outlines."""

    def __init__(self, precincts: gpd.GeoDataFrame | None) -> None:
        self.precincts = precincts


def _write_overview(
    folder: PlanFolder,
    regions: list[PlanFolder],
    precincts: gpd.GeoDataFrame | None,
    model: WalkModel,
) -> None:
    """The map of every turf over the regions' streets, and the heatmap page of all regions."""
    turfs = gpd.read_file(folder.turfs_path)
    routes = gpd.read_file(folder.routes_path)
    write_base_map(merged_base_map([r.plan_base_map for r in regions]), folder.plan_base_map)
    data = plan_map_data(_Outlines(precincts), turfs, routes)  # type: ignore[arg-type]
    write_plan_map(data, folder.overview_map_path)
    # A region's heat inputs are kept beside its plan folder (app.services.region_task).
    write_merged_heatmap(folder.heatmap_path, [r.path.parent for r in regions],
                         precincts=precincts, turfs=turfs, model=model)  # fmt: skip


def _add(total: Any, value: Any) -> Any:
    """Counts of two regions added: numbers summed, dicts key by key, the rest kept."""
    if isinstance(value, bool) or isinstance(total, bool):
        return total
    if isinstance(total, int | float) and isinstance(value, int | float):
        return round(total + value, 3)
    if isinstance(total, dict) and isinstance(value, dict):
        return {k: _add(total[k], value[k]) if k in total else value[k] for k in {**total, **value}}
    return total


def _summary(document: dict[str, Any], summaries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The merged ``summary.json``: the driver's entries plus the regions' counts added up."""
    merged = dict(document)
    parts = list(summaries.values())
    # Regions without target voters were not planned: their voters count as accepted.
    idle = [r for r in merged["regions"]["list"] if r["status"] == "no target voters"]
    voters = dict(merged["voters"])
    voters["accepted"] = sum(int(s["voters"]["accepted"]) for s in parts)
    voters["accepted"] += sum(int(r["voters"]) for r in idle)
    voters["rejected"] = int(voters["total"]) - voters["accepted"]
    sources: dict[str, int] = {}
    for counts in [s["voters"].get("source") or {} for s in parts] + [r["source"] for r in idle]:
        for name, count in counts.items():
            sources[name] = sources.get(name, 0) + int(count)
    voters["source"] = sources
    merged["voters"] = voters
    for key in _SUMMED:
        merged[key] = sum(int(s[key]) for s in parts) + sum(int(r[key]) for r in idle)
    target = {"expression": merged.get("target_expression", ""), "voters": 0,
              "households": 0, "stops": 0}  # fmt: skip
    merged.pop("target_expression", None)
    for s in parts:
        for key in ("voters", "households", "stops"):
            target[key] += int(s["target"][key])
    merged["target"] = target
    snap: dict[str, Any] = {"stops": 0, "too_far": 0, "nearest_street_disconnected": 0}
    offsets, examples = [], []
    for s in parts:
        for key in snap:
            snap[key] += int(s["snap"][key])
        offsets.append(float(s["snap"]["median_offset_m"]))
        examples += s["snap"]["nearest_street_disconnected_examples"]
    snap["median_offset_m"] = round(float(np.median(offsets)), 1) if offsets else 0
    snap["median_offset_m_is"] = "the median of the regions' medians"
    snap["nearest_street_disconnected_examples"] = examples[:10]
    merged["snap"] = snap
    merged["recut"] = _sum_dicts([s["recut"] for s in parts])
    merged["street_graph"] = {
        "source": (merged.get("inputs") or {}).get("streets"),
        "nodes": sum(int(s["street_graph"]["nodes"]) for s in parts),
        "edges": sum(int(s["street_graph"]["edges"]) for s in parts),
        "disconnected_edges_dropped": sum(
            int(s["street_graph"]["disconnected_edges_dropped"]) for s in parts
        ),
        "per_region": True,
    }
    merged["segments"] = _sum_dicts([s.get("segments") or {} for s in parts])
    merged["turfs"] = sorted((t for s in parts for t in s["turfs"]), key=lambda t: str(t["turf"]))
    merged["turfs_carried_over"] = sum(int(s.get("turfs_carried_over", 0)) for s in parts)
    for key in ("public_url", "printed_survey", "walk_model", "turf_size"):
        if parts and key in parts[0]:
            merged.setdefault(key, parts[0][key])
    records = {r["region"]: r for r in merged["regions"]["list"]}
    for region, s in summaries.items():
        records[region]["timings_s"] = s.get("timings_s", {})
        records[region]["turfs"] = len(s["turfs"])
        records[region]["voters_accepted"] = int(s["voters"]["accepted"])
        records[region]["street_graph"] = {
            k: s["street_graph"][k] for k in ("nodes", "edges", "crs")
        }
    return merged


def _sum_dicts(parts: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for part in parts:
        total = _add(total, part) if total else json.loads(json.dumps(part))
    return total


def _swap(staging: Path, out: Path) -> None:
    """Put the merged folder at ``out``, the earlier plan there removed once it is in place."""
    if out.exists() or out.is_symlink():
        previous = out.with_name(f".{out.name}.previous")
        shutil.rmtree(previous, ignore_errors=True)
        out.rename(previous)
        staging.rename(out)
        shutil.rmtree(previous, ignore_errors=True)
    else:
        staging.rename(out)
