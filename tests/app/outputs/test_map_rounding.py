"""Map data rounds coordinates as Python's round() does, however many there are."""

from __future__ import annotations

import numpy as np
import pytest

from app.outputs.maps import round_like_python


@pytest.mark.parametrize("digits", [6, 7])
def test_coordinates_round_to_the_floats_python_rounds_them_to(digits: int) -> None:
    rng = np.random.default_rng(7)
    step = 10.0**-digits
    ties = np.arange(-30_000, 30_000, 7) * step + step / 2  # decimal halves, as near as floats go
    values = np.concatenate(
        [
            rng.uniform(-180.0, 180.0, 100_000),
            ties,
            np.nextafter(ties, np.inf),
            np.nextafter(ties, -np.inf),
            [0.0, -0.0, 1e-9, -1e-9, 84.9999995, 33.7490005, -84.3879995],
        ]
    )
    expected = np.array([round(value, digits) for value in values.tolist()])

    rounded = round_like_python(values, digits)

    assert rounded.tolist() == expected.tolist()
    assert (np.signbit(rounded) == np.signbit(expected)).all()
