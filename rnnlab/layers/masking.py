"""``Masking``: mark padded time steps so recurrent layers and the loss skip them.

Example:
    >>> import numpy as np
    >>> from rnnlab.models import Sequential
    >>> from rnnlab.layers import SimpleRNN
    >>> model = Sequential([Masking(0.0, input_shape=(None, 1)), SimpleRNN(4)])
    >>> x = np.array([[[1.0], [2.0], [0.0]]], np.float32)  # last step is padding
    >>> np.allclose(model.predict(x), model.predict(x[:, :2]), atol=1e-6)
    True
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from rnnlab.layers.base import Layer, Params, Shape
from rnnlab.validation import is_number

__all__ = ["Masking"]


class Masking(Layer):
    """Mask every time step whose features all equal ``mask_value``.

    The output mask, ``(batch, time)``, is True where any feature differs from
    ``mask_value``; recurrent layers then leave their state unchanged at masked
    steps, and with ``return_sequences=True`` the mask reaches the loss, which
    ignores those steps. Values at masked steps are set to 0, as Keras does. Steps
    already masked on input stay masked.

    Args:
        mask_value: the padding value (``0.0``).

    Shapes: ``(batch, time, features)`` → the same.

    Example:
        >>> import jax.numpy as jnp
        >>> x = jnp.array([[[1.0, 0.0], [0.0, 0.0]]])
        >>> Masking().compute_mask(None, x).tolist()
        [[True, False]]
    """

    supports_masking = True

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not is_number(mask_value):
            raise TypeError(f"{self.describe()}: mask_value must be a number, got {mask_value!r}")
        self.mask_value = float(mask_value)

    def check_input_shape(self, shape: Shape) -> None:
        self._expect_ndim(shape, 3, "(batch, time, features)")

    def compute_mask(self, mask: jax.Array | None, x: jax.Array) -> jax.Array:
        """``(batch, time)`` booleans: True where some feature differs from ``mask_value``
        (and where an incoming ``mask``, e.g. from padding added by ``predict``, is True)."""
        keep = jnp.any(x != self.mask_value, axis=-1)
        return keep if mask is None else keep & mask.astype(bool)

    def apply(self, params: Params, x: jax.Array, *, training=False, key=None, mask=None):
        """``x`` with the masked steps set to 0 (same shape)."""
        keep = self.compute_mask(mask, x)
        return x * keep[..., None].astype(x.dtype)
