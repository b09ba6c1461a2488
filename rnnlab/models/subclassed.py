"""Subclassed models: ``class M(keras.Model)`` with layers as attributes and ``call``.

A subclass of :class:`~rnnlab.models.Model` that defines ``call(inputs, training=None)``
is a subclassed model, as in Keras: its ``__init__`` (after ``super().__init__(**kwargs)``)
assigns layers to attributes, and it is built on its first call, ``build(shape)`` or
``fit``. :func:`adapt_model` (run when such a class is created) gives it the methods
below in place of the functional graph's. Building traces ``call`` once on placeholders
— the same binding as a Keras-style layer's (:mod:`rnnlab.layers.binding`) — which builds
every layer it calls; the forward pass is ``call`` with each layer bound to its part of
``params`` (``{layer_name: {weight: array}}``, as every rnnlab model's), traced into
the compiled training step, so compile / fit / evaluate / predict, ``summary()``,
``count_params``, ``get_weights``/``set_weights`` and ``save_weights``/``load_weights``
work as for a Sequential.

Example:
    >>> import numpy as np
    >>> import rnnlab as keras
    >>> class SubDense(keras.Model):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.hidden = keras.layers.Dense(4, activation="relu")
    ...         self.out = keras.layers.Dense(1)
    ...     def call(self, inputs, training=None):
    ...         return self.out(self.hidden(inputs))
    >>> model = SubDense()
    >>> model.compile(optimizer="adam", loss="mse")
    >>> _ = model.fit(np.zeros((8, 12)), np.zeros((8, 1)), epochs=1, verbose=0)
    >>> model.count_params(), model.name.startswith("sub_dense")  # Keras's snake-case name
    (57, True)
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnnlab import training
from rnnlab.layers import custom
from rnnlab.layers.base import Layer, Shape, format_shape
from rnnlab.layers.binding import (
    NOT_BOUND,
    bound_call,
    current_scope,
    flatten,
    tracked_sublayers,
)
from rnnlab.layers.symbolic import has_symbolic, symbolic_call
from rnnlab.models.summary import format_summary
from rnnlab.utils import KeyStream, unique_name

__all__ = ["SubclassedModel", "adapt_model", "init_subclassed"]


def init_subclassed(model: Any, name: str | None = None, seed: int | None = None, **kwargs) -> None:
    """The state every subclassed model starts with (``Model.__init__`` of a subclass).

    ``trainable``/``dtype`` are accepted as Keras's; anything else is a ``TypeError``."""
    kwargs.pop("dtype", None)
    kwargs.pop("trainable", None)
    if kwargs:
        raise TypeError(f"{type(model).__name__}: unexpected arguments {sorted(kwargs)}")
    model.name = name or unique_name(type(model).__name__)
    model.input_shape = None
    model.output_shape = None
    model.stop_training = False
    model.history = None
    model.trainer = None
    model._keys = KeyStream(seed) if seed is not None else None
    model._built = False
    model._keras_variables = []
    model._keras_sublayers = {}
    model._keras_out_shapes = {}
    model.predict_fn = jax.jit(model._predict_chunk, compiler_options=training.compiler_options())


class SubclassedModel:
    """The methods :func:`adapt_model` gives a subclassed model (it keeps its own)."""

    @property
    def layers(self) -> list[Layer]:
        """The layers, once each, in the order they were assigned (Keras's order, which
        orders ``get_weights`` and the saved weights); once built, the ones ``call`` uses."""
        tracked = list(tracked_sublayers(self).values())
        if self._built:
            used = [sub for sub, _ in self._keras_sublayers.values()]
            ids = {id(layer) for layer in used}
            found = [layer for layer in tracked if id(layer) in ids] + used
        else:
            found = tracked
        return list({id(layer): layer for layer in found}.values())

    input_names = None  # one input, one output: the engine's plain path
    target_names = None
    structured_outputs = False

    def build(self, input_shape: Any) -> None:
        """Build every layer ``call`` uses for inputs of ``input_shape`` (batch axis first)
        and draw their weights."""
        shape = tuple(input_shape)
        self._keras_sublayers = {}
        out = custom.trace_call(self, (shape,))
        names: dict[str, Layer] = {}
        for sub, _ in self._keras_sublayers.values():
            if names.setdefault(sub.name, sub) is not sub:
                raise ValueError(
                    f"{self.describe()}: two layers are named {sub.name!r}; layer names "
                    "must be unique in a model"
                )
        done: set[int] = set()
        # concrete weights even when this model is built inside another's traced call
        with jax.ensure_compile_time_eval():
            for sub, call_shapes in self._keras_sublayers.values():
                if id(sub) not in done:
                    done.add(id(sub))
                    sub.params = sub.init_params(self.next_key(), call_shapes[0])
        if not custom._is_shape(out):
            n = len(jax.tree.leaves(out, is_leaf=custom._is_shape))
            raise ValueError(
                f"{self.describe()}: call must return one tensor (models of several outputs "
                f"are functional models here), got {n} outputs"
            )
        self.input_shape, self.output_shape = shape, out
        self._keras_out_shapes = {}
        self._built = True

    def forward(
        self,
        params: Any,
        x: Any,
        *,
        training: bool = False,
        key: jax.Array | None = None,
        sample_weight: jax.Array | None = None,
        mask: jax.Array | None = None,
    ) -> tuple[Any, None, dict[str, Any]]:
        """Pure forward pass: ``call`` with every layer bound to ``params[layer.name]``;
        returns ``(y, None, updates)`` (``updates``: new non-trainable weights by layer)."""
        flat: dict[str, Any] = {}
        for path, (sub, _) in self._keras_sublayers.items():
            flat.update(flatten(params[sub.name], path))
        y, changed = bound_call(self, flat, (x,), {}, training=training, key=key)
        updates: dict[str, Any] = {}
        for path, (sub, _) in self._keras_sublayers.items():
            mine = custom.sub_params_of(self, changed, path, partial=True)
            if mine:
                updates[sub.name] = mine
        return y, None, updates

    def pure_forward(self) -> Any:
        """:meth:`forward` (it reads the layers, built on first use)."""
        return self.forward

    def apply(self, params: Any, x: Any, *, training: bool = False, key: Any = None) -> Any:
        """Pure forward pass ``(batch, ...) -> (batch, ...)``, jittable and differentiable."""
        return self.forward(params, x, training=training, key=key)[0]

    def check_x(self, x: np.ndarray, arg: str, where: str) -> Shape:
        """Build on first use (any sequence length for 3-D data); check ``x`` against the
        built input shape; return the concrete output shape."""
        if not self._built:
            shape = (None, *x.shape[1:])
            self.build((None, None, *shape[2:]) if len(shape) >= 3 else shape)
        want = self.input_shape
        if len(x.shape) != len(want) or any(
            w is not None and w != g for w, g in zip(want[1:], x.shape[1:], strict=False)
        ):
            raise ValueError(
                f"{where}: {arg} has shape {x.shape}, but model {self.name!r} was built for "
                f"inputs of shape {format_shape(want)}"
            )
        if x.shape not in self._keras_out_shapes:
            structs = jax.tree.map(lambda v: jax.ShapeDtypeStruct(v.shape, v.dtype), self.params)
            out = jax.eval_shape(self.apply, structs, jax.ShapeDtypeStruct(x.shape, jnp.float32))
            self._keras_out_shapes[x.shape] = tuple(out.shape)
        return self._keras_out_shapes[x.shape]

    def propagate_shapes(self, input_shapes: list[Shape]) -> list[Shape]:
        """The output's shape (in a list of one) for an input of ``input_shapes[0]``, as a
        layer of another model: the batch axis as given, the rest as built."""
        (shape,) = input_shapes
        self.check_input_shape(shape)
        return [(shape[0], *self.output_shape[1:])]

    def _time_padding(self, x: np.ndarray) -> int:
        return 0  # call takes no mask: predict must not left-pad sequences

    def _predict_chunk(self, params: Any, x: jax.Array, mask: Any) -> jax.Array:
        return self.forward(params, x)[0]

    def summary(self, print_fn: Any = None) -> None:
        """The layer table (tf.keras 2's layout, as every rnnlab model's): one row per layer;
        ``?`` and ``unbuilt`` before the first call."""
        rows = []
        for layer in self.layers:
            built = self._built and layer.params is not None
            shape = format_shape(layer.output_shape) if built else "?"
            rows.append(
                (
                    f"{layer.name} ({type(layer).__name__})",
                    shape,
                    # Keras 3 prints "0 (unbuilt)"; tf.keras 2's 10-character column: "unbuilt"
                    layer.count_params() if built else "unbuilt",
                )
            )
        total = self.count_params() if self._built else 0
        trainable = (
            sum(layer.count_trainable_params() for layer in self.layers) if self._built else 0
        )
        text = format_summary(self.name, rows, trainable=trainable, non_trainable=total - trainable)
        for line in text.split("\n"):
            (print_fn or print)(line)

    def save(self, filepath: Any, overwrite: bool = True) -> None:
        """Refused: a subclassed model's architecture is Python code, not a config."""
        raise NotImplementedError(
            f"{self.describe()}: saving a whole subclassed model is not supported; use "
            "save_weights(...) and rebuild the model in code"
        )

    def get_config(self) -> dict[str, Any]:
        """Keras's base config of a model without its own ``get_config``."""
        return {"name": self.name, "trainable": True}

    def __call__(self, x: Any, training: bool = False) -> Any:
        """Eager forward pass (built on the first call, as in Keras)."""
        bound = custom.call_in_scope(self, (x,), {"training": training})
        if bound is not NOT_BOUND:  # a sublayer of another model's call
            return bound
        if has_symbolic(x):  # a layer of a functional model
            if not self._built:
                self.build(x.shape)
            return symbolic_call(self, x)
        if current_scope() is not None:
            raise TypeError(
                f"{self.describe()}: called inside the call of "
                f"{current_scope().layer.describe()} without being one of its attributes; "
                "assign it in __init__ (self.name = ...) so it is tracked as a sublayer"
            )
        x = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), x)
        if not self._built:
            self.build((None, *jnp.shape(x)[1:]))
        key = self.next_key() if training else None
        return self.apply(self.params, x, training=training, key=key)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def adapt_model(cls: type) -> None:
    """Give the ``keras.Model`` subclass ``cls`` (it defines ``call``) the methods of
    :class:`SubclassedModel` in place of the functional graph's, keeping its own."""
    cls._keras_subclassed = True
    for attr, value in vars(SubclassedModel).items():
        if attr.startswith("__") and attr not in ("__call__", "__repr__"):
            continue
        if attr not in cls.__dict__:
            setattr(cls, attr, value)
