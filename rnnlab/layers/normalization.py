"""Normalization layers: LayerNormalization and BatchNormalization, Keras 3's equations.

Example:
    >>> from rnnlab.models import Sequential
    >>> m = Sequential([BatchNormalization(input_shape=(None, 20))])
    >>> m.count_params(), sum(layer.count_trainable_params() for layer in m.layers)
    (80, 40)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from rnnlab import initializers
from rnnlab.layers.base import Layer, Params, Shape, format_shape
from rnnlab.validation import is_int, positive_number

__all__ = ["BatchNormalization", "LayerNormalization"]


def _axis(value: Any, owner: str) -> int:
    if not is_int(value):
        raise TypeError(f"{owner}: axis must be an integer, got {value!r}")
    return int(value)


def _resolve_axis(axis: int, ndim: int, owner: str) -> int:
    """``axis`` as a non-negative index into a shape of ``ndim`` axes (batch included)."""
    pos = axis + ndim if axis < 0 else axis
    if not 0 <= pos < ndim:
        raise ValueError(f"{owner}: axis {axis} is out of range for a {ndim}-D input")
    if pos == 0:
        raise ValueError(f"{owner}: axis {axis} is the batch axis; normalize over a feature axis")
    return pos


class LayerNormalization(Layer):
    """Normalize each sample over ``axis`` (the features), then scale and shift.

    ``y = (x - mean) / sqrt(var + epsilon) * gamma + beta`` with the mean and the
    (biased) variance taken over ``axis`` for every sample and time step.

    Args:
        axis: axis or axes to normalize over (``-1``: the features).
        epsilon: added to the variance.
        center: learn ``beta`` (shape: the normalized axes).
        scale: learn ``gamma``.

    Shapes: unchanged; weights gamma, beta of shape ``(features,)``
    (``2 * features`` parameters). Masks pass through.

    Example:
        >>> from rnnlab.models import Sequential
        >>> Sequential([LayerNormalization(input_shape=(None, 20))]).count_params()
        40
    """

    weight_names = ("gamma", "beta")
    supports_masking = True

    def __init__(
        self,
        axis: int | Sequence[int] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = self.describe()
        axes = tuple(axis) if isinstance(axis, list | tuple) else (axis,)
        if not axes:
            raise ValueError(f"{owner}: axis must name at least one axis, got {axis!r}")
        self.axis: tuple[int, ...] = tuple(_axis(a, owner) for a in axes)
        self.epsilon = positive_number(epsilon, "epsilon", owner)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer, owner=owner)
        self.gamma_initializer = initializers.get(gamma_initializer, owner=owner)

    def _axes(self, ndim: int) -> tuple[int, ...]:
        return tuple(sorted({_resolve_axis(a, ndim, self.describe()) for a in self.axis}))

    def check_input_shape(self, shape: Shape) -> None:
        for a in self._axes(len(shape)):
            if shape[a] is None:
                raise ValueError(
                    f"{self.describe()}: axis {a} of the input {format_shape(shape)} must be "
                    "known to size gamma and beta, got None"
                )
        self._expect_features(shape)

    def init_params(self, key: jax.Array, input_shape: Shape) -> Params:
        shape = tuple(input_shape[a] for a in self._axes(len(input_shape)))
        k_gamma, k_beta = jax.random.split(key)
        params = {}
        if self.scale:
            params["gamma"] = self.gamma_initializer(k_gamma, shape)
        if self.center:
            params["beta"] = self.beta_initializer(k_beta, shape)
        return params

    def apply(self, params: Params, x: jax.Array, *, training=False, key=None, mask=None):
        """Same shape as ``x``."""
        axes = self._axes(x.ndim)
        bshape = tuple(x.shape[i] if i in axes else 1 for i in range(x.ndim))
        mean = jnp.mean(x, axis=axes, keepdims=True)
        var = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True)
        y = (x - mean) * jax.lax.rsqrt(var + self.epsilon)
        if self.scale:
            y = y * params["gamma"].reshape(bshape)
        if self.center:
            y = y + params["beta"].reshape(bshape)
        return y


class BatchNormalization(Layer):
    """Normalize each feature with batch statistics in training, moving averages in inference.

    Training (``fit``): ``y = (x - mean_b) / sqrt(var_b + epsilon) * gamma + beta``
    where ``mean_b`` and the biased ``var_b`` are taken over every axis but ``axis``
    (batch and time), counting only rows whose sample weight is non-zero (the
    padding of a partial batch) and, given a ``(batch, time)`` mask, only the
    unmasked steps, as Keras 3 does. The step then replaces
    ``moving_mean ← momentum * moving_mean + (1 - momentum) * mean_b`` and likewise
    ``moving_variance`` (these two are never touched by gradients).
    Inference (``predict``, ``evaluate``): the moving statistics are used instead.
    A layer with ``trainable=False`` always runs in inference mode, as in Keras 3.

    Args:
        axis: the features axis (``-1``).
        momentum: weight of the old moving statistics, in ``[0, 1]``.
        epsilon: added to the variance.
        center: learn ``beta``; scale: learn ``gamma``.

    Shapes: unchanged. Weights (Keras's ``get_weights`` order): gamma, beta,
    moving_mean, moving_variance, each ``(features,)`` — ``4 * features``
    parameters, ``2 * features`` of them non-trainable. Masks pass through.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> bn = BatchNormalization()
        >>> params = bn.init_params(jax.random.key(0), (None, 3))
        >>> y, updates = bn.apply_train(params, jnp.arange(6.0).reshape(2, 3))
        >>> sorted(updates)
        ['moving_mean', 'moving_variance']
    """

    weight_names = ("gamma", "beta", "moving_mean", "moving_variance")
    non_trainable_names = ("moving_mean", "moving_variance")
    supports_masking = True

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = self.describe()
        self.axis = _axis(axis, owner)
        if (
            isinstance(momentum, bool)
            or not isinstance(momentum, int | float)
            or not 0.0 <= momentum <= 1.0
        ):
            raise ValueError(f"{owner}: momentum must be a number in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.epsilon = positive_number(epsilon, "epsilon", owner)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer, owner=owner)
        self.gamma_initializer = initializers.get(gamma_initializer, owner=owner)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer, owner=owner)
        self.moving_variance_initializer = initializers.get(
            moving_variance_initializer, owner=owner
        )

    def check_input_shape(self, shape: Shape) -> None:
        if len(shape) < 2:
            raise ValueError(
                f"{self.describe()}: expected input of shape (batch, ..., features), "
                f"got a {len(shape)}-D input"
            )
        a = _resolve_axis(self.axis, len(shape), self.describe())
        if shape[a] is None:
            raise ValueError(
                f"{self.describe()}: axis {self.axis} of the input {format_shape(shape)} must "
                "be known, got None"
            )
        if self.input_shape is not None and len(self.input_shape) == len(shape):
            want = self.input_shape[a]
            if shape[a] != want:
                raise ValueError(
                    f"{self.describe()}: expected {want} features on axis {self.axis} "
                    f"(input_shape {format_shape(self.input_shape)}), "
                    f"got input of shape {format_shape(shape)}"
                )

    def init_params(self, key: jax.Array, input_shape: Shape) -> Params:
        a = _resolve_axis(self.axis, len(input_shape), self.describe())
        shape = (input_shape[a],)
        keys = jax.random.split(key, 4)
        params = {}
        if self.scale:
            params["gamma"] = self.gamma_initializer(keys[0], shape)
        if self.center:
            params["beta"] = self.beta_initializer(keys[1], shape)
        params["moving_mean"] = self.moving_mean_initializer(keys[2], shape)
        params["moving_variance"] = self.moving_variance_initializer(keys[3], shape)
        return params

    def _normalize(self, params: Params, x: jax.Array, mean, var) -> jax.Array:
        a = _resolve_axis(self.axis, x.ndim, self.describe())
        bshape = tuple(x.shape[i] if i == a else 1 for i in range(x.ndim))
        inv = jax.lax.rsqrt(var.reshape(bshape) + self.epsilon)
        if self.scale:
            inv = inv * params["gamma"].reshape(bshape)
        y = (x - mean.reshape(bshape)) * inv
        if self.center:
            y = y + params["beta"].reshape(bshape)
        return y

    def batch_moments(
        self,
        x: jax.Array,
        *,
        sample_weight: jax.Array | None = None,
        mask: jax.Array | None = None,
    ) -> tuple[jax.Array, jax.Array, jax.Array]:
        """Weighted batch ``(mean, biased variance, total weight)``, each ``(features,)``
        except the scalar weight; rows weigh ``sample_weight (batch,)`` times ``mask``."""
        a = _resolve_axis(self.axis, x.ndim, self.describe())
        reduce = tuple(i for i in range(x.ndim) if i != a)
        w = jnp.ones((x.shape[0],) + (1,) * (x.ndim - 1), x.dtype)
        if sample_weight is not None:
            w = w * jnp.asarray(sample_weight, x.dtype).reshape(w.shape)
        if mask is not None:
            mask = jnp.asarray(mask)
            if a != x.ndim - 1 or mask.ndim >= x.ndim or mask.shape != x.shape[: mask.ndim]:
                raise ValueError(
                    f"{self.describe()}: a mask of shape {mask.shape} does not fit the input "
                    f"of shape {x.shape}; expected the input's leading axes, e.g. (batch, time)"
                )
            w = w * mask.astype(x.dtype).reshape(mask.shape + (1,) * (x.ndim - mask.ndim))
        w = jnp.broadcast_to(w, tuple(1 if i == a else x.shape[i] for i in range(x.ndim)))
        total = jnp.sum(w)
        denom = jnp.maximum(total, jnp.finfo(x.dtype).tiny)
        mean = jnp.sum(w * x, axis=reduce, keepdims=True) / denom
        var = jnp.sum(w * jnp.square(x - mean), axis=reduce, keepdims=True) / denom
        return mean.reshape(-1), var.reshape(-1), total

    def apply(self, params: Params, x: jax.Array, *, training=False, key=None, mask=None):
        """Same shape as ``x``; batch statistics when ``training`` (no moving update here:
        :meth:`apply_train` returns it), moving statistics otherwise."""
        if training and self.trainable:
            mean, var, _ = self.batch_moments(x, mask=mask)
        else:
            mean, var = params["moving_mean"], params["moving_variance"]
        return self._normalize(params, x, mean, var)

    def apply_train(
        self,
        params: Params,
        x: jax.Array,
        *,
        key: jax.Array | None = None,
        mask: jax.Array | None = None,
        sample_weight: jax.Array | None = None,
    ) -> tuple[jax.Array, Params]:
        """Training forward: ``(y, {"moving_mean": ..., "moving_variance": ...})``."""
        if not self.trainable:
            return self.apply(params, x, training=False), {}
        mean, var, total = self.batch_moments(x, sample_weight=sample_weight, mask=mask)
        y = self._normalize(params, x, mean, var)
        m = self.momentum
        old_mean = jax.lax.stop_gradient(params["moving_mean"])
        old_var = jax.lax.stop_gradient(params["moving_variance"])
        new_mean = m * old_mean + (1.0 - m) * jax.lax.stop_gradient(mean)
        new_var = m * old_var + (1.0 - m) * jax.lax.stop_gradient(var)
        # A batch with nothing to count (every row padding) leaves the statistics alone.
        counted = jax.lax.stop_gradient(total) > 0
        updates = {
            "moving_mean": jnp.where(counted, new_mean, old_mean),
            "moving_variance": jnp.where(counted, new_var, old_var),
        }
        return y, updates
