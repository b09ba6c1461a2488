"""The protocol every forecasting contender follows, so that their numbers compare.

A contender is a function ``run(df, spec) -> Result``. ``df`` is a long frame (``unique_id``
str, ``ds`` datetime64, ``y`` float64) sorted by series and time on a regular grid; ``spec``
fixes the horizon, lookback, backtest cutoffs, quantiles and seed. The backtest is the one
Darts's ``historical_forecasts(retrain=False)`` and NeuralForecast's
``cross_validation(refit=False)`` run: ``windows`` rolling origins ``step`` steps apart, the
last forecasting each series' last ``horizon`` steps; one model trained once on the data
before the FIRST cutoff (a cutoff is the last timestamp a forecast may see), then every
window forecast from it. ``Result.cv`` has one row per series, window and horizon step with
the columns of :data:`CV_COLUMNS`; ``seconds_fit_backtest`` is the wall time of training plus
forecasting every window (imports and data loading excluded).

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000", periods=10, freq="D"),
    ...                    "y": range(10)})
    >>> [str(c.date()) for c in cutoffs(df, horizon=2, windows=3, step=2)["a"]]
    ['2000-01-04', '2000-01-06', '2000-01-08']
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "CV_COLUMNS",
    "QUANTILES",
    "BenchSpec",
    "Contender",
    "Result",
    "check_cv",
    "cutoff_ends",
    "cutoffs",
    "limit_threads",
    "train_part",
]

QUANTILES = (0.1, 0.5, 0.9)
CV_COLUMNS = ("unique_id", "ds", "cutoff", "y", "y_hat", "y_hat_q10", "y_hat_q50", "y_hat_q90")


@dataclass(frozen=True)
class BenchSpec:
    """One dataset's backtest: ``horizon`` steps forecast from ``lookback`` past steps at
    ``windows`` origins ``step`` apart; ``season`` steps per seasonal cycle (seasonal naive
    and MASE); ``quick`` asks contenders for a tiny training budget (a smoke run).
    ``epochs`` / ``max_steps`` override the peers' documented training budgets (Darts's
    ``n_epochs``, NeuralForecast's ``max_steps``); ``None`` keeps their defaults."""

    name: str
    freq: str
    horizon: int
    lookback: int
    season: int
    step: int
    windows: int = 5
    quantiles: tuple[float, ...] = QUANTILES
    seed: int = 0
    quick: bool = False
    threads: int = 2
    epochs: int | None = None
    max_steps: int | None = None


@dataclass
class Result:
    """What a contender returns: ``cv`` (columns :data:`CV_COLUMNS`), the wall time of
    fit + backtest in seconds, and a one-line account of the settings it used."""

    cv: pd.DataFrame
    seconds_fit_backtest: float
    settings: str
    extra: dict = field(default_factory=dict)


Contender = Callable[[pd.DataFrame, BenchSpec], Result]


def cutoff_ends(lengths: np.ndarray, horizon: int, windows: int, step: int) -> np.ndarray:
    """``(S, windows)`` int: window ``k`` of series ``s`` sees ``y[:ends[s, k]]`` and forecasts
    ``y[ends[s, k] : ends[s, k] + horizon]``; the last window ends at the series' end.

    Example:
        >>> cutoff_ends(np.array([20, 30]), horizon=4, windows=3, step=2).tolist()
        [[12, 14, 16], [22, 24, 26]]
    """
    k = np.arange(windows)
    ends = np.asarray(lengths)[:, None] - horizon - (windows - 1 - k)[None, :] * step
    if (ends < 1).any():
        raise ValueError(
            f"cutoff_ends: a series of length {int(np.min(lengths))} is too short for "
            f"{windows} windows of horizon {horizon} every {step} steps"
        )
    return ends


def cutoffs(df: pd.DataFrame, horizon: int, windows: int, step: int) -> dict[str, pd.DatetimeIndex]:
    """Per series, the ``windows`` cutoff timestamps (last one seen by each forecast)."""
    out = {}
    for uid, g in df.groupby("unique_id", sort=True):
        ends = cutoff_ends(np.array([len(g)]), horizon, windows, step)[0]
        out[str(uid)] = pd.DatetimeIndex(g["ds"].to_numpy()[ends - 1])
    return out


def train_part(df: pd.DataFrame, spec: BenchSpec) -> pd.DataFrame:
    """Each series up to and including its first cutoff: the only data a model may train on."""
    first = {u: c[0] for u, c in cutoffs(df, spec.horizon, spec.windows, spec.step).items()}
    limit = df["unique_id"].astype(str).map(first)
    return df[df["ds"] <= limit].reset_index(drop=True)


def check_cv(cv: pd.DataFrame, df: pd.DataFrame, spec: BenchSpec, who: str) -> pd.DataFrame:
    """``cv`` in canonical order, after checking it covers exactly the protocol's cutoffs
    and steps with the true ``y``: a contender that drifted from the protocol fails loudly."""
    missing = [c for c in CV_COLUMNS if c not in cv.columns]
    if missing:
        raise ValueError(f"{who}: cv lacks columns {missing}; has {list(cv.columns)}")
    cv = cv.loc[:, list(CV_COLUMNS)].copy()
    cv["unique_id"] = cv["unique_id"].astype(str)
    cv = cv.sort_values(["unique_id", "cutoff", "ds"], kind="stable").reset_index(drop=True)
    want = cutoffs(df, spec.horizon, spec.windows, spec.step)
    n = sum(len(c) for c in want.values()) * spec.horizon
    if len(cv) != n:
        raise ValueError(f"{who}: cv has {len(cv)} rows, the protocol {n}")
    for uid, g in cv.groupby("unique_id", sort=True):
        got = pd.DatetimeIndex(sorted(g["cutoff"].unique()))
        if uid not in want or not got.equals(want[uid]):
            raise ValueError(f"{who}: series {uid!r} cutoffs {list(got)} != {list(want[uid])}")
    truth = df.assign(unique_id=df["unique_id"].astype(str)).set_index(["unique_id", "ds"])["y"]
    y = truth.reindex(pd.MultiIndex.from_frame(cv[["unique_id", "ds"]])).to_numpy()
    if not np.allclose(y, cv["y"].to_numpy(dtype=float)):
        raise ValueError(f"{who}: cv's y differs from the data at its (unique_id, ds)")
    vals = cv[list(CV_COLUMNS[4:])].to_numpy(dtype=float)
    if not np.isfinite(vals).all():
        raise ValueError(f"{who}: cv has {int((~np.isfinite(vals)).sum())} non-finite forecasts")
    return cv


def limit_threads(n: int) -> None:
    """Pin BLAS/OpenMP and torch to ``n`` threads (call before the contender trains)."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(n)
    if torch.get_num_interop_threads() != n:
        # interop threads can only be set before torch's first parallel work
        with contextlib.suppress(RuntimeError):
            torch.set_num_interop_threads(n)
