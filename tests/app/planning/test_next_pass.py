"""The next pass: from recorded results, a plan of the doors still worth knocking."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from app.cli import main
from app.planning.next_pass import read_results
from geo._errors import InputError
from tests.app.conftest import BuiltPlan

HEADER = "Voter File VANID\tContact Name\tDate Canvassed\tResult\tContact Type\n"


def _voters(demo_plan: BuiltPlan, folder: Path) -> Path:
    voters = pd.read_csv(demo_plan.inputs.voters, dtype=str, keep_default_na=False)
    path = folder / "voters.csv"
    voters.sort_values(["street", "house_number"]).head(300).to_csv(path, index=False)
    return path


def test_results_files_in_both_layouts_give_attempts_and_last_result(tmp_path: Path) -> None:
    ours = tmp_path / "results.tsv"
    ours.write_text(
        HEADER
        + "V1\tA, B\t11/02/2026\tNot Home\tWalk\n"
        + "V1\tA, B\t11/09/2026\tCome Back\tWalk\n"
        + "V2\tC, D\t11/02/2026\tCanvassed\tWalk\n"
        + "V1\tA, B\t11/01/2026\tNot Home\tWalk\n",
        encoding="utf-8",
    )
    history = read_results(ours)
    assert history.attempts.to_dict() == {"V1": 3, "V2": 1}
    assert history.last_result.to_dict() == {"V1": "come_back", "V2": "canvassed"}
    assert history.passes == 3
    codes = tmp_path / "minivan.csv"
    codes.write_text("VANID,Result\nV3,not_home\nV3,Moved\n", encoding="utf-8")
    assert read_results(codes).last_result.to_dict() == {"V3": "moved"}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (HEADER + "V1\tA\t11/02/2026\tMaybe\tWalk\n", "row 2, column 'Result'"),
        (HEADER + "V1\tA\t11/02/2026\tNot Home\tWalk\nV2\tA\tyesterday\tNot Home\tWalk\n",
         "row 3, column 'Date Canvassed'"),
        (HEADER + "\tA\t11/02/2026\tNot Home\tWalk\n", "row 2, column 'Voter File VANID'"),
        ("Name\tOutcome\nA\tNot Home\n", "row 1"),
    ],
)  # fmt: skip
def test_bad_results_files_name_the_file_row_and_column(
    tmp_path: Path, text: str, where: str
) -> None:
    path = tmp_path / "results.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_results(path)
    assert str(caught.value).startswith(f"{path}, {where}: ")


def test_the_next_pass_leaves_out_closed_doors_and_keeps_open_ones(
    demo_plan: BuiltPlan, tmp_path: Path
) -> None:
    voters = _voters(demo_plan, tmp_path)
    streets = ["--voters", str(voters), "--streets", str(demo_plan.inputs.streets),
               "--turf-doors", "20"]  # fmt: skip
    assert main(["plan", *streets, "--out", str(tmp_path / "first")]) == 0
    # Voters 40 apart live in different households (the file holds buildings in order).
    rejected = set(pd.read_csv(tmp_path / "first" / "rejected.csv", dtype=str)["voter_id"])
    voter_ids = [v for v in pd.read_csv(voters, dtype=str)["voter_id"] if v not in rejected]
    results = {voter_ids[0]: "Not Home", voter_ids[40]: "Canvassed", voter_ids[80]: "Refused",
               voter_ids[120]: "Come Back", voter_ids[160]: "Deceased"}  # fmt: skip
    path = tmp_path / "results.tsv"
    path.write_text(
        HEADER + "".join(f"{v}\tX\t11/02/2026\t{r}\tWalk\n" for v, r in results.items()),
        encoding="utf-8",
    )
    out = tmp_path / "second"
    assert main(["plan", *streets, "--results", str(path), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert all(t["turf"].endswith("-p2") for t in summary["turfs"])
    first_summary = json.loads((tmp_path / "first" / "summary.json").read_text(encoding="utf-8"))
    # Canvassed, refused and deceased close three doors; not home and come back stay open.
    assert summary["target"]["households"] == first_summary["target"]["households"] - 3

    reknock = tmp_path / "reknock"
    target = "attempts < 3 and last_result in (not_home, come_back)"
    assert main(["plan", *streets, "--results", str(path), "--target", target,
                 "--out", str(reknock)]) == 0  # fmt: skip
    chosen = json.loads((reknock / "summary.json").read_text(encoding="utf-8"))["target"]
    assert chosen["households"] == 2
