"""Careless commands and hopeless files: nothing of the user's is destroyed, errors say why."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from app.cli import main
from tests.app.conftest import BuiltPlan


def _voters(demo_plan: BuiltPlan, folder: Path, rows: int = 60) -> pd.DataFrame:
    voters = pd.read_csv(demo_plan.inputs.voters, dtype=str, keep_default_na=False)
    return voters.loc[voters["latitude"] != ""].sort_values(["street", "house_number"]).head(rows)


def _plan(demo_plan: BuiltPlan, voters: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "plan", "--voters", str(voters), "--streets", str(demo_plan.inputs.streets),
            "--out", str(out), *extra,
        ]
    )  # fmt: skip


@pytest.fixture
def voter_file(demo_plan: BuiltPlan, tmp_path: Path) -> Path:
    path = tmp_path / "voters.csv"
    _voters(demo_plan, tmp_path).to_csv(path, index=False)
    return path


def test_out_refuses_a_folder_that_is_not_a_plan(
    demo_plan: BuiltPlan, voter_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.docx").write_bytes(b"years of work")
    assert _plan(demo_plan, voter_file, mine) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "holds no plan" in err and "--force" in err
    assert (mine / "chapter1.docx").read_bytes() == b"years of work"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    # Asked for explicitly, it is replaced by the plan.
    assert _plan(demo_plan, voter_file, mine, "--force") == 0
    assert (mine / "summary.json").is_file() and not (mine / "chapter1.docx").exists()


def test_out_refuses_a_file(
    demo_plan: BuiltPlan, voter_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me", encoding="utf-8")
    assert _plan(demo_plan, voter_file, notes) == 2
    assert "is a file" in capsys.readouterr().err
    assert notes.read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / ".notes.txt.previous").exists()


def test_out_replaces_an_earlier_plan(
    demo_plan: BuiltPlan, voter_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    assert _plan(demo_plan, voter_file, out) == 0
    (out / "summary.json").write_text(json.dumps({"turfs": []}), encoding="utf-8")
    assert _plan(demo_plan, voter_file, out, "--fresh") == 0
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["turfs"]


def test_a_header_only_file_says_it_has_no_rows(
    demo_plan: BuiltPlan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header_only = tmp_path / "header_only.csv"
    _voters(demo_plan, tmp_path).head(0).to_csv(header_only, index=False)
    assert _plan(demo_plan, header_only, tmp_path / "plan") == 2
    err = capsys.readouterr().err
    assert "header_only.csv" in err and "no data rows" in err and "Traceback" not in err
    assert not (tmp_path / "plan").exists()


def test_garbage_coordinates_say_why_every_row_was_refused(
    demo_plan: BuiltPlan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    voters = _voters(demo_plan, tmp_path)
    voters["latitude"], voters["longitude"] = "north", "east"
    voters["street"], voters["house_number"] = "", ""  # nothing to geocode either
    garbage = tmp_path / "garbage.csv"
    voters.to_csv(garbage, index=False)
    assert _plan(demo_plan, garbage, tmp_path / "plan") == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "garbage.csv" in err and f"all {len(voters)} rows were rejected" in err
    assert f"{len(voters)} ×" in err  # the reason, counted


def test_streets_that_miss_the_voters_say_where_each_lies(
    demo_plan: BuiltPlan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    voters = _voters(demo_plan, tmp_path)
    # The same doors moved 400 km north: the Helsinki extract has no street near them.
    voters["latitude"] = (voters["latitude"].astype(float) + 3.6).round(7).astype(str)
    elsewhere = tmp_path / "elsewhere.csv"
    voters.to_csv(elsewhere, index=False)
    assert _plan(demo_plan, elsewhere, tmp_path / "plan") == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "does not cover the voters" in err
    assert "lat 63.7" in err and "lat 60.1" in err  # both extents
    assert not (tmp_path / "plan").exists()
