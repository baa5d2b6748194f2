"""Micro-segments of voters (or households): who they are, in a handful of groups.

`MicroSegments` groups people by who they are: age, party, support and turnout scores and vote
history, standardised, clustered with k-means with the number of clusters chosen by silhouette,
and each cluster described in words ("older, high turnout, low support, mostly DEM").
`household_profiles` turns a voter file into one row per household to cluster doors instead.

`MicroSegments` is a scikit-learn style estimator: parameters in ``__init__``, ``fit`` sets
``labels_`` (a Series keyed to the input's index) and the results are the same on every run.
Its counterpart for places is `segments.hot_spots.HotSpots`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from segments._data import FloatArray, group_codes, group_names, require_columns, stripped_codes
from segments._errors import SegmentDataError

__all__ = ["MicroSegments", "history_columns", "household_profiles"]

# Column names that hold vote history: "voted_2020", "vh_2018g", "General20", "primary_2022".
_HISTORY_NAME = re.compile(
    r"^(voted|vh)[_ ]?\w+$|^(general|primary|municipal|runoff|special|gen|pri)[_ ]?(19|20)?\d\d$",
    re.IGNORECASE,
)
# Text in a vote history column that means "did not vote"; anything else non-blank is a vote
# (VAN and state files mark a vote with a method code such as Y, A, E or P).
_DID_NOT_VOTE = frozenset({"n", "no", "0", "0.0", "false", "f", "none", "nan"})
HISTORY_FEATURE = "vote_history"
OTHER_PARTY = "OTHER"
NO_PARTY = "(none)"
# Words for features above/below the mean, and the intensifier used from 1.25 SD.
_WORDS: dict[str, tuple[str, str, str]] = {
    "age": ("older", "younger", "much"),
    "support_score": ("high support", "low support", "very"),
    "turnout_score": ("high turnout", "low turnout", "very"),
    HISTORY_FEATURE: ("frequent voters", "rare voters", "very"),
}


def history_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of `frame` whose names look like vote history (e.g. ``General20``, ``voted_2022``).

    Examples
    --------
    >>> history_columns(pd.DataFrame(columns=["age", "General20", "voted_2022", "vh_2018g"]))
    ['General20', 'voted_2022', 'vh_2018g']
    """
    return [str(c) for c in frame.columns if _HISTORY_NAME.match(str(c).strip())]


def _voted(column: pd.Series) -> FloatArray:
    """1.0 where a vote history column records a vote, 0.0 where it does not."""
    if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=0.0)
        return (values > 0).astype(np.float64)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    text = pd.Series(uniques).astype(str).str.strip().str.casefold()
    voted = ((text != "") & ~text.isin(_DID_NOT_VOTE)).to_numpy(dtype=np.float64)
    return np.append(voted, 0.0)[codes]


def _party_labels(column: pd.Series) -> pd.Series:
    """Party codes upper-cased without surrounding spaces; missing or blank as ``(none)``."""
    codes, labels = stripped_codes(column)
    upper = np.array([str(label).upper() for label in labels] + [NO_PARTY], dtype=object)
    return pd.Series(upper[codes], index=column.index, dtype=object)


def household_profiles(
    voters: pd.DataFrame,
    *,
    household_column: str = "household_id",
    party_column: str = "party",
) -> pd.DataFrame:
    """One row per household: the mean of each numeric attribute and the most common party.

    Vote history columns become one ``vote_history`` column: the share of the household's
    recorded elections its voters voted in. Ties between parties go to the alphabetically
    first. The result is indexed by household id (a voter without one is a household of their
    own, named after its row), ready for `MicroSegments`.

    Parameters
    ----------
    voters : pandas.DataFrame
        One row per voter with `household_column` and any of ``age``, ``support_score``,
        ``turnout_score``, `party_column` and vote history columns.
    household_column, party_column : str
        Names of the household id and party columns.
    """
    require_columns(voters, [household_column], "voters")
    codes, labels = group_codes(voters[household_column])
    keys = pd.Series(group_names(codes, labels, voters.index)[codes], index=voters.index)
    numeric = {
        name: pd.to_numeric(voters[name], errors="coerce")
        for name in ("age", "support_score", "turnout_score")
        if name in voters.columns
    }
    history = history_columns(voters)
    if history:
        numeric[HISTORY_FEATURE] = pd.Series(
            np.mean([_voted(voters[c]) for c in history], axis=0), index=voters.index
        )
    profiles = pd.DataFrame(numeric, index=voters.index).groupby(keys, sort=True).mean()
    if party_column in voters.columns:
        parties = pd.DataFrame({"key": keys, "party": _party_labels(voters[party_column])})
        counts = parties.groupby(["key", "party"], sort=True).size().rename("n").reset_index()
        counts = counts.sort_values(["key", "n"], ascending=[True, False], kind="stable")
        top = counts.drop_duplicates("key").set_index("key")["party"]
        profiles[party_column] = top.reindex(profiles.index)
    profiles["voters"] = keys.groupby(keys, sort=True).size()
    profiles.index.name = household_column
    return profiles


class MicroSegments:
    """Micro-segments from voter attributes: standardised features, k-means, k by silhouette.

    Features are the numeric columns in `numeric` that exist (z-scored, missing values set to
    the column median), a ``vote_history`` share built from vote history columns where present,
    and the party one-hot encoded (the `max_parties` most common parties, the rest as OTHER).
    Party columns are 0/1 times `party_weight`, not z-scored, so that a rare party does not
    outweigh everything else: two voters of different parties are ``party_weight * sqrt(2)``
    standard deviations apart.

    Parameters
    ----------
    k_min, k_max : int, default 2 and 8
        Range of cluster counts tried (inclusive); the count with the best silhouette wins
        (ties go to fewer clusters).
    numeric : sequence of str, default ("age", "support_score", "turnout_score")
        Numeric columns to use where present.
    party_column : str or None, default "party"
        Party column, or None to leave party out.
    history : sequence of str or None, default None
        Vote history columns; None finds them by name (`history_columns`).
    max_parties : int, default 6
        Parties kept as their own feature.
    party_weight : float, default 1.5
        Scale of the party one-hot columns, in standard deviations.
    fit_sample : int, default 20000
        Rows on which every k is fitted and scored; the chosen k is then run once on all rows
        from the sample's centres, so big inputs cost little more than this many.
    silhouette_sample : int, default 3000
        Rows of the fit sample used to score each k (silhouette costs the square of the rows).
    n_init : int, default 4
        K-means restarts per k.
    random_state : int, default 0
        Seed for k-means and the silhouette sample.

    Attributes
    ----------
    labels_ : pandas.Series
        Segment of each input row (0 is the largest), indexed like the input, named
        ``"segment"``.
    n_clusters_ : int
        The chosen number of segments (0 for an empty input, 1 when nothing can be split).
    silhouette_ : dict of int to float
        Silhouette score of every k tried.
    feature_names_ : list of str
        Columns of the standardised feature matrix.
    profiles_ : pandas.DataFrame
        One row per segment: ``size``, ``share``, ``description`` and the segment's mean of
        each feature in the input's units (party columns as shares).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> voters = pd.DataFrame({
    ...     "age": np.r_[rng.normal(25, 3, 50), rng.normal(70, 3, 50)],
    ...     "turnout_score": np.r_[rng.normal(30, 5, 50), rng.normal(80, 5, 50)],
    ...     "party": ["DEM"] * 50 + ["REP"] * 50,
    ... })
    >>> model = MicroSegments(k_max=4).fit(voters)
    >>> model.n_clusters_, sorted(model.profiles_["description"])
    (2, ['older, high turnout, all REP', 'younger, low turnout, all DEM'])
    """

    def __init__(
        self,
        *,
        k_min: int = 2,
        k_max: int = 8,
        numeric: Sequence[str] = ("age", "support_score", "turnout_score"),
        party_column: str | None = "party",
        history: Sequence[str] | None = None,
        max_parties: int = 6,
        party_weight: float = 1.5,
        fit_sample: int = 20_000,
        silhouette_sample: int = 3000,
        n_init: int = 4,
        random_state: int = 0,
    ) -> None:
        self.k_min = k_min
        self.k_max = k_max
        self.numeric = numeric
        self.party_column = party_column
        self.history = history
        self.max_parties = max_parties
        self.party_weight = party_weight
        self.fit_sample = fit_sample
        self.silhouette_sample = silhouette_sample
        self.n_init = n_init
        self.random_state = random_state

    # ---- features

    def _attributes(self, frame: pd.DataFrame, *, fitting: bool) -> pd.DataFrame:
        """The features in the input's units (party as 0/1 columns), before scaling."""
        columns: dict[str, pd.Series] = {}
        for name in self.numeric:
            if name in frame.columns:
                columns[name] = pd.to_numeric(frame[name], errors="coerce").astype(np.float64)
        history = list(self.history) if self.history is not None else history_columns(frame)
        if history:
            require_columns(frame, history, "voters")
            columns[HISTORY_FEATURE] = pd.Series(
                np.mean([_voted(frame[c]) for c in history], axis=0), index=frame.index
            )
        elif HISTORY_FEATURE in frame.columns:
            # Already a share, e.g. from household_profiles.
            columns[HISTORY_FEATURE] = pd.to_numeric(frame[HISTORY_FEATURE], errors="coerce")
        attributes = pd.DataFrame(columns, index=frame.index)
        if self.party_column is None or self.party_column not in frame.columns:
            if fitting:
                self.parties_: list[str] = []
            return attributes
        labels = _party_labels(frame[self.party_column])
        if fitting:
            counts = labels.value_counts()
            ranked = sorted(counts.index, key=lambda p: (-counts[p], p))
            self.parties_ = ranked[: self.max_parties]
            if len(ranked) > self.max_parties:
                self.parties_.append(OTHER_PARTY)
        if OTHER_PARTY in self.parties_:
            labels = labels.where(labels.isin(self.parties_), OTHER_PARTY)
        for party in self.parties_:
            attributes[f"party={party}"] = (labels == party).astype(np.float64)
        return attributes

    def _matrix(self, attributes: pd.DataFrame) -> FloatArray:
        numeric = [c for c in attributes.columns if not c.startswith("party=")]
        values = attributes[numeric].to_numpy(dtype=np.float64, na_value=np.nan)
        values = np.where(np.isnan(values), self.fill_, values)
        scaled = (values - self.mean_) / self.scale_
        party = attributes.drop(columns=numeric).to_numpy(dtype=np.float64) * self.party_weight
        return np.ascontiguousarray(np.hstack([scaled, party]))

    # ---- fitting

    def fit(self, voters: pd.DataFrame) -> MicroSegments:
        """Choose the number of segments and assign every row to one.

        Parameters
        ----------
        voters : pandas.DataFrame
            One row per voter or household (see `household_profiles`).

        Returns
        -------
        MicroSegments
            This estimator, fitted.

        Raises
        ------
        SegmentDataError
            If none of the feature columns exist, or `k_min`/`k_max` are not 2 <= k_min <= k_max.
        """
        if not 2 <= self.k_min <= self.k_max:
            raise SegmentDataError(f"need 2 <= k_min <= k_max, got {self.k_min}, {self.k_max}")
        attributes = self._attributes(voters, fitting=True)
        if attributes.shape[1] == 0:
            wanted = [*self.numeric, *([self.party_column] if self.party_column else [])]
            raise SegmentDataError(
                f"no feature to cluster on: the frame has none of {', '.join(wanted)} "
                f"and no vote history columns; columns it has: {', '.join(map(str, voters))}"
            )
        numeric = [c for c in attributes.columns if not c.startswith("party=")]
        raw = attributes[numeric].to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(all="ignore"):
            fill = np.nanmedian(raw, axis=0) if len(raw) else np.zeros(len(numeric))
        self.fill_ = np.nan_to_num(fill)
        filled = np.where(np.isnan(raw), self.fill_, raw)
        self.mean_ = filled.mean(axis=0) if len(filled) else np.zeros(len(numeric))
        scale = filled.std(axis=0) if len(filled) else np.ones(len(numeric))
        self.scale_ = np.where(scale > 0, scale, 1.0)
        self.feature_names_ = list(attributes.columns)
        matrix = self._matrix(attributes)

        self.silhouette_: dict[int, float] = {}
        self._kmeans, raw_labels = self._choose_k(matrix)
        self._relabel(raw_labels, voters.index)
        self.profiles_ = self._profiles(attributes)
        return self

    def _choose_k(self, matrix: FloatArray) -> tuple[KMeans | None, npt.NDArray[np.intp]]:
        """Fit every k on the fit sample, keep the best silhouette, refit it on all rows."""
        rng = np.random.default_rng(self.random_state)
        rows = np.arange(len(matrix))
        if len(matrix) > self.fit_sample:
            rows = np.sort(rng.choice(len(matrix), self.fit_sample, replace=False))
        sample = matrix[rows]
        scored = np.arange(len(sample))
        if len(sample) > self.silhouette_sample:
            scored = np.sort(rng.choice(len(sample), self.silhouette_sample, replace=False))
        distinct = len(np.unique(sample, axis=0)) if len(sample) else 0
        k_top = min(self.k_max, distinct - 1)
        if k_top < self.k_min:
            return None, np.zeros(len(matrix), dtype=np.intp)
        best: tuple[float, KMeans] | None = None
        for k in range(self.k_min, k_top + 1):
            model = KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state)
            labels = model.fit_predict(sample)
            found = len(np.unique(labels[scored]))
            score = (
                float(silhouette_score(sample[scored], labels[scored]))
                if 2 <= found < len(scored)
                else -1.0
            )
            self.silhouette_[k] = round(score, 4)
            if best is None or score > best[0]:
                best = (score, model)
        assert best is not None  # the range of k is never empty here
        model = best[1]
        if len(rows) < len(matrix):
            # One more k-means run on every row, started from the sample's centres.
            model = KMeans(
                n_clusters=model.n_clusters,
                init=model.cluster_centers_,
                n_init=1,
                random_state=self.random_state,
            ).fit(matrix)
        return model, np.asarray(model.labels_, dtype=np.intp)

    def _relabel(self, raw: npt.NDArray[np.intp], index: pd.Index) -> None:
        """Number segments by size, largest first (ties by k-means label), and keep the map."""
        sizes = np.bincount(raw) if len(raw) else np.zeros(0, dtype=np.intp)
        order = sorted(range(len(sizes)), key=lambda c: (-sizes[c], c))
        self._order = np.empty(len(sizes), dtype=np.intp)
        self._order[order] = np.arange(len(sizes))
        self.n_clusters_ = len(sizes)
        labels = self._order[raw] if len(raw) else raw
        self.labels_ = pd.Series(labels, index=index, name="segment", dtype=np.int64)

    def predict(self, voters: pd.DataFrame) -> pd.Series:
        """Segment of each row of a new frame with the same columns, keyed to its index."""
        matrix = self._matrix(self._attributes(voters, fitting=False))
        if self._kmeans is None or len(matrix) == 0:
            return pd.Series(0, index=voters.index, name="segment", dtype=np.int64)
        raw = np.asarray(self._kmeans.predict(matrix), dtype=np.intp)
        return pd.Series(self._order[raw], index=voters.index, name="segment", dtype=np.int64)

    def fit_predict(self, voters: pd.DataFrame) -> pd.Series:
        """`fit` and return `labels_`."""
        return self.fit(voters).labels_

    # ---- explaining

    def _profiles(self, attributes: pd.DataFrame) -> pd.DataFrame:
        numeric = [c for c in attributes.columns if not c.startswith("party=")]
        filled = attributes.copy()
        raw = attributes[numeric].to_numpy(dtype=np.float64, na_value=np.nan)
        filled[numeric] = np.where(np.isnan(raw), self.fill_, raw)
        means = filled.groupby(self.labels_.to_numpy()).mean().reindex(range(self.n_clusters_))
        overall = filled.mean()
        values = means.to_numpy(dtype=np.float64)
        sizes = self.labels_.value_counts().sort_index()
        rows: list[dict[str, Any]] = []
        for segment in range(self.n_clusters_):
            centre = pd.Series(values[segment], index=means.columns, dtype=np.float64)
            rows.append(
                {
                    "segment": segment,
                    "size": int(sizes.get(segment, 0)),
                    "share": float(sizes.get(segment, 0) / max(len(self.labels_), 1)),
                    "description": self._describe(centre, overall, numeric),
                    **dict(zip(means.columns, values[segment].tolist(), strict=True)),
                }
            )
        columns = ["segment", "size", "share", "description", *attributes.columns]
        return pd.DataFrame(rows, columns=columns).set_index("segment")

    def _describe(self, centre: pd.Series, overall: pd.Series, numeric: list[str]) -> str:
        position = {name: i for i, name in enumerate(numeric)}
        shifts = {
            name: (centre[name] - overall[name]) / self.scale_[position[name]] for name in numeric
        }
        words: list[str] = []
        for name, z in sorted(shifts.items(), key=lambda item: (-abs(item[1]), item[0])):
            if abs(z) < 0.5:
                continue
            high, low, very = _WORDS.get(name, (f"high {name}", f"low {name}", "very"))
            word = high if z > 0 else low
            words.append(f"{very} {word}" if abs(z) >= 1.25 else word)
        party = _describe_party(centre, overall)
        if party:
            words.append(party)
        return ", ".join(words) if words else "close to the average"

    def explain(self, *, unit: str = "voters") -> list[str]:
        """One line per segment: size, share and description, largest first.

        Examples
        --------
        ``['1,204 voters (38%): older, high turnout, mostly DEM', ...]``
        """
        return [
            f"{row.size:,} {unit} ({row.share:.0%}): {row.description}"
            for row in self.profiles_.itertuples()
        ]


def _describe_party(centre: pd.Series, overall: pd.Series) -> str:
    shares = {
        str(name).removeprefix("party="): float(centre[name])
        for name in centre.index
        if str(name).startswith("party=")
    }
    if not shares:
        return ""
    ranked = sorted(shares, key=lambda p: (-shares[p], p))
    top = ranked[0]
    if shares[top] >= 0.95:
        return f"all {top}"
    if shares[top] >= 0.65:
        return f"mostly {top}"
    if len(ranked) > 1 and shares[top] + shares[ranked[1]] >= 0.8:
        return f"mostly {top} and {ranked[1]}"
    if shares[top] >= 0.5:
        return f"mostly {top}"
    lift = {p: s / overall[f"party={p}"] for p, s in shares.items() if overall[f"party={p}"] > 0}
    boosted = min(lift, key=lambda p: (-lift[p], p)) if lift else None
    if boosted is not None and shares[boosted] >= 0.3 and lift[boosted] >= 1.5:
        return f"many {boosted}"
    return ""
