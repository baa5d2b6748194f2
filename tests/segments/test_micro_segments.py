from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segments._errors import SegmentDataError
from segments.micro_segments import MicroSegments, history_columns, household_profiles


def three_groups(n: int = 90, seed: int = 1) -> pd.DataFrame:
    """Young low-turnout DEM, old high-turnout REP, middle-aged high-support UNA."""
    rng = np.random.default_rng(seed)
    k = n // 3
    frame = pd.DataFrame(
        {
            "age": np.r_[rng.normal(24, 2, k), rng.normal(74, 2, k), rng.normal(48, 2, k)],
            "support_score": np.r_[
                rng.normal(50, 4, k), rng.normal(50, 4, k), rng.normal(90, 3, k)
            ],
            "turnout_score": np.r_[
                rng.normal(15, 4, k), rng.normal(90, 4, k), rng.normal(55, 4, k)
            ],
            "party": ["DEM"] * k + ["rep "] * k + ["UNA"] * k,
        }
    )
    # A shuffled text index: labels must follow the index, not the row order.
    order = rng.permutation(len(frame))
    frame = frame.iloc[order]
    frame.index = pd.Index([f"V{i:04d}" for i in order], name="voter_id")
    return frame


def test_finds_the_groups_and_explains_them_in_words() -> None:
    voters = three_groups()
    model = MicroSegments(k_min=2, k_max=6, random_state=7).fit(voters)
    assert model.n_clusters_ == 3
    assert set(model.silhouette_) == {2, 3, 4, 5, 6}
    assert max(model.silhouette_, key=lambda k: model.silhouette_[k]) == 3
    assert model.labels_.index.equals(voters.index)
    assert model.labels_.name == "segment"
    # Each segment is exactly one of the planted groups.
    planted = voters["party"].str.strip().str.upper()
    assert pd.crosstab(model.labels_, planted).gt(0).sum(axis=1).eq(1).all()
    by_party = {
        planted[model.labels_ == s].iloc[0]: model.profiles_.loc[s, "description"] for s in range(3)
    }
    assert by_party["DEM"].startswith("much younger") or "younger" in by_party["DEM"]
    assert "low turnout" in by_party["DEM"] and "all DEM" in by_party["DEM"]
    assert "older" in by_party["REP"] and "high turnout" in by_party["REP"]
    assert "all REP" in by_party["REP"]
    assert "high support" in by_party["UNA"] and "all UNA" in by_party["UNA"]
    assert model.profiles_["size"].sum() == len(voters)
    assert model.profiles_["share"].sum() == pytest.approx(1.0)
    lines = model.explain()
    assert len(lines) == 3 and lines[0].startswith("30 voters (33%): ")
    assert model.profiles_.loc[0, "party=DEM"] in (0.0, 1.0)


def test_is_deterministic_and_numbers_segments_by_size() -> None:
    voters = pd.concat([three_groups(90, seed=2), three_groups(30, seed=3).iloc[:20]])
    voters.index = pd.RangeIndex(len(voters))
    first = MicroSegments(random_state=3).fit(voters)
    second = MicroSegments(random_state=3).fit(voters)
    pd.testing.assert_series_equal(first.labels_, second.labels_)
    pd.testing.assert_frame_equal(first.profiles_, second.profiles_)
    sizes = first.labels_.value_counts().sort_index()
    assert sizes.is_monotonic_decreasing
    pd.testing.assert_series_equal(first.predict(voters), first.labels_)


def test_k_stays_in_the_range_asked_for() -> None:
    model = MicroSegments(k_min=4, k_max=5).fit(three_groups())
    assert 4 <= model.n_clusters_ <= 5
    assert set(model.silhouette_) == {4, 5}
    with pytest.raises(SegmentDataError, match="k_min"):
        MicroSegments(k_min=1).fit(three_groups())


def test_big_inputs_choose_k_on_a_sample_and_label_every_row() -> None:
    voters = pd.concat([three_groups(3000, seed=s) for s in (4, 5)], ignore_index=True)
    options = {"k_max": 4, "fit_sample": 1000, "silhouette_sample": 300, "n_init": 1}
    model = MicroSegments(**options).fit(voters)  # type: ignore[arg-type]
    again = MicroSegments(**options).fit(voters)  # type: ignore[arg-type]
    assert model.n_clusters_ == 3
    assert model.silhouette_ == again.silhouette_
    pd.testing.assert_series_equal(model.labels_, again.labels_)
    assert len(model.labels_) == 6000
    planted = voters["party"].str.strip()
    assert pd.crosstab(model.labels_, planted).gt(0).sum(axis=1).eq(1).all()


def test_vote_history_columns_become_one_feature() -> None:
    assert history_columns(pd.DataFrame(columns=["General20", "vh_2018g", "voted", "age"])) == [
        "General20",
        "vh_2018g",
    ]
    voters = three_groups(60)
    voted = voters["turnout_score"] > 50
    voters["General20"] = np.where(voted, "Y", "")
    voters["primary_2022"] = np.where(voted, "A", "N")
    model = MicroSegments(numeric=("age",), party_column=None, k_max=3).fit(voters)
    assert "vote_history" in model.feature_names_
    descriptions = " | ".join(model.profiles_["description"])
    assert "frequent voters" in descriptions and "rare voters" in descriptions


def test_empty_and_unsplittable_inputs() -> None:
    empty = MicroSegments().fit(three_groups().iloc[:0])
    assert empty.n_clusters_ == 0 and empty.labels_.empty and empty.profiles_.empty
    same = pd.DataFrame({"age": [40] * 5, "party": ["DEM"] * 5})
    model = MicroSegments().fit(same)
    assert model.n_clusters_ == 1
    assert model.labels_.tolist() == [0] * 5
    assert model.profiles_.loc[0, "description"] == "all DEM"
    assert MicroSegments(party_column=None).fit(same).profiles_.loc[0, "description"] == (
        "close to the average"
    )
    with pytest.raises(SegmentDataError, match="no feature to cluster on"):
        MicroSegments().fit(pd.DataFrame({"name": ["a", "b"]}))


def test_household_profiles_average_voters_and_take_the_common_party() -> None:
    voters = pd.DataFrame(
        {
            "household_id": ["H1", "H1 ", "H1", "H2", None],
            "age": [30, 40, np.nan, 70, 50],
            "support_score": [10, 20, 30, 90, 50],
            "party": ["DEM", "rep", "REP", "UNA", None],
            "voted_2020": [1, 0, 1, 1, 0],
        }
    )
    profiles = household_profiles(voters)
    assert profiles.loc["H1", "age"] == 35
    assert profiles.loc["H1", "support_score"] == 20
    assert profiles.loc["H1", "party"] == "REP"
    assert profiles.loc["H1", "vote_history"] == pytest.approx(2 / 3)
    assert profiles["voters"].tolist() == [1, 3, 1]
    assert profiles.index.tolist() == ["(no household: row 4)", "H1", "H2"]
    assert profiles.loc["(no household: row 4)", "party"] == "(none)"
    # The profiles cluster like voters do.
    assert MicroSegments(k_max=2).fit(profiles).labels_.index.equals(profiles.index)
