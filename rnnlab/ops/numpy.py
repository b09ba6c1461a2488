"""``keras.ops``'s NumPy-like operations over :mod:`jax.numpy`, with Keras 3's signatures.

Each function computes at once on arrays (NumPy or jax, returning a jax array) and on
traced values inside ``jax.jit`` (a custom layer's ``call``), and records an operation
(:mod:`rnnlab.ops.operation`, Keras module ``keras.src.ops.numpy``) when an argument is a
symbolic tensor of a functional model. Shapes broadcast as in NumPy.

Example:
    >>> import jax.numpy as jnp
    >>> multiply(jnp.ones((2, 3)), 0.5).tolist()[0]
    [0.5, 0.5, 0.5]
    >>> [t.shape for t in split(jnp.zeros((4, 6)), 3, axis=-1)]
    [(4, 2), (4, 2), (4, 2)]
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from rnnlab.ops.operation import call_op, define

__all__ = [
    "abs", "absolute", "add", "all", "any", "arange", "clip", "concatenate", "divide", "dot",
    "einsum", "equal", "exp", "expand_dims", "floor_divide", "get_item", "greater", "greater_equal",
    "less", "less_equal", "log", "matmul", "max", "maximum", "mean", "min", "minimum", "mod",
    "multiply", "negative", "not_equal", "ones", "ones_like", "power", "prod", "reshape", "split",
    "sqrt", "square", "squeeze", "stack", "subtract", "sum", "take", "tanh", "transpose",
    "true_divide", "where", "zeros", "zeros_like",
]  # fmt: skip

NUMPY = "keras.src.ops.numpy"
Tensor = Any  # an array, a traced value or a KerasTensor


def _op(name: str, impl: Any, **defaults: Any) -> Any:
    return define(name, NUMPY, impl, __name__, **defaults)


Add, Subtract, Multiply = (
    _op("Add", jnp.add),
    _op("Subtract", jnp.subtract),
    _op("Multiply", jnp.multiply),
)
Divide, TrueDivide = _op("Divide", jnp.divide), _op("TrueDivide", jnp.true_divide)
FloorDivide, Mod, Power = (
    _op("FloorDivide", jnp.floor_divide),
    _op("Mod", jnp.mod),
    _op("Power", jnp.power),
)
Maximum, Minimum = _op("Maximum", jnp.maximum), _op("Minimum", jnp.minimum)
Matmul, Dot = _op("Matmul", jnp.matmul), _op("Dot", jnp.dot)
Negative, Absolute = _op("Negative", jnp.negative), _op("Absolute", jnp.abs)
Square, Sqrt, Exp, Log = (
    _op("Square", jnp.square), _op("Sqrt", jnp.sqrt), _op("Exp", jnp.exp), _op("Log", jnp.log)
)  # fmt: skip
Tanh = _op("Tanh", jnp.tanh)
Greater, GreaterEqual = _op("Greater", jnp.greater), _op("GreaterEqual", jnp.greater_equal)
Less, LessEqual = _op("Less", jnp.less), _op("LessEqual", jnp.less_equal)
Equal, NotEqual = _op("Equal", jnp.equal), _op("NotEqual", jnp.not_equal)
Clip = _op("Clip", lambda x, x_min, x_max: jnp.clip(x, x_min, x_max), x_min=None, x_max=None)
Einsum = _op("Einsum", lambda *xs, subscripts: jnp.einsum(subscripts, *xs), subscripts=None)
Mean = _op("Mean", jnp.mean, axis=None, keepdims=False)
Sum = _op("Sum", jnp.sum, axis=None, keepdims=False)
Max = _op("Max", jnp.max, axis=None, keepdims=False, initial=None)
Min = _op("Min", jnp.min, axis=None, keepdims=False, initial=None)
Prod = _op("Prod", jnp.prod, axis=None, keepdims=False, dtype=None)
# Keras records a Masking layer's mask in a functional model as NotEqual then Any.
Any_ = _op("Any", jnp.any, axis=None, keepdims=False)
All = _op("All", jnp.all, axis=None, keepdims=False)
Reshape = _op("Reshape", lambda x, newshape: jnp.reshape(x, newshape), newshape=None)
Transpose = _op("Transpose", lambda x, axes: jnp.transpose(x, axes), axes=None)
ExpandDims = _op("ExpandDims", jnp.expand_dims, axis=None)
Squeeze = _op("Squeeze", jnp.squeeze, axis=None)
Stack = _op("Stack", lambda xs, axis: jnp.stack(list(xs), axis=axis), axis=0)
Concatenate = _op("Concatenate", lambda xs, axis: jnp.concatenate(list(xs), axis=axis), axis=0)
Split = _op(
    "Split",
    lambda x, indices_or_sections, axis: jnp.split(x, indices_or_sections, axis=axis),
    indices_or_sections=None,
    axis=0,
)
ZerosLike = _op("ZerosLike", jnp.zeros_like, dtype=None)
OnesLike = _op("OnesLike", jnp.ones_like, dtype=None)
Take = _op("Take", lambda x, indices, axis: jnp.take(x, jnp.asarray(indices), axis=axis), axis=None)
GetItem = _op("GetItem", lambda x, key: jnp.asarray(x)[key])


def _where(condition: Any, x1: Any = None, x2: Any = None) -> Any:
    if x1 is None and x2 is None:
        return jnp.nonzero(condition)  # NumPy's one-argument form (not for jit)
    if x1 is None or x2 is None:
        raise ValueError("where: give both x1 and x2, or neither")
    return jnp.where(condition, x1, x2)


Where = _op("Where", _where)


# -- element-wise arithmetic (broadcasting; ``x1`` or ``x2`` may be a Python number) ----------
def add(x1: Tensor, x2: Tensor) -> Tensor:
    """``x1 + x2``, broadcast. Example: ``add(a, 1.0)``."""
    return call_op(Add, x1, x2)


def subtract(x1: Tensor, x2: Tensor) -> Tensor:
    """``x1 - x2``, broadcast."""
    return call_op(Subtract, x1, x2)


def multiply(x1: Tensor, x2: Tensor) -> Tensor:
    """``x1 * x2``, broadcast."""
    return call_op(Multiply, x1, x2)


def divide(x1: Tensor, x2: Tensor) -> Tensor:
    """``x1 / x2``, broadcast (true division)."""
    return call_op(Divide, x1, x2)


def true_divide(x1: Tensor, x2: Tensor) -> Tensor:
    """``x1 / x2`` (what the ``/`` operator of a symbolic tensor records)."""
    return call_op(TrueDivide, x1, x2)


def floor_divide(x1: Tensor, x2: Tensor) -> Tensor:
    """``x1 // x2``, broadcast."""
    return call_op(FloorDivide, x1, x2)


def mod(x1: Tensor, x2: Tensor) -> Tensor:
    """``x1 % x2``, broadcast."""
    return call_op(Mod, x1, x2)


def power(x1: Tensor, x2: Tensor) -> Tensor:
    """``x1 ** x2``, broadcast."""
    return call_op(Power, x1, x2)


def maximum(x1: Tensor, x2: Tensor) -> Tensor:
    """Element-wise maximum, broadcast."""
    return call_op(Maximum, x1, x2)


def minimum(x1: Tensor, x2: Tensor) -> Tensor:
    """Element-wise minimum, broadcast."""
    return call_op(Minimum, x1, x2)


def negative(x: Tensor) -> Tensor:
    """``-x``."""
    return call_op(Negative, x)


def absolute(x: Tensor) -> Tensor:
    """``|x|`` element-wise."""
    return call_op(Absolute, x)


abs = absolute  # Keras's shorthand (records an Absolute operation, as Keras does)


def square(x: Tensor) -> Tensor:
    """``x ** 2`` element-wise."""
    return call_op(Square, x)


def sqrt(x: Tensor) -> Tensor:
    """Square root element-wise."""
    return call_op(Sqrt, x)


def exp(x: Tensor) -> Tensor:
    """``e ** x`` element-wise."""
    return call_op(Exp, x)


def log(x: Tensor) -> Tensor:
    """Natural logarithm element-wise."""
    return call_op(Log, x)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent element-wise (Keras lists it with the NumPy ops)."""
    return call_op(Tanh, x)


def clip(x: Tensor, x_min: float, x_max: float) -> Tensor:
    """``x`` limited to ``[x_min, x_max]``."""
    return call_op(Clip, x, x_min=x_min, x_max=x_max)


def greater(x1: Tensor, x2: Tensor) -> Tensor:
    """``x1 > x2`` (bool)."""
    return call_op(Greater, x1, x2)


def greater_equal(x1: Tensor, x2: Tensor) -> Tensor:
    """``x1 >= x2`` (bool)."""
    return call_op(GreaterEqual, x1, x2)


def less(x1: Tensor, x2: Tensor) -> Tensor:
    """``x1 < x2`` (bool)."""
    return call_op(Less, x1, x2)


def less_equal(x1: Tensor, x2: Tensor) -> Tensor:
    """``x1 <= x2`` (bool)."""
    return call_op(LessEqual, x1, x2)


def equal(x1: Tensor, x2: Tensor) -> Tensor:
    """``x1 == x2`` element-wise (bool)."""
    return call_op(Equal, x1, x2)


def not_equal(x1: Tensor, x2: Tensor) -> Tensor:
    """``x1 != x2`` element-wise (bool)."""
    return call_op(NotEqual, x1, x2)


# -- products --------------------------------------------------------------------------------
def matmul(x1: Tensor, x2: Tensor) -> Tensor:
    """Matrix product, batched over leading axes: ``(..., n, k) @ (..., k, m) -> (..., n, m)``."""
    return call_op(Matmul, x1, x2)


def dot(x1: Tensor, x2: Tensor) -> Tensor:
    """NumPy's ``dot``: the last axis of ``x1`` with the second-to-last of ``x2``."""
    return call_op(Dot, x1, x2)


def einsum(subscripts: str, *operands: Tensor) -> Tensor:
    """Einstein summation, e.g. ``einsum("btf,fu->btu", x, w)``."""
    return call_op(Einsum, *operands, subscripts=subscripts)


# -- reductions (``axis`` an int, a tuple or None for all axes) -------------------------------
def mean(x: Tensor, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis``."""
    return call_op(Mean, x, axis=axis, keepdims=keepdims)


def sum(x: Tensor, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis``."""
    return call_op(Sum, x, axis=axis, keepdims=keepdims)


def max(x: Tensor, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Tensor:
    """Maximum over ``axis``."""
    return call_op(Max, x, axis=axis, keepdims=keepdims, initial=initial)


def min(x: Tensor, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Tensor:
    """Minimum over ``axis``."""
    return call_op(Min, x, axis=axis, keepdims=keepdims, initial=initial)


def prod(x: Tensor, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Tensor:
    """Product over ``axis``."""
    return call_op(Prod, x, axis=axis, keepdims=keepdims, dtype=dtype)


def any(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether any element over ``axis`` is true (non-zero); booleans.

    Example:
        >>> import jax.numpy as jnp
        >>> any(jnp.array([[0.0, 2.0], [0.0, 0.0]]), axis=-1).tolist()
        [True, False]
    """
    return call_op(Any_, x, axis=axis, keepdims=keepdims)


def all(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether every element over ``axis`` is true (non-zero); booleans.

    Example:
        >>> import jax.numpy as jnp
        >>> all(jnp.array([[1.0, 2.0], [0.0, 1.0]]), axis=-1).tolist()
        [True, False]
    """
    return call_op(All, x, axis=axis, keepdims=keepdims)


# -- shapes ----------------------------------------------------------------------------------
def reshape(x: Tensor, newshape: Sequence[int]) -> Tensor:
    """``x`` with shape ``newshape`` (one ``-1`` allowed; for a symbolic tensor the batch
    axis is part of it, e.g. ``reshape(t, (-1, 16, 2, 4))``)."""
    shape = newshape if isinstance(newshape, int) else tuple(newshape)
    return call_op(Reshape, x, newshape=shape)


def transpose(x: Tensor, axes: Sequence[int] | None = None) -> Tensor:
    """Axes permuted (reversed when ``axes`` is None)."""
    return call_op(Transpose, x, axes=None if axes is None else tuple(axes))


def expand_dims(x: Tensor, axis: int) -> Tensor:
    """A new axis of size 1 at ``axis``."""
    return call_op(ExpandDims, x, axis=axis)


def squeeze(x: Tensor, axis: int | Sequence[int] | None = None) -> Tensor:
    """Axes of size 1 removed (all of them when ``axis`` is None)."""
    return call_op(Squeeze, x, axis=axis)


def stack(x: Sequence[Tensor], axis: int = 0) -> Tensor:
    """The tensors of the list ``x`` (one shape) joined along a new ``axis``."""
    return call_op(Stack, list(x), axis=axis)


def concatenate(xs: Sequence[Tensor], axis: int = 0) -> Tensor:
    """The tensors of the list ``xs`` joined along the existing ``axis`` (Keras's default 0,
    the batch axis; ``axis=-1`` for features)."""
    return call_op(Concatenate, list(xs), axis=axis)


def split(x: Tensor, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """``x`` cut along ``axis`` into that many equal parts, or at those indices: a list."""
    sections = indices_or_sections
    if not isinstance(sections, int):
        sections = [int(i) for i in sections]
    return list(call_op(Split, x, indices_or_sections=sections, axis=axis))


def where(condition: Tensor, x1: Tensor = None, x2: Tensor = None) -> Tensor:
    """``x1`` where ``condition``, else ``x2`` (broadcast); with neither, the indices where
    ``condition`` holds (eager only)."""
    return call_op(Where, condition, x1, x2)


def take(x: Tensor, indices: Any, axis: int | None = None) -> Tensor:
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` when None)."""
    return call_op(Take, x, indices, axis=axis)


def get_item(x: Tensor, key: Any) -> Tensor:
    """``x[key]``: ints, slices, ``...`` and ``None`` (what ``t[..., :4]`` records)."""
    return call_op(GetItem, x, key)


# -- new arrays ------------------------------------------------------------------------------
def zeros(shape: int | Sequence[int], dtype: Any = None) -> jax.Array:
    """An array of zeros (float32 by default)."""
    return jnp.zeros(shape, dtype or "float32")


def ones(shape: int | Sequence[int], dtype: Any = None) -> jax.Array:
    """An array of ones (float32 by default)."""
    return jnp.ones(shape, dtype or "float32")


def zeros_like(x: Tensor, dtype: Any = None) -> Tensor:
    """Zeros of ``x``'s shape (and dtype, unless given)."""
    return call_op(ZerosLike, x, dtype=dtype)


def ones_like(x: Tensor, dtype: Any = None) -> Tensor:
    """Ones of ``x``'s shape (and dtype, unless given)."""
    return call_op(OnesLike, x, dtype=dtype)


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> jax.Array:
    """Evenly spaced values in ``[start, stop)`` (``[0, start)`` with one argument)."""
    if dtype is None and builtins.any(isinstance(v, float) for v in (start, stop, step)):
        dtype = "float32"
    return jnp.arange(start, stop, step, dtype=dtype)
