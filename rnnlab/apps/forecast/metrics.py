"""Forecast accuracy: point errors, MASE, pinball loss and interval coverage, per series.

``evaluate(cv)`` scores a backtest frame (long: ``unique_id, ds, cutoff, y, y_hat``, quantile
columns ``y_hat_q10, ...``, baselines ``naive, seasonal_naive``, ``mase_scale``) and puts the
baselines beside the model, as the chapter compares its RNNs with the naive forecast.

Conventions (those of the M4 competition, so numbers compare with published ones):

* every metric is first computed per series over all its cutoffs and steps; an aggregated
  row is the unweighted mean over series (NaN series left out), so a long or large-valued
  series does not dominate; ``MAPE_skipped`` / ``MASE_skipped`` are summed;
* MAPE ``= 100 * mean |y - y_hat| / |y|`` in percent, skipping terms with ``y == 0``;
* sMAPE ``= mean 200 * |y - y_hat| / (|y| + |y_hat|)`` in percent (0 to 200, M4's definition),
  skipping the 0/0 terms where both are zero (a perfect forecast of a zero);
* MASE of a (series, cutoff) ``= mean |y - y_hat| / mase_scale`` over its horizon, where
  ``mase_scale`` is the in-sample seasonal-naive MAE of the history up to the cutoff
  (``baselines.insample_scale``); a series' MASE is the mean over its cutoffs;
* pinball loss at ``q`` ``= mean max(q * (y - p), (q - 1) * (y - p))`` (not doubled);
* coverage at level ``L`` is the share of ``y`` inside ``[y_hat_q{a}, y_hat_q{1-a}]`` with
  ``a = (1 - L/100) / 2``, and width the mean of ``hi - lo``.

Example:
    >>> mae([1.0, 2.0], [2.0, 4.0]), quantile_column(0.1), parse_quantile_column("y_hat_q97.5")
    (1.5, 'y_hat_q10', 0.975)
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from rnnlab.apps.forecast.baselines import insample_scale

__all__ = [
    "coverage",
    "evaluate",
    "mae",
    "mape",
    "mase",
    "parse_quantile_column",
    "pinball",
    "quantile_column",
    "rmse",
    "smape",
    "to_json_dict",
    "width",
]

MODEL = "y_hat"
BASELINES = ("naive", "seasonal_naive")
REQUIRED = ("unique_id", "ds", "cutoff", "y", MODEL)
POINT_COLUMNS = ("MAE", "RMSE", "MAPE", "MAPE_skipped", "sMAPE", "MASE", "MASE_skipped")
_QCOL = re.compile(r"y_hat_q(\d+(?:\.\d+)?)")


def _percent(p: float) -> str:
    # 10 significant digits absorb float noise (100 * 0.975 = 97.49999999999999 -> "97.5").
    s = f"{p:.10g}"
    return np.format_float_positional(float(s), trim="-") if "e" in s else s


def quantile_column(q: float) -> str:
    """Column name of quantile ``q``: ``y_hat_q{100 q}``, an int when integral.

    Example:
        >>> [quantile_column(q) for q in (0.1, 0.05, 0.5, 0.975)]
        ['y_hat_q10', 'y_hat_q5', 'y_hat_q50', 'y_hat_q97.5']
    """
    if isinstance(q, bool) or not isinstance(q, int | float | np.number) or not 0 < q < 1:
        raise ValueError(f"quantile_column: q must be a number strictly between 0 and 1, got {q!r}")
    return f"{MODEL}_q{_percent(100.0 * float(q))}"


def parse_quantile_column(name: str) -> float | None:
    """The quantile of a column named as ``quantile_column`` names it, else None.

    Only the canonical spelling parses (``"y_hat_q05"`` is None), so that a name maps to one
    quantile and back.

    Example:
        >>> parse_quantile_column("y_hat_q10"), parse_quantile_column("y_hat"), \
parse_quantile_column("y_hat_q05")
        (0.1, None, None)
    """
    m = _QCOL.fullmatch(name) if isinstance(name, str) else None
    if m is None:
        return None
    q = float(m.group(1)) / 100.0
    return q if 0 < q < 1 and quantile_column(q) == name else None


def _arrays(func: str, names: Sequence[str], *arrays: Any) -> list[np.ndarray]:
    out = [np.asarray(a, dtype=np.float64) for a in arrays]
    shapes = [a.shape for a in out]
    if len(set(shapes)) > 1:
        raise ValueError(
            f"{func}: {' and '.join(names)} must have the same shape, got "
            + " and ".join(str(s) for s in shapes)
        )
    if out[0].size == 0:
        raise ValueError(f"{func}: {names[0]} is empty")
    return out


def mae(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Mean absolute error of same-shaped arrays (any shape).

    Example:
        >>> mae([1.0, 2.0, 3.0], [2.0, 2.0, 1.0])
        1.0
    """
    y, y_hat = _arrays("mae", ("y", "y_hat"), y, y_hat)
    return float(np.mean(np.abs(y - y_hat)))


def rmse(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Root mean squared error of same-shaped arrays (any shape).

    Example:
        >>> rmse([0.0, 0.0], [1.0, 7.0])  # sqrt((1 + 49) / 2)
        5.0
    """
    y, y_hat = _arrays("rmse", ("y", "y_hat"), y, y_hat)
    return float(np.sqrt(np.mean((y - y_hat) ** 2)))


def mape(y: np.ndarray, y_hat: np.ndarray) -> tuple[float, int]:
    """MAPE in percent over the terms with ``y != 0``, and how many terms were skipped.

    Returns ``(nan, n)`` when every ``y`` is zero.

    Example:
        >>> mape([0.0, 2.0, 4.0], [1.0, 1.0, 5.0])
        (37.5, 1)
    """
    y, y_hat = _arrays("mape", ("y", "y_hat"), y, y_hat)
    keep = y != 0
    skipped = int(y.size - np.count_nonzero(keep))
    if skipped == y.size:
        return float("nan"), skipped
    return float(100.0 * np.mean(np.abs(y - y_hat)[keep] / np.abs(y[keep]))), skipped


def smape(y: np.ndarray, y_hat: np.ndarray) -> float:
    """sMAPE in percent, M4's ``mean 200 |y - y_hat| / (|y| + |y_hat|)`` (0 to 200).

    Terms where ``y == y_hat == 0`` are skipped; NaN when every term is.

    Example:
        >>> smape([0.0, 1.0, 0.0], [0.0, 3.0, 2.0])  # (100 + 200) / 2
        150.0
    """
    y, y_hat = _arrays("smape", ("y", "y_hat"), y, y_hat)
    den = np.abs(y) + np.abs(y_hat)
    keep = den > 0
    if not keep.any():
        return float("nan")
    return float(np.mean(200.0 * np.abs(y - y_hat)[keep] / den[keep]))


def mase(y: np.ndarray, y_hat: np.ndarray, scale: float | np.ndarray) -> float:
    """Mean of ``|y - y_hat| / scale``: MASE when ``scale`` is the in-sample naive MAE.

    ``scale`` is a scalar or an array broadcasting to ``y`` (e.g. ``(S, 1)`` for ``(S, H)``
    forecasts of S series: then the result is the mean over series of their MASE). Every scale
    must be positive and finite.

    Example:
        >>> mase([1.0, 2.0], [2.0, 4.0], scale=0.5)
        3.0
    """
    y, y_hat = _arrays("mase", ("y", "y_hat"), y, y_hat)
    s = np.asarray(scale, dtype=np.float64)
    if not np.all(np.isfinite(s) & (s > 0)):
        bad = s[~(np.isfinite(s) & (s > 0))].ravel()[:5].tolist()
        raise ValueError(f"mase: scale must be positive and finite, got {bad}")
    return float(np.mean(np.abs(y - y_hat) / s))


def pinball(y: np.ndarray, q_pred: np.ndarray, q: float) -> float:
    """Mean pinball (quantile) loss of the ``q``-quantile forecast ``q_pred``.

    Example:
        >>> pinball([10.0, 10.0], [8.0, 13.0], q=0.9)  # (0.9 * 2 + 0.1 * 3) / 2
        1.05
    """
    if isinstance(q, bool) or not isinstance(q, int | float | np.number) or not 0 < q < 1:
        raise ValueError(f"pinball: q must be a number strictly between 0 and 1, got {q!r}")
    y, q_pred = _arrays("pinball", ("y", "q_pred"), y, q_pred)
    d = y - q_pred
    return float(np.mean(np.maximum(q * d, (q - 1.0) * d)))


def _lo_hi(func: str, *arrays: Any) -> list[np.ndarray]:
    names = ("y", "lo", "hi")[-len(arrays) :]
    out = _arrays(func, names, *arrays)
    crossed = int(np.count_nonzero(out[-2] > out[-1]))
    if crossed:
        raise ValueError(f"{func}: lo > hi in {crossed} of {out[-1].size} entries")
    return out


def coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Share of ``y`` inside the closed interval ``[lo, hi]`` (same shapes, ``lo <= hi``).

    Example:
        >>> coverage([1.0, 5.0, 3.0, 2.0], [0.0, 0.0, 3.0, 3.0], [2.0, 4.0, 4.0, 4.0])
        0.5
    """
    y, lo, hi = _lo_hi("coverage", y, lo, hi)
    return float(np.mean((lo <= y) & (y <= hi)))


def width(lo: np.ndarray, hi: np.ndarray) -> float:
    """Mean interval width ``hi - lo`` (same shapes, ``lo <= hi``).

    Example:
        >>> width([0.0, 1.0], [2.0, 5.0])
        3.0
    """
    lo, hi = _lo_hi("width", lo, hi)
    return float(np.mean(hi - lo))


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


def _group_mean(codes: np.ndarray, n: int, x: np.ndarray) -> np.ndarray:
    """Mean of x per group code, NaN terms left out; NaN for groups with no terms."""
    ok = ~np.isnan(x)
    total = np.bincount(codes[ok], weights=x[ok], minlength=n)
    count = np.bincount(codes[ok], minlength=n)
    return np.divide(total, count, out=np.full(n, np.nan), where=count > 0)


def evaluate(
    cv: pd.DataFrame,
    season: int | None = None,
    levels: Sequence[float] | None = None,
    by_series: bool = False,
    train: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Score a backtest frame: the model (``y_hat``) and the baselines present, side by side.

    Args:
        cv: long frame with ``unique_id, ds, cutoff, y, y_hat``; optional ``naive``,
            ``seasonal_naive`` (scored as further rows), quantile columns ``y_hat_q{..}``
            (named by ``quantile_column``) and ``mase_scale`` (one value per (unique_id,
            cutoff): the in-sample seasonal-naive MAE of the history up to the cutoff).
        season: season length for MASE scales computed from ``train``; inferred from
            ``train``'s frequency when None. Unused when ``cv`` has ``mase_scale``.
        levels: interval levels in percent (e.g. ``[80, 90]``) whose coverage and width to
            report; each needs its two quantile columns. None: every symmetric pair present.
        by_series: return one row per (series, model) instead of the aggregate.
        train: long frame ``unique_id, ds, y`` for MASE scales when ``cv`` has no
            ``mase_scale``; each (series, cutoff) uses only rows with ``ds <= cutoff``.

    Returns:
        Index ``model`` (``y_hat``, then ``naive``, ``seasonal_naive`` when in ``cv``), or
        with ``by_series`` a MultiIndex ``(unique_id, model)`` sorted by series. Columns:
        ``MAE RMSE MAPE MAPE_skipped sMAPE MASE MASE_skipped``, ``pinball_q{..}`` per
        quantile column, ``coverage_{L} width_{L}`` per level (NaN for baselines).
        ``MAPE_skipped`` counts rows with ``y == 0``; ``MASE_skipped`` counts (series, cutoff)
        pairs whose scale is NaN or 0, left out of MASE. The aggregate row of a metric is the
        mean over series of the ``by_series`` rows (NaN left out); counts are summed.

    Example:
        >>> cv = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-03", periods=2),
        ...     "cutoff": pd.Timestamp("2024-01-02"), "y": [2.0, 4.0], "y_hat": [3.0, 3.0],
        ...     "naive": [1.0, 1.0], "mase_scale": 2.0})
        >>> scores = evaluate(cv)
        >>> scores.loc["y_hat", ["MAE", "MASE", "MAPE"]].tolist()
        [1.0, 0.5, 37.5]
        >>> scores.loc["naive", ["MAE", "MASE", "MAPE"]].tolist()
        [2.0, 1.0, 62.5]
    """
    if not isinstance(cv, pd.DataFrame):
        raise TypeError(f"evaluate: cv must be a pandas DataFrame, got {type(cv).__name__}")
    missing = [c for c in REQUIRED if c not in cv.columns]
    if missing:
        raise ValueError(
            f"evaluate: cv is missing column(s) {missing}; columns present: {list(cv.columns)}"
        )
    if len(cv) == 0:
        raise ValueError("evaluate: cv has no rows")
    if season is not None and (
        isinstance(season, bool) or not isinstance(season, int | np.integer) or season < 1
    ):
        raise ValueError(f"evaluate: season must be a positive integer, got {season!r}")
    models = [MODEL] + [b for b in BASELINES if b in cv.columns]
    quants = _quantile_columns(cv)
    intervals = _intervals(quants, levels)
    y = _finite(cv, "y")
    preds = {c: _finite(cv, c) for c in models + [c for _, c in quants]}
    for _, lo, hi in intervals:
        crossed = preds[lo] > preds[hi]
        if crossed.any():
            raise ValueError(
                f"evaluate: {lo} > {hi} in {int(crossed.sum())} row(s), first at rows "
                f"{cv.index[crossed][:5].tolist()}; quantiles must not cross"
            )

    series, ids = pd.factorize(cv["unique_id"], sort=True)
    pair = cv.groupby(["unique_id", "cutoff"], sort=True).ngroup().to_numpy()
    n_s, n_p = len(ids), int(pair.max()) + 1
    order = np.argsort(pair, kind="stable")
    firsts = order[np.r_[0, np.flatnonzero(np.diff(pair[order])) + 1]]  # first row of each pair
    pair_series = series[firsts]
    scale = _pair_scales(cv, pair, firsts, season, train)
    valid = np.isfinite(scale) & (scale > 0)
    row_scale = np.where(valid, scale, np.nan)[pair]

    nan = np.full(n_s, np.nan)
    zero_y = np.bincount(series, weights=(y == 0), minlength=n_s).astype(np.int64)
    mase_skipped = np.bincount(pair_series, weights=~valid, minlength=n_s).astype(np.int64)
    per: dict[str, dict[str, np.ndarray]] = {}
    for m in models:
        f = preds[m]
        err = np.abs(y - f)
        den = np.abs(y) + np.abs(f)
        with np.errstate(divide="ignore", invalid="ignore"):
            ape = np.where(y != 0, 100.0 * err / np.abs(y), np.nan)
            sape = np.where(den > 0, 200.0 * err / den, np.nan)
        cols = {
            "MAE": _group_mean(series, n_s, err),
            "RMSE": np.sqrt(_group_mean(series, n_s, err**2)),
            "MAPE": _group_mean(series, n_s, ape),
            "MAPE_skipped": zero_y,
            "sMAPE": _group_mean(series, n_s, sape),
            "MASE": _group_mean(pair_series, n_s, _group_mean(pair, n_p, err / row_scale)),
            "MASE_skipped": mase_skipped,
        }
        for q, c in quants:
            d = y - preds[c]
            loss = np.maximum(q * d, (q - 1.0) * d)
            cols[f"pinball_{c[len(MODEL) + 1 :]}"] = (
                _group_mean(series, n_s, loss) if m == MODEL else nan
            )
        for label, lo, hi in intervals:
            inside = ((preds[lo] <= y) & (y <= preds[hi])).astype(np.float64)
            cols[f"coverage_{label}"] = _group_mean(series, n_s, inside) if m == MODEL else nan
            w = preds[hi] - preds[lo]
            cols[f"width_{label}"] = _group_mean(series, n_s, w) if m == MODEL else nan
        per[m] = cols

    names = list(per[MODEL])
    if by_series:
        index = pd.MultiIndex.from_product([list(ids), models], names=["unique_id", "model"])
        data = {c: np.stack([per[m][c] for m in models], axis=1).ravel() for c in names}
        return pd.DataFrame(data, index=index)
    agg = {
        c: [
            int(per[m][c].sum())
            if c.endswith("_skipped")
            else (float(np.nanmean(per[m][c])) if not np.isnan(per[m][c]).all() else np.nan)
            for m in models
        ]
        for c in names
    }
    return pd.DataFrame(agg, index=pd.Index(models, name="model"))


def _index_names(frame: Any) -> str:
    if not isinstance(frame, pd.DataFrame):
        return type(frame).__name__
    return f"index names {list(frame.index.names)}"


def to_json_dict(metrics: pd.DataFrame) -> dict[str, Any]:
    """``evaluate``'s frame as plain JSON values (metrics.json): NaN and inf become None.

    Aggregate frames give ``{model: {metric: value}}``; ``by_series`` frames give
    ``{unique_id: {model: {metric: value}}}``. Counts stay ints, the rest are floats.

    Example:
        >>> frame = pd.DataFrame({"MAE": [1.5, np.nan], "MAPE_skipped": [2, 2]},
        ...                      index=pd.Index(["y_hat", "naive"], name="model"))
        >>> to_json_dict(frame)
        {'y_hat': {'MAE': 1.5, 'MAPE_skipped': 2}, 'naive': {'MAE': None, 'MAPE_skipped': 2}}
    """
    if not isinstance(metrics, pd.DataFrame) or list(metrics.index.names) not in (
        ["model"],
        ["unique_id", "model"],
    ):
        raise ValueError(
            "to_json_dict: expected a frame returned by evaluate (index 'model' or "
            f"('unique_id', 'model')), got {_index_names(metrics)}"
        )

    def plain(v: Any) -> int | float | None:
        if isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_):
            return int(v)
        v = float(v)
        return v if math.isfinite(v) else None

    columns = {c: metrics[c].tolist() for c in metrics.columns}
    out: dict[str, Any] = {}
    for i, key in enumerate(metrics.index):
        row = {c: plain(columns[c][i]) for c in metrics.columns}
        if isinstance(key, tuple):
            out.setdefault(str(key[0]), {})[str(key[1])] = row
        else:
            out[str(key)] = row
    return out
