from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from segments import engagement
from segments.door_results import (
    CONTACT_CODES,
    DOOR_RESULTS,
    PER_PERSON_CODES,
    REKNOCK_CODES,
    RESULT_CODES,
    SUPPORTING_CODES,
    DoorResult,
    by_code,
)

SUPPORTERS = ("supporter_1", "supporter_2", "supporter_3", "supporter_4", "supporter_5")


def test_codes_are_the_stored_ones_in_the_order_shown() -> None:
    # Stored with every result and sent by phones in the field: renaming one orphans data.
    assert (
        "not_home",
        "refused",
        "moved",
        *SUPPORTERS,
        "come_back",
        "inaccessible",
        "vacant",
        "deceased",
        "language_barrier",
        "hostile",
        "do_not_contact",
    ) == RESULT_CODES
    assert tuple(result.code for result in DOOR_RESULTS) == RESULT_CODES


def test_codes_and_labels_are_unique() -> None:
    assert len(set(RESULT_CODES)) == len(DOOR_RESULTS)
    assert len({result.label for result in DOOR_RESULTS}) == len(DOOR_RESULTS)


def test_labels_are_what_the_phone_shows() -> None:
    assert [(result.code, result.label) for result in DOOR_RESULTS] == [
        ("not_home", "Not home"),
        ("refused", "Refused"),
        ("moved", "Moved"),
        ("supporter_1", "Supporter 1"),
        ("supporter_2", "Supporter 2"),
        ("supporter_3", "Supporter 3"),
        ("supporter_4", "Supporter 4"),
        ("supporter_5", "Supporter 5"),
        ("come_back", "Come back"),
        ("inaccessible", "Inaccessible"),
        ("vacant", "Vacant / wrong address"),
        ("deceased", "Deceased"),
        ("language_barrier", "Language barrier"),
        ("hostile", "Hostile"),
        ("do_not_contact", "Do not contact"),
    ]


def test_minivan_result_names() -> None:
    assert {result.code: result.van_result for result in DOOR_RESULTS} == {
        "not_home": "Not Home",
        "refused": "Refused",
        "moved": "Moved",
        "come_back": "Come Back",
        "inaccessible": "Inaccessible",
        "vacant": "Wrong Address",
        "deceased": "Deceased",
        "language_barrier": "Language Barrier",
        "hostile": "Hostile",
        "do_not_contact": "Refused",
        # A supporter ID is a contact made; MiniVAN takes the ID separately.
        **{code: "Canvassed" for code in SUPPORTERS},
    }


def test_contact_means_someone_answered() -> None:
    assert frozenset({"refused", *SUPPORTERS, "hostile", "do_not_contact"}) == CONTACT_CODES
    assert {result.code for result in DOOR_RESULTS if result.contact} == CONTACT_CODES
    for code in ("not_home", "moved", "come_back", "inaccessible", "vacant", "deceased"):
        assert not by_code(code).contact


def test_support_defaults_to_the_two_strongest_ids() -> None:
    assert SUPPORTING_CODES == ("supporter_1", "supporter_2")
    assert set(SUPPORTING_CODES) <= CONTACT_CODES  # support is only ever said at an open door


def test_by_code_finds_every_result_and_rejects_others() -> None:
    for result in DOOR_RESULTS:
        assert by_code(result.code) is result
    assert by_code("refused") == DoorResult("refused", "Refused", "Refused", True, False)
    for unknown in ("Not home", "supporter 1", "", "canvassed"):
        with pytest.raises(KeyError, match="unknown door result"):
            by_code(unknown)


def test_results_cannot_be_changed() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        by_code("moved").contact = True  # type: ignore[misc]


def test_engagement_uses_the_registry() -> None:
    assert engagement.RESULT_CODES == RESULT_CODES
    assert engagement.CONTACT_CODES == CONTACT_CODES
    assert engagement.SUPPORTING_CODES == SUPPORTING_CODES
    assert {"RESULT_CODES", "CONTACT_CODES", "SUPPORTING_CODES"} <= set(engagement.__all__)


def test_engagement_counts_contact_and_support_as_the_registry_says() -> None:
    # One door per result code: each door's contacted/supporting flag is the code's.
    results = pd.DataFrame(
        {"household_id": [f"H{i}" for i in range(len(DOOR_RESULTS))], "result": RESULT_CODES}
    )
    doors = engagement.door_results(results)
    assert doors["last_result"].tolist() == list(RESULT_CODES)
    assert doors["contacted"].tolist() == [result.contact for result in DOOR_RESULTS]
    assert doors["supporting"].tolist() == [result.supporting for result in DOOR_RESULTS]
    totals = engagement.engagement_totals(
        pd.DataFrame({"household_id": doors.index}), results, target=None
    )
    assert totals["doors_contacted"] == len(CONTACT_CODES)
    assert totals["doors_supporting"] == len(SUPPORTING_CODES)


def test_only_unreached_doors_stay_open_for_another_pass() -> None:
    assert {"not_home", "come_back"} == REKNOCK_CODES
    # A person who answered, moved away or died is never knocked again.
    assert not REKNOCK_CODES & CONTACT_CODES


def test_a_persons_results_are_recorded_for_that_person_and_door_results_for_the_door() -> None:
    assert {*SUPPORTERS, "deceased", "do_not_contact"} == PER_PERSON_CODES
    # Nobody home, come back, vacant: about the door, never one person.
    for code in ("not_home", "come_back", "vacant", "moved", "refused", "language_barrier"):
        assert not by_code(code).per_person
    assert [r.code for r in DOOR_RESULTS if r.asks_language] == ["language_barrier"]


def test_engagement_counts_doors_open_for_another_pass_by_their_latest_result() -> None:
    results = pd.DataFrame(
        {
            "household_id": ["A", "A", "B", "C", "D", "D", "E"],
            "result": [
                "not_home",
                "supporter_1",
                "come_back",
                "deceased",
                "refused",
                "not_home",
                "language_barrier",
            ],
            "timestamp": [
                "2026-11-01T10:00Z",
                "2026-11-02T10:00Z",
                "2026-11-01T10:00Z",
                "2026-11-01T10:00Z",
                "2026-11-01T10:00Z",
                "2026-11-02T10:00Z",
                "2026-11-01T10:00Z",
            ],
        }
    )
    doors = engagement.door_results(results)
    # A answered on the second pass; D was talked to, then found not home: still open.
    assert doors["reknock"].to_dict() == {"A": False, "B": True, "C": False, "D": True, "E": False}
    voters = pd.DataFrame({"household_id": ["A", "B", "C", "D", "E", "F"], "precinct": "P1"})
    totals = engagement.engagement_totals(voters, results, target=None)
    assert (totals["doors_knocked"], totals["doors_reknock"]) == (5, 2)
    table = engagement.engagement_by_precinct(voters, results, target=None)
    assert int(table.loc["P1", "doors_reknock"]) == 2
