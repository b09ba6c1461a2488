"""``Attention`` (Luong, dot product) and ``AdditiveAttention`` (Bahdanau): a query
sequence reads a weighted mix of a value sequence — the link between an encoder's
outputs and a decoder's in an encoder–decoder.

Both are called on ``[query, value]`` or ``[query, value, key]`` (``key`` defaults to
``value``): scores ``(batch, Tq, Tv)`` from query and key, a softmax over the value
steps (masked steps get ``-1e9`` first, as Keras does), and the output is the weighted
sum of the values, ``(batch, Tq, dim)``.

Example:
    >>> import numpy as np
    >>> q, v = np.ones((2, 3, 4), np.float32), np.ones((2, 5, 4), np.float32)
    >>> Attention()([q, v]).shape, AdditiveAttention()([q, v]).shape
    ((2, 3, 4), (2, 3, 4))
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from rnnlab import initializers
from rnnlab.layers.base import Layer, Params, Shape, format_shape
from rnnlab.utils import next_key

__all__ = ["AdditiveAttention", "Attention"]


class Attention(Layer):
    """Dot-product attention: ``softmax(scale · query @ keyᵀ) @ value``.

    Args:
        use_scale: learn a scalar ``scale`` (initially 1) multiplying the scores.
        score_mode: ``"dot"`` (query · key) or ``"concat"``
            (``concat_score_weight · Σ tanh(query + key)``).
        dropout: fraction of the attention weights dropped in training.

    Call: ``layer([query, value(, key)], mask=[query_mask, value_mask],
    return_attention_scores=False, use_causal_mask=False)``; masks flowing with the
    inputs (e.g. from ``Embedding(mask_zero=True)``) are used when ``mask`` is not given.
    Shapes: query ``(batch, Tq, dim)``, value ``(batch, Tv, dim_v)``, key
    ``(batch, Tv, dim)`` → ``(batch, Tq, dim_v)``; with ``return_attention_scores`` also
    the weights ``(batch, Tq, Tv)``. Output steps where ``query_mask`` is False are 0.

    Example:
        >>> import numpy as np
        >>> q = np.zeros((1, 2, 3), np.float32); v = np.arange(12.0).reshape(1, 4, 3)
        >>> Attention()([q, v])[0, 0].tolist()  # equal scores: the mean of the values
        [4.5, 5.5, 6.5]
    """

    weight_names = ("scale", "concat_score_weight")
    supports_masking = True
    node_kwargs = ("mask", "training", "return_attention_scores", "use_causal_mask")

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"{self.describe()}: score_mode must be 'dot' or 'concat', got {score_mode!r}"
            )
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"{self.describe()}: dropout must be in [0, 1), got {dropout!r}")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed

    # -- shapes -------------------------------------------------------------------------
    def _parts(self, shapes: Any) -> list[Shape]:
        if not isinstance(shapes, list | tuple) or not 2 <= len(shapes) <= 3:
            got = f"{len(shapes)} tensors" if isinstance(shapes, list | tuple) else "one tensor"
            raise ValueError(
                f"{self.describe()}: call it on a list [query, value] or [query, value, key], "
                f"got {got}"
            )
        return [tuple(s) for s in shapes]

    def check_input_shape(self, shape: Any) -> None:
        parts = self._parts(shape)
        query, value = parts[0], parts[1]
        key = parts[2] if len(parts) == 3 else value
        for s in parts:
            self._expect_ndim(s, 3, "(batch, time, dim)")
        names = "query, value" + (", key" if len(parts) == 3 else "")
        shown = ", ".join(format_shape(s) for s in parts)
        if query[-1] != key[-1] and not (query[-1] is None or key[-1] is None):
            raise ValueError(
                f"{self.describe()}: query and key must have the same last axis, got "
                f"{names} of shapes {shown}"
            )
        if len(parts) == 3 and None not in (key[1], value[1]) and key[1] != value[1]:
            raise ValueError(
                f"{self.describe()}: key and value must have the same number of steps, got "
                f"{names} of shapes {shown}"
            )

    def compute_output_shape(self, input_shape: Any) -> Shape:
        parts = self._parts(input_shape)
        return (*parts[0][:-1], parts[1][-1])

    def node_output_shapes(self, input_shape: Any, kwargs: dict[str, Any]) -> list[Shape]:
        outs = super().node_output_shapes(input_shape, kwargs)
        if kwargs.get("return_attention_scores"):
            parts = self._parts(input_shape)
            outs.append((*parts[0][:-1], parts[1][1]))
        return outs

    # -- weights ------------------------------------------------------------------------
    def init_params(self, key: jax.Array, input_shape: Any) -> Params:
        params = {}
        if self.use_scale:
            params["scale"] = jnp.ones((), jnp.float32)
        if self.score_mode == "concat":
            params["concat_score_weight"] = jnp.ones((), jnp.float32)
        return params

    # -- the computation ----------------------------------------------------------------
    def scores(self, params: Params, query: jax.Array, key: jax.Array) -> jax.Array:
        """``(batch, Tq, Tv)`` scores before masking and softmax."""
        scale = params.get("scale")
        if self.score_mode == "dot":
            scores = query @ jnp.swapaxes(key, -2, -1)
            return scores if scale is None else scores * scale
        summed = query[..., :, None, :] + key[..., None, :, :]
        if scale is not None:
            summed = scale * summed
        return params["concat_score_weight"] * jnp.sum(jnp.tanh(summed), axis=-1)

    def attend(
        self,
        params: Params,
        inputs: Any,
        *,
        mask: Any = None,
        training: bool = False,
        key: jax.Array | None = None,
        use_causal_mask: bool = False,
    ) -> tuple[jax.Array, jax.Array]:
        """``(output, attention weights)`` for ``inputs = [query, value(, key)]``."""
        query, value = inputs[0], inputs[1]
        keys = inputs[2] if len(inputs) > 2 else value
        q_mask, v_mask = [*mask, None, None][:2] if mask is not None else (None, None)
        scores = self.scores(params, query, keys)
        keep = None if v_mask is None else jnp.asarray(v_mask, bool)[:, None, :]
        if use_causal_mask:
            tq, tv = scores.shape[-2:]
            causal = jnp.arange(tq)[:, None] >= jnp.arange(tv)[None, :]
            keep = causal[None] if keep is None else keep & causal[None]
        if keep is not None:
            scores = jnp.where(keep, scores, scores - 1e9)
        weights = jax.nn.softmax(scores, axis=-1)
        if training and self.dropout and key is not None:
            kept = jax.random.bernoulli(key, 1.0 - self.dropout, weights.shape)
            weights = jnp.where(kept, weights / (1.0 - self.dropout), 0.0)
        out = weights @ value
        if q_mask is not None:
            out = jnp.where(jnp.asarray(q_mask, bool)[..., None], out, 0.0)
        return out, weights

    def apply(self, params: Params, x: Any, *, training=False, key=None, mask=None):
        """``[query, value(, key)]`` → ``(batch, Tq, dim_v)``."""
        return self.attend(params, x, mask=mask, training=training, key=key)[0]

    def node_apply(self, params, x, kwargs, *, training, key, mask, sample_weight):
        out, weights = self.attend(
            params,
            x,
            mask=mask,
            training=training,
            key=key,
            use_causal_mask=bool(kwargs.get("use_causal_mask", False)),
        )
        return ([out, weights] if kwargs.get("return_attention_scores") else out), {}

    def compute_mask(self, mask: Any, x: Any) -> jax.Array | None:
        """The query's mask (the output has the query's steps)."""
        if mask is None or mask[0] is None:
            return None
        return jnp.asarray(mask[0], bool)

    def __call__(self, x: Any, *, training: bool = False, **kwargs: Any) -> Any:
        """Eager call on ``[query, value(, key)]`` arrays, or a functional call on tensors."""
        from rnnlab.layers import symbolic

        if symbolic.has_symbolic(x):
            self._parts([t.shape for t in x] if isinstance(x, list | tuple) else None)
            return symbolic.symbolic_call(self, list(x), kwargs)
        unknown = sorted(set(kwargs) - set(self.node_kwargs))
        if unknown:
            raise TypeError(f"{self.describe()}: unexpected keyword argument {unknown[0]!r}")
        arrays = [jnp.asarray(a, jnp.float32) for a in self._parts(x)]
        shapes = [(None, *a.shape[1:]) for a in arrays]
        if self.params is None:
            self.build(shapes)
            self.params = self.init_params(next_key(), shapes)
        else:
            self.check_input_shape(shapes)
        out, weights = self.attend(
            self.params,
            arrays,
            mask=kwargs.get("mask"),
            training=training,
            key=next_key() if training and self.dropout else None,
            use_causal_mask=bool(kwargs.get("use_causal_mask", False)),
        )
        return (out, weights) if kwargs.get("return_attention_scores") else out


class AdditiveAttention(Attention):
    """Bahdanau's additive attention: scores ``Σ scale · tanh(query + key)`` over the
    features, then as :class:`Attention`.

    Args:
        use_scale: learn ``scale`` ``(dim,)`` (Glorot-uniform) weighting the features;
            without it the tanh terms are summed as they are.
        dropout: fraction of the attention weights dropped in training.

    Shapes: as :class:`Attention`.

    Example:
        >>> import numpy as np
        >>> layer = AdditiveAttention()
        >>> _ = layer([np.ones((1, 2, 3), np.float32), np.ones((1, 4, 3), np.float32)])
        >>> layer.params["scale"].shape
        (3,)
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def init_params(self, key: jax.Array, input_shape: Any) -> Params:
        if not self.use_scale:
            return {}
        dim = self._parts(input_shape)[0][-1]
        return {"scale": initializers.glorot_uniform(key, (dim,))}

    def scores(self, params: Params, query: jax.Array, key: jax.Array) -> jax.Array:
        terms = jnp.tanh(query[..., :, None, :] + key[..., None, :, :])
        if "scale" in params:
            terms = params["scale"] * terms
        return jnp.sum(terms, axis=-1)
