"""The app's own file readers refuse damaged and mistaken files clearly, naming the file.

The survey file (``app.services.survey``) and the stops file of ``canvass route``
(``app.services.route_file.read_stops``) get the seeded cases of ``tests.fuzz``.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from app.services.route_file import read_stops
from app.services.survey import DEMO_SURVEY, SurveyError, SurveyStore
from geo._errors import InputError
from tests.fuzz import leaks

SEED = 20_251_205
STOPS = "id,lat,lon,doors\n" + "".join(
    f"s{i},{60.17 + i / 1000:.4f},{24.94 + i / 1000:.4f},{1 + i % 3}\n" for i in range(10)
)


def _read_survey(path: Path) -> None:
    store = SurveyStore(path.parent)
    store.path = path  # the workspace's survey file, wherever the case was written
    store.load()


def test_survey_file_refuses_bad_files_clearly(tmp_path: Path) -> None:
    real = json.dumps(DEMO_SURVEY.model_dump()).encode()
    (tmp_path / "real.json").write_bytes(real)
    _read_survey(tmp_path / "real.json")
    problems = leaks(_read_survey, tmp_path, ".json", real, clear=(SurveyError,), seed=SEED)
    assert problems == []


@pytest.mark.parametrize("suffix", [".csv", ".zip"])
def test_stops_file_refuses_bad_files_clearly(tmp_path: Path, suffix: str) -> None:
    real = STOPS.encode()
    if suffix == ".zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("stops.csv", real)
        real = buffer.getvalue()
    (tmp_path / f"real{suffix}").write_bytes(real)
    assert len(read_stops(tmp_path / f"real{suffix}")) == 10
    problems = leaks(read_stops, tmp_path, suffix, real, clear=(InputError,), seed=SEED + 1)
    assert problems == []


@pytest.mark.parametrize("doors", ["inf", "-3", "1e300"])
def test_a_stop_with_an_impossible_door_count_is_refused(tmp_path: Path, doors: str) -> None:
    path = tmp_path / "stops.csv"
    path.write_text(f"id,lat,lon,doors\na,60.17,24.94,2\nb,60.18,24.95,{doors}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"stops\.csv, row 2, column 'doors'"):
        read_stops(path)
