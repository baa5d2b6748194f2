"""The `canvass` command as a user runs it: outputs on success, clear errors on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from app.cli import main
from geo.sample import demo_osm_path
from tests.app.conftest import BuiltPlan


def _small_voter_file(demo_plan: BuiltPlan, folder: Path, rows: int = 400) -> Path:
    voters = pd.read_csv(demo_plan.inputs.voters, dtype=str, keep_default_na=False)
    # Whole buildings from one corner of the map, so the plan is small but real.
    voters = voters.sort_values(["street", "house_number"]).head(rows)
    path = folder / "voters.csv"
    voters.to_csv(path, index=False)
    return path


def test_plan_by_doors_with_a_start_point(
    demo_plan: BuiltPlan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    voters = _small_voter_file(demo_plan, tmp_path)
    out = tmp_path / "plan"
    code = main(
        [
            "plan", "--voters", str(voters), "--precincts", str(demo_plan.inputs.precincts),
            "--streets", str(demo_plan.inputs.streets), "--target", "age >= 30",
            "--turf-doors", "25", "--start", "60.1699,24.9384", "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["turf_size"] == {"doors": 25}
    assert summary["voters"]["total"] == 400
    assert summary["voters"]["accepted"] + summary["voters"]["rejected"] == 400
    doors = [t["doors"] for t in summary["turfs"]]
    assert sum(doors) == summary["target"]["households"]
    # Turfs are cut near the door target (stops are never split, so not exactly).
    assert sum(doors) / len(doors) == pytest.approx(25, rel=0.35)
    assert "Outputs:" in capsys.readouterr().err


def test_plan_reports_a_bad_target_expression(
    demo_plan: BuiltPlan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    voters = _small_voter_file(demo_plan, tmp_path, rows=50)
    out = tmp_path / "plan"
    code = main(
        [
            "plan", "--voters", str(voters), "--streets", str(demo_plan.inputs.streets),
            "--target", "partyy = DEM", "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "partyy" in err and "party" in err
    assert not out.exists()  # nothing half-written


def test_plan_names_the_file_when_coordinates_are_missing(
    demo_plan: BuiltPlan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    voters = tmp_path / "no-coordinates.csv"
    voters.write_text("voter_id,last_name\n1,Smith\n", encoding="utf-8")
    code = main(
        ["plan", "--voters", str(voters), "--streets", str(demo_plan.inputs.streets),
         "--out", str(tmp_path / "out")]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "no-coordinates.csv" in err and "latitude" in err


def test_failed_replan_keeps_the_previous_plan(demo_plan: BuiltPlan, tmp_path: Path) -> None:
    voters = _small_voter_file(demo_plan, tmp_path, rows=60)
    out = tmp_path / "plan"
    args = ["plan", "--voters", str(voters), "--streets", str(demo_plan.inputs.streets),
            "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    before = (out / "summary.json").read_text(encoding="utf-8")
    assert main([*args[:-2], "--target", "age >>= 3", "--out", str(out)]) == 2
    assert (out / "summary.json").read_text(encoding="utf-8") == before


def _stops_csv(demo_plan: BuiltPlan, path: Path, count: int) -> pd.DataFrame:
    stops = demo_plan.plan.stops.head(count)
    frame = pd.DataFrame({"id": stops["stop_id"], "lat": stops.geometry.y, "lon": stops.geometry.x})
    frame.to_csv(path, index=False)
    return frame


def test_route_orders_a_stops_file(demo_plan: BuiltPlan, tmp_path: Path) -> None:
    stops = _stops_csv(demo_plan, tmp_path / "stops.csv", 15)
    out = tmp_path / "route.json"
    code = main(
        ["route", "--streets", str(demo_plan.inputs.streets), "--stops",
         str(tmp_path / "stops.csv"), "--start", "60.1675,24.9430", "--loop", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(result["order"]) == sorted(stops["id"])
    assert result["walk_m"] > 0 and result["minutes"] > result["walk_m"] / 1.2 / 60
    line = result["geometry"]["coordinates"]
    assert result["geometry"]["type"] == "LineString" and len(line) > len(stops)
    # A loop from the start point comes back to it.
    assert line[0] == pytest.approx(line[-1], abs=1e-6)


def test_route_rejects_bad_stop_files(
    demo_plan: BuiltPlan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    streets = str(demo_plan.inputs.streets)
    missing = tmp_path / "missing-lon.csv"
    missing.write_text("id,lat\na,60.17\n", encoding="utf-8")
    assert main(["route", "--streets", streets, "--stops", str(missing), "--out",
                 str(tmp_path / "r.json")]) == 2  # fmt: skip
    assert "lon" in capsys.readouterr().err
    faraway = tmp_path / "faraway.csv"
    faraway.write_text("id,lat,lon\na,60.17,24.94\nb,33.75,-84.39\n", encoding="utf-8")
    assert main(["route", "--streets", streets, "--stops", str(faraway), "--out",
                 str(tmp_path / "r.json")]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "more than" in err and "'b'" in err
    blank = tmp_path / "blank.csv"
    blank.write_text("id,lat,lon\na,60.17,24.94\nb,,24.95\n", encoding="utf-8")
    assert main(["route", "--streets", streets, "--stops", str(blank), "--out",
                 str(tmp_path / "r.json")]) == 2  # fmt: skip
    assert "row 2" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_demo_command_builds_the_plan_without_serving(tmp_path: Path) -> None:
    out = tmp_path / "workspace" / "demo"
    assert main(["demo", "--no-serve", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["voters"]["total"] > 5000
    assert len(summary["turfs"]) == len(list((out / "walklists").glob("*.html")))


def _turf_stops(out: Path) -> dict[str, list[str]]:
    stops = pd.read_csv(out / "stops.csv", dtype=str)
    return {t: list(g["stop_id"]) for t, g in stops.groupby("turf")}


def test_a_recut_keeps_the_turfs_a_small_change_does_not_touch(
    demo_plan: BuiltPlan, tmp_path: Path
) -> None:
    voters = _small_voter_file(demo_plan, tmp_path, rows=1200)
    out = tmp_path / "plan"
    inputs = demo_plan.inputs
    base = ["plan", "--voters", str(voters), "--precincts", str(inputs.precincts),
            "--streets", str(inputs.streets), "--turf-doors", "30", "--out", str(out)]  # fmt: skip
    assert main([*base, "--target", "age >= 30"]) == 0
    before = _turf_stops(out)
    assert len(before) >= 4
    # Same inputs again: every turf is kept as it was.
    assert main([*base, "--target", "age >= 30"]) == 0
    assert _turf_stops(out) == before
    # Drop one street from the target: only the turfs holding it are cut again.
    targeted = pd.read_csv(voters, dtype=str).query("age.astype('int') >= 30")
    street = targeted["street"].value_counts().index[-1]
    address = pd.read_csv(out / "stops.csv", dtype=str).set_index("stop_id")["address"]
    touched = {t for t, ids in before.items() if address.loc[ids].str.endswith(street).any()}
    assert touched
    assert main([*base, "--target", f'age >= 30 and not (street = "{street}")']) == 0
    after = _turf_stops(out)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["recut"]["kept_turfs"] == len(before) - len(touched)
    for turf_id, ids in before.items():
        if turf_id not in touched:
            assert after[turf_id] == ids
    # --fresh cuts everything anew.
    assert main([*base, "--target", "age >= 30", "--fresh"]) == 0
    fresh = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert fresh["recut"]["kept_turfs"] == 0


def test_plan_holds_zipped_voter_files_to_the_configured_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    voters = tmp_path / "voters.zip"
    with zipfile.ZipFile(voters, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("voters.csv", "voter_id,latitude,longitude\n" + "1,60.17,24.94\n" * 200)
    monkeypatch.setenv("CANVASS_MAX_ARCHIVE_BYTES", "1000")
    code = main(
        ["plan", "--voters", str(voters), "--streets", str(demo_osm_path()),
         "--out", str(tmp_path / "out")]
    )  # fmt: skip
    assert code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "voters.zip!voters.csv: unpacks to 2.8 kB, over the limit of 1.0 kB" in err


def test_printed_walk_lists_carry_no_link_whatever_the_public_url(
    demo_plan: BuiltPlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plan's own walk lists are for anyone who picks them up: no link into the voters'
    # data (a print for an assignment, made by the server, carries its volunteer's link).
    voters = _small_voter_file(demo_plan, tmp_path, rows=120)
    out = tmp_path / "plan"
    args = ["plan", "--voters", str(voters), "--streets", str(demo_plan.inputs.streets),
            "--turf-doors", "20", "--out", str(out)]  # fmt: skip
    monkeypatch.setenv("CANVASS_PUBLIC_URL", "https://canvass.example.org")
    assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["public_url"] == "https://canvass.example.org"
    for page in (out / "walklists").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "canvass.example.org" not in text and "127.0.0.1" not in text
        assert "ask your organiser for your volunteer link" in text


def test_plan_prints_on_the_paper_asked_for_with_the_workspaces_survey(
    demo_plan: BuiltPlan, tmp_path: Path
) -> None:
    from pypdf import PdfReader

    from app.services.survey import DEMO_SURVEY, SurveyStore

    SurveyStore(tmp_path).save(DEMO_SURVEY)  # the survey of the workspace the plan goes into
    voters = _small_voter_file(demo_plan, tmp_path, rows=120)
    out = tmp_path / "plan"
    args = ["plan", "--voters", str(voters), "--streets", str(demo_plan.inputs.streets),
            "--turf-doors", "20", "--out", str(out)]  # fmt: skip
    assert main([*args, "--paper", "letter"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["paper"] == {
        "size": "Letter",
        "requested": "Letter",
        "reason": "chosen by the organiser",
    }
    assert summary["printed_survey"][0]["text"] == DEMO_SURVEY.questions[0].text
    pdf = next((out / "walklists").glob("*.pdf"))
    box = PdfReader(pdf).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    page = pdf.with_suffix(".html").read_text(encoding="utf-8")
    assert "@page { size: letter; }" in page and DEMO_SURVEY.questions[1].text in page
    # Another paper: every printed list is made again, on A4 (Helsinki's data would say A4).
    assert main([*args, "--paper", "A4"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["paper"]["size"] == "A4" and summary["turfs_carried_over"] == 0
    box = PdfReader(pdf).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert main([*args, "--paper", "auto"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["paper"]["requested"] is None and summary["paper"]["size"] == "A4"


def test_help_answers_without_loading_the_pipeline() -> None:
    # `canvass --help` must answer at once: no geodata, routing or cluster library is loaded.
    script = (
        "import sys\n"
        "sys.argv = ['canvass', '--help']\n"
        "from app.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "Plan door-to-door canvassing" in done.stdout
    loaded = set(done.stderr.split())
    heavy = {"numpy", "pandas", "geopandas", "shapely", "sklearn", "numba", "networkx"}
    assert loaded & (heavy | {"osmnx", "fpdf", "distributed", "fastapi", "sqlalchemy"}) == set()
