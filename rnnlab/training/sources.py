"""Sample sources: data that the compiled epoch gathers batch by batch itself.

``fit(x, y)`` with arrays gathers each batch as ``x[idx], y[idx]`` inside the compiled
epoch. Some data would be wasteful to lay out as one array per sample — the
``(lookback, horizon)`` windows of a long series overlap almost entirely, so all of
them together take ``lookback + horizon`` times the memory of the series. A
:class:`Source` keeps the data in whatever compact form it likes (``arrays``, any
pytree of arrays, put on the device once per fit) and says how to cut a batch out of
it (``take``, a pure, jittable function run inside the compiled epoch). Memory is
then the data plus one batch, however many samples there are.

``take`` must be hashable and compare equal for sources that gather the same way
(a frozen dataclass with ``__call__`` is the simple way): the compiled epoch is kept
per ``take``, so a fresh source of the same kind and shapes reuses the program.

Example:
    >>> import numpy as np
    >>> src = ArraySource(np.ones((5, 3, 1), np.float32), np.zeros((5, 2), np.float32))
    >>> len(src), src.sample_shapes
    (5, ((3, 1), (2,)))
    >>> xb, yb = src.take(*src.arrays, np.array([0, 4]))
    >>> xb.shape, yb.shape
    ((2, 3, 1), (2, 2))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["ArraySource", "Source", "TakeFn", "first_input_shape", "is_source", "take_rows"]

TakeFn = Callable[[Any, Any, Any], tuple[Any, Any]]


@runtime_checkable
class Source(Protocol):
    """What ``fit``/``evaluate`` need of data that gathers its own batches.

    Attributes:
        arrays: ``(x_data, y_data)``, two pytrees of arrays handed to the compiled
            program once per fit (``y_data`` may be ``None``).
        take: ``take(x_data, y_data, idx) -> (x_batch, y_batch)`` for sample indices
            ``idx`` ``(batch,)`` — pure and jittable, hashable (see the module docs).
        sample_shapes: ``(x_shape, y_shape)`` of one sample, without the batch axis; for
            a model of several inputs (outputs) ``x_shape`` (``y_shape``) is a list of
            shapes in the model's input (output) order, as ``take`` returns the batch.
    """

    arrays: tuple[Any, Any]
    take: TakeFn
    sample_shapes: tuple[tuple[int, ...], tuple[int, ...]]

    def __len__(self) -> int:
        """Number of samples."""
        ...


def take_rows(x: Any, y: Any, idx: Any) -> tuple[Any, Any]:
    """The gather of plain arrays: ``(x[idx], y[idx])`` — what ``fit(x, y)`` uses."""
    return x[idx], y[idx]


@dataclass(frozen=True)
class ArraySource:
    """Arrays as a :class:`Source` (sample ``i`` is ``(x[i], y[i])``): the default gather.

    Args:
        x: inputs ``(n, ...)``.
        y: targets ``(n, ...)``.
    """

    x: np.ndarray
    y: np.ndarray

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)``."""
        return self.x, self.y

    @property
    def take(self) -> TakeFn:
        """:func:`take_rows`."""
        return take_rows

    @property
    def sample_shapes(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Shapes of one input and one target."""
        return tuple(self.x.shape[1:]), tuple(self.y.shape[1:])

    def __len__(self) -> int:
        return int(self.x.shape[0])


def first_input_shape(source: Source) -> tuple[int, ...]:
    """The sample shape of the source's first input (for a model of several inputs,
    ``sample_shapes[0]`` lists one shape per input).

    Example:
        >>> src = ArraySource(np.ones((5, 3, 1), np.float32), np.zeros((5, 2), np.float32))
        >>> first_input_shape(src)
        (3, 1)
    """
    shapes = source.sample_shapes[0]
    if all(isinstance(d, int | np.integer) for d in shapes):
        return tuple(shapes)
    return tuple(shapes[0])


def is_source(value: Any) -> bool:
    """Whether ``value`` is a :class:`Source` (not a plain array).

    Example:
        >>> is_source(np.zeros(3)), is_source(ArraySource(np.zeros((2, 1)), np.zeros((2, 1))))
        (False, True)
    """
    return not isinstance(value, np.ndarray) and isinstance(value, Source)
