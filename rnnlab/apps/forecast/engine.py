"""Train one global network on a panel up to given ends, and forecast from given origins.

Both :class:`~rnnlab.apps.forecast.forecaster.Forecaster` methods that train — ``fit``
(up to the end of every series) and ``backtest`` (up to each cutoff) — go through
:func:`train`; every forecast, of the future or of a backtest window, through
:func:`forecast`. Neither looks past the ends it is given: the target's scaler at an
origin is fitted on the series before it, the covariates' scalers on the training part.

An origin is a pair ``(series, end)``: the forecast uses ``y[:end]`` and covers steps
``end .. end + horizon - 1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from rnnlab import callbacks, optimizers
from rnnlab.apps.forecast import calendar as cal
from rnnlab.apps.forecast.calendar import season_length
from rnnlab.apps.forecast.frame import Panel
from rnnlab.apps.forecast.inputs import (
    PanelSource,
    PanelTake,
    anchor,
    base_forecast,
    input_shape,
    model_inputs,
    window_width,
)
from rnnlab.apps.forecast.models import build_preset, monotone, point_loss, quantile_loss
from rnnlab.apps.forecast.scaling import fit_scaler
from rnnlab.apps.forecast.windows import numpy_windows, pad_panel, validation_split, window_index

__all__ = ["Spec", "Trained", "forecast", "raw_channels", "train"]


@dataclass(frozen=True)
class Spec:
    """The settings that shape the data and the network (a Forecaster's, checked)."""

    model: Any  # a preset name, or a function () -> an uncompiled rnnlab model
    horizon: int
    lookback: int
    strategy: str
    quantiles: tuple[float, ...]  # sorted; empty for a point forecast
    intervals: str | None  # "quantile", "conformal" or None
    scaler: str
    calendar: bool
    freq: str
    futr_exog: tuple[str, ...]
    hist_exog: tuple[str, ...]
    units: int
    dropout: float
    epochs: int | None
    max_steps: int
    batch_size: int
    learning_rate: float
    patience: int
    val_size: int
    seed: int
    verbose: int

    @property
    def head_quantiles(self) -> tuple[float, ...]:
        """Levels the network outputs: the quantiles and the median (the point forecast),
        sorted; none for a point or conformal forecast."""
        if self.intervals != "quantile" or not self.quantiles:
            return ()
        return tuple(sorted({*self.quantiles, 0.5}))

    @property
    def outputs(self) -> int:
        """Outputs per forecast step."""
        return max(1, len(self.head_quantiles))

    @property
    def n_unknown(self) -> int:
        """Channels unknown in the future: the target and the past-only covariates."""
        return 1 + len(self.hist_exog)

    @property
    def channel_names(self) -> tuple[str, ...]:
        """Panel channels in order (target, past-only, calendar, future covariates)."""
        names = cal.calendar_names(self.freq) if self.calendar else ()
        return ("y", *self.hist_exog, *names, *self.futr_exog)


@dataclass
class Trained:
    """A network trained on a panel, with what forecasting with it needs."""

    model: Any
    exog_center: np.ndarray  # (S, n_exog): the covariates' scaling, from the training part
    exog_scale: np.ndarray
    history: Any  # rnnlab History
    conformal: np.ndarray | None = None  # (horizon, levels): residual quantiles, scaled
    season: int = 0  # the base forecast's season (0: the last value); see inputs.py


def raw_channels(
    spec: Spec, panel: Panel, i: int, extra: int = 0, futr: np.ndarray | None = None
) -> np.ndarray:
    """Series ``i``'s channels ``(T_i + extra, C)`` in data units (float64).

    ``extra`` steps past the series' end get the calendar of their timestamps and the
    future covariates ``futr`` ``(extra, n_futr)``; their unknown channels are NaN.
    """
    n = int(panel.lengths[i])
    ds = panel.ds(i)
    if extra:
        from rnnlab.apps.forecast.frame import future_ds

        ds = ds.append(future_ds(ds[-1], spec.freq, extra))
    parts = [np.concatenate([panel.y[i], np.full(extra, np.nan)])[:, None]]
    if spec.hist_exog:
        parts.append(np.concatenate([panel.hist[i], np.full((extra, len(spec.hist_exog)), np.nan)]))
    if spec.calendar:
        parts.append(cal.calendar_features(ds, spec.freq).astype(np.float64))
    if spec.futr_exog:
        future = np.zeros((0, len(spec.futr_exog))) if futr is None else futr
        parts.append(np.concatenate([panel.futr[i], future])[: n + extra])
    return np.concatenate(parts, axis=1)


def _exog_scaling(spec: Spec, panel: Panel, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-series standard scaling of every covariate, fitted on ``[:ends]``."""
    columns = [(panel.hist, j) for j in range(len(spec.hist_exog))]
    columns += [(panel.futr, j) for j in range(len(spec.futr_exog))]
    center = np.zeros((len(panel), len(columns)))
    scale = np.ones((len(panel), len(columns)))
    for k, (arrays, j) in enumerate(columns):
        s = fit_scaler("standard", [a[:, j] for a in arrays], ends)
        center[:, k], scale[:, k] = s.center, s.scale
    return center, scale


def _exog_slots(spec: Spec) -> np.ndarray:
    """Channel positions of the covariates (hist, then futr), in the order of the scaling."""
    n_cal = len(spec.channel_names) - spec.n_unknown - len(spec.futr_exog)
    hist = np.arange(1, spec.n_unknown)
    futr = spec.n_unknown + n_cal + np.arange(len(spec.futr_exog))
    return np.concatenate([hist, futr]).astype(int)


def _scale(spec, w, series, center, scale, exog_center, exog_scale) -> np.ndarray:
    """Windows ``(N, W, C)`` in data units -> scaled float32 (NaN -> 0)."""
    w = np.array(w, dtype=np.float64)
    w[..., 0] = (w[..., 0] - center[:, None]) / scale[:, None]
    slots = _exog_slots(spec)
    if slots.size:
        w[..., slots] = (w[..., slots] - exog_center[series][:, None]) / exog_scale[series][:, None]
    return np.nan_to_num(w, nan=0.0).astype(np.float32)


def _network(spec: Spec, channels: int) -> Any:
    window, features = input_shape(spec.strategy, spec.lookback, spec.horizon, channels)
    if isinstance(spec.model, str):
        return build_preset(
            spec.model,
            strategy=spec.strategy,
            channels=features,
            window=window,
            horizon=spec.horizon,
            outputs=spec.outputs,
            units=spec.units,
            dropout=spec.dropout,
            seed=spec.seed,
        )
    from rnnlab import utils

    utils.set_random_seed(spec.seed)
    model = spec.model()
    model.build((None, window, features))
    return model


def train(spec: Spec, panel: Panel, ends: np.ndarray) -> Trained:
    """Train a network on every series' ``[:ends[s]]`` (its last ``val_size`` steps kept
    for early stopping), as ``spec`` says."""
    ends = np.asarray(ends, dtype=np.int64)
    width = window_width(spec.strategy, spec.lookback, spec.horizon)
    target_steps = width - spec.lookback
    train_ends, val_start = validation_split(ends, spec.lookback, target_steps, spec.val_size)
    y_scaler = fit_scaler(spec.scaler, list(panel.y), train_ends)
    exog_center, exog_scale = _exog_scaling(spec, panel, train_ends)
    rows = []
    for i in range(len(panel)):
        raw = raw_channels(spec, panel, i)[: ends[i]][None]
        series = np.array([i])
        c, s = y_scaler.center[series], y_scaler.scale[series]
        rows.append(_scale(spec, raw, series, c, s, exog_center, exog_scale)[0])
    values, _ = pad_panel(rows)
    season = choose_base(spec, panel, train_ends)
    take = PanelTake(
        spec.strategy, spec.lookback, spec.horizon, spec.n_unknown, spec.outputs, season
    )
    train_idx = window_index(ends, train_ends, spec.lookback, target_steps)
    val_idx = window_index(ends, ends, spec.lookback, target_steps, start=val_start)
    model = _network(spec, values.shape[2])
    epochs = spec.epochs or auto_epochs(len(train_idx), spec.batch_size, spec.max_steps)
    loss = quantile_loss(spec.head_quantiles) if spec.head_quantiles else point_loss
    model.compile(optimizer=optimizers.Adam(learning_rate=spec.learning_rate), loss=loss)
    cbs = []
    val = None
    if len(val_idx):
        val = PanelSource(values, val_idx, take)
        # From the first epoch: on small panels the best epoch comes early (US employment,
        # backtest MASE 1.13 when stopping could start only after a quarter of the epochs,
        # 0.71 from the first; co2, Seattle and El Nino within seed noise either way).
        cbs.append(
            callbacks.EarlyStopping(
                monitor="val_loss", patience=spec.patience, restore_best_weights=True
            )
        )
    history = model.fit(
        PanelSource(values, train_idx, take),
        batch_size=spec.batch_size,
        epochs=epochs,
        validation_data=val,
        callbacks=cbs,
        verbose=spec.verbose,
    )
    trained = Trained(model, exog_center, exog_scale, history, season=season)
    if spec.intervals == "conformal":
        trained.conformal = _calibrate(spec, trained, panel, ends)
    return trained


def choose_base(spec: Spec, panel: Panel, ends: np.ndarray) -> int:
    """The season of the base forecast (see :mod:`~rnnlab.apps.forecast.inputs`), or 0
    for the last value: the one whose errors on the training part are smaller.

    The naive forecast's error at step ``k`` is the series' change over ``k + 1`` steps,
    the seasonal naive's its change over a season; each series' errors are scaled by
    its mean one-step change, then summed over series.
    """
    season = season_length(spec.freq)
    if spec.strategy == "seq2seq" or season < 2 or season > spec.lookback:
        return 0
    naive = seasonal = 0.0
    lags = np.arange(1, min(spec.horizon, season - 1) + 1)
    for y, end in zip(panel.y, ends, strict=True):  # one NumPy pass per series
        y = y[:end]
        if y.size <= season + 1:
            continue
        scale = np.mean(np.abs(np.diff(y))) or 1.0
        naive += np.mean([np.mean(np.abs(y[k:] - y[:-k])) for k in lags]) / scale
        seasonal += np.mean(np.abs(y[season:] - y[:-season])) / scale
    # Only a clearly better seasonal baseline: where the two are close (Mauna Loa CO2:
    # 1.29 against 1.41 MASE) the last value served the network better (0.41 against 0.60).
    return season if seasonal < 0.5 * naive else 0


def auto_epochs(n_windows: int, batch_size: int, max_steps: int) -> int:
    """Epochs for about ``max_steps`` gradient steps, at least 1 and at most 500: small
    data gets many passes, a large panel one. (The Forecaster's 500 is half
    NeuralForecast's 1,000: with early stopping, co2's and Seattle's backtest MASE at 500
    were within seed noise of 1,000's, in half the time.)

    Example:
        >>> auto_epochs(320, 32, 1000), auto_epochs(10**6, 32, 1000)
        (100, 1)
    """
    steps_per_epoch = max(1, -(-n_windows // batch_size))
    return int(min(500, max(1, -(-max_steps // steps_per_epoch))))


def _calibrate(spec: Spec, trained: Trained, panel: Panel, ends: np.ndarray) -> np.ndarray:
    """Split-conformal widths: per horizon step, the quantiles of the scaled absolute
    residuals of the forecasts from every origin whose horizon lies in the validation
    tail (never trained on), at each interval level."""
    _, val_start = validation_split(ends, spec.lookback, spec.horizon, spec.val_size)
    rows = window_index(ends, ends, spec.lookback, spec.horizon, start=val_start)
    if not len(rows):
        raise ValueError(
            "intervals='conformal' needs validation windows to calibrate on; every series "
            f"is shorter than val_size + lookback + horizon ({spec.val_size} + "
            f"{spec.lookback} + {spec.horizon})"
        )
    origins = np.stack([rows[:, 0], rows[:, 1] + spec.lookback], axis=1)
    point, _, scale = forecast(spec, trained, panel, origins, raw=True)
    truth = np.stack([panel.y[s][e : e + spec.horizon] for s, e in origins])
    residual = np.abs(truth - point) / scale[:, None]
    n = residual.shape[0]
    levels = conformal_levels(spec.quantiles)
    # The finite-sample split-conformal quantile: the ceil((n + 1) * level)-th smallest.
    ranks = np.minimum(np.ceil((n + 1) * np.asarray(levels)).astype(int), n) - 1
    ordered = np.sort(residual, axis=0)
    return ordered[ranks].T  # (horizon, levels)


def conformal_levels(quantiles: Sequence[float]) -> list[float]:
    """Interval levels (0.8 for the pair 0.1, 0.9) of the quantiles below the median."""
    return [round(1 - 2 * q, 10) for q in quantiles if q < 0.5]


def forecast(
    spec: Spec,
    trained: Trained,
    panel: Panel,
    origins: np.ndarray,
    futr: Sequence[np.ndarray] | None = None,
    raw: bool = False,
) -> Any:
    """Forecasts ``(N, horizon, 1 + len(quantiles))`` in data units for ``origins``
    ``(N, 2)`` rows ``(series, end)``, all in one batched pass (``horizon`` passes for
    ``recursive``).

    Columns of the last axis: the point forecast (the median of a quantile head), then
    the quantile levels in ``spec.quantiles`` order. ``futr``: per series, future
    covariates ``(horizon, n_futr)`` for origins at the series' end. ``raw=True``
    returns ``(point (N, H), network outputs, target scale (N,))`` (for calibration).
    """
    origins = np.asarray(origins, dtype=np.int64)
    series, ends = origins[:, 0], origins[:, 1]
    width = spec.lookback + spec.horizon
    # Past the series' end only when its future covariates are known (or there are none).
    extra = spec.horizon if futr is not None or not spec.futr_exog else 0
    extended = [
        raw_channels(spec, panel, i, extra, None if futr is None else futr[i])
        for i in range(len(panel))
    ]
    values, _ = pad_panel([e.astype(np.float32) for e in extended])
    windows = numpy_windows(values, np.stack([series, ends - spec.lookback], 1), width)
    windows = windows.astype(np.float64)
    y_scaler = fit_scaler(spec.scaler, [panel.y[s] for s in series], ends)
    w = _scale(
        spec,
        windows,
        series,
        y_scaler.center,
        y_scaler.scale,
        trained.exog_center,
        trained.exog_scale,
    )
    out = _run(spec, trained.model, w, trained.season)  # (N, H, Q), scaled
    out = out * y_scaler.scale[:, None, None] + y_scaler.center[:, None, None]
    head = list(spec.head_quantiles)
    point = out[..., head.index(0.5)] if head else out[..., 0]
    if raw:
        return point, out, y_scaler.scale
    if spec.intervals == "conformal" and trained.conformal is not None:
        half = trained.conformal[None] * y_scaler.scale[:, None, None]  # (N, H, levels)
        cols = []
        levels = conformal_levels(spec.quantiles)
        for q in spec.quantiles:
            if q == 0.5:
                cols.append(point)
            else:
                k = levels.index(round(1 - 2 * min(q, 1 - q), 10))
                cols.append(point - half[..., k] if q < 0.5 else point + half[..., k])
        return np.stack([point, *cols], axis=-1)
    return np.stack([point, *(out[..., head.index(q)] for q in head and spec.quantiles)], -1)


# One compiled program per shape for each host-side transform (as eager jnp ops they
# compiled a small program per operation and shape: ~1 s of a co2 backtest).
_inputs = jax.jit(model_inputs, static_argnums=(0, 2, 3))
_base = jax.jit(base_forecast, static_argnums=(0, 2, 3, 4))
_anchor = jax.jit(anchor, static_argnums=1)
_monotone = jax.jit(monotone)


def _run(spec: Spec, model: Any, w: np.ndarray, season: int) -> np.ndarray:
    """The network over scaled windows ``(N, lookback + horizon, C)`` -> ``(N, H, Q)``."""
    lookback, horizon = spec.lookback, spec.horizon
    quantiles = list(spec.head_quantiles)
    level = np.asarray(_anchor(w, lookback))[:, None, None]
    if spec.strategy == "direct":
        out = model.predict(np.asarray(_inputs("direct", w, lookback, spec.n_unknown)))
        base = np.asarray(_base("direct", w, lookback, horizon, season))[..., None]
        return (np.asarray(_monotone(out)) if quantiles else out) + level + base
    if spec.strategy == "seq2seq":
        x = np.asarray(_inputs("seq2seq", w[:, : lookback + 1], lookback, spec.n_unknown))
        out = model.predict(x)[:, -1]
        return (np.asarray(_monotone(out)) if quantiles else out) + level
    # recursive: one step at a time, each forecast (its median) written into the window.
    w = w.copy()
    steps = []
    for h in range(horizon):
        window = w[:, h : h + lookback + 1]
        raw = model.predict(np.asarray(_inputs("recursive", window, lookback, spec.n_unknown)))
        q = np.asarray(_monotone(raw[:, 0])) if quantiles else raw[:, 0]  # (N, Q)
        base = _base("recursive", window, lookback, 1, season)
        q = q + np.asarray(_anchor(window, lookback))[:, None] + np.asarray(base)
        steps.append(q)
        median = q[:, quantiles.index(0.5)] if quantiles else q[:, 0]
        w[:, lookback + h, 0] = median
    return np.stack(steps, axis=1)
