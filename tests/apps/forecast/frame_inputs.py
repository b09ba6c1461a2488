"""Inputs for the tests of ``prepare`` (frame.py and the frame_*.py checks it runs).

``panel_frame`` builds long-format panels, ``write`` a CSV file, and ``fails`` asserts that
``prepare`` refuses its arguments with exactly the given message.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from rnnlab.apps.forecast.frame import ForecastDataError, prepare

FILL = "pass fill='interpolate', 'ffill' or 'zero' to"


def panel_frame(n: int = 6, freq: str = "h", ids=("a", "b"), start="2024-01-01") -> pd.DataFrame:
    """Long format: series ``ids`` of ``n`` steps each, y = 0, 1, 2, ... over all rows."""
    ds = pd.date_range(start, periods=n, freq=freq)
    return pd.DataFrame(
        {
            "unique_id": np.repeat(list(ids), n),
            "ds": np.tile(ds, len(ids)),
            "y": np.arange(n * len(ids), dtype=float),
        }
    )


def fails(message: str, *args, **kwargs) -> None:
    with pytest.raises(ForecastDataError, match=f"^{re.escape(message)}$"):
        prepare(*args, **kwargs)


def write(tmp_path, text: str):
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path
