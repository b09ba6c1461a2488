"""Per-series scaling of the target, fitted on the training part only.

Series of a panel differ in level and spread by orders of magnitude; a global model trains on
each series scaled by its own statistics and every forecast is mapped back with
:meth:`Scaler.inverse`. The statistics of series ``i`` come from ``y[i][:ends[i]]`` alone, so
nothing after a cutoff (a validation tail, a backtest window) leaks into training.

Kinds (center, scale):

* ``"standard"``: mean, standard deviation (population, ``ddof=0``);
* ``"robust"``: median, interquartile range / 1.349 (the standard deviation of a normal
  distribution); the standard deviation when the IQR is 0;
* ``"minmax"``: minimum, maximum - minimum (the training part maps onto ``[0, 1]``);
* ``"none"``: 0, 1.

A series constant over its training part gets scale 1.0 whatever the kind. Statistics and
outputs are float64.

Example:
    >>> y = [np.array([1.0, 2.0, 3.0, 100.0]), np.array([5.0, 5.0, 9.0])]
    >>> scaler = fit_scaler("standard", y, ends=np.array([3, 2]))  # 100.0 and 9.0 unseen
    >>> scaler.center.tolist(), scaler.scale.round(4).tolist()
    ([2.0, 5.0], [0.8165, 1.0])
    >>> scaler.transform(y[1], series=1).tolist()
    [0.0, 0.0, 4.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

__all__ = ["SCALER_KINDS", "Scaler", "ScalerKind", "check_kind", "fit_scaler"]

ScalerKind = Literal["standard", "robust", "minmax", "none"]
SCALER_KINDS: tuple[str, ...] = get_args(ScalerKind)

# IQR of a normal distribution in standard deviations (2 * 0.6745): robust scale ~ std.
_IQR_TO_STD = 1.349


def check_kind(kind: object) -> str:
    """``kind`` if it names a scaler, else a ``ValueError`` naming ``scaler`` and the kinds.

    Example:
        >>> check_kind("robust")
        'robust'
    """
    if not isinstance(kind, str) or kind not in SCALER_KINDS:
        kinds = ", ".join(repr(k) for k in SCALER_KINDS)
        raise ValueError(f"scaler must be one of {kinds}, got {kind!r}")
    return kind


@dataclass(frozen=True, eq=False)
class Scaler:
    """Per-series affine scaling ``(y - center[s]) / scale[s]`` and its inverse.

    Attributes:
        kind: how the statistics were computed (one of :data:`SCALER_KINDS`).
        center: ``float64 (S,)``.
        scale: ``float64 (S,)``, never 0.

    ``transform`` and ``inverse`` take ``y`` as

    * an ``(S, ...)`` array: row ``s`` uses series ``s`` (broadcast over trailing axes);
    * a sequence of ``S`` arrays (ragged series): a list back, one array per series;
    * any array with ``series=i``: all of it is series ``i``;
    * an ``(N, ...)`` array with ``series`` an ``(N,)`` integer array: row ``n`` is series
      ``series[n]`` (e.g. a batch of windows and the series column of its index).

    They return float64; ``inverse(transform(y))`` equals ``y`` up to float64 rounding.

    Example:
        >>> scaler = Scaler("standard", np.array([10.0, 0.0]), np.array([2.0, 4.0]))
        >>> scaler.transform(np.array([[12.0, 8.0], [4.0, -4.0]])).tolist()
        [[1.0, -1.0], [1.0, -1.0]]
        >>> scaler.inverse(np.array([0.5, 1.0]), series=np.array([0, 1])).tolist()
        [11.0, 4.0]
    """

    kind: ScalerKind
    center: np.ndarray
    scale: np.ndarray

    def __post_init__(self) -> None:
        check_kind(self.kind)
        center = np.asarray(self.center, dtype=np.float64)
        scale = np.asarray(self.scale, dtype=np.float64)
        if center.ndim != 1 or scale.shape != center.shape:
            raise ValueError(
                f"Scaler: center and scale must both have shape (S,), "
                f"got {center.shape} and {scale.shape}"
            )
        if not (np.all(np.isfinite(scale)) and np.all(scale > 0) and np.all(np.isfinite(center))):
            raise ValueError("Scaler: center must be finite and scale finite and > 0")
        object.__setattr__(self, "center", center)
        object.__setattr__(self, "scale", scale)

    def __len__(self) -> int:
        """Number of series."""
        return self.center.size

    def transform(
        self, y: np.ndarray | Sequence[np.ndarray], series: int | np.ndarray | None = None
    ) -> np.ndarray | list[np.ndarray]:
        """``(y - center) / scale`` per series (see the class docstring for ``y``/``series``).

        Example:
            >>> Scaler("minmax", np.array([2.0]), np.array([4.0])).transform([np.array([2.0, 6.0])])
            [array([0., 1.])]
        """
        return self._apply(y, series, forward=True)

    def inverse(
        self, y: np.ndarray | Sequence[np.ndarray], series: int | np.ndarray | None = None
    ) -> np.ndarray | list[np.ndarray]:
        """``y * scale + center`` per series: undoes :meth:`transform`.

        Example:
            >>> Scaler("minmax", np.array([2.0]), np.array([4.0])).inverse(np.array([[0.5]]))
            array([[4.]])
        """
        return self._apply(y, series, forward=False)

    def _apply(
        self, y: np.ndarray | Sequence[np.ndarray], series: int | np.ndarray | None, forward: bool
    ) -> np.ndarray | list[np.ndarray]:
        method = "transform" if forward else "inverse"
        if series is None and isinstance(y, list | tuple):
            if len(y) != len(self):
                raise ValueError(
                    f"Scaler.{method}: y must hold one array per series ({len(self)}), got {len(y)}"
                )
            return [
                self._affine(np.asarray(a, dtype=np.float64), i, forward) for i, a in enumerate(y)
            ]
        y = np.asarray(y, dtype=np.float64)
        if series is None:
            if y.ndim == 0 or y.shape[0] != len(self):
                raise ValueError(
                    f"Scaler.{method}: y must have shape (S, ...) with S = {len(self)} series, "
                    f"got {y.shape}; pass series= for one series"
                )
            rows = np.arange(len(self))
        elif isinstance(series, int | np.integer) and not isinstance(series, bool | np.bool_):
            if not 0 <= series < len(self):
                raise ValueError(
                    f"Scaler.{method}: series must be in [0, {len(self)}), got {series}"
                )
            return self._affine(y, int(series), forward)
        else:
            rows = np.asarray(series)
            if rows.ndim != 1 or rows.dtype.kind not in "iu" or y.ndim == 0:
                raise ValueError(
                    f"Scaler.{method}: series must be an int or a 1-D integer array, got {series!r}"
                )
            if rows.size != y.shape[0]:
                raise ValueError(
                    f"Scaler.{method}: series has {rows.size} entries but y has {y.shape[0]} rows"
                )
            if rows.size and (rows.min() < 0 or rows.max() >= len(self)):
                raise ValueError(
                    f"Scaler.{method}: series entries must be in [0, {len(self)}), "
                    f"got {rows.min()}..{rows.max()}"
                )
        expand = (slice(None),) + (None,) * (y.ndim - 1)
        return self._affine(y, rows, forward, expand)

    def _affine(
        self, y: np.ndarray, rows: int | np.ndarray, forward: bool, expand: tuple = ()
    ) -> np.ndarray:
        center = self.center[rows][expand] if expand else self.center[rows]
        scale = self.scale[rows][expand] if expand else self.scale[rows]
        return (y - center) / scale if forward else y * scale + center


def _statistics(kind: str, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(center, scale)`` of each row of ``y`` ``(k, T)``: training parts of one length."""
    if kind == "none":
        return np.zeros(len(y)), np.ones(len(y))
    low, high = y.min(axis=1), y.max(axis=1)
    if kind == "standard":
        center, scale = y.mean(axis=1), y.std(axis=1)
    elif kind == "robust":
        q25, center, q75 = np.percentile(y, [25, 50, 75], axis=1)
        scale = (q75 - q25) / _IQR_TO_STD
        scale = np.where(scale == 0.0, y.std(axis=1), scale)
    else:  # minmax
        center, scale = low, high - low
    # A constant series: its std may come out 1e-17 rather than 0 from rounding, hence the
    # test on the data rather than on the scale.
    return center, np.where(high == low, 1.0, scale)


def fit_scaler(kind: str, y: Sequence[np.ndarray], ends: np.ndarray) -> Scaler:
    """Fit one scaler per series on ``y[i][:ends[i]]`` (no look-ahead past a cutoff).

    Args:
        kind: ``"standard"``, ``"robust"``, ``"minmax"`` or ``"none"`` (see the module).
        y: ``S`` one-dimensional series ``(T_i,)``.
        ends: ``(S,)`` training steps of each series, ``1 <= ends[i] <= T_i``.

    Returns:
        a :class:`Scaler` with ``center`` and ``scale`` of shape ``(S,)``.

    Example:
        >>> y = [np.array([0.0, 1.0, 2.0, 3.0, 50.0])]
        >>> s = fit_scaler("robust", y, ends=np.array([4]))
        >>> float(s.center[0]), round(float(s.scale[0]), 4)
        (1.5, 1.1119)
    """
    func = "fit_scaler"
    kind = check_kind(kind)
    if isinstance(y, np.ndarray) and y.ndim == 1:
        raise ValueError(f"{func}: y must be a sequence of series (one array each), got one array")
    ends = np.asarray(ends)
    if ends.shape != (len(y),) or (ends.size and ends.dtype.kind not in "iu"):
        raise ValueError(
            f"{func}: ends must be an integer array of shape ({len(y)},) (one per series), "
            f"got shape {ends.shape} and dtype {ends.dtype}"
        )
    series = [np.asarray(a, dtype=np.float64) for a in y]
    for i, (a, end) in enumerate(zip(series, ends.tolist(), strict=True)):
        if a.ndim != 1:
            raise ValueError(f"{func}: y[{i}] must have shape (T,), got {a.shape}")
        if not 1 <= end <= a.size:
            raise ValueError(f"{func}: ends[{i}] must be in [1, {a.size}], got {end}")
        if not np.isfinite(a[:end]).all():
            bad = int(np.flatnonzero(~np.isfinite(a[:end]))[0])
            raise ValueError(f"{func}: y[{i}] has a non-finite value at step {bad}")
    # Series whose training parts have one length are reduced together, one NumPy call per
    # length rather than per series (a panel usually has few distinct lengths): 1,000 series'
    # robust statistics in ~15 ms instead of ~100 ms.
    centers, scales = np.empty(len(series)), np.empty(len(series))
    for end in np.unique(ends):
        rows = np.flatnonzero(ends == end)
        block = np.stack([series[i][:end] for i in rows])
        centers[rows], scales[rows] = _statistics(kind, block)
    return Scaler(kind, centers, scales)
