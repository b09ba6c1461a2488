"""Fully connected layer."""

from __future__ import annotations

from typing import Any

import jax

from rnnlab import activations, initializers
from rnnlab.core.linalg import matmul_last_axis
from rnnlab.layers.base import Layer, Params, Shape
from rnnlab.validation import positive_int


class Dense(Layer):
    """``y = activation(x @ kernel + bias)`` on the last axis.

    Input ``(batch, ..., in)`` → output ``(batch, ..., units)``; works on 2-D
    and on 3-D (per time step) inputs. kernel ``(in, units)``, bias ``(units,)``.

    Example:
        >>> from rnnlab.models import Sequential
        >>> m = Sequential([Dense(10, input_shape=(20,))])
        >>> m.count_params()
        210
    """

    weight_names = ("kernel", "bias")
    supports_masking = True

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.units = positive_int(units, "units", self.describe())
        self.activation = activations.get(activation, owner=self.describe())
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer, owner=self.describe())
        self.bias_initializer = initializers.get(bias_initializer, owner=self.describe())

    def check_input_shape(self, shape: Shape) -> None:
        if len(shape) < 2:
            raise ValueError(
                f"{self.describe()}: expected input of shape (batch, ..., features), "
                f"got a {len(shape)}-D input"
            )
        if shape[-1] is None:
            raise ValueError(f"{self.describe()}: the last input axis must be known, got None")
        self._expect_features(shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:-1], self.units)

    def init_params(self, key: jax.Array, input_shape: Shape) -> Params:
        k_kernel, k_bias = jax.random.split(key)
        params = {"kernel": self.kernel_initializer(k_kernel, (input_shape[-1], self.units))}
        if self.use_bias:
            params["bias"] = self.bias_initializer(k_bias, (self.units,))
        return params

    def apply(self, params: Params, x: jax.Array, *, training=False, key=None, mask=None):
        y = matmul_last_axis(x, params["kernel"])  # 3-D input: one 2-D product (rnnlab.core.linalg)
        if self.use_bias:
            y = y + params["bias"]
        return self.activation(y)
