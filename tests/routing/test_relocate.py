"""Moving stops between neighbouring turfs after the cut."""

from __future__ import annotations

import numpy as np

from geo.effort import WalkModel
from routing.relocate import relocate_stops

# Ten stops 100 m apart along one street: 0, 100, ..., 900.
LINE = np.abs(np.subtract.outer(np.arange(10), np.arange(10))).astype(float) * 100
ONE_DOOR = np.ones(10)


def _relocate(
    pieces: list[list[int]], cells: np.ndarray, target: float, faces: np.ndarray | None = None
) -> list[list[int]]:
    faces = np.arange(10) if faces is None else faces
    return relocate_stops(
        pieces, LINE, LINE, ONE_DOOR, cells, faces, target, by_doors=True, model=WalkModel()
    )


def test_a_stop_the_turf_next_door_walks_past_moves_there() -> None:
    # Turf A walks 0..4 and then back out to 9, past all of turf B's stops.
    moved = _relocate([[0, 1, 2, 3, 4, 9], [5, 6, 7, 8]], np.zeros(10, dtype=int), 5)
    assert moved == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    walk = sum(float(LINE[p[:-1], p[1:]].sum()) for p in map(np.asarray, moved))
    assert walk == 400 + 400


def test_no_move_across_a_barrier_or_out_of_balance() -> None:
    # Stop 9 is in its own quiet cell (across an arterial from turf B): it stays.
    cells = np.zeros(10, dtype=int)
    cells[9] = 1
    assert _relocate([[0, 1, 2, 3, 4, 9], [5, 6, 7, 8]], cells, 5) == [
        [0, 1, 2, 3, 4, 9],
        [5, 6, 7, 8],
    ]
    # Balanced turfs that would leave the 10 % band: A 5 -> 4, B 5 -> 6 doors.
    assert _relocate([[0, 1, 2, 3, 9], [4, 5, 6, 7, 8]], np.zeros(10, dtype=int), 5) == [
        [0, 1, 2, 3, 9],
        [4, 5, 6, 7, 8],
    ]


def test_every_stop_stays_in_exactly_one_turf_and_none_empties() -> None:
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 1000, size=(120, 2))
    metres = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    shuffled = rng.permutation(120)
    pieces = [shuffled[i : i + 12].tolist() for i in range(0, 120, 12)]
    moved = relocate_stops(
        pieces,
        metres,
        metres,
        ONE_DOOR.repeat(12),
        np.zeros(120, dtype=int),
        np.arange(120),
        12,
        by_doors=True,
        model=WalkModel(),
    )
    assert sorted(s for p in moved for s in p) == list(range(120))
    assert all(len(p) >= 1 for p in moved)
    before = sum(float(metres[np.asarray(p[:-1]), np.asarray(p[1:])].sum()) for p in pieces)
    after = sum(float(metres[np.asarray(p[:-1]), np.asarray(p[1:])].sum()) for p in moved)
    assert after < before
    assert all(abs(len(p) / 12 - 1) <= 0.10 + 1e-9 for p in moved)


def test_a_block_face_the_cut_split_is_made_whole() -> None:
    # Stops 2, 3 and 4 are one block face; the cut put 4 in turf B. It joins the other two.
    faces = np.array([0, 1, 2, 2, 2, 5, 6, 7, 8, 9])
    moved = _relocate([[0, 1, 2, 3], [4, 5, 6, 7, 8, 9]], np.zeros(10, dtype=int), 5, faces)
    assert moved == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    # Not when that takes a turf out of the size band: face {2, 3, 4, 5} would make 6 of 5.
    wide = np.array([0, 1, 2, 2, 2, 2, 6, 7, 8, 9])
    stuck = _relocate([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]], np.zeros(10, dtype=int), 5, wide)
    assert stuck == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def test_a_block_face_moves_whole_or_not_at_all() -> None:
    # As in the first test, but stops 4 and 9 are one face: 9 cannot leave 4 behind.
    faces = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 4])
    moved = _relocate([[0, 1, 2, 3, 4, 9], [5, 6, 7, 8]], np.zeros(10, dtype=int), 5, faces)
    assert moved == [[0, 1, 2, 3], [4, 5, 6, 7, 8, 9]]
