"""``keras.ops``'s neural-network operations over :mod:`jax.nn`, with Keras 3's signatures.

As :mod:`rnnlab.ops.numpy`: computed at once on arrays and traced values, recorded as an
operation (Keras module ``keras.src.ops.nn``) on symbolic tensors. Note Keras's defaults:
``gelu(approximate=True)``, ``leaky_relu(negative_slope=0.2)``, ``softmax(axis=-1)``.

Example:
    >>> import jax.numpy as jnp
    >>> relu(jnp.array([-1.0, 2.0])).tolist(), softmax(jnp.zeros(4)).tolist()
    ([0.0, 2.0], [0.25, 0.25, 0.25, 0.25])
"""

from __future__ import annotations

from typing import Any

import jax

from rnnlab.ops.operation import call_op, define

__all__ = [
    "elu", "gelu", "hard_sigmoid", "leaky_relu", "log_softmax", "relu", "relu6", "selu",
    "sigmoid", "silu", "softmax", "softplus", "softsign", "swish",
]  # fmt: skip

NN = "keras.src.ops.nn"
Tensor = Any  # an array, a traced value or a KerasTensor


def _op(name: str, impl: Any, **defaults: Any) -> Any:
    return define(name, NN, impl, __name__, **defaults)


Sigmoid, Relu, Relu6 = (
    _op("Sigmoid", jax.nn.sigmoid),
    _op("Relu", jax.nn.relu),
    _op("Relu6", jax.nn.relu6),
)
Softplus, Softsign = _op("Softplus", jax.nn.softplus), _op("Softsign", jax.nn.soft_sign)
Silu, Selu = _op("Silu", jax.nn.silu), _op("Selu", jax.nn.selu)
HardSigmoid = _op("HardSigmoid", jax.nn.hard_sigmoid)
LeakyRelu = _op("LeakyRelu", jax.nn.leaky_relu, negative_slope=0.2)
Elu = _op("Elu", jax.nn.elu, alpha=1.0)
Gelu = _op("Gelu", jax.nn.gelu, approximate=True)
Softmax = _op("Softmax", jax.nn.softmax, axis=-1)
LogSoftmax = _op("LogSoftmax", jax.nn.log_softmax, axis=-1)


def sigmoid(x: Tensor) -> Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))`` element-wise."""
    return call_op(Sigmoid, x)


def relu(x: Tensor) -> Tensor:
    """``max(x, 0)`` element-wise."""
    return call_op(Relu, x)


def relu6(x: Tensor) -> Tensor:
    """``min(max(x, 0), 6)`` element-wise."""
    return call_op(Relu6, x)


def softplus(x: Tensor) -> Tensor:
    """``log(1 + exp(x))`` element-wise."""
    return call_op(Softplus, x)


def softsign(x: Tensor) -> Tensor:
    """``x / (1 + |x|)`` element-wise."""
    return call_op(Softsign, x)


def silu(x: Tensor) -> Tensor:
    """``x * sigmoid(x)`` element-wise (also ``swish``)."""
    return call_op(Silu, x)


swish = silu


def selu(x: Tensor) -> Tensor:
    """Scaled exponential linear unit element-wise."""
    return call_op(Selu, x)


def hard_sigmoid(x: Tensor) -> Tensor:
    """``relu6(x + 3) / 6`` element-wise."""
    return call_op(HardSigmoid, x)


def leaky_relu(x: Tensor, negative_slope: float = 0.2) -> Tensor:
    """``x`` for ``x >= 0``, else ``negative_slope * x``."""
    return call_op(LeakyRelu, x, negative_slope=negative_slope)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return call_op(Elu, x, alpha=alpha)


def gelu(x: Tensor, approximate: bool = True) -> Tensor:
    """Gaussian error linear unit (the tanh approximation unless ``approximate=False``)."""
    return call_op(Gelu, x, approximate=approximate)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    return call_op(Softmax, x, axis=axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """``log(softmax(x))`` along ``axis``, computed stably."""
    return call_op(LogSoftmax, x, axis=axis)
