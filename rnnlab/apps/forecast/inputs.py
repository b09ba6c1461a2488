"""What the network sees: windows of the panel turned into inputs and targets per strategy.

The panel is one array ``values (S, T, C)`` whose channels are, in order, the ones
unknown in the future (the scaled target, then the past-only covariates) and the
ones known in advance (calendar features, then the future covariates). A window is
``values[s, t : t + width]``; :func:`model_inputs` and :func:`model_targets` make
the network's input and target from windows, the same functions for training (inside
the compiled epoch, through :class:`PanelSource`) and for forecasting:

- ``direct`` (the chapter's 10-step model): width ``lookback + horizon``; the input is
  the whole window with the unknown channels zeroed over the horizon and one more
  channel flagging the horizon steps, so the network reads the calendar and future
  covariates of the steps it forecasts; the target is the ``horizon`` target values.
- ``recursive`` (the chapter's one-step model, fed its own forecasts): width
  ``lookback + 1``; input step ``j`` holds the unknown channels of step ``j`` and the
  known ones of step ``j + 1`` (the step being forecast); the target is one value.
- ``seq2seq`` (the chapter's per-step targets): width ``lookback + horizon``; inputs as
  for ``recursive``; at every input step the target is the next ``horizon`` values.

The target channel is taken relative to its last input value (:func:`anchor`), so
the network learns changes from the current level, and a trend that carries a series
past every level seen in training does not pull its forecasts back (on a trending
daily series this took the model's MASE from 5.0 to below seasonal naive's). Targets
are relative to a naive forecast made from the window (:func:`base_forecast`): the
last value, or with ``season`` the value one season before each step — the network
learns corrections to the better of the two baselines, which it is then hard to do
worse than; forecasts get the base added back.
Targets are repeated over the ``outputs`` axis (one per quantile level), so they have
the network's output shape.

Example:
    >>> w = np.arange(12, dtype=np.float32).reshape(1, 6, 2)  # 1 window, 6 steps, 2 channels
    >>> np.asarray(model_inputs("direct", w, 4, n_unknown=1))[0, :, 0].tolist()
    [-6.0, -4.0, -2.0, 0.0, 0.0, 0.0]
    >>> np.asarray(model_targets("direct", w, 4, 2, outputs=1))[0, :, 0].tolist()
    [2.0, 4.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import numpy as np

from rnnlab.apps.forecast.windows import take_windows

__all__ = [
    "PanelSource",
    "PanelTake",
    "anchor",
    "base_forecast",
    "input_shape",
    "model_inputs",
    "model_targets",
    "window_width",
]


def window_width(strategy: str, lookback: int, horizon: int) -> int:
    """Steps of the panel one sample reads.

    Example:
        >>> window_width("direct", 10, 3), window_width("recursive", 10, 3)
        (13, 11)
    """
    return lookback + (1 if strategy == "recursive" else horizon)


def input_shape(strategy: str, lookback: int, horizon: int, channels: int) -> tuple[int, int]:
    """``(steps, channels)`` of the network's input.

    Example:
        >>> input_shape("direct", 10, 3, 4), input_shape("seq2seq", 10, 3, 4)
        ((13, 5), (10, 4))
    """
    if strategy == "direct":
        return lookback + horizon, channels + 1
    return lookback, channels


def anchor(windows: Any, lookback: int) -> Any:
    """The level forecasts are relative to: each window's last input target value ``(N,)``."""
    return jnp.asarray(windows)[:, lookback - 1, 0]


def _relative(windows: Any, lookback: int) -> Any:
    w = jnp.asarray(windows)
    return w.at[..., 0].add(-anchor(w, lookback)[:, None])


def model_inputs(strategy: str, windows: Any, lookback: int, n_unknown: int) -> Any:
    """Network inputs from windows ``(N, width, C)`` (see the module docs); a JAX array
    ``(N, *input_shape)``. Works on NumPy or JAX arrays, inside ``jit`` too."""
    w = _relative(windows, lookback)
    if strategy == "direct":
        steps, channels = w.shape[1], w.shape[2]
        future = (jnp.arange(steps) >= lookback)[None, :, None]
        unknown = (jnp.arange(channels) < n_unknown)[None, None, :]
        x = jnp.where(future & unknown, 0.0, w)
        flag = jnp.broadcast_to(future, (w.shape[0], steps, 1)).astype(w.dtype)
        return jnp.concatenate([x, flag], axis=-1)
    # recursive, seq2seq: the known channels advanced one step.
    return jnp.concatenate([w[:, :lookback, :n_unknown], w[:, 1 : lookback + 1, n_unknown:]], -1)


def base_forecast(strategy: str, windows: Any, lookback: int, horizon: int, season: int = 0) -> Any:
    """The naive forecast targets are relative to, relative to :func:`anchor` itself:
    ``(N, horizon)`` (direct), ``(N, 1)`` (recursive), ``(N, 1, 1)`` (seq2seq, always
    the last value). ``season`` (``<= lookback``; 0 for the last value): the value one
    season before each forecast step, as the seasonal naive forecast takes it.

    Example:
        >>> w = np.arange(8, dtype=np.float32).reshape(1, 8, 1)  # values 0..7
        >>> np.asarray(base_forecast("direct", w, 6, 2, season=3)).tolist()  # 3, 4 minus 5
        [[-2.0, -1.0]]
    """
    w = _relative(windows, lookback)
    n = w.shape[0]
    if strategy == "seq2seq" or not season:
        shape = (n, 1, 1) if strategy == "seq2seq" else (n, horizon if strategy == "direct" else 1)
        return jnp.zeros(shape, w.dtype)
    if strategy == "recursive":
        return w[:, lookback - season, 0][:, None]
    steps = lookback - season + np.arange(horizon) % season
    return w[:, steps, 0]


def model_targets(
    strategy: str, windows: Any, lookback: int, horizon: int, outputs: int, season: int = 0
) -> Any:
    """Targets from windows ``(N, width, C)``: ``(N, horizon, Q)`` (direct), ``(N, 1, Q)``
    (recursive) or ``(N, lookback, horizon, Q)`` (seq2seq), ``Q = outputs``; relative to
    :func:`anchor` and :func:`base_forecast`."""
    w = _relative(windows, lookback)
    if strategy == "direct":
        y = w[:, lookback : lookback + horizon, 0]
    elif strategy == "recursive":
        y = w[:, lookback : lookback + 1, 0]
    else:
        y = jnp.stack([w[:, 1 + k : 1 + k + lookback, 0] for k in range(horizon)], axis=-1)
    y = y - base_forecast(strategy, windows, lookback, horizon, season)
    return jnp.broadcast_to(y[..., None], (*y.shape, outputs))


@dataclass(frozen=True)
class PanelTake:
    """The gather of :class:`PanelSource`: hashable, so equal settings share one program.

    ``__call__(values, index, idx)``: windows ``values[s, t : t + width]`` for the rows
    ``index[idx]`` turned into ``(inputs, targets)`` inside the compiled epoch.
    """

    strategy: str
    lookback: int
    horizon: int
    n_unknown: int
    outputs: int
    season: int = 0

    @property
    def width(self) -> int:
        """Steps of one window."""
        return window_width(self.strategy, self.lookback, self.horizon)

    def __call__(self, values: Any, index: Any, idx: Any) -> tuple[Any, Any]:
        w = take_windows(values, index[idx], self.width)
        x = model_inputs(self.strategy, w, self.lookback, self.n_unknown)
        y = model_targets(self.strategy, w, self.lookback, self.horizon, self.outputs, self.season)
        return x, y


@dataclass(frozen=True)
class PanelSource:
    """The windows ``index`` ``(N, 2)`` rows ``(series, t)`` of ``values`` ``(S, T, C)``
    as a :class:`rnnlab.training.Source`: memory is the panel plus the index, not one
    array per window.

    Example:
        >>> values = np.zeros((2, 20, 3), np.float32)
        >>> src = PanelSource(values, np.array([[0, 0], [1, 5]], np.int32),
        ...                   PanelTake("direct", 8, 4, n_unknown=1, outputs=3))
        >>> len(src), src.sample_shapes
        (2, ((12, 4), (4, 3)))
    """

    values: np.ndarray
    index: np.ndarray
    take: PanelTake

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(values, index)``."""
        return self.values, self.index

    @property
    def sample_shapes(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Shapes of one input and one target."""
        t = self.take
        x = input_shape(t.strategy, t.lookback, t.horizon, self.values.shape[2])
        if t.strategy == "direct":
            y: tuple[int, ...] = (t.horizon, t.outputs)
        elif t.strategy == "recursive":
            y = (1, t.outputs)
        else:
            y = (t.lookback, t.horizon, t.outputs)
        return x, y

    def __len__(self) -> int:
        return int(self.index.shape[0])
