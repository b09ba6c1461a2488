"""Synthetic time series and train/validation/test splits, as in the RNN chapter.

The chapter (adapted from Géron, *Hands-On Machine Learning*, ch. 15) forecasts
univariate series made of two sine waves with random frequencies and phases plus
noise. This module reproduces its generator and its two data sets:

* single-step: 50 observed steps, predict step 51 (targets of shape ``(n, 1)``);
* multi-step: 50 observed steps, predict the next 10 (targets of shape ``(n, 10)``).

Only NumPy is needed; arrays are ``float32`` and laid out ``(batch, time, features)``.

Example:
    >>> single, multi = chapter_datasets(seed=42, n_series=100)
    >>> single.x_train.shape, single.y_train.shape, multi.y_val.shape
    ((70, 50, 1), (70, 1), (20, 10))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "SeriesSplit",
    "chapter_datasets",
    "generate_time_series",
    "seq2seq_datasets",
    "seq2seq_targets",
    "split_series",
]

SeedLike = int | np.random.Generator | None


def _is_int(value: object) -> bool:
    """True for Python and NumPy integers, False for bool (which subclasses int)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _check_int(func: str, name: str, value: object, minimum: int) -> int:
    """Return ``value`` as an int, or raise naming ``func``, ``name`` and what came."""
    expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if not _is_int(value):
        raise TypeError(
            f"{func}: {name} must be {expected}, got {value!r} ({type(value).__name__})"
        )
    if value < minimum:
        raise ValueError(f"{func}: {name} must be {expected}, got {value!r}")
    return int(value)


def _as_rng(func: str, seed: SeedLike) -> np.random.Generator:
    """Turn an int, a Generator or None into a Generator (a Generator is used as is)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or _is_int(seed):
        return np.random.default_rng(seed)
    raise TypeError(
        f"{func}: seed must be an int, a numpy.random.Generator or None, "
        f"got {seed!r} ({type(seed).__name__})"
    )


def generate_time_series(batch_size: int, n_steps: int, seed: SeedLike = None) -> np.ndarray:
    """Generate ``batch_size`` noisy two-sine-wave series of ``n_steps`` values each.

    Each series is ``0.5 sin((t - o1)(10 f1 + 10)) + 0.2 sin((t - o2)(20 f2 + 20))``
    plus uniform noise in ``[-0.05, 0.05)``, with ``t`` evenly spaced in ``[0, 1]`` and
    ``f1, f2, o1, o2`` drawn uniformly in ``[0, 1)`` per series, so ``|x| <= 0.75``.
    The draws happen in the chapter's order, from ``Generator.random``.

    Args:
        batch_size: number of series (positive int).
        n_steps: number of time steps per series (positive int).
        seed: an int (seeds ``np.random.default_rng``), a ``np.random.Generator``
            (used as is and advanced), or None for fresh, unpredictable randomness.

    Returns:
        ``float32`` array of shape ``(batch_size, n_steps, 1)``.

    Example:
        >>> generate_time_series(4, 51, seed=0).shape
        (4, 51, 1)
    """
    func = "generate_time_series"
    batch_size = _check_int(func, "batch_size", batch_size, 1)
    n_steps = _check_int(func, "n_steps", n_steps, 1)
    rng = _as_rng(func, seed)
    freq1, freq2, offsets1, offsets2 = rng.random((4, batch_size, 1))
    time = np.linspace(0, 1, n_steps)
    series = 0.5 * np.sin((time - offsets1) * (freq1 * 10 + 10))  # wave 1
    series += 0.2 * np.sin((time - offsets2) * (freq2 * 20 + 20))  # + wave 2
    series += 0.1 * (rng.random((batch_size, n_steps)) - 0.5)  # + noise
    return series[..., np.newaxis].astype(np.float32)


@dataclass(frozen=True)
class SeriesSplit:
    """Inputs and targets of a forecasting data set, split into train/val/test.

    ``x_*`` have shape ``(n, n_steps, features)``; ``y_*`` have shape ``(n, features)``
    for single-step targets or ``(n, horizon)`` for multi-step ones. The arrays are
    views of the series they were cut from (the dataclass is frozen, not the data).

    Example:
        >>> split = split_series(generate_time_series(10, 6, seed=0), n_train=6, n_val=2)
        >>> split.shapes()["y_test"]
        (2, 1)
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Return ``{"x_train": shape, "y_train": shape, ...}`` in field order."""
        names = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")
        return {name: tuple(getattr(self, name).shape) for name in names}


def split_series(
    series: np.ndarray,
    horizon: int = 1,
    n_train: int = 7000,
    n_val: int = 2000,
    n_test: int | None = None,
) -> SeriesSplit:
    """Cut series into inputs (all but the last ``horizon`` steps) and targets.

    Args:
        series: array of shape ``(n, n_steps + horizon, features)``.
        horizon: number of future steps to predict, ``1 <= horizon < series.shape[1]``.
        n_train: rows ``[0, n_train)`` form the training set.
        n_val: the next ``n_val`` rows form the validation set.
        n_test: the next ``n_test`` rows form the test set; None takes all the rest.

    Returns:
        A :class:`SeriesSplit`. Inputs are ``series[:, :-horizon]``, shape
        ``(rows, n_steps, features)``. Targets are ``series[:, -1]``, shape
        ``(rows, features)``, when ``horizon == 1`` (the chapter's single-step case), and
        ``series[:, -horizon:, 0]``, shape ``(rows, horizon)``, otherwise: the first
        feature over the last ``horizon`` steps (the chapter's multi-step case).

    Example:
        >>> series = generate_time_series(100, 60, seed=0)
        >>> split_series(series, horizon=10, n_train=70, n_val=20).y_train.shape
        (70, 10)
    """
    func = "split_series"
    series = np.asarray(series)
    if series.ndim != 3:
        raise ValueError(
            f"{func}: series must be 3-D with shape (n, n_steps + horizon, features), "
            f"got shape {series.shape}"
        )
    horizon = _check_int(func, "horizon", horizon, 1)
    if horizon >= series.shape[1]:
        raise ValueError(
            f"{func}: horizon must be smaller than the number of time steps "
            f"({series.shape[1]}) so that inputs keep at least one step, got {horizon}"
        )
    n_train = _check_int(func, "n_train", n_train, 1)
    n_val = _check_int(func, "n_val", n_val, 1)
    n_rows = series.shape[0]
    if n_test is None:
        n_test = n_rows - n_train - n_val
        if n_test < 1:
            raise ValueError(
                f"{func}: n_train + n_val must leave at least one row for the test set "
                f"(series has {n_rows} rows), got n_train={n_train}, n_val={n_val}"
            )
    else:
        n_test = _check_int(func, "n_test", n_test, 1)
        if n_train + n_val + n_test > n_rows:
            raise ValueError(
                f"{func}: n_train + n_val + n_test must be <= the number of series "
                f"({n_rows}), got {n_train} + {n_val} + {n_test} = {n_train + n_val + n_test}"
            )

    inputs = series[:, :-horizon]
    targets = series[:, -1] if horizon == 1 else series[:, -horizon:, 0]
    train, val = slice(0, n_train), slice(n_train, n_train + n_val)
    test = slice(n_train + n_val, n_train + n_val + n_test)
    return SeriesSplit(
        x_train=inputs[train],
        y_train=targets[train],
        x_val=inputs[val],
        y_val=targets[val],
        x_test=inputs[test],
        y_test=targets[test],
    )


def chapter_datasets(
    seed: SeedLike = None, n_series: int = 10_000, n_steps: int = 50
) -> tuple[SeriesSplit, SeriesSplit]:
    """Build the chapter's single-step and 10-step data sets from one generator.

    The generator is called twice on the same random stream, as in the chapter:
    first for ``n_series`` series of ``n_steps + 1`` values (horizon 1), then for
    ``n_series`` series of ``n_steps + 10`` values (horizon 10). Rows are split
    70% / 20% / 10% into train / validation / test (7,000 / 2,000 / 1,000 by default).

    Args:
        seed: int, ``np.random.Generator`` or None (see :func:`generate_time_series`).
        n_series: number of series in each data set (integer >= 10).
        n_steps: number of observed (input) time steps (positive int).

    Returns:
        ``(single_step, multi_step)``: ``single_step.y_*`` have shape ``(rows, 1)``,
        ``multi_step.y_*`` have shape ``(rows, 10)``; all ``x_*`` have shape
        ``(rows, n_steps, 1)``.

    Example:
        >>> single, multi = chapter_datasets(seed=1, n_series=500)
        >>> [single.shapes()[k][0] for k in ("x_train", "x_val", "x_test")]
        [350, 100, 50]
    """
    func = "chapter_datasets"
    n_series = _check_int(func, "n_series", n_series, 10)
    n_steps = _check_int(func, "n_steps", n_steps, 1)
    rng = _as_rng(func, seed)
    n_train, n_val = n_series * 7 // 10, n_series * 2 // 10
    single = generate_time_series(n_series, n_steps + 1, rng)
    multi = generate_time_series(n_series, n_steps + 10, rng)
    return (
        split_series(single, horizon=1, n_train=n_train, n_val=n_val),
        split_series(multi, horizon=10, n_train=n_train, n_val=n_val),
    )


def seq2seq_targets(series: np.ndarray, n_steps: int, horizon: int = 10) -> np.ndarray:
    """Targets for sequence-to-sequence forecasting: the next ``horizon`` values at every step.

    ``Y[:, t, k] = series[:, t + 1 + k, 0]`` for ``t < n_steps`` and ``k < horizon``
    (Hands-On ML, ch. 15): at each input step the model forecasts the following
    ``horizon`` values, so it gets a training signal at every step, not only the last.

    Args:
        series: ``(batch, >= n_steps + horizon, features)``; the first feature is forecast.
        n_steps: number of input steps.
        horizon: values forecast at each step.

    Returns:
        ``(batch, n_steps, horizon)`` float32.

    Example:
        >>> s = np.arange(6, dtype=np.float32).reshape(1, 6, 1)
        >>> seq2seq_targets(s, n_steps=3, horizon=2)[0]
        array([[1., 2.],
               [2., 3.],
               [3., 4.]], dtype=float32)
    """
    func = "seq2seq_targets"
    n_steps = _check_int(func, "n_steps", n_steps, 1)
    horizon = _check_int(func, "horizon", horizon, 1)
    series = np.asarray(series)
    if series.ndim != 3:
        raise ValueError(
            f"{func}: series must be 3-D (batch, time, features), got shape {series.shape}"
        )
    if series.shape[1] < n_steps + horizon:
        raise ValueError(
            f"{func}: series has {series.shape[1]} steps, need at least "
            f"n_steps + horizon = {n_steps + horizon}"
        )
    targets = np.empty((series.shape[0], n_steps, horizon), np.float32)
    for k in range(horizon):
        targets[:, :, k] = series[:, k + 1 : k + 1 + n_steps, 0]
    return targets


def seq2seq_datasets(
    seed: SeedLike = None, n_series: int = 10_000, n_steps: int = 50, horizon: int = 10
) -> SeriesSplit:
    """The sequence-to-sequence data set: ``n_series`` series of ``n_steps + horizon`` values.

    Inputs ``x_*`` are ``(rows, n_steps, 1)``; targets ``y_*`` are
    ``(rows, n_steps, horizon)`` from :func:`seq2seq_targets`, split 70% / 20% / 10%.
    The last step's targets ``y[:, -1]`` are the plain ``horizon``-step forecast.

    Example:
        >>> d = seq2seq_datasets(seed=0, n_series=100)
        >>> d.x_train.shape, d.y_train.shape
        ((70, 50, 1), (70, 50, 10))
    """
    func = "seq2seq_datasets"
    n_series = _check_int(func, "n_series", n_series, 10)
    series = generate_time_series(n_series, n_steps + horizon, seed)
    x, y = series[:, :n_steps], seq2seq_targets(series, n_steps, horizon)
    a, b = n_series * 7 // 10, n_series * 9 // 10
    return SeriesSplit(x[:a], y[:a], x[a:b], y[a:b], x[b:], y[b:])
