"""The walk-list field choice and the keys people are known by (no plan run needed)."""

from __future__ import annotations

from typing import get_args

import pandas as pd
import pytest

from app.privacy.fields import FIELD_CHOICES, minimal_rows, walklist_fields
from app.privacy.keys import PrivacyKeys, hash_key, key_texts
from app.web.routers.planner import WalklistField
from geo._errors import InputError


def test_the_api_offers_exactly_the_fields_the_writer_knows() -> None:
    assert get_args(WalklistField) == FIELD_CHOICES


def test_an_unknown_field_is_named_with_the_choices() -> None:
    assert walklist_fields(["name,party", "name"]) == ("name", "party")
    with pytest.raises(InputError, match="'ssn' is not one of name, age_band"):
        walklist_fields(["name", "ssn"])


def test_fields_not_chosen_are_blank_and_age_becomes_a_band() -> None:
    rows = pd.DataFrame(
        {"first_name": ["Ann"], "last_name": ["Lee"], "age": pd.array([47], dtype="Int64"),
         "party": ["DEM"], "support_score": pd.array([80], dtype="Int64"),
         "turnout_score": pd.array([20], dtype="Int64")}
    )  # fmt: skip
    out = minimal_rows(rows, None)
    assert out.iloc[0].tolist() == ["Ann", "Lee", "40-49", None, None, None]
    assert minimal_rows(rows, ("party",)).iloc[0].tolist() == [None, None, None, "DEM", None, None]


def test_a_person_is_the_same_however_their_address_is_spelled() -> None:
    frame = pd.DataFrame(
        {
            "voter_id": ["", ""],
            "first_name": ["ann", "ANN "],
            "last_name": ["O'Lee", "o lee"],
            "address": ["1204 N High St Apt 3", "1204 North High Street #3"],
            "unit": ["", ""],
        }
    )
    texts = key_texts(frame)
    assert texts["person"][0] == texts["person"][1] != ""
    assert texts["door"][0] == texts["door"][1] != ""
    assert (texts["voter"] == "").all()


def test_an_erasure_does_not_hide_the_housemates() -> None:
    voters = pd.DataFrame(
        {"voter_id": ["A", "B"], "first_name": ["Ann", "Bo"], "last_name": ["Lee", "Lee"],
         "house_number": ["5", "5"], "street": ["Main St", "Main St"], "unit": ["", ""]}
    )  # fmt: skip
    door = key_texts(voters)["door"][0]
    erased = PrivacyKeys(salt="s", erased=frozenset({hash_key("s", "id:A"), hash_key("s", door)}))
    assert erased.kinds(voters).tolist() == ["erased", ""]
    opted_out = PrivacyKeys(salt="s", do_not_contact=frozenset({hash_key("s", door)}))
    assert opted_out.kinds(voters).tolist() == ["do_not_contact", "do_not_contact"]
    # Another salt: the same keys mean no one.
    assert PrivacyKeys(salt="t", do_not_contact=opted_out.do_not_contact).kinds(
        voters
    ).tolist() == ["", ""]
