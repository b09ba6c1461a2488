"""``Sequential``: a stack of layers with Keras's compile / fit / evaluate / predict.

The model holds its layers (each owns its weights; ``model.params`` assembles
them into one pytree and assigning it writes them back), its key stream, and
after ``compile`` one :class:`~rnnlab.training.trainer.Trainer` (compile / fit / evaluate
/ predict live in :mod:`rnnlab.models.engine`). ``model.apply(params, x)`` is the pure
forward pass, usable under ``jax.jit`` and ``jax.grad``.

Example:
    >>> import numpy as np
    >>> from rnnlab.layers import SimpleRNN, Dense
    >>> model = Sequential([SimpleRNN(20, input_shape=(None, 1)), Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> x, y = np.zeros((64, 50, 1), np.float32), np.zeros((64, 1), np.float32)
    >>> history = model.fit(x, y, epochs=2, verbose=0)
    >>> model.predict(x).shape
    (64, 1)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnnlab import training
from rnnlab.callbacks import History
from rnnlab.layers.base import Layer, Shape, format_shape
from rnnlab.layers.symbolic import KerasTensor, has_symbolic, symbolic_call
from rnnlab.models.as_layer import ModelAsLayer, is_model_layer
from rnnlab.models.layered import LayeredModel
from rnnlab.models.summary import format_summary
from rnnlab.training.trainer import Trainer
from rnnlab.utils import KeyStream, unique_name


def forward_layers(
    layers: Sequence[Layer],
    params: Any,
    x: jax.Array,
    *,
    training: bool = False,
    key: jax.Array | None = None,
    sample_weight: jax.Array | None = None,
    mask: jax.Array | None = None,
) -> tuple[jax.Array, jax.Array | None, dict[str, Any]]:
    """Pure forward pass of a stack of layers, returning ``(y, mask, updates)``.

    ``mask`` ``(batch, time)`` marks the output steps that count (``None``
    without a Masking layer or an input ``mask``); ``updates`` holds new values
    of non-trainable weights computed in training (``{layer: {name: array}}``).
    It reads only the layers' configuration (``layers`` may be a model's live list):
    the weights are ``params``.
    """
    updates: dict[str, Any] = {}
    for i, layer in enumerate(layers):
        layer_key = None if key is None else jax.random.fold_in(key, i)
        layer_mask = mask if layer.supports_masking else None
        if is_model_layer(layer):  # its own forward, which gives its output's mask too
            x, mask, new = layer.call_as_layer(
                params[layer.name], x, training=training, key=layer_key, mask=layer_mask,
                sample_weight=sample_weight,
            )  # fmt: skip
            if new:
                updates[layer.name] = new
            continue
        if training:
            y, new = layer.rematerialized(layer.apply_train)(
                params[layer.name],
                x,
                key=layer_key,
                mask=layer_mask,
                sample_weight=sample_weight,
            )
            if new:
                updates[layer.name] = new
        else:
            y = layer.apply(params[layer.name], x, training=False, mask=layer_mask)
        mask = layer.compute_mask(mask, x)
        x = y
    return x, mask, updates


def _build_layer(layer: Any, shape: Shape, next_key: Any) -> tuple[Shape, Any]:
    """``(output shape, params)`` of ``layer`` built for inputs of ``shape``: a new
    layer's fresh weights, or a model used as a layer's own."""
    if is_model_layer(layer):
        return layer.compute_output_shape(shape), layer.init_params(None, shape)
    out = layer.build(shape)
    return out, layer.init_params(next_key(), shape)


def load_model(
    filepath: Any,
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """Load a model saved by rnnlab or by Keras (``.keras``, legacy ``.h5``), as Keras does.

    Nothing in the file is executed: its JSON config names classes that are looked up
    among rnnlab's own and ``custom_objects``. ``compile``: also restore the optimizer,
    loss and optimizer state, so training continues where it stopped.

    Example:
        >>> model = load_model("chapter_lstm.keras")  # doctest: +SKIP
    """
    from rnnlab import saving

    return saving.load_model(
        filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
    )


class Sequential(ModelAsLayer, LayeredModel):
    """A linear stack of layers (a built model among them is one layer, and a built
    Sequential is a layer of other models: :mod:`rnnlab.models.as_layer`).

    Args:
        layers: layers to add in order.
        name: model name; ``sequential``, ``sequential_1``… when ``None``.
        seed: seed for this model's weights and shuffling; when ``None`` keys come
            from the global stream (see :func:`rnnlab.utils.set_random_seed`).

    Attributes:
        params: ``{layer_name: {weight_name: array}}`` — a plain pytree assembled
            from the layers' weights (``None`` until built); assigning one writes
            each layer's entry back to it.
        layers: the layers, in order.
        trainer: the :class:`~rnnlab.training.Trainer` made by ``compile`` (``None`` before).
        predict_fn: the jitted ``(params, x, mask) -> y`` that ``predict`` runs.
    """

    def __init__(
        self,
        layers: Sequence[Layer] | None = None,
        name: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.name = name or unique_name("Sequential")
        self.layers: list[Layer] = []
        self.input_shape: Shape | None = None
        self.output_shape: Shape | None = None
        self.stop_training = False
        self.history: History | None = None
        self.trainer: Trainer | None = None
        self._keys = KeyStream(seed) if seed is not None else None
        self._declared_input: Shape | None = None
        self._built = False
        self.predict_fn = jax.jit(self._predict_chunk, compiler_options=training.compiler_options())
        for layer in layers or []:
            self.add(layer)

    # -- building -----------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        """Append a layer; builds it at once when the input shape is known.

        Example:
            >>> from rnnlab.layers import Dense
            >>> m = Sequential(); m.add(Dense(1, input_shape=(3,))); m.count_params()
            4
        """
        if isinstance(layer, KerasTensor) and layer.node is not None and layer.node.is_input:
            layer = layer.node.layer  # keras.Input(shape): declares the input shape
        if not isinstance(layer, Layer) and not is_model_layer(layer):
            raise TypeError(f"Sequential.add: expected an rnnlab layer, got {layer!r}")
        if getattr(layer, "is_input_layer", False):
            # Input(shape=...) only declares the input shape, as in Keras.
            if self.layers:
                raise ValueError("Sequential.add: an Input layer must come first")
            self._declared_input = layer.input_shape_arg
            return
        if any(existing.name == layer.name for existing in self.layers):
            raise ValueError(
                f"Sequential.add: a layer named {layer.name!r} is already in model "
                f"{self.name!r}; layer names must be unique"
            )
        if self.layers and layer.input_shape_arg is not None and self._built:
            raise ValueError(
                f"Sequential.add: input_shape is only for the first layer; "
                f"{layer.describe()} was given {format_shape(layer.input_shape_arg)}"
            )
        if layer.single_output_error is not None:
            raise ValueError(layer.single_output_error)
        if self._built:
            # Build first: a layer that does not fit leaves the model as it was.
            output_shape, params = _build_layer(layer, self.output_shape, self.next_key)
            layer.params = params
            self.output_shape = output_shape
        self.layers.append(layer)
        if not self._built and len(self.layers) == 1:
            declared = layer.input_shape_arg or self._declared_input
            if declared is not None:
                try:
                    self.build(declared)
                except Exception:
                    self.layers.pop()
                    raise

    def build(self, input_shape: Any = None) -> None:
        """Create every layer's parameters for inputs of ``input_shape`` (batch axis included)."""
        if not self.layers:
            raise ValueError(f"model {self.name!r} has no layers to build")
        if input_shape is not None:
            shape = tuple(input_shape)
        else:
            shape = self.layers[0].input_shape_arg or self._declared_input
        if shape is None:
            raise ValueError(
                f"model {self.name!r} is not built: give the first layer an input_shape, "
                "or call fit/predict once"
            )
        params = {}
        input_shape = shape
        for layer in self.layers:
            shape, params[layer.name] = _build_layer(layer, shape, self.next_key)
        # Every layer built: only now do the weights go to the layers.
        for layer in self.layers:
            layer.params = params[layer.name]
        self.input_shape, self.output_shape = input_shape, shape
        self._built = True

    def check_x(self, x: np.ndarray, arg: str, where: str) -> Shape:
        """Validate a data array against the model (building it on first use); return the
        concrete output shape."""
        if not self._built:
            first = self.layers[0] if self.layers else None
            if first is None:
                raise ValueError(f"{where}: model {self.name!r} has no layers")
            # Any sequence length, as with input_shape=(None, features).
            shape = (None, *x.shape[1:])
            if len(shape) >= 3:
                shape = (None, None, *shape[2:])
            self.build(shape)
        want = self.input_shape
        if len(x.shape) != len(want):
            self.layers[0].check_input_shape(tuple(x.shape))
            raise ValueError(
                f"{where}: {arg} has shape {x.shape}, expected {len(want)}-D input like "
                f"{format_shape(want)}"
            )
        for i, (w, g) in enumerate(zip(want[1:], x.shape[1:], strict=True)):
            if w is not None and w != g:
                axis = "features" if i == len(want) - 2 else f"steps on axis {i + 1}"
                raise ValueError(
                    f"{where}: {arg} has shape {x.shape}, but the model expects "
                    f"{format_shape(want)}: {w} {axis}, got {g}"
                )
        shape: Shape = tuple(x.shape)
        for layer in self.layers:
            layer.check_input_shape(shape)
            shape = layer.compute_output_shape(shape)
        return shape

    # -- pure functional core -----------------------------------------------------------
    def forward(
        self,
        params: Any,
        x: jax.Array,
        *,
        training: bool = False,
        key: jax.Array | None = None,
        sample_weight: jax.Array | None = None,
        mask: jax.Array | None = None,
    ) -> tuple[jax.Array, jax.Array | None, dict[str, Any]]:
        """Pure forward pass returning ``(y, mask, updates)`` (see :func:`forward_layers`)."""
        return forward_layers(
            self.layers,
            params,
            x,
            training=training,
            key=key,
            sample_weight=sample_weight,
            mask=mask,
        )

    def pure_forward(self) -> Any:
        """:meth:`forward` as a function of the layers only (no reference to the model)."""
        return functools.partial(forward_layers, self.layers)

    def apply(
        self,
        params: Any,
        x: jax.Array,
        *,
        training: bool = False,
        key: jax.Array | None = None,
        mask: jax.Array | None = None,
    ) -> jax.Array:
        """Pure forward pass: ``(batch, ...) -> (batch, ...)``; jittable and differentiable.

        Example:
            >>> from rnnlab.layers import Dense
            >>> m = Sequential([Dense(2, input_shape=(3,))])
            >>> jax.jit(m.apply)(m.params, jnp.ones((4, 3))).shape
            (4, 2)
        """
        return self.forward(params, x, training=training, key=key, mask=mask)[0]

    def propagate_shapes(self, input_shapes: list[Shape]) -> list[Shape]:
        """The output's shape (in a list of one) for an input of ``input_shapes[0]``."""
        (shape,) = input_shapes
        for layer in self.layers:
            layer.check_input_shape(shape)
            shape = layer.compute_output_shape(shape)
        return [shape]

    # -- Keras face ---------------------------------------------------------------------
    def summary(self, print_fn: Any = None) -> None:
        """Print the layer table with output shapes and parameter counts, as Keras does."""
        self.built_params("summary")
        rows = [
            (
                f"{layer.name} ({getattr(layer, 'summary_type', type(layer).__name__)})",
                format_shape(layer.output_shape),
                layer.count_params(),
            )
            for layer in self.layers
        ]
        trainable = sum(layer.count_trainable_params() for layer in self.layers)
        text = format_summary(
            self.name, rows, trainable=trainable, non_trainable=self.count_params() - trainable
        )
        for line in text.split("\n"):  # one call per line, as tf.keras 2 does
            (print_fn or print)(line)

    def _predict_chunk(self, params: Any, x: jax.Array, mask: jax.Array | None) -> jax.Array:
        return self.forward(params, x, mask=mask)[0]

    def __call__(self, x: Any, training: bool = False) -> jax.Array:
        """Eager forward pass on an array (Keras's ``model(x)``); on symbolic tensors, a
        call as a layer of a functional model."""
        from rnnlab.layers import custom

        bound = custom.call_in_scope(self, (x,), {"training": training})
        if bound is not custom.NOT_BOUND:  # a sublayer of a custom layer's or model's call
            return bound
        if has_symbolic(x):
            self._require_built()
            return symbolic_call(self, x)
        self.built_params("call")
        return self.apply(self.params, jnp.asarray(x, jnp.float32), training=training)

    def __repr__(self) -> str:
        return f"<Sequential name={self.name!r} layers={[layer.name for layer in self.layers]}>"
