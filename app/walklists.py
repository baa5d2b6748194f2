"""Walk lists: a turf's stops in walking order with their households and voters."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from geo.households import natural_key

if TYPE_CHECKING:
    from app.pipeline import Plan, Turf

RESPONSE_CODES = (
    "Not home",
    "Refused",
    "Moved",
    "Supporter 1",
    "2",
    "3",
    "4",
    "5",
    "Come back",
    "Inaccessible",
)
VOTER_FIELDS = (
    "voter_id",
    "last_name",
    "first_name",
    "age",
    "party",
    "support_score",
    "turnout_score",
)

_templates = Environment(
    loader=PackageLoader("app", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def walklist_rows(plan: Plan, turf: Turf) -> pd.DataFrame:
    """One row per target voter of ``turf``, in walking order, units in natural order."""
    stops = plan.stops.loc[turf.route.stops, ["stop_id", "address", "sequence", "leg_m"]]
    voters = plan.voters.loc[plan.voters["target"] & (plan.voters["turf"] == turf.turf_id)]
    rows = voters.drop(columns=["sequence"]).merge(stops, on="stop_id", how="inner")
    rows["unit_order"] = rows["unit"].map(natural_key)
    rows = rows.sort_values(
        ["sequence", "unit_order", "last_name", "first_name", "voter_id"], kind="stable"
    )
    lonlat = rows.geometry
    out = pd.DataFrame(
        {
            "turf": turf.turf_id,
            "sequence": rows["sequence"].astype(int),
            "stop_id": rows["stop_id"],
            "address": rows["address"],
            "unit": rows["unit"],
            "household_id": rows["household_id"],
            **{f: rows[f] for f in VOTER_FIELDS},
            "precinct": rows["precinct"],
            "lat": lonlat.y.round(7),
            "lon": lonlat.x.round(7),
            "result": "",
            "notes": "",
        }
    )
    for column in ("age", "support_score", "turnout_score"):
        out[column] = out[column].astype("Int64")
    return out.reset_index(drop=True)


def walklist_context(plan: Plan, turf: Turf, rows: pd.DataFrame) -> dict[str, object]:
    """What the walk list template shows: stops, each with its households and voters."""
    stops = []
    legs = dict(zip(plan.stops["stop_id"], plan.stops["leg_m"], strict=True))
    records = rows.astype(object).where(rows.notna(), None).to_dict(orient="records")
    # rows are already in walking order, units in natural order within a stop.
    for sequence, at_stop in itertools.groupby(records, key=lambda r: r["sequence"]):
        voters = list(at_stop)
        households = [
            {"unit": group[0]["unit"], "voters": group}
            for group in (
                list(g) for _, g in itertools.groupby(voters, key=lambda r: r["household_id"])
            )
        ]
        stops.append(
            {
                "sequence": int(sequence),
                "address": voters[0]["address"],
                "doors": len(households),
                "leg_m": round(float(legs[voters[0]["stop_id"]])),
                "households": households,
            }
        )
    return {
        "turf": turf,
        "stops": stops,
        "doors": sum(s["doors"] for s in stops),
        "voters": len(rows),
        "walk_km": turf.route.walk_m / 1000,
        "minutes": turf.route.minutes,
        "codes": RESPONSE_CODES,
        "today": date.today().isoformat(),
        "target": plan.request.target or "all voters",
    }


def write_walklist_html(plan: Plan, turf: Turf, rows: pd.DataFrame, path: Path) -> None:
    """Render the printable walk list of ``turf`` to ``path``."""
    html = _templates.get_template("walklist.html").render(**walklist_context(plan, turf, rows))
    path.write_text(html, encoding="utf-8")


def render_page(template: str, **context: object) -> str:
    """Render one of the app's page templates."""
    return _templates.get_template(template).render(**context)
