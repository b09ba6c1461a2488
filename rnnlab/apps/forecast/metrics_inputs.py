"""What :func:`.metrics.evaluate` reads from a backtest frame, each read checked.

Numeric columns without NaN (:func:`_finite`), the quantile columns and the intervals
their symmetric pairs make (:func:`_quantile_columns`, :func:`_intervals`), and the MASE
scale of each (series, cutoff): the frame's ``mase_scale`` column, or computed from the
``train`` history up to the cutoff (:func:`_pair_scales`). Every refusal is a
``ValueError`` (``TypeError`` for a ``train`` that is not a frame) starting ``evaluate:``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rnnlab.apps.forecast.baselines import insample_scale
from rnnlab.apps.forecast.metrics_interval import (
    MODEL,
    _percent,
    parse_quantile_column,
    quantile_column,
)


def _values(frame: pd.DataFrame, col: str, name: str = "cv") -> np.ndarray:
    s = frame[col]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        raise ValueError(f"evaluate: {name} column {col!r} must be numeric, got dtype {s.dtype}")
    return s.to_numpy(dtype=np.float64)


def _finite(frame: pd.DataFrame, col: str, name: str = "cv") -> np.ndarray:
    x = _values(frame, col, name)
    bad = ~np.isfinite(x)
    if bad.any():
        raise ValueError(
            f"evaluate: {name} column {col!r} has {int(bad.sum())} NaN or infinite value(s), "
            f"first at rows {frame.index[bad][:5].tolist()}"
        )
    return x


def _quantile_columns(cv: pd.DataFrame) -> list[tuple[float, str]]:
    out = []
    for c in cv.columns:
        if isinstance(c, str) and c.startswith(f"{MODEL}_q"):
            q = parse_quantile_column(c)
            if q is None:
                raise ValueError(
                    f"evaluate: column {c!r} is not a quantile column name; quantile q is named "
                    "quantile_column(q), e.g. 'y_hat_q10' for 0.1, 'y_hat_q97.5' for 0.975"
                )
            out.append((q, c))
    return sorted(out)


def _intervals(quants: list[tuple[float, str]], levels: Any) -> list[tuple[str, str, str]]:
    """(level label, lo column, hi column) for each symmetric pair, by increasing level."""
    names = [c for _, c in quants]
    if levels is None:
        wanted = [100.0 * (1.0 - 2.0 * q) for q, _ in quants if q < 0.5]
        wanted = [w for w in wanted if quantile_column((1.0 + w / 100.0) / 2.0) in names]
    else:
        wanted = list(levels) if not isinstance(levels, int | float) else [levels]
        for w in wanted:
            if isinstance(w, bool) or not isinstance(w, int | float | np.number) or not 0 < w < 100:
                raise ValueError(
                    f"evaluate: levels must be percentages strictly between 0 and 100, got {w!r}"
                )
    out = {}
    for w in sorted(float(w) for w in wanted):
        lo, hi = quantile_column((1.0 - w / 100.0) / 2.0), quantile_column((1.0 + w / 100.0) / 2.0)
        if lo not in names or hi not in names:
            hint = " (levels are percentages: 80 for an 80% interval)" if w <= 1 else ""
            raise ValueError(
                f"evaluate: level {_percent(w)} needs quantile columns {lo!r} and {hi!r}; "
                f"quantile columns present: {names}{hint}"
            )
        out[_percent(w)] = (_percent(w), lo, hi)
    return list(out.values())


def _season_from(train: pd.DataFrame) -> int:
    """Season of the first series' frequency (a panel shares one frequency)."""
    # Imported here: only this path needs the frequency -> season table.
    from rnnlab.apps.forecast.calendar import infer_freq, season_length

    uid, ds = next(iter(train.groupby("unique_id", sort=True)["ds"]))
    try:
        return int(season_length(infer_freq(pd.DatetimeIndex(ds).sort_values(), str(uid))))
    except ValueError as err:
        raise ValueError(
            f"evaluate: cannot infer the MASE season from train ({err}); pass season="
        ) from None


def _pair_scales(
    cv: pd.DataFrame, pair: np.ndarray, firsts: np.ndarray, season: int | None, train: Any
) -> np.ndarray:
    """Scale of each (series, cutoff) pair (``firsts``: one row of each); NaN where undefined."""
    if "mase_scale" in cv.columns:
        x = _values(cv, "mase_scale")
        scale = x[firsts]
        same = (x == scale[pair]) | (np.isnan(x) & np.isnan(scale[pair]))
        if not same.all():
            row = int(np.flatnonzero(~same)[0])
            raise ValueError(
                f"evaluate: cv column 'mase_scale' must be constant within each (unique_id, "
                f"cutoff); it varies for ({cv['unique_id'].iloc[row]!r}, "
                f"{cv['cutoff'].iloc[row]})"
            )
        if np.any(scale < 0):
            raise ValueError("evaluate: cv column 'mase_scale' has negative values")
        return scale
    if train is None:
        raise ValueError(
            "evaluate: MASE needs each series' in-sample scale: give cv a 'mase_scale' column "
            "(Forecaster.backtest adds it) or pass train= (the long frame unique_id, ds, y the "
            "backtest ran on) with season="
        )
    if not isinstance(train, pd.DataFrame):
        raise TypeError(f"evaluate: train must be a pandas DataFrame, got {type(train).__name__}")
    missing = [c for c in ("unique_id", "ds", "y") if c not in train.columns]
    if missing:
        raise ValueError(
            f"evaluate: train is missing column(s) {missing}; columns present: "
            f"{list(train.columns)}"
        )
    _finite(train, "y", "train")
    train = train.assign(ds=pd.to_datetime(train["ds"])).sort_values(["unique_id", "ds"])
    groups = {
        uid: (g["ds"].to_numpy(), g["y"].to_numpy(dtype=np.float64))
        for uid, g in train.groupby("unique_id", sort=False)
    }
    pair_uid = cv["unique_id"].to_numpy()[firsts]
    absent = sorted({u for u in pair_uid if u not in groups})
    if absent:
        raise ValueError(f"evaluate: series {absent[:5]} of cv are not in train")
    season = _season_from(train) if season is None else season
    cutoffs = pd.to_datetime(cv["cutoff"].to_numpy()[firsts]).to_numpy()
    scale = np.empty(len(firsts))
    for i, (uid, cut) in enumerate(zip(pair_uid, cutoffs, strict=True)):
        ds, y = groups[uid]
        # Data up to and including the cutoff: the cutoff is the last observed step.
        scale[i] = insample_scale(y[: int(np.searchsorted(ds, cut, "right"))], season)
    return scale
