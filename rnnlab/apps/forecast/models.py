"""The forecaster's networks: the chapter's kinds as presets, and the quantile loss.

Every preset is an ordinary rnnlab ``Sequential`` whose output is ``(steps, Q)``:
``steps`` forecast steps (the horizon for ``direct``, 1 for ``recursive``, or
``(lookback, horizon)`` per input step for ``seq2seq``) and ``Q`` outputs per step —
one for a point forecast, one per quantile level otherwise.

Quantiles never cross: the network's raw outputs ``z`` become
``q_0 = z_0, q_j = q_{j-1} + softplus(z_j)`` (:func:`monotone`), inside the loss
while training and after ``predict``, so the saved model stays a plain Sequential.

Example:
    >>> m = build_preset("gru", strategy="direct", channels=3, window=20, horizon=5, outputs=3)
    >>> m.output_shape
    (None, 5, 3)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnnlab import layers
from rnnlab.models import Sequential

__all__ = [
    "PRESETS",
    "STRATEGIES",
    "LastStep",
    "build_preset",
    "monotone",
    "point_loss",
    "quantile_loss",
]

PRESETS = ("simple_rnn", "lstm", "gru", "conv1d_gru", "wavenet")
STRATEGIES = ("direct", "recursive", "seq2seq")


class LastStep(layers.Layer):
    """The last time step of a sequence: ``(batch, time, features)`` → ``(batch, features)``.

    What a recurrent layer without ``return_sequences`` gives, for convolutional stacks
    (the WaveNet preset), whose output is a sequence.

    Example:
        >>> LastStep()(np.arange(6, dtype=np.float32).reshape(1, 3, 2)).tolist()
        [[4.0, 5.0]]
    """

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *input_shape[2:])

    def apply(self, params, x, *, training=False, key=None, mask=None):
        """``x[:, -1]``."""
        return x[:, -1]


def monotone(raw: Any) -> Any:
    """Non-crossing quantiles from raw outputs ``(..., Q)`` (levels in increasing order).

    Example:
        >>> np.round(np.asarray(monotone(jnp.array([1.0, 0.0, -30.0])), np.float64), 3).tolist()
        [1.0, 1.693, 1.693]
    """
    gaps = jax.nn.softplus(raw[..., 1:])
    return jnp.concatenate([raw[..., :1], raw[..., :1] + jnp.cumsum(gaps, axis=-1)], axis=-1)


def quantile_loss(quantiles: Sequence[float]) -> Callable[[Any, Any], Any]:
    """Per-sample pinball loss of the monotone quantiles of raw outputs ``(batch, ..., Q)``
    against targets of the same shape (the target repeated over ``Q``); mean over steps
    and levels.

    Example:
        >>> loss = quantile_loss([0.1, 0.9])
        >>> y = jnp.zeros((1, 1, 2)); raw = jnp.array([[[1.0, -50.0]]])  # both quantiles = 1
        >>> float(loss(y, raw)[0])  # (0.9 * 1 + 0.1 * 1) / 2
        0.5
    """
    levels = jnp.asarray(np.asarray(quantiles, np.float32))

    def pinball(y_true, raw):
        diff = y_true - monotone(raw)
        values = jnp.maximum(levels * diff, (levels - 1.0) * diff)
        return jnp.mean(values.reshape(values.shape[0], -1), axis=-1)

    pinball.__name__ = "pinball"
    return pinball


def point_loss(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean absolute error (a point forecast's loss: the median's pinball × 2).

    Example:
        >>> float(point_loss(jnp.ones((1, 2, 1)), jnp.zeros((1, 2, 1)))[0])
        1.0
    """
    diff = jnp.abs(y_true - y_pred)
    return jnp.mean(diff.reshape(diff.shape[0], -1), axis=-1)


point_loss.__name__ = "mae"


def _head(strategy: str, horizon: int, outputs: int) -> list[layers.Layer]:
    if strategy == "seq2seq":  # every input step forecasts the next `horizon` steps
        return [
            layers.TimeDistributed(layers.Dense(horizon * outputs)),
            layers.Reshape((-1, horizon, outputs)),
        ]
    steps = horizon if strategy == "direct" else 1
    return [layers.Dense(steps * outputs), layers.Reshape((steps, outputs))]


def _body(name: str, units: int, strategy: str, dropout: float) -> list[layers.Layer]:
    seq = strategy == "seq2seq"
    if name in ("simple_rnn", "lstm", "gru"):
        cls = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}[name]
        return [
            cls(units, return_sequences=True, dropout=dropout),
            cls(units, return_sequences=seq, dropout=dropout),
        ]
    if name == "conv1d_gru":
        # The chapter's stride-2 convolution halves the steps the GRUs read; seq2seq keeps
        # one output per input step, so there the convolution is causal with stride 1.
        conv = (
            layers.Conv1D(units, 4, padding="causal")
            if seq
            else layers.Conv1D(units, 4, strides=2, padding="valid")
        )
        return [
            conv,
            layers.GRU(units, return_sequences=True, dropout=dropout),
            layers.GRU(units, return_sequences=seq, dropout=dropout),
        ]
    # wavenet: two blocks of causal convolutions dilated 1, 2, 4, 8 (the chapter's).
    convs: list[layers.Layer] = [
        layers.Conv1D(units, 2, padding="causal", activation="relu", dilation_rate=rate)
        for rate in (1, 2, 4, 8) * 2
    ]
    return convs if seq else [*convs, LastStep()]


def build_preset(
    name: str,
    *,
    strategy: str,
    channels: int,
    window: int,
    horizon: int,
    outputs: int,
    units: int = 32,
    dropout: float = 0.0,
    seed: int | None = None,
) -> Sequential:
    """The preset ``name`` for ``strategy``, built for inputs ``(window, channels)``.

    Output ``(horizon, outputs)`` (direct), ``(1, outputs)`` (recursive) or
    ``(window, horizon, outputs)`` (seq2seq). ``units``: cells (or filters) per layer.

    Example:
        >>> build_preset("lstm", strategy="recursive", channels=2, window=10, horizon=4,
        ...              outputs=1).output_shape
        (None, 1, 1)
    """
    if name not in PRESETS:
        raise ValueError(f"model: unknown preset {name!r}; expected one of {', '.join(PRESETS)}")
    body = _body(name, units, strategy, dropout)
    model = Sequential(
        [layers.InputLayer((window, channels)), *body, *_head(strategy, horizon, outputs)],
        name=name,
        seed=seed,
    )
    model.build((None, window, channels))
    return model
