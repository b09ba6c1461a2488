"""``Lambda``: a Python function as a layer (Keras's ``keras.layers.Lambda``), in memory only.

The function is traced into the compiled forward pass and training step like any
layer's, so it costs nothing at run time. Its output shape is inferred by tracing it
(:func:`jax.eval_shape`) unless ``output_shape`` is given.

A model holding a ``Lambda`` cannot be saved to a file: the function is Python code, and
a file that carries code runs it when loaded — which Keras refuses to load in safe mode,
and rnnlab's loader never does. The class says so with ``saveable = False``, which the
savers check before writing anything
(:func:`rnnlab.saving.config.refuse_unsaveable` names the layer and the way out).
``save_weights`` works (a Lambda has no weights of its own).

Example:
    >>> import jax.numpy as jnp
    >>> square = Lambda(lambda x: x**2)
    >>> square(jnp.array([[1.0, 2.0]])).tolist(), square.output_shape
    ([[1.0, 4.0]], (None, 2))
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from rnnlab.layers.base import Layer, Params, Shape, format_shape
from rnnlab.utils import next_key

__all__ = ["Lambda"]

#: Sizes an unknown axis is traced at (as rnnlab.ops does); output axes that differ are None.
_PLACEHOLDERS = (7919, 7927)


def _is_shape(s: Any) -> bool:
    return isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)


class Lambda(Layer):
    """Wrap ``function`` as a layer: ``y = function(x, **arguments)``.

    Args:
        function: called on the layer's input (an array, or the list of arrays it is
            called on); it may take ``training=`` and ``mask=`` keywords, as in Keras.
            Use jax / ``keras.ops`` operations so it can be traced.
        output_shape: the output shape without the batch axis (a tuple), or a function of
            the whole input shape; inferred by tracing when ``None``.
        mask: ``None`` (the output has no mask), a function ``(inputs, mask) -> mask``, or
            a fixed mask.
        arguments: extra keyword arguments for ``function``.

    Shapes: whatever ``function`` maps ``(batch, ...)`` to.

    Example:
        >>> import rnnlab as keras
        >>> x = keras.Input(shape=(10, 3))
        >>> keras.layers.Lambda(lambda t, k: t[:, -k:], arguments={"k": 2})(x).shape
        (None, 2, 3)
    """

    #: Savers check this: a model with a Lambda layer cannot be written to a file.
    saveable = False

    def __init__(
        self,
        function: Callable[..., Any],
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"{self.describe()}: function must be callable, got {function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        if output_shape is not None and not callable(output_shape):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):  # a builtin without a signature
            params = {}
        self._takes = {k for k in ("training", "mask") if k in params}

    def _call_function(self, x: Any, training: bool, mask: Any) -> Any:
        kwargs = dict(self.arguments)
        if "training" in self._takes:
            kwargs["training"] = training
        if "mask" in self._takes:
            kwargs["mask"] = mask
        return self.function(x, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """``output_shape`` as given (with the batch axis prepended), or traced."""
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        leaves = jax.tree_util.tree_leaves(input_shape, is_leaf=_is_shape)
        if self._output_shape is not None:
            return (leaves[0][0], *self._output_shape)
        # remembered per input shape: fit and predict check the graph's shapes on every
        # call, and tracing the function each time would cost as much as an operation's
        memo = self.__dict__.setdefault("_shape_memo", {})
        key = repr(input_shape)
        if key not in memo:
            memo[key] = self._traced_shape(input_shape, leaves)
        return memo[key]

    def _traced_shape(self, input_shape: Any, leaves: list[Shape]) -> Any:
        unknown = any(d is None for s in leaves for d in s)
        outs = [self._trace(input_shape, p) for p in _PLACEHOLDERS[: 2 if unknown else 1]]
        first, second = outs[0], outs[-1]
        shapes = [
            tuple(d1 if d1 == d2 else None for d1, d2 in zip(a.shape, b.shape, strict=True))
            for a, b in zip(
                jax.tree_util.tree_leaves(first), jax.tree_util.tree_leaves(second), strict=True
            )
        ]
        return shapes if isinstance(first, list | tuple) else shapes[0]

    def _trace(self, input_shape: Any, fill: int) -> Any:
        specs = jax.tree_util.tree_map(
            lambda s: jax.ShapeDtypeStruct(tuple(fill if d is None else d for d in s), "float32"),
            input_shape,
            is_leaf=_is_shape,
        )
        try:
            return jax.eval_shape(lambda x: self._call_function(x, False, None), specs)
        except Exception as e:
            shown = jax.tree_util.tree_map(format_shape, input_shape, is_leaf=_is_shape)
            raise ValueError(
                f"{self.describe()}: its function failed on an input of shape {shown} "
                f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); fix it, "
                "or give output_shape= if the shape cannot be traced"
            ) from e

    def apply(
        self,
        params: Params,
        x: Any,
        *,
        training: bool = False,
        key: jax.Array | None = None,
        mask: jax.Array | None = None,
    ) -> Any:
        """``function(x, **arguments)`` (with ``training``/``mask`` if it takes them)."""
        return self._call_function(x, training, mask)

    def compute_mask(self, mask: Any, x: Any) -> Any:
        """The ``mask`` argument's result: None, ``mask(x, input_mask)``, or the fixed mask."""
        if callable(self.mask):
            return self.mask(x, mask)
        return self.mask

    def __call__(self, x: Any, *, training: bool = False, **kwargs: Any) -> Any:
        """As :meth:`Layer.__call__`; eagerly it also takes a list of arrays."""
        from rnnlab.layers import symbolic

        if symbolic.has_symbolic(x) or not isinstance(x, list | tuple):
            return super().__call__(x, training=training, **kwargs)
        arrays = [jnp.asarray(a, jnp.float32) for a in x]
        if self.params is None:
            self.build([(None, *a.shape[1:]) for a in arrays])
            self.params = {}
        return self.apply({}, arrays, training=training, key=next_key() if training else None)

    def init_params(self, key: jax.Array, input_shape: Shape) -> Params:
        """No weights."""
        return {}
