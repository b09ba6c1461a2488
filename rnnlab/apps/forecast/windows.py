"""Training windows of a panel of series, indexed rather than materialised.

A global model trains on every ``(lookback, horizon)`` window of every series. The panel is
stored once, padded at the end, as ``values`` of shape ``(S, T_max, C)``; a window is a row
``(series, t)`` of an ``int32`` index table and covers steps ``t .. t + lookback + horizon - 1``
of its series (inputs the first ``lookback`` steps, targets the next ``horizon``). Memory is
the data plus ``8 * N`` bytes of index plus one gathered batch, however many windows there are
(materialising all windows up front is what exhausts memory in NeuralForecast).

* :func:`window_index` lists the windows lying inside ``[start[s], ends[s])`` of each series;
* :func:`validation_split` chooses the ends/starts of a chronological validation tail;
* :func:`pad_panel` stacks ragged series into ``values``;
* :func:`numpy_windows` gathers a batch on the host (a strided view, one copy of the batch);
* :func:`take_windows` gathers a batch inside compiled code;
* :func:`last_windows` gives each series' window ending at a cutoff, to predict after it.

Example:
    >>> values, lengths = pad_panel([np.arange(6.0)[:, None], np.arange(4.0)[:, None]])
    >>> index = window_index(lengths, lengths, lookback=2, horizon=1)
    >>> index.tolist()
    [[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1]]
    >>> numpy_windows(values, index[-1:], 3)[..., 0].tolist()
    [[1.0, 2.0, 3.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "last_windows",
    "numpy_windows",
    "pad_panel",
    "take_windows",
    "validation_split",
    "window_index",
]


def _check_int(func: str, name: str, value: object, minimum: int) -> int:
    """``value`` as an int >= ``minimum``, or an error naming ``func`` and ``name``."""
    if not isinstance(value, int | np.integer) or isinstance(value, bool | np.bool_):
        raise TypeError(f"{func}: {name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{func}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _int_vector(func: str, name: str, value: object, size: int | None = None) -> np.ndarray:
    """``value`` as a 1-D int64 array (of ``size`` entries when given), checked >= 0."""
    array = np.asarray(value)
    if array.ndim != 1 or not (array.dtype.kind in "iu" or array.size == 0):
        raise ValueError(
            f"{func}: {name} must be a 1-D integer array, "
            f"got shape {array.shape} and dtype {array.dtype}"
        )
    if size is not None and array.size != size:
        raise ValueError(
            f"{func}: {name} must have one entry per series ({size}), got {array.size}"
        )
    array = array.astype(np.int64)
    if array.size and array.min() < 0:
        i = int(np.argmin(array))
        raise ValueError(f"{func}: {name}[{i}] must be >= 0, got {array[i]}")
    return array


def _check_within(func: str, inner: str, a: np.ndarray, outer: str, b: np.ndarray) -> None:
    """Raise naming the first series where ``a[s] > b[s]``."""
    bad = np.flatnonzero(a > b)
    if bad.size:
        s = int(bad[0])
        raise ValueError(f"{func}: {inner}[{s}] = {a[s]} is past {outer}[{s}] = {b[s]}")


def window_index(
    lengths: np.ndarray,
    ends: np.ndarray,
    lookback: int,
    horizon: int,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Every window lying inside ``[start[s], ends[s])`` of each series, as ``(series, t)`` rows.

    Args:
        lengths: ``(S,)`` number of real steps of each series.
        ends: ``(S,)`` exclusive end of the usable part, ``ends[s] <= lengths[s]``: a window's
            last target step ``t + lookback + horizon - 1`` is ``< ends[s]`` (a cutoff).
        lookback: input steps of a window (>= 1).
        horizon: target steps of a window (>= 1).
        start: ``(S,)`` first allowed start ``t`` of each series (default 0).

    Returns:
        ``int32 (N, 2)`` rows ``(s, t)``, series in order and ``t`` increasing within each;
        series with no window contribute no row. Built with ``np.repeat``/``cumsum``, no loop.

    Example:
        >>> window_index(np.array([5, 3]), np.array([5, 3]), lookback=2, horizon=2).tolist()
        [[0, 0], [0, 1]]
        >>> window_index(np.array([6]), np.array([6]), 2, 1, start=np.array([2])).tolist()
        [[0, 2], [0, 3]]
    """
    func = "window_index"
    lookback = _check_int(func, "lookback", lookback, 1)
    horizon = _check_int(func, "horizon", horizon, 1)
    lengths = _int_vector(func, "lengths", lengths)
    ends = _int_vector(func, "ends", ends, lengths.size)
    _check_within(func, "ends", ends, "lengths", lengths)
    if start is None:
        start = np.zeros_like(lengths)
    start = _int_vector(func, "start", start, lengths.size)
    if lengths.size and lengths.max() >= np.iinfo(np.int32).max:
        raise ValueError(f"{func}: lengths must be < 2**31 - 1 to fit the int32 index")

    # Windows of series s start at start[s] .. ends[s] - width: count them, then number all
    # rows 0..N-1 and subtract each series' first row number to get its local offset.
    width = lookback + horizon
    counts = np.maximum(ends - width - start + 1, 0)
    total = int(counts.sum())
    series = np.repeat(np.arange(lengths.size, dtype=np.int32), counts)
    first_row = np.cumsum(counts) - counts
    t = np.arange(total, dtype=np.int64) - np.repeat(first_row - start, counts)
    return np.stack([series, t.astype(np.int32)], axis=1)


def validation_split(
    lengths: np.ndarray, lookback: int, horizon: int, val_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Ends of the training part and starts of the validation windows: a chronological tail.

    The last ``val_size`` steps of each series are its validation tail. Training windows have
    all their targets before the tail (``ends = train_ends``); validation windows have all
    their targets inside it, while their inputs may reach back into the training part
    (``start = val_start``, ``ends = lengths``). A series keeps all its data for training
    (``train_ends = lengths``, ``val_start = lengths``: no validation window) when it is too
    short for both a training and a validation window, i.e. when
    ``lengths[s] < val_size + lookback + horizon``. Scalers fit on ``y[s][:train_ends[s]]``.

    Args:
        lengths: ``(S,)`` steps of each series.
        lookback, horizon: the windows' input and target steps (>= 1).
        val_size: steps of the tail, ``>= horizon`` (a validation window needs ``horizon``
            target steps inside the tail; the tail then holds ``val_size - horizon + 1`` of
            them).

    Returns:
        ``(train_ends, val_start)``, both ``int64 (S,)``. Use
        ``window_index(lengths, train_ends, lookback, horizon)`` for training and
        ``window_index(lengths, lengths, lookback, horizon, start=val_start)`` for validation.

    Example:
        >>> train_ends, val_start = validation_split(np.array([10, 5]), 3, 2, val_size=3)
        >>> train_ends.tolist(), val_start.tolist()
        ([7, 5], [4, 5])
        >>> window_index(np.array([10, 5]), np.array([10, 5]), 3, 2, start=val_start).tolist()
        [[0, 4], [0, 5]]
    """
    func = "validation_split"
    lookback = _check_int(func, "lookback", lookback, 1)
    horizon = _check_int(func, "horizon", horizon, 1)
    val_size = _check_int(func, "val_size", val_size, 1)
    if val_size < horizon:
        raise ValueError(
            f"{func}: val_size must be >= horizon ({horizon}) so that a validation window's "
            f"targets fit in the tail, got {val_size}"
        )
    lengths = _int_vector(func, "lengths", lengths)
    has_val = lengths >= val_size + lookback + horizon
    train_ends = np.where(has_val, lengths - val_size, lengths)
    val_start = np.where(has_val, lengths - val_size - lookback, lengths)
    return train_ends, val_start


def pad_panel(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Stack ragged series ``(T_i, C)`` into ``float32 (S, T_max, C)``, zero-padded at the end.

    Args:
        arrays: one ``(T_i, C)`` array per series (``C`` the same for all; ``T_i >= 0``).

    Returns:
        ``(values, lengths)``: ``float32 (S, T_max, C)`` and ``int64 (S,)`` with ``T_i``.

    Example:
        >>> values, lengths = pad_panel([np.ones((3, 2)), 2 * np.ones((1, 2))])
        >>> values.shape, lengths.tolist(), values[1, :, 0].tolist()
        ((2, 3, 2), [3, 1], [2.0, 0.0, 0.0])
    """
    func = "pad_panel"
    if len(arrays) == 0:
        raise ValueError(f"{func}: arrays must hold at least one series, got none")
    arrays = [np.asarray(a) for a in arrays]
    channels = arrays[0].shape[1:] if arrays[0].ndim == 2 else None
    for i, a in enumerate(arrays):
        if a.ndim != 2 or a.shape[1:] != channels:
            expected = f"(T, {channels[0]})" if channels is not None else "(T, C)"
            raise ValueError(f"{func}: arrays[{i}] must have shape {expected}, got {a.shape}")
    lengths = np.array([a.shape[0] for a in arrays], dtype=np.int64)
    values = np.zeros((len(arrays), int(lengths.max()), channels[0]), dtype=np.float32)
    # One copy per series into the padded block: no temporary the size of the data (a
    # concatenation plus a masked assignment was 6x slower on 1,000 x 1,000 x 5).
    for s, a in enumerate(arrays):
        values[s, : a.shape[0]] = a
    return values, lengths


def _check_index(func: str, index: np.ndarray, shape: tuple[int, ...], length: int) -> np.ndarray:
    """``index`` as ``(N, 2)`` int rows whose windows of ``length`` lie inside ``values``."""
    index = np.asarray(index)
    if index.ndim != 2 or index.shape[1] != 2 or not (index.dtype.kind in "iu" or not index.size):
        raise ValueError(
            f"{func}: index must be an integer array of shape (N, 2), "
            f"got shape {index.shape} and dtype {index.dtype}"
        )
    if index.size:
        s, t = index[:, 0], index[:, 1]
        bad = np.flatnonzero((s < 0) | (s >= shape[0]) | (t < 0) | (t + length > shape[1]))
        if bad.size:
            r = int(bad[0])
            raise ValueError(
                f"{func}: index row {r} (series {index[r, 0]}, t {index[r, 1]}) with length "
                f"{length} is outside values of shape {shape}"
            )
    return index


def numpy_windows(values: np.ndarray, index: np.ndarray, length: int) -> np.ndarray:
    """Gather the windows ``values[s, t : t + length]`` of the rows ``(s, t)`` of ``index``.

    A strided view of all windows (no copy) indexed by the rows: only the requested
    windows are copied. The host path for predict and backtest inputs.

    Args:
        values: ``(S, T, C)`` panel.
        index: ``(N, 2)`` integer rows ``(series, t)``.
        length: steps of each window (>= 1, <= T).

    Returns:
        ``(N, length, C)`` array of ``values``' dtype.

    Example:
        >>> values = np.arange(10.0).reshape(1, 10, 1)
        >>> numpy_windows(values, np.array([[0, 2], [0, 7]]), 3)[..., 0].tolist()
        [[2.0, 3.0, 4.0], [7.0, 8.0, 9.0]]
    """
    func = "numpy_windows"
    length = _check_int(func, "length", length, 1)
    values = np.asarray(values)
    if values.ndim != 3:
        raise ValueError(f"{func}: values must have shape (S, T, C), got {values.shape}")
    index = _check_index(func, index, values.shape, length)
    # Window over (time, channels) together so each gathered window is already (length, C).
    view = sliding_window_view(values, (length, values.shape[2]), axis=(1, 2))
    return view[index[:, 0], index[:, 1], 0]


@partial(jax.jit, static_argnames="length")
def _take_windows(values: jax.Array, index: jax.Array, length: int) -> jax.Array:
    channels = values.shape[2]

    def one(row: jax.Array) -> jax.Array:
        zero = jnp.zeros((), row.dtype)  # dynamic_slice wants one dtype for all start indices
        return lax.dynamic_slice(values, (row[0], row[1], zero), (1, length, channels))[0]

    return jax.vmap(one)(jnp.asarray(index))


def take_windows(values: jax.Array, index: jax.Array, length: int) -> jax.Array:
    """Gather windows inside compiled code: ``values[s, t : t + length]`` for each row.

    A ``vmap`` of ``lax.dynamic_slice``, compiled once per shape and ``length`` (static), so
    a training step gathers its batch from the panel on the device. Rows are not checked
    (the index comes from :func:`window_index`); like ``dynamic_slice``, an out-of-range
    start is clamped.

    Args:
        values: ``(S, T, C)`` panel (a JAX or NumPy array).
        index: ``(N, 2)`` integer rows ``(series, t)``.
        length: steps of each window (a Python int).

    Returns:
        ``(N, length, C)`` JAX array.

    Example:
        >>> values = jax.numpy.arange(12.0).reshape(2, 6, 1)
        >>> take_windows(values, jax.numpy.array([[1, 3], [0, 0]]), 2)[..., 0].tolist()
        [[9.0, 10.0], [0.0, 1.0]]
    """
    length = _check_int("take_windows", "length", length, 1)
    return _take_windows(values, index, length)


def last_windows(values: np.ndarray, ends: np.ndarray, length: int) -> np.ndarray:
    """Each series' window ending at ``ends[s]``: ``values[s, ends[s] - length : ends[s]]``.

    The inputs to forecast the steps after a cutoff (pass ``lengths`` for the end of data).

    Args:
        values: ``(S, T, C)`` panel.
        ends: ``(S,)`` exclusive end of each window, ``length <= ends[s] <= T``.
        length: steps of each window (>= 1).

    Returns:
        ``(S, length, C)`` array of ``values``' dtype.

    Example:
        >>> values, lengths = pad_panel([np.arange(5.0)[:, None], np.arange(3.0)[:, None]])
        >>> last_windows(values, lengths, 2)[..., 0].tolist()
        [[3.0, 4.0], [1.0, 2.0]]
    """
    func = "last_windows"
    length = _check_int(func, "length", length, 1)
    values = np.asarray(values)
    if values.ndim != 3:
        raise ValueError(f"{func}: values must have shape (S, T, C), got {values.shape}")
    ends = _int_vector(func, "ends", ends, values.shape[0])
    short = np.flatnonzero(ends < length)
    if short.size:
        s = int(short[0])
        raise ValueError(f"{func}: series {s} ends at step {ends[s]}, before a window of {length}")
    past = np.flatnonzero(ends > values.shape[1])
    if past.size:
        s = int(past[0])
        raise ValueError(
            f"{func}: ends[{s}] = {ends[s]} is past the {values.shape[1]} steps of values"
        )
    index = np.stack([np.arange(values.shape[0]), ends - length], axis=1)
    return numpy_windows(values, index, length)
