"""1D convolution over the time axis."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from rnnlab import activations, initializers
from rnnlab.core.linalg import matmul_last_axis
from rnnlab.layers.base import Layer, Params, Shape
from rnnlab.validation import positive_int

PADDINGS = ("valid", "same", "causal")


def _int_or_single(value: Any, arg: str, owner: str) -> int:
    if isinstance(value, tuple | list) and len(value) == 1:
        value = value[0]
    return positive_int(value, arg, owner)


class Conv1D(Layer):
    """Keras's ``Conv1D``: slide ``filters`` kernels of ``kernel_size`` steps over time.

    Input ``(batch, time, channels)`` → output ``(batch, new_time, filters)`` with
    ``new_time = floor((time - dilation_rate*(kernel_size-1) - 1) / strides) + 1`` for
    ``"valid"``, ``ceil(time / strides)`` for ``"same"``, and for ``"causal"``
    (left padding only, so step t never sees later steps) ``ceil(time / strides)``.
    kernel ``(kernel_size, channels, filters)``, bias ``(filters,)``.

    Example:
        >>> from rnnlab.models import Sequential
        >>> m = Sequential([Conv1D(20, 4, strides=2, input_shape=(None, 1))])
        >>> m.count_params()
        100
    """

    weight_names = ("kernel", "bias")

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int],
        strides: int | tuple[int] = 1,
        padding: str = "valid",
        dilation_rate: int | tuple[int] = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = self.describe()
        self.filters = positive_int(filters, "filters", owner)
        self.kernel_size = _int_or_single(kernel_size, "kernel_size", owner)
        self.strides = _int_or_single(strides, "strides", owner)
        self.dilation_rate = _int_or_single(dilation_rate, "dilation_rate", owner)
        if not isinstance(padding, str) or padding.lower() not in PADDINGS:
            raise ValueError(
                f"{owner}: padding must be one of 'valid', 'same', 'causal', got {padding!r}"
            )
        self.padding = padding.lower()
        self.activation = activations.get(activation, owner=owner)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer, owner=owner)
        self.bias_initializer = initializers.get(bias_initializer, owner=owner)

    @property
    def span(self) -> int:
        """Number of input steps one output step looks at."""
        return self.dilation_rate * (self.kernel_size - 1) + 1

    def check_input_shape(self, shape: Shape) -> None:
        self._expect_ndim(shape, 3, "(batch, time, channels)")
        if shape[-1] is None:
            raise ValueError(f"{self.describe()}: the channels axis must be known, got None")
        self._expect_features(shape, "channels")
        time = shape[1]
        if self.padding == "valid" and time is not None and time < self.span:
            raise ValueError(
                f"{self.describe()}: kernel_size {self.kernel_size} with dilation_rate "
                f"{self.dilation_rate} spans {self.span} steps, longer than the input "
                f"sequence of {time} steps (padding='valid')"
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        batch, time, _ = input_shape
        if time is not None:
            if self.padding == "valid":
                time = (time - self.span) // self.strides + 1
            else:
                time = -(-time // self.strides)
        return (batch, time, self.filters)

    def init_params(self, key: jax.Array, input_shape: Shape) -> Params:
        k_kernel, k_bias = jax.random.split(key)
        shape = (self.kernel_size, input_shape[-1], self.filters)
        params = {"kernel": self.kernel_initializer(k_kernel, shape)}
        if self.use_bias:
            params["bias"] = self.bias_initializer(k_bias, (self.filters,))
        return params

    def _padding(self, time: int) -> tuple[int, int]:
        """Steps of zeros added before and after the sequence."""
        if self.padding == "causal":
            return self.span - 1, 0
        if self.padding == "same":  # as TensorFlow: the extra step goes after
            out = -(-time // self.strides)
            total = max((out - 1) * self.strides + self.span - time, 0)
            return total // 2, total - total // 2
        return 0, 0

    def apply(self, params: Params, x: jax.Array, *, training=False, key=None, mask=None):
        """``(batch, time, channels)`` → ``(batch, new_time, filters)``.

        Computed as one matrix product per kernel tap on a shifted (strided) view
        of the input. Inside the compiled training loop this is several times
        faster on XLA's CPU backend than ``lax.conv_general_dilated`` (WaveNet
        epoch 1.70 s → 0.50 s), and equal in value.
        """
        before, after = self._padding(x.shape[1])
        if before or after:
            x = jnp.pad(x, ((0, 0), (before, after), (0, 0)))
        steps = (x.shape[1] - self.span) // self.strides + 1
        kernel = params["kernel"]
        y = 0.0
        for tap in range(self.kernel_size):
            start = tap * self.dilation_rate
            view = jax.lax.slice_in_dim(
                x, start, start + (steps - 1) * self.strides + 1, self.strides, axis=1
            )
            y = y + matmul_last_axis(view, kernel[tap])
        if self.use_bias:
            y = y + params["bias"]
        return self.activation(y)
