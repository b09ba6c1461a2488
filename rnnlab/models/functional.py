"""``Model(inputs, outputs)``: Keras's functional API — a graph of layers.

Layers called on :func:`~rnnlab.layers.Input` tensors record a graph
(:mod:`rnnlab.layers.symbolic`); ``Model`` takes its inputs and outputs — one tensor,
a list or a dict of them — orders the graph (:mod:`rnnlab.models.graph`) and gives it
everything a :class:`~rnnlab.models.Sequential` has: one pytree of weights
(``{layer_name: {weight: array}}``; a layer called twice has one entry, so its gradient
is the sum of both uses), the pure ``apply(params, x)``, ``summary()`` with Keras's
"Connected to" column, compile / fit / evaluate / predict on rnnlab's compiled trainer.

Example:
    >>> import numpy as np
    >>> import rnnlab as keras
    >>> inputs = keras.Input(shape=(None, 1))
    >>> h = keras.layers.LSTM(8)(inputs)
    >>> model = keras.Model(inputs, keras.layers.Dense(1)(h))
    >>> model.compile(optimizer="adam", loss="mse")
    >>> x, y = np.zeros((16, 10, 1), np.float32), np.zeros((16, 1), np.float32)
    >>> model.fit(x, y, epochs=1, verbose=0).history["loss"][0] >= 0
    True
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnnlab import training
from rnnlab.callbacks import History
from rnnlab.layers.base import Layer, Shape, format_shape
from rnnlab.layers.symbolic import KerasTensor, has_symbolic, is_symbolic
from rnnlab.models import graph
from rnnlab.models.as_layer import ModelAsLayer
from rnnlab.models.layered import LayeredModel
from rnnlab.models.summary import format_functional_summary
from rnnlab.training.trainer import Trainer
from rnnlab.utils import unique_name

__all__ = ["Model", "forward_graph"]


def forward_graph(
    plan: graph.Plan,
    params: Any,
    x: Any,
    *,
    training: bool = False,
    key: jax.Array | None = None,
    sample_weight: jax.Array | None = None,
    mask: jax.Array | None = None,
) -> tuple[Any, Any, dict[str, Any]]:
    """Pure forward pass of a functional graph: ``(y, mask, updates)`` as
    :func:`~rnnlab.models.forward_layers` returns for a stack; ``x`` and ``y`` in the
    structure of the model's inputs and outputs (a single array for one); ``mask`` as
    :func:`output_mask` makes it (a list, one per output, for several outputs)."""
    xs = _flat_inputs(plan, x)
    masks = None if mask is None else [mask] * len(xs)
    ys, out_masks, updates = graph.run(
        plan, params, xs, training=training, key=key, sample_weight=sample_weight, masks=masks
    )
    y = jax.tree_util.tree_unflatten(plan.output_structure, ys)
    return y, output_mask(out_masks), updates


def output_mask(masks: list[jax.Array | None]) -> Any:
    """The ``mask`` of a forward pass from its outputs' masks: the one output's (or
    ``None``); several outputs: the list, one per output, or ``None`` when none has one
    (the loss then takes the unmasked, per-sample path)."""
    if len(masks) == 1:
        return masks[0]
    return None if all(m is None for m in masks) else list(masks)


def _flat_inputs(plan: graph.Plan, x: Any) -> list[Any]:
    """``x`` (an array, a list or a dict keyed by input names) as one array per input."""
    names = [t.node.layer.name for t in plan.inputs]
    if isinstance(x, dict):
        unknown = sorted(set(x) - set(names))
        if unknown:
            raise ValueError(
                f"Model: input key {unknown[0]!r} names no input; the inputs are {names}"
            )
        missing = [n for n in names if n not in x]
        if missing:
            raise ValueError(f"Model: no data for the input {missing[0]!r}; inputs {names}")
        return [x[n] for n in names]
    if len(plan.inputs) == 1:
        return [x[0] if isinstance(x, list | tuple) and len(x) == 1 else x]
    if not isinstance(x, list | tuple) or len(x) != len(names):
        got = f"{len(x)} arrays" if isinstance(x, list | tuple) else type(x).__name__
        raise ValueError(
            f"Model: expected {len(names)} inputs ({', '.join(names)}) as a list or a dict "
            f"keyed by input name, got {got}"
        )
    return list(x)


class Model(ModelAsLayer, LayeredModel):
    """A model from its input and output tensors (Keras's functional ``Model``).

    A built model is also a layer: call it on symbolic tensors inside another model, or
    put it in a ``Sequential`` (:mod:`rnnlab.models.as_layer`).

    Args:
        inputs: a :func:`~rnnlab.layers.Input` tensor, or a list or dict of them.
        outputs: tensors computed from ``inputs`` by layer calls, in the structure
            ``predict`` and ``apply`` return them (one, a list or a dict).
        name: model name; ``functional``, ``functional_1``… when ``None``.

    Attributes:
        inputs / outputs: the input and output tensors, as flat lists.
        layers: every layer once, inputs first, in the order the graph runs them.
        params: ``{layer_name: {weight_name: array}}``.

    Shapes: ``(batch, *input shape)`` → ``(batch, *output shape)`` per input/output.
    """

    #: The type column of another model's summary row for this one, as Keras's.
    summary_type = "Functional"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # ``class M(keras.Model)`` defining ``call``: a subclassed model (built on first
        # call, see rnnlab.models.subclassed), not a graph.
        super().__init_subclass__(**kwargs)
        if any("call" in k.__dict__ for k in cls.__mro__):
            from rnnlab.models.subclassed import adapt_model

            adapt_model(cls)

    def __init__(
        self, inputs: Any = None, outputs: Any = None, name: str | None = None, **kwargs: Any
    ) -> None:
        if getattr(type(self), "_keras_subclassed", False):
            from rnnlab.models.subclassed import init_subclassed

            init_subclassed(self, name=name, **kwargs)
            return
        if inputs is None or outputs is None or kwargs:
            raise TypeError(
                "Model: give inputs and outputs (keras.Model(inputs, outputs)), or subclass "
                "keras.Model with a call(inputs, training=None) method"
                + (f"; unexpected arguments {sorted(kwargs)}" if kwargs else "")
            )
        self._plan = graph.trace(inputs, outputs, "Model")
        # as given (the plan's trees sort dict keys): a saved config keeps the key order
        self._given_structure = (inputs, outputs)
        self.name = name or unique_name("Functional")
        #: Every layer and operation once, in Keras's ``model.operations`` order (deepest
        #: first, so the inputs lead); ``layers`` is that without the weightless
        #: operations of keras.ops, as Keras's ``model.layers`` is.
        self.operations: list[Layer] = graph.keras_operations(self._plan)
        self.layers: list[Layer] = [op for op in self.operations if not graph.is_operation(op)]
        self.inputs: list[KerasTensor] = list(self._plan.inputs)
        self.outputs: list[KerasTensor] = list(self._plan.outputs)
        single_in, single_out = len(self.inputs) == 1, len(self.outputs) == 1
        self.input_shape: Any = (
            self.inputs[0].shape if single_in else [t.shape for t in self.inputs]
        )
        self.output_shape: Any = (
            self.outputs[0].shape if single_out else [t.shape for t in self.outputs]
        )
        self.stop_training = False
        self.history: History | None = None
        self.trainer: Trainer | None = None
        self._keys = None
        self._built = True  # every layer was built when it was called
        self.predict_fn = jax.jit(self._predict_chunk, compiler_options=training.compiler_options())

    @property
    def input(self) -> Any:
        """The input tensor(s) in the structure given."""
        return graph.structure_of(self._plan, "inputs")

    @property
    def output(self) -> Any:
        """The output tensor(s) in the structure given."""
        return graph.structure_of(self._plan, "outputs")

    @property
    def input_names(self) -> list[str]:
        """Names of the inputs (their InputLayers'), the keys of dict inputs."""
        return [t.node.layer.name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        """Names of the outputs (the layers producing them), the keys of dict outputs."""
        return [t.name for t in self.outputs]

    def build(self, input_shape: Any = None) -> None:
        """A functional model is built when made; checks ``input_shape`` against it."""
        if input_shape is not None and len(self.inputs) == 1:
            self.inputs[0].node.layer.check_input_shape(tuple(input_shape))

    # -- pure functional core -----------------------------------------------------------
    def forward(self, params: Any, x: Any, **kwargs: Any) -> tuple[Any, Any, dict[str, Any]]:
        """Pure forward pass returning ``(y, mask, updates)`` (see :func:`forward_graph`)."""
        return forward_graph(self._plan, params, x, **kwargs)

    def pure_forward(self) -> Any:
        """:meth:`forward` as a function of the graph only (no reference to the model)."""
        return functools.partial(forward_graph, self._plan)

    def apply(
        self,
        params: Any,
        x: Any,
        *,
        training: bool = False,
        key: jax.Array | None = None,
        mask: jax.Array | None = None,
    ) -> Any:
        """Pure forward pass, jittable and differentiable: inputs in the model's input
        structure (an array; a list, or a dict keyed by input name) → outputs in its
        output structure.

        Example:
            >>> import rnnlab as keras
            >>> import jax.numpy as jnp
            >>> a, b = keras.Input(shape=(2,), name="a"), keras.Input(shape=(3,), name="b")
            >>> m = keras.Model({"a": a, "b": b}, keras.layers.Concatenate()([a, b]))
            >>> m.apply(m.params, {"a": jnp.ones((4, 2)), "b": jnp.zeros((4, 3))}).shape
            (4, 5)
        """
        return self.forward(params, x, training=training, key=key, mask=mask)[0]

    @property
    def structured_outputs(self) -> bool:
        """Whether the outputs are a list or dict (even of one), not a single tensor:
        compile, fit and predict then take and give them in that structure."""
        return not jax.tree_util.treedef_is_leaf(self._plan.output_structure)

    @property
    def target_names(self) -> list[str]:
        """Names of the outputs as ``fit``'s targets and ``compile``'s per-output
        arguments key them: the keys of dict outputs, else :attr:`output_names`."""
        out = self.output
        return list(out) if isinstance(out, dict) else self.output_names

    def check_x(self, x: np.ndarray, arg: str, where: str) -> Shape:
        """Validate one input array against a single-input model; return the concrete
        output shape (of its one output)."""
        return self.check_inputs([x], [arg], where)[0]

    def check_inputs(self, xs: list[np.ndarray], args: list[str], where: str) -> list[Shape]:
        """Validate one array per input (model order; ``args`` name them in messages)
        against the inputs' shapes; return every output's concrete shape, in order."""
        if len(xs) != len(self.inputs):
            raise ValueError(
                f"{where}: model {self.name!r} has {len(self.inputs)} inputs "
                f"{self.input_names}, got {len(xs)} arrays"
            )
        for t, x, arg in zip(self.inputs, xs, args, strict=True):
            want = t.shape
            ok = len(x.shape) == len(want) and all(
                w is None or w == g for w, g in zip(want[1:], x.shape[1:], strict=True)
            )
            if not ok:
                raise ValueError(
                    f"{where}: {arg} has shape {x.shape}, but the model's input "
                    f"{t.node.layer.name!r} expects {format_shape(want)}"
                )
        return self.propagate_shapes([tuple(x.shape) for x in xs])

    def propagate_shapes(self, input_shapes: list[Shape]) -> list[Shape]:
        """Every output's shape for inputs of ``input_shapes`` (one per input, batch axis
        first; ``None`` where unknown), from the layers' own shape rules."""
        shapes: dict[int, Shape] = {
            id(t): tuple(s) for t, s in zip(self.inputs, input_shapes, strict=True)
        }

        def concrete(tree: Any) -> Any:  # each tensor of a call as its concrete shape
            return jax.tree_util.tree_map(
                lambda t: shapes[id(t)] if is_symbolic(t) else t, tree, is_leaf=is_symbolic
            )

        for node in self._plan.nodes:
            if node.is_input:
                continue
            outs = node.layer.node_output_shapes(concrete(node.args), concrete(node.kwargs))
            for t, s in zip(node.outputs, outs, strict=True):
                shapes[id(t)] = s
        return [shapes[id(t)] for t in self.outputs]

    # -- Keras face ---------------------------------------------------------------------
    def summary(self, print_fn: Any = None) -> None:
        """Print the functional table (tf.keras 2's layout, as ``Sequential.summary``):
        each layer's output shape (``multiple`` for a layer called more than once),
        parameters and inbound tensors as ``layer[node][tensor]``."""
        calls: dict[int, list[graph.Node]] = {}
        for node in self._plan.nodes:
            calls.setdefault(id(node.layer), []).append(node)
        rows = []
        for layer in self.operations:
            nodes = calls[id(layer)]
            if nodes[0].is_input:
                shape = f"[{format_shape(nodes[0].outputs[0].shape)}]"
            elif len(nodes) > 1:
                shape = "multiple"
            elif len(nodes[0].outputs) > 1:  # one call, several outputs: tf.keras 2's list
                shape = "[" + ", ".join(format_shape(t.shape) for t in nodes[0].outputs) + "]"
            else:
                shape = format_shape(nodes[0].outputs[0].shape)
            inbound = [
                f"{t.node.layer.name}[{self._plan.node_index[id(t.node)]}][{t.index}]"
                for node in nodes
                for t in node.inputs
            ]
            rows.append(
                (
                    f"{layer.name} ({getattr(layer, 'summary_type', type(layer).__name__)})",
                    shape,
                    layer.count_params(),
                    inbound,
                )
            )
        trainable = sum(layer.count_trainable_params() for layer in self.layers)
        text = format_functional_summary(
            self.name, rows, trainable=trainable, non_trainable=self.count_params() - trainable
        )
        for line in text.split("\n"):
            (print_fn or print)(line)

    def get_config(self) -> dict[str, Any]:
        """Keras's functional config: ``name``, ``trainable``, ``layers`` (each with its
        ``inbound_nodes``), ``input_layers``, ``output_layers`` — what ``save`` writes
        into ``config.json`` (:mod:`rnnlab.saving.functional_config`).

        Example:
            >>> import rnnlab as keras
            >>> x = keras.Input(shape=(2,), name="x")
            >>> m = keras.Model(x, keras.layers.Dense(1, name="d")(x))
            >>> [entry["name"] for entry in m.get_config()["layers"]]
            ['x', 'd']
        """
        from rnnlab.saving.functional_config import functional_to_keras

        return functional_to_keras(self)["config"]

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Model:
        """A new model (fresh weights) from :meth:`get_config`'s output or a Keras file's.

        Example:
            >>> import rnnlab as keras
            >>> x = keras.Input(shape=(2,), name="x")
            >>> m = keras.Model(x, keras.layers.Dense(1, name="d")(x))
            >>> keras.Model.from_config(m.get_config()).output_shape
            (None, 1)
        """
        from rnnlab.saving.functional_reader import functional_from_keras

        return functional_from_keras({"config": config}, custom_objects)

    def _predict_chunk(self, params: Any, x: jax.Array, mask: jax.Array | None) -> jax.Array:
        return self.forward(params, x, mask=mask)[0]

    def __call__(self, x: Any, training: bool = False) -> Any:
        """Eager forward pass on arrays (Keras's ``model(x)``)."""
        from rnnlab.layers import custom

        bound = custom.call_in_scope(self, (x,), {"training": training})
        if bound is not custom.NOT_BOUND:  # a sublayer of a custom layer's or model's call
            return bound
        if has_symbolic(x):  # a layer of another functional model
            from rnnlab.layers.symbolic import symbolic_call

            out = symbolic_call(self, x)
            if isinstance(self.output, dict):  # Keras returns a dict model's outputs keyed
                return jax.tree_util.tree_unflatten(self._plan.output_structure, out)
            return out
        x = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), x)
        key = self.next_key() if training else None
        return self.apply(self.params, x, training=training, key=key)

    def __repr__(self) -> str:
        return f"<Model name={self.name!r} layers={[layer.name for layer in self.layers]}>"
