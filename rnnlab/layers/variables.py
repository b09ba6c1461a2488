"""The weights of Keras-style layers: :class:`Variable` (what ``add_weight`` returns) and
:class:`TensorShape` (the shapes their ``build`` receives).

A Variable's value lives in its layer's ``params``, never in the object; inside a bound
call (:mod:`rnnlab.layers.binding`) it reads the traced value of the call in progress,
whose stack is kept here (one per thread).

Example:
    >>> from rnnlab.layers import Dense
    >>> v = Variable(Dense(1), "w", (2,), "float32", None, True, "w")
    >>> v.shape, v.trainable, TensorShape((None, 3))[:-1] + [4]
    ((2,), True, (None, 4))
"""

from __future__ import annotations

import operator
import threading
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["TensorShape", "Variable", "scope_stack"]

_local = threading.local()


def scope_stack() -> list[Any]:
    """The bound calls in progress in this thread, innermost last."""
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


class TensorShape(tuple):
    """A shape as Keras-style ``build``/``compute_output_shape`` code receives it: a tuple
    (``None`` for unknown axes) that also adds to lists, as tf.keras's ``TensorShape`` did
    (``input_shape[:-1] + [units]``), with ``as_list()``.

    Example:
        >>> s = TensorShape((None, 5, 3)); s[:-1] + [8], s.as_list()
        ((None, 5, 8), [None, 5, 3])
    """

    def __new__(cls, dims: Any) -> TensorShape:
        return super().__new__(cls, tuple(None if d is None else int(d) for d in dims))

    def __add__(self, other: Any) -> TensorShape:  # type: ignore[override]
        return TensorShape((*self, *other))

    def __radd__(self, other: Any) -> TensorShape:
        return TensorShape((*other, *self))

    def __getitem__(self, index: Any) -> Any:  # type: ignore[override]
        item = super().__getitem__(index)
        return TensorShape(item) if isinstance(index, slice) else item

    def as_list(self) -> list[int | None]:
        """The dimensions as a list."""
        return list(self)

    @property
    def rank(self) -> int:
        """Number of axes."""
        return len(self)


class Variable:
    """One weight of a Keras-style layer (what ``add_weight`` returns).

    ``path`` is its key in the owner's ``params``; ``value`` is the bound value inside a
    call, else the owner's current weight. Arithmetic and ``@`` work on either side,
    ``numpy()`` copies the value to the host, ``assign`` replaces it (inside a call: an
    update returned with the call's outputs; outside: the owner's weight).

    Example:
        >>> from rnnlab.layers import Dense
        >>> v = Variable(Dense(1), "w", (2,), "float32", None, True, "w")
        >>> v.shape, v.trainable
        ((2,), True)
    """

    __array_priority__ = 100  # NumPy defers to the reflected operators below

    def __init__(
        self, owner: Any, path: str, shape: tuple[int, ...], dtype: Any, initializer: Any,
        trainable: bool, name: str,
    ) -> None:  # fmt: skip
        self.owner = owner
        self.path = path
        self.shape = tuple(shape)
        self.dtype = jnp.dtype(dtype)
        self.initializer = initializer
        self.trainable = bool(trainable)
        self.name = name

    @property
    def ndim(self) -> int:
        """Number of axes."""
        return len(self.shape)

    @property
    def value(self) -> jax.Array:
        """The bound value inside the owner's call, else the owner's current weight."""
        for scope in reversed(scope_stack()):
            if scope.layer is self.owner:
                return scope.params[self.path]
        params = self.owner.params
        if params is None or self.path not in params:
            raise ValueError(
                f"{self.owner.describe()}: weight {self.name!r} has no value yet; the layer "
                "is built (and its weights drawn) on its first call"
            )
        return params[self.path]

    def numpy(self) -> np.ndarray:
        """The value as a NumPy array."""
        return np.asarray(self.value)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.value, dtype=dtype)

    def __jax_array__(self) -> jax.Array:
        return self.value

    def assign(self, value: Any) -> Variable:
        """Replace the value (shape checked); see the class docs for where it goes."""
        value = jnp.asarray(getattr(value, "value", value), self.dtype)
        if tuple(value.shape) != self.shape:
            raise ValueError(
                f"{self.owner.describe()}: assign to weight {self.name!r} of shape "
                f"{self.shape} got a value of shape {tuple(value.shape)}"
            )
        for scope in reversed(scope_stack()):
            if scope.layer is self.owner:
                scope.params[self.path] = value
                scope.updates[self.path] = value
                return self
        self.owner.params = {**self.owner.built_params(), self.path: value}
        return self

    def assign_add(self, delta: Any) -> Variable:
        """``assign(value + delta)``."""
        return self.assign(self.value + _unwrap(delta))

    def assign_sub(self, delta: Any) -> Variable:
        """``assign(value - delta)``."""
        return self.assign(self.value - _unwrap(delta))

    def __getitem__(self, index: Any) -> jax.Array:
        return self.value[index]

    def __neg__(self) -> jax.Array:
        return -self.value

    def __pos__(self) -> jax.Array:
        return self.value

    def __abs__(self) -> jax.Array:
        return abs(self.value)

    def __repr__(self) -> str:
        return f"<Variable path={self.owner.name}/{self.path}, shape={self.shape}>"


def _unwrap(x: Any) -> Any:
    return x.value if isinstance(x, Variable) else x


def _binary(op: Any) -> tuple[Any, Any]:
    def forward(self: Variable, other: Any) -> Any:
        return op(self.value, _unwrap(other))

    def reflected(self: Variable, other: Any) -> Any:
        return op(_unwrap(other), self.value)

    return forward, reflected


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul"):
    _forward, _reflected = _binary(getattr(operator, _name))
    setattr(Variable, f"__{_name}__", _forward)
    setattr(Variable, f"__r{_name}__", _reflected)
for _name in ("lt", "le", "gt", "ge"):
    setattr(Variable, f"__{_name}__", _binary(getattr(operator, _name))[0])
