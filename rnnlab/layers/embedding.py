"""``Embedding``: integer ids to learned vectors, with Keras's ``mask_zero``.

Example:
    >>> import numpy as np
    >>> layer = Embedding(input_dim=10, output_dim=3, mask_zero=True)
    >>> layer(np.array([[4, 2, 0]])).shape
    (1, 3, 3)
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from rnnlab import initializers
from rnnlab.layers.base import Layer, Params, Shape
from rnnlab.validation import positive_int

__all__ = ["Embedding"]


class Embedding(Layer):
    """Look up row ``i`` of an ``(input_dim, output_dim)`` table for each id ``i``.

    Args:
        input_dim: number of ids (the vocabulary size): ids are ``0 … input_dim - 1``.
        output_dim: length of each vector.
        embeddings_initializer: Keras name or callable; ``"uniform"`` (±0.05) as Keras.
        mask_zero: id 0 is padding: the output mask, ``(batch, time)``, is False where the
            id is 0, so a recurrent layer after it skips those steps (and with
            ``return_sequences`` the loss does too). ``input_dim`` then still counts id 0.

    Shapes: ``(batch, time)`` ids (integers, or floats holding integers — rnnlab feeds
    float32 arrays) → ``(batch, time, output_dim)``. Weight: ``embeddings``.

    Example:
        >>> import rnnlab as keras
        >>> ids = keras.Input(shape=(None,), dtype="int32")
        >>> h = keras.layers.LSTM(4)(Embedding(50, 8, mask_zero=True)(ids))
        >>> keras.Model(ids, h).count_params()
        608
    """

    weight_names = ("embeddings",)

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        mask_zero: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("input_length", None)  # deprecated in Keras 3, ignored there too
        super().__init__(**kwargs)
        self.input_dim = positive_int(input_dim, "input_dim", self.describe())
        self.output_dim = positive_int(output_dim, "output_dim", self.describe())
        self.embeddings_initializer = initializers.get(
            embeddings_initializer, owner=self.describe()
        )
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero

    def check_input_shape(self, shape: Shape) -> None:
        if len(shape) < 2:
            raise ValueError(
                f"{self.describe()}: expected ids of shape (batch, ...), got a {len(shape)}-D input"
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape, self.output_dim)

    def init_params(self, key: jax.Array, input_shape: Shape) -> Params:
        shape = (self.input_dim, self.output_dim)
        return {"embeddings": self.embeddings_initializer(key, shape)}

    def apply(self, params: Params, x: jax.Array, *, training=False, key=None, mask=None):
        """``(batch, ...)`` ids → ``(batch, ..., output_dim)``; ids outside
        ``0 … input_dim - 1`` are clamped into that range (as a gather does on JAX)."""
        ids = jnp.asarray(x).astype(jnp.int32)
        return jnp.take(params["embeddings"], ids, axis=0, mode="clip")

    def compute_mask(self, mask: jax.Array | None, x: jax.Array) -> jax.Array | None:
        """``x != 0`` with ``mask_zero`` (and-ed with an incoming mask), else None."""
        if not self.mask_zero:
            return None
        keep = jnp.asarray(x) != 0
        return keep if mask is None else keep & mask.astype(bool)
