"""CSV cells a spreadsheet would run are made text, whatever the column holds."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from app.spreadsheet import neutralise, neutralise_frame, restore_frame


def test_every_text_cell_that_starts_a_formula_gets_an_apostrophe_and_nothing_else_changes() -> (
    None
):
    risky = ["=HYPERLINK(1)", "+1", "-x", "@SUM(A1)", "\ttab", "\rcr"]
    calm = ["plain", "", "'=already", " =spaced", "Ünïcode", "1-2"]
    frame = pd.DataFrame(
        {
            "str": pd.Series(risky + calm, dtype="str"),
            "string": pd.Series(risky + calm, dtype="string"),
            "mixed": pd.Series([*risky[:3], 1, 2.5, None, np.nan, pd.NA, True, *calm[:3]]),
            "numbers": pd.Series([1, 2] * 6, dtype=object),
            "floats": np.linspace(-1.0, 1.0, 12),
            "=risky header": ["x"] * 12,
        }
    )

    safe = neutralise_frame(frame)

    assert list(safe.columns)[-1] == "'=risky header"
    for column in ("str", "string"):
        assert safe[column].tolist() == [f"'{text}" for text in risky] + calm
    assert safe["mixed"].tolist()[:3] == ["'=HYPERLINK(1)", "'+1", "'-x"]
    # Cell by cell as neutralise() does it, written the same.
    by_cell = frame.copy()
    for column in frame.columns:
        by_cell[column] = frame[column].map(neutralise, na_action="ignore")
    by_cell.columns = [neutralise(c) for c in frame.columns]
    assert safe.to_csv(index=False) == by_cell.to_csv(index=False)
    # Our own readers get the text back.
    back = restore_frame(pd.read_csv(io.StringIO(safe.to_csv(index=False)), dtype=str))
    assert back["str"].tolist()[:5] == risky[:5]
