"""``keras.ops``'s core operations: ``cast``, ``slice``, ``shape``, tensor conversion.

``cast`` and ``slice`` record operations (Keras module ``keras.src.ops.core``) on symbolic
tensors; ``shape`` of a symbolic tensor is its shape with ``None`` for unknown axes, as in
Keras.

Example:
    >>> import numpy as np
    >>> cast(np.array([1.7, -2.2]), "int32").tolist(), shape(np.zeros((2, 3)))
    ([1, -2], (2, 3))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnnlab.layers.symbolic import is_symbolic
from rnnlab.ops.operation import call_op, define

__all__ = ["cast", "convert_to_numpy", "convert_to_tensor", "shape", "slice", "stop_gradient"]

CORE = "keras.src.ops.core"
Tensor = Any  # an array, a traced value or a KerasTensor

Cast = define("Cast", CORE, lambda x, dtype: jnp.asarray(x).astype(dtype), __name__, dtype=None)
Slice = define(
    "Slice",
    CORE,
    lambda x, start_indices, shape: jax.lax.dynamic_slice(x, start_indices, shape),
    __name__,
    shape=None,
)
StopGradient = define("StopGradient", CORE, jax.lax.stop_gradient, __name__)


def cast(x: Tensor, dtype: Any) -> Tensor:
    """``x`` as ``dtype`` (``"float32"``, ``"int32"``, ``"bool"``...)."""
    return call_op(Cast, x, dtype=jnp.dtype(dtype).name)


def slice(inputs: Tensor, start_indices: Sequence[int], shape: Sequence[int]) -> Tensor:
    """The block of ``shape`` starting at ``start_indices`` (one index per axis)."""
    return call_op(Slice, inputs, tuple(start_indices), shape=tuple(shape))


def stop_gradient(variable: Tensor) -> Tensor:
    """``variable``, with no gradient flowing back through it."""
    return call_op(StopGradient, variable)


def shape(x: Tensor) -> tuple[int | None, ...]:
    """The shape of ``x`` as a tuple (``None`` for unknown axes of a symbolic tensor)."""
    return tuple(x.shape) if is_symbolic(x) else tuple(jnp.shape(x))


def convert_to_tensor(x: Any, dtype: Any = None) -> jax.Array:
    """``x`` as a jax array (of ``dtype`` when given)."""
    return jnp.asarray(x, dtype=dtype)


def convert_to_numpy(x: Any) -> np.ndarray:
    """``x`` as a NumPy array."""
    return np.asarray(x)
