"""``TimeDistributed``: a layer applied to every time step, with the same weights.

Example:
    >>> from rnnlab.models import Sequential
    >>> from rnnlab.layers import Dense
    >>> m = Sequential([TimeDistributed(Dense(10), input_shape=(None, 20))])
    >>> m.output_shape, m.count_params()
    ((None, None, 10), 210)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnnlab.layers.base import Layer, Params, Shape, adopt_input_shape, format_shape

__all__ = ["TimeDistributed"]


class TimeDistributed(Layer):
    """Apply ``layer`` to every time step independently (the same weights at every step).

    The input ``(batch, time, ...)`` is reshaped to ``(batch*time, ...)``, passed
    through ``layer``, and reshaped back. The parameters are ``layer``'s (same
    names, shapes and count). A ``(batch, time)`` mask passes through; in training
    it also makes masked steps count as zero-weight rows for the inner layer
    (e.g. BatchNormalization's batch statistics).

    Args:
        layer: the layer to apply at each step, e.g. ``Dense(10)``.

    Shapes: ``(batch, time, *inner_in)`` → ``(batch, time, *inner_out)``.

    Example:
        >>> from rnnlab.models import Sequential
        >>> from rnnlab.layers import Dense
        >>> m = Sequential([TimeDistributed(Dense(10), input_shape=(None, 20))])
        >>> m.output_shape, m.count_params()
        ((None, None, 10), 210)
    """

    supports_masking = True

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise TypeError(
                f"TimeDistributed: layer must be an rnnlab layer such as Dense(10), got {layer!r}"
            )
        adopt_input_shape(layer, kwargs)
        super().__init__(**kwargs)
        self.layer = layer
        self.trainable = self.trainable and layer.trainable

    # The parameters are the inner layer's: the same names, the same frozen ones — read
    # from it when asked (a custom layer knows its non-trainable weights once built).
    @property
    def weight_names(self) -> tuple[str, ...]:  # type: ignore[override]
        """The inner layer's weight names."""
        return self.layer.weight_names

    @property
    def non_trainable_names(self) -> tuple[str, ...]:  # type: ignore[override]
        """The inner layer's non-trainable weights."""
        return self.layer.non_trainable_names

    @property
    def params(self) -> Params | None:
        """The inner layer's weights (the wrapper has none of its own)."""
        return self.layer.params

    @params.setter
    def params(self, value: Params | None) -> None:
        self.layer.params = value

    def weight_order(self, params: Params) -> tuple[str, ...]:
        return self.layer.weight_order(params)

    @staticmethod
    def _inner_shape(shape: Shape) -> Shape:
        return (None, *shape[2:])

    def check_input_shape(self, shape: Shape) -> None:
        if len(shape) < 3:
            raise ValueError(
                f"{self.describe()}: expected input of shape (batch, time, ...) (at least 3-D) "
                f"to apply {self.layer.describe()} at every time step, got a {len(shape)}-D "
                f"input of shape {format_shape(shape)}"
            )
        self.layer.check_input_shape(self._inner_shape(shape))

    def build(self, input_shape: Shape) -> Shape:
        self.check_input_shape(input_shape)
        self.layer.build(self._inner_shape(input_shape))
        return super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        out = self.layer.compute_output_shape(self._inner_shape(input_shape))
        return (input_shape[0], input_shape[1], *out[1:])

    def init_params(self, key: jax.Array, input_shape: Shape) -> Params:
        return self.layer.init_params(key, self._inner_shape(input_shape))

    def compute_mask(self, mask: jax.Array | None, x: jax.Array) -> jax.Array | None:
        return mask

    def apply(self, params: Params, x: jax.Array, *, training=False, key=None, mask=None):
        """``(batch, time, ...)`` → ``(batch, time, ...)``, ``layer`` applied at each step."""
        b, t = x.shape[:2]
        y = self.layer.apply(params, x.reshape(b * t, *x.shape[2:]), training=training, key=key)
        return y.reshape(b, t, *y.shape[1:])

    def apply_train(
        self,
        params: Params,
        x: jax.Array,
        *,
        key: jax.Array | None = None,
        mask: jax.Array | None = None,
        sample_weight: jax.Array | None = None,
    ) -> tuple[jax.Array, Params]:
        b, t = x.shape[:2]
        weight = None if sample_weight is None else jnp.repeat(sample_weight, t)
        if mask is not None:
            step = mask.reshape(b * t).astype(x.dtype)
            weight = step if weight is None else weight * step
        y, updates = self.layer.apply_train(
            params, x.reshape(b * t, *x.shape[2:]), key=key, sample_weight=weight
        )
        return y.reshape(b, t, *y.shape[1:]), updates

    def get_weights(self) -> list[np.ndarray]:
        """The inner layer's weights, in its order."""
        return self.layer.get_weights()

    def params_with_weights(self, weights: Sequence[Any]) -> Params:
        return self.layer.params_with_weights(weights)

    def count_params(self) -> int:
        return self.layer.count_params()

    def count_trainable_params(self) -> int:
        return self.layer.count_trainable_params() if self.trainable else 0
