"""Scores of one contender's backtest, computed here so every contender is scored alike.

MASE: each series' mean absolute error over all its windows divided by its in-sample
seasonal-naive MAE on the data before the FIRST cutoff (the data the model trained on), then
averaged over series. sMAPE: M4's ``200 |y - y_hat| / (|y| + |y_hat|)`` in percent, terms
with ``y == y_hat == 0`` skipped, averaged per series then over series. Coverage: share of
``y`` inside ``[y_hat_q10, y_hat_q90]`` (the 80% interval); width: its mean width relative to
the mean ``|y|`` of the series. MAE: mean absolute error over every row.

Example:
    >>> import pandas as pd
    >>> cv = pd.DataFrame({"unique_id": "a", "y": [1.0, 2.0], "y_hat": [2.0, 2.0],
    ...                    "y_hat_q10": [0.0, 2.5], "y_hat_q90": [3.0, 3.0]})
    >>> s = score(cv, {"a": 0.5})
    >>> s["MASE"], round(s["sMAPE"], 4), s["coverage_80"]
    (1.0, 33.3333, 0.5)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.forecast.protocol import BenchSpec, cutoff_ends

__all__ = ["mase_scales", "score"]


def mase_scales(df: pd.DataFrame, spec: BenchSpec) -> dict[str, float]:
    """Per series, ``mean |y_t - y_{t - season}|`` over the steps before its first cutoff.

    Example:
        >>> import pandas as pd
        >>> from benchmarks.forecast.protocol import BenchSpec
        >>> df = pd.DataFrame({"unique_id": "a", "y": [0.0, 1, 3, 6, 10, 15, 21, 28]})
        >>> spec = BenchSpec("t", "D", horizon=2, lookback=2, season=1, step=1, windows=2)
        >>> mase_scales(df, spec)  # first cutoff after 5 steps: diffs 1, 2, 3, 4
        {'a': 2.5}
    """
    out = {}
    m = spec.season
    for uid, g in df.groupby("unique_id", sort=True):
        y = g["y"].to_numpy(float)
        e = int(cutoff_ends(np.array([len(y)]), spec.horizon, spec.windows, spec.step)[0, 0])
        if e <= m:
            raise ValueError(
                f"mase_scales: series {uid!r} has {e} steps before its first cutoff, "
                f"needs more than season={m}"
            )
        scale = float(np.mean(np.abs(y[m:e] - y[: e - m])))
        # a constant training part has no seasonal-naive error: fall back to the lag-1 MAE, then 1
        if scale == 0.0:
            scale = float(np.mean(np.abs(np.diff(y[:e])))) or 1.0
        out[str(uid)] = scale
    return out


def score(cv: pd.DataFrame, scales: dict[str, float]) -> dict[str, float]:
    """MASE, sMAPE (%), MAE, 80% coverage and relative width of one contender's ``cv``."""
    per = []
    for uid, g in cv.groupby("unique_id", sort=True):
        y, f = g["y"].to_numpy(float), g["y_hat"].to_numpy(float)
        lo, hi = g["y_hat_q10"].to_numpy(float), g["y_hat_q90"].to_numpy(float)
        err = np.abs(y - f)
        den = np.abs(y) + np.abs(f)
        keep = den > 0
        per.append(
            (
                err.mean() / scales[str(uid)],
                np.mean(200.0 * err[keep] / den[keep]) if keep.any() else np.nan,
                np.mean((lo <= y) & (y <= hi)),
                np.mean(hi - lo) / max(np.mean(np.abs(y)), 1e-12),
            )
        )
    a = np.array(per, dtype=float)
    y, f = cv["y"].to_numpy(float), cv["y_hat"].to_numpy(float)
    return {
        "MASE": float(a[:, 0].mean()),
        "sMAPE": float(np.nanmean(a[:, 1])),
        "MAE": float(np.mean(np.abs(y - f))),
        "coverage_80": float(a[:, 2].mean()),
        "width_80_rel": float(a[:, 3].mean()),
    }
