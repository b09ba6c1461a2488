"""Merge layers: combine a list of tensors into one (Keras's ``Add``, ``Concatenate``…).

Each takes a list of at least two inputs. The element-wise merges need inputs of the
same shape (a ``None`` axis matches any size); ``Concatenate(axis)`` needs them equal on
every other axis. Shapes are checked when the layer is called on symbolic tensors, so a
mismatch is reported while the model is being built. They have no weights.

Example:
    >>> import jax.numpy as jnp
    >>> Add()([jnp.ones((2, 3)), jnp.ones((2, 3))]).tolist()[0]
    [2.0, 2.0, 2.0]
    >>> Concatenate()([jnp.ones((2, 3)), jnp.zeros((2, 1))]).shape
    (2, 4)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import reduce
from typing import Any

import jax
import jax.numpy as jnp

from rnnlab.layers.base import Layer, Params, Shape, format_shape
from rnnlab.validation import is_int

__all__ = ["Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract"]


class _Merge(Layer):
    """An element-wise merge of two or more inputs of one shape."""

    supports_masking = True
    min_inputs, max_inputs = 2, None
    combine: Callable[[list[jax.Array]], jax.Array]

    def _shapes(self, shapes: Any) -> list[Shape]:
        if not isinstance(shapes, list | tuple) or not shapes or not isinstance(shapes[0], tuple):
            raise ValueError(
                f"{self.describe()}: expects a list of at least {self.min_inputs} inputs, "
                f"got one input of shape {format_shape(tuple(shapes))}"
            )
        n = len(shapes)
        if n < self.min_inputs or (self.max_inputs is not None and n > self.max_inputs):
            want = (
                f"exactly {self.max_inputs}" if self.max_inputs else f"at least {self.min_inputs}"
            )
            raise ValueError(f"{self.describe()}: expects {want} inputs, got {n}")
        return [tuple(s) for s in shapes]

    def check_input_shape(self, shape: Any) -> None:
        shapes = self._shapes(shape)
        first = shapes[0]
        for s in shapes[1:]:
            ok = len(s) == len(first) and all(
                a is None or b is None or a == b for a, b in zip(first[1:], s[1:], strict=True)
            )
            if not ok:
                raise ValueError(
                    f"{self.describe()}: inputs must have the same shape, got "
                    f"{', '.join(format_shape(x) for x in shapes)}"
                )

    def compute_output_shape(self, input_shape: Any) -> Shape:
        shapes = self._shapes(input_shape)
        return tuple(
            next((d for d in dims if d is not None), None) for dims in zip(*shapes, strict=True)
        )

    def apply(self, params: Params, x: Sequence[jax.Array], *, training=False, key=None, mask=None):
        """``(batch, ...)`` each → ``(batch, ...)``."""
        return type(self).combine(list(x))

    def compute_mask(self, mask: Any, x: Any) -> jax.Array | None:
        """The steps that count in any input (Keras: the logical and of the masks)."""
        masks = [m for m in (mask or []) if m is not None]
        return reduce(jnp.logical_and, masks) if masks else None

    def __call__(self, x: Any, *, training: bool = False, **kwargs: Any) -> Any:
        from rnnlab.layers import symbolic

        if symbolic.has_symbolic(x):
            # one tensor goes through as it is, to be refused by name (_shapes)
            args = list(x) if isinstance(x, list | tuple) else x
            return symbolic.symbolic_call(self, args, kwargs)
        arrays = [jnp.asarray(a, jnp.float32) for a in x]
        self.check_input_shape([a.shape for a in arrays])
        if self.params is None:
            self.build([(None, *a.shape[1:]) for a in arrays])
            self.params = {}
        return self.apply({}, arrays)


class Add(_Merge):
    """The sum of its inputs. Example: ``Add()([a, b])``."""

    combine = staticmethod(lambda xs: reduce(jnp.add, xs))


class Subtract(_Merge):
    """``inputs[0] - inputs[1]`` (exactly two inputs)."""

    max_inputs = 2
    combine = staticmethod(lambda xs: xs[0] - xs[1])


class Multiply(_Merge):
    """The element-wise product of its inputs."""

    combine = staticmethod(lambda xs: reduce(jnp.multiply, xs))


class Average(_Merge):
    """The element-wise mean of its inputs."""

    combine = staticmethod(lambda xs: reduce(jnp.add, xs) / len(xs))


class Maximum(_Merge):
    """The element-wise maximum of its inputs."""

    combine = staticmethod(lambda xs: reduce(jnp.maximum, xs))


class Minimum(_Merge):
    """The element-wise minimum of its inputs."""

    combine = staticmethod(lambda xs: reduce(jnp.minimum, xs))


class Concatenate(_Merge):
    """Join the inputs along ``axis`` (default the last); other axes must agree.

    Args:
        axis: the axis to join along, counting the batch axis (``-1``: features).

    Example:
        >>> import jax.numpy as jnp
        >>> Concatenate(axis=1)([jnp.ones((2, 3, 1)), jnp.ones((2, 4, 1))]).shape
        (2, 7, 1)
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not is_int(axis):
            raise TypeError(f"{self.describe()}: axis must be an integer, got {axis!r}")
        self.axis = int(axis)

    def _axis(self, ndim: int) -> int:
        axis = self.axis + ndim if self.axis < 0 else self.axis
        if not 1 <= axis < ndim:
            raise ValueError(
                f"{self.describe()}: axis {self.axis} is out of range for {ndim}-D inputs "
                "(the batch axis cannot be joined)"
            )
        return axis

    def check_input_shape(self, shape: Any) -> None:
        shapes = self._shapes(shape)
        if len({len(s) for s in shapes}) != 1:
            raise ValueError(
                f"{self.describe()}: inputs must have the same number of axes, got "
                f"{', '.join(format_shape(x) for x in shapes)}"
            )
        axis = self._axis(len(shapes[0]))
        for i in range(1, len(shapes[0])):
            dims = {s[i] for s in shapes if s[i] is not None}
            if i != axis and len(dims) > 1:
                raise ValueError(
                    f"{self.describe()}: inputs must match on every axis but axis {self.axis}, "
                    f"got {', '.join(format_shape(x) for x in shapes)}"
                )

    def compute_output_shape(self, input_shape: Any) -> Shape:
        shapes = self._shapes(input_shape)
        axis = self._axis(len(shapes[0]))
        out = list(_Merge.compute_output_shape(self, [tuple(s) for s in shapes]))
        sizes = [s[axis] for s in shapes]
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def apply(self, params: Params, x: Sequence[jax.Array], *, training=False, key=None, mask=None):
        """Inputs joined along ``axis``."""
        return jnp.concatenate(list(x), axis=self._axis(x[0].ndim))

    def compute_mask(self, mask: Any, x: Any) -> jax.Array | None:
        """Masks are kept only when joining along features (they then agree per step)."""
        if self._axis(x[0].ndim) != x[0].ndim - 1:
            return None
        return _Merge.compute_mask(self, mask, x)


class Dot(_Merge):
    """The dot product of two inputs along one axis of each, sample by sample (Keras's
    ``Dot``): for ``x`` ``(batch, *a)`` and ``y`` ``(batch, *b)`` the output is
    ``(batch, *a without axes[0], *b without axes[1])`` — ``(batch, 1)`` when that leaves
    no axis.

    Args:
        axes: one axis for both inputs, or a pair ``(axis of x, axis of y)``; counted with
            the batch axis, which cannot be one of them (``-1``: the last).
        normalize: L2-normalize both inputs along those axes first, so the result is the
            cosine similarity.

    Example:
        >>> import jax.numpy as jnp
        >>> Dot(axes=(1, 2))([jnp.ones((2, 3, 5)), jnp.ones((2, 10, 3))]).shape
        (2, 5, 10)
        >>> Dot(axes=-1, normalize=True)([jnp.ones((2, 4)), jnp.ones((2, 4))]).tolist()
        [[1.0], [1.0]]
    """

    min_inputs = max_inputs = 2

    def __init__(self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        pair = [axes] if is_int(axes) else list(axes) if isinstance(axes, list | tuple) else None
        if pair is None or len(pair) not in (1, 2) or not all(is_int(a) for a in pair):
            raise ValueError(
                f"{self.describe()}: axes must be an integer or a pair of integers, got {axes!r}"
            )
        self.axes = int(axes) if is_int(axes) else tuple(int(a) for a in axes)
        self.normalize = bool(normalize)

    def _axes(self, ndims: Sequence[int]) -> tuple[int, int]:
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        out = tuple(a % n if a < 0 else a for a, n in zip(pair, ndims, strict=True))
        for a, n in zip(out, ndims, strict=True):
            if not 1 <= a < n:
                raise ValueError(
                    f"{self.describe()}: axes={self.axes!r} is out of range for inputs with "
                    f"{ndims[0]} and {ndims[1]} axes (the batch axis 0 cannot be reduced)"
                )
        return out[0], out[1]

    def check_input_shape(self, shape: Any) -> None:
        x, y = self._shapes(shape)
        if len(x) < 2 or len(y) < 2:
            raise ValueError(
                f"{self.describe()}: inputs need a batch axis and at least one more, got "
                f"{format_shape(x)} and {format_shape(y)}"
            )
        a, b = self._axes((len(x), len(y)))
        if x[a] is not None and y[b] is not None and x[a] != y[b]:
            raise ValueError(
                f"{self.describe()}: axis {a} of {format_shape(x)} ({x[a]}) and axis {b} of "
                f"{format_shape(y)} ({y[b]}) must have the same size"
            )

    def compute_output_shape(self, input_shape: Any) -> Shape:
        x, y = self._shapes(input_shape)
        a, b = self._axes((len(x), len(y)))
        batch = x[0] if x[0] is not None else y[0]
        rest = [d for i, d in enumerate(x) if i not in (0, a)]
        rest += [d for i, d in enumerate(y) if i not in (0, b)]
        return (batch, *rest) if rest else (batch, 1)

    def apply(self, params: Params, x: Sequence[jax.Array], *, training=False, key=None, mask=None):
        """``[(batch, *a), (batch, *b)]`` → ``(batch, *a', *b')`` (see the class)."""
        u, v = (jnp.asarray(t) for t in x)
        a, b = self._axes((u.ndim, v.ndim))
        if self.normalize:  # x / max(|x|, 1e-7), as Keras's l2 normalize
            u = u * jax.lax.rsqrt(jnp.maximum(jnp.sum(u * u, axis=a, keepdims=True), 1e-14))
            v = v * jax.lax.rsqrt(jnp.maximum(jnp.sum(v * v, axis=b, keepdims=True), 1e-14))
        out = jax.vmap(lambda p, q: jnp.tensordot(p, q, axes=(a - 1, b - 1)))(u, v)
        return out[:, None] if out.ndim == 1 else out

    def compute_mask(self, mask: Any, x: Any) -> jax.Array | None:
        """No mask: the reduced axis may be the masked one (Keras drops it too)."""
        return None
