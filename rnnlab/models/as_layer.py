"""A built model used as a layer of another: Keras's nested models.

``encoder = keras.Model(inp, h)`` then ``keras.Model(x, head(encoder(x)))``, or
``keras.Sequential([encoder, Dense(1)])``: the inner model is one layer of the outer
(one row of its ``summary``, one entry of ``layers``) whose weights are the inner
model's own, so training either trains both. Its entry in the outer ``params`` is the
inner model's whole ``{layer: {weight: array}}`` tree; its forward pass is the inner
model's pure ``forward``, which also gives its output's mask: a mask given to it
reaches its layers, and one made inside it (``Masking``, ``Embedding(mask_zero=True)``)
flows on to the outer model's next layers. In files it is Keras's nested entry (its own
config as a layer's, its weights under ``layers/functional/layers/...``: rnnlab.saving).

:class:`ModelAsLayer` gives ``Sequential``, the functional ``Model`` and subclassed
models the methods a layer has (rnnlab.layers.base.Layer) in terms of the model's own; a
subclassed model assigned to an attribute of another (or of a custom layer) is tracked
and bound as any sublayer.

Example:
    >>> import numpy as np
    >>> import rnnlab as keras
    >>> inp = keras.Input((5, 2))
    >>> encoder = keras.Model(inp, keras.layers.GRU(3)(inp), name="encoder")
    >>> outer = keras.Sequential([encoder, keras.layers.Dense(1)])
    >>> [layer.name for layer in outer.layers][0], outer.count_params()
    ('encoder', 67)
    >>> outer.predict(np.ones((4, 5, 2), np.float32), verbose=0).shape
    (4, 1)
"""

from __future__ import annotations

from typing import Any

import jax

from rnnlab.layers.base import Shape, format_shape
from rnnlab.layers.binding import flatten

__all__ = ["ModelAsLayer", "is_model_layer"]


def is_model_layer(layer: Any) -> bool:
    """Whether ``layer`` is a model used as a layer."""
    return bool(getattr(layer, "is_model_layer", False))


class ModelAsLayer:
    """The layer protocol for a built model (mixed into ``Sequential`` and ``Model``, and
    so into subclassed models)."""

    is_model_layer = True
    supports_masking = True
    node_kwargs: tuple[str, ...] = ("mask", "training")
    remat_mode = None
    #: ``model.trainable = False`` freezes every weight of the model used as a layer.
    trainable = True

    @property
    def non_trainable_names(self) -> tuple[str, ...]:
        """Its frozen weights as ``layer/weight`` paths (e.g. a BatchNormalization's moving
        statistics), as a custom layer holding it names its sublayers' weights."""
        if not self.built:
            return ()
        labels = flatten(self.trainable_labels())
        return tuple(name for name, label in labels.items() if label == "freeze")

    def describe(self) -> str:
        """``"Model 'encoder'"``, for error messages."""
        return f"{type(self).__name__} '{self.name}'"

    @property
    def input_shape_arg(self) -> Shape | None:
        """The input shape it declares as the first layer of a ``Sequential``."""
        return self.input_shape if self.built else None

    @property
    def single_output_error(self) -> str | None:
        """Why it cannot be a ``Sequential``'s layer (several inputs or outputs), or None."""
        if len(getattr(self, "inputs", [None])) > 1 or len(getattr(self, "outputs", [None])) > 1:
            return (
                f"{self.describe()} has several inputs or outputs; in a Sequential each layer "
                "takes one tensor and gives one: call it in a functional model instead"
            )
        return None

    # -- shapes ---------------------------------------------------------------------------
    def _require_built(self) -> None:
        if not self.built:
            raise ValueError(
                f"{self.describe()} is used as a layer but is not built: give it an input "
                "shape (keras.Input, or input_shape= on its first layer) first"
            )

    def output_shapes_for(self, input_shape: Any) -> list[Shape]:
        """Every output's shape for inputs of ``input_shape`` (one shape, or one per input)."""
        self._require_built()
        shapes = [input_shape] if len(getattr(self, "inputs", [None])) == 1 else input_shape
        return self.propagate_shapes([tuple(s) for s in shapes])

    def check_input_shape(self, shape: Any) -> None:
        """Raise ``ValueError`` when ``shape`` does not fit the model's input(s)."""
        self._require_built()
        single = len(getattr(self, "inputs", [None])) == 1
        wants = [self.input_shape] if single else self.input_shape
        gots = [shape] if len(wants) == 1 else list(shape)
        for want, got in zip(wants, gots, strict=True):
            ok = len(want) == len(got) and all(
                w is None or g is None or w == g for w, g in zip(want[1:], got[1:], strict=True)
            )
            if not ok:
                raise ValueError(
                    f"{self.describe()}: called on shape {format_shape(tuple(got))}, but it "
                    f"takes {format_shape(tuple(want))}"
                )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The (single) output's shape for ``input_shape``."""
        return self.output_shapes_for(input_shape)[0]

    def node_output_shapes(self, input_shape: Any, kwargs: dict[str, Any]) -> list[Shape]:
        """Shapes of a call's outputs in a functional graph (one per output)."""
        unknown = sorted(set(kwargs) - set(self.node_kwargs))
        if unknown:
            raise TypeError(
                f"{self.describe()}: called with unexpected keyword argument {unknown[0]!r}; "
                f"it takes {', '.join(self.node_kwargs)}"
            )
        return self.output_shapes_for(input_shape)

    def init_params(self, key: jax.Array, input_shape: Shape) -> Any:
        """A model used as a layer keeps its own weights (as in Keras)."""
        self.check_input_shape(input_shape)
        return self.params

    # -- forward --------------------------------------------------------------------------
    def call_as_layer(
        self,
        params: Any,
        x: Any,
        *,
        training: bool,
        key: jax.Array | None,
        mask: Any,
        sample_weight: jax.Array | None,
    ) -> tuple[Any, Any, Any]:
        """One call as a layer: ``(outputs, output mask, updates)`` — the outputs one array
        or a flat list (several outputs), the updates ``{}`` unless ``training``. The outer
        stack or graph runs a model layer through this, so the mask made inside flows on."""
        y, out_mask, updates = self.forward(
            params, x, training=training, key=key, mask=mask, sample_weight=sample_weight
        )
        outs = jax.tree_util.tree_leaves(y)
        return (outs[0] if len(outs) == 1 else outs), out_mask, (updates if training else {})

    def compute_mask(self, mask: jax.Array | None, x: Any) -> None:
        """``None``: a model's output mask needs its activations, so the outer models take
        it from :meth:`forward` instead (and a layer calling this one as a sublayer gets
        no mask)."""
        return None

    def node_apply(
        self,
        params: Any,
        x: Any,
        kwargs: dict[str, Any],
        *,
        training: bool,
        key: jax.Array | None,
        mask: Any,
        sample_weight: jax.Array | None,
    ) -> tuple[Any, Any]:
        """One call in a functional graph (or a custom layer's call): ``(outputs, updates)``."""
        y, _, updates = self.call_as_layer(
            params, x, training=training, key=key, mask=mask, sample_weight=sample_weight
        )
        return y, updates

    # -- weights --------------------------------------------------------------------------
    def count_trainable_params(self) -> int:
        """Scalar parameters that gradients update."""
        if not self.trainable:
            return 0
        return sum(layer.count_trainable_params() for layer in self.layers)
