"""A functional model's graph: the nodes from its inputs to its outputs, and running them.

:func:`trace` walks back from a model's output KerasTensors (:mod:`rnnlab.layers.symbolic`)
to its inputs, checks that every output can be computed from the inputs and every input
is used, and orders the nodes; :func:`run` evaluates them on arrays, purely, so a
functional model's forward pass is one function of its parameters, like
:func:`rnnlab.models.forward_layers` for a stack.

Example:
    >>> import jax.numpy as jnp
    >>> import rnnlab as keras
    >>> x = keras.Input(shape=(3,)); y = keras.layers.Dense(2)(x)
    >>> plan = trace(x, y)
    >>> [layer.name for layer in plan.layers][1].startswith("dense")
    True
    >>> params = {layer.name: layer.params for layer in plan.layers}
    >>> run(plan, params, [jnp.ones((4, 3))])[0][0].shape
    (4, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jax

from rnnlab.layers.base import Layer, format_shape
from rnnlab.layers.symbolic import KerasTensor, Node, is_symbolic
from rnnlab.models.as_layer import is_model_layer

__all__ = [
    "Plan",
    "is_operation",
    "keras_layers",
    "keras_operations",
    "run",
    "structure_of",
    "trace",
]


# -- a model's graph -----------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """A functional model's graph, ready to run: ``nodes`` in evaluation order (inputs'
    nodes first), the flat ``inputs`` and ``outputs`` with their structures, ``layers``
    (each once, in order of first use) and each node's index among its layer's nodes."""

    nodes: tuple[Node, ...]
    inputs: tuple[KerasTensor, ...]
    outputs: tuple[KerasTensor, ...]
    input_structure: Any
    output_structure: Any
    layers: tuple[Layer, ...]
    node_index: dict[int, int]  # id(node) -> index among its layer's nodes in this graph


def _flatten(structure: Any, what: str, where: str) -> tuple[list[KerasTensor], Any]:
    leaves, treedef = jax.tree_util.tree_flatten(structure, is_leaf=is_symbolic)
    for t in leaves:
        if not is_symbolic(t):
            raise TypeError(
                f"{where}: {what} must be KerasTensors (from keras.Input or a layer call), "
                f"or lists or dicts of them; got {type(t).__name__}"
            )
    if not leaves:
        raise ValueError(f"{where}: {what} is empty")
    return leaves, treedef


def trace(inputs: Any, outputs: Any, where: str = "Model") -> Plan:
    """The :class:`Plan` of the graph from ``inputs`` to ``outputs``; a clear error when
    an output cannot be computed from the inputs or an input is not used."""
    ins, in_def = _flatten(inputs, "inputs", where)
    outs, out_def = _flatten(outputs, "outputs", where)
    for t in ins:
        if t.node is None or not t.node.is_input:
            raise ValueError(
                f"{where}: every input must be a keras.Input tensor; {t.describe()} is a "
                "layer's output"
            )
    given = {id(t) for t in ins}
    ordered: list[Node] = []
    state: dict[int, str] = {}

    def visit(t: KerasTensor, path: tuple[str, ...]) -> None:
        node = t.node
        if node is None:
            raise ValueError(f"{where}: {t.describe()} was not made by a layer call")
        if node.is_input and id(t) not in given:
            chain = " -> ".join((t.name, *reversed(path)))
            raise ValueError(
                f"{where}: output not reachable from the inputs: it needs the Input "
                f"{t.name!r} ({format_shape(t.shape)}), which is not among the model's "
                f"inputs (path: {chain}); add it to inputs"
            )
        mark = state.get(id(node))
        if mark == "done":
            return
        if mark == "open":
            raise ValueError(f"{where}: the graph has a cycle through {node.layer.describe()}")
        state[id(node)] = "open"
        for parent in node.inputs:
            visit(parent, (*path, node.layer.name))
        state[id(node)] = "done"
        ordered.append(node)

    for t in outs:
        visit(t, ())
    used = {id(t) for node in ordered for t in node.inputs} | {id(t) for t in outs}
    unused = [t.name for t in ins if id(t) not in used]
    if unused:
        raise ValueError(
            f"{where}: input {unused[0]!r} is not used to compute any output; remove it "
            "from inputs or connect it"
        )
    # Inputs first, in the order given (Keras's model.layers starts with them).
    input_nodes = [t.node for t in ins]
    rest = [n for n in ordered if not n.is_input]
    for n in ordered:
        if n.is_input and n not in input_nodes:
            input_nodes.append(n)
    nodes = tuple(input_nodes + rest)
    layers: list[Layer] = []
    counts: dict[int, int] = {}
    node_index = {}
    for n in sorted(nodes, key=lambda n: n.serial):
        node_index[id(n)] = counts.get(id(n.layer), 0)
        counts[id(n.layer)] = node_index[id(n)] + 1
    seen: set[int] = set()
    for n in nodes:
        if id(n.layer) not in seen:
            seen.add(id(n.layer))
            layers.append(n.layer)
    names = [layer.name for layer in layers]
    dup = next((name for name in names if names.count(name) > 1), None)
    if dup is not None:
        raise ValueError(f"{where}: two different layers are named {dup!r}; names must be unique")
    return Plan(nodes, tuple(ins), tuple(outs), in_def, out_def, tuple(layers), node_index)


# -- Keras's order of the graph's layers ---------------------------------------------------
def keras_operations(plan: Any) -> list[Any]:
    """The graph's layers (and operations) in Keras's ``model.operations`` order.

    Keras walks depth-first from each output (``_build_map``), numbering each operation
    when first met; a node's depth is one more than the deepest node it feeds, an
    operation's the largest of its nodes'; operations are sorted deepest first, ties by
    that number (``map_graph``). The ``.weights.h5`` folders count classes in this order.

    Example:
        >>> import rnnlab as keras
        >>> a, b = keras.Input(shape=(2,), name="a"), keras.Input(shape=(2,), name="b")
        >>> s = keras.layers.Dense(2, name="s")(keras.layers.Dense(2, name="d")(b))
        >>> m = keras.Model([a, b], keras.layers.Add(name="add")([a, s]))
        >>> [op.name for op in keras_operations(m._plan)]
        ['b', 'd', 'a', 's', 'add']
    """
    finished: set[int] = set()
    visited: list[Node] = []  # inputs before outputs
    first_seen: dict[int, int] = {}
    ops: dict[int, Any] = {}

    def visit(t: KerasTensor) -> None:
        node = t.node
        if id(node) in finished:
            return
        first_seen.setdefault(id(node.layer), len(first_seen))
        ops[id(node.layer)] = node.layer
        if not node.is_input:
            for parent in node.inputs:
                visit(parent)
        finished.add(id(node))
        visited.append(node)

    for t in plan.outputs:
        visit(t)
    node_depth: dict[int, int] = {}
    op_depth: dict[int, int] = {}
    for node in reversed(visited):
        depth = max(node_depth.setdefault(id(node), 0), op_depth.get(id(node.layer), 0))
        op_depth[id(node.layer)] = node_depth[id(node)] = depth
        for parent in node.inputs:
            node_depth[id(parent.node)] = max(depth + 1, node_depth.get(id(parent.node), 0))
    order = sorted(ops, key=lambda k: (-op_depth[k], first_seen[k]))
    return [ops[k] for k in order]


def keras_layers(plan: Any) -> list[Layer]:
    """:func:`keras_operations` without the operations: Keras's ``model.layers``."""
    return [op for op in keras_operations(plan) if not is_operation(op)]


def is_operation(op: Any) -> bool:
    """Whether ``op`` is an operation of :mod:`rnnlab.ops` (no weights, no HDF5 group,
    written with its Keras module and class), not a layer."""
    return bool(getattr(op, "is_operation", False))


def structure_of(plan: Plan, which: str) -> Any:
    """The model's inputs or outputs (``which``) in their given structure."""
    if which == "inputs":
        return jax.tree_util.tree_unflatten(plan.input_structure, list(plan.inputs))
    return jax.tree_util.tree_unflatten(plan.output_structure, list(plan.outputs))


def run(
    plan: Plan,
    params: dict[str, Any],
    xs: Sequence[jax.Array],
    *,
    training: bool = False,
    key: jax.Array | None = None,
    sample_weight: jax.Array | None = None,
    masks: Sequence[jax.Array | None] | None = None,
) -> tuple[list[jax.Array], list[jax.Array | None], dict[str, Any]]:
    """Evaluate the graph on the flat inputs ``xs`` (one array per model input):
    ``(outputs, their masks, updates)`` as :func:`rnnlab.models.forward_layers` returns
    for a stack. Pure: it reads only the layers' configuration; the weights are ``params``.
    Node ``i`` (inputs not counted) gets ``fold_in(key, i)`` — for a chain of layers the
    same keys a ``Sequential`` gives them, so both train alike."""
    values: dict[int, tuple[Any, Any]] = {}
    for t, x, m in zip(plan.inputs, xs, masks or [None] * len(xs), strict=True):
        values[id(t)] = (x, m)
    updates: dict[str, Any] = {}
    i = 0
    for node in plan.nodes:
        if node.is_input:
            continue
        layer = node.layer
        x = jax.tree_util.tree_map(lambda t: values[id(t)][0], node.args, is_leaf=is_symbolic)
        mask = jax.tree_util.tree_map(lambda t: values[id(t)][1], node.args, is_leaf=is_symbolic)
        if not isinstance(node.args, KerasTensor):
            mask = None if all(m is None for m in jax.tree_util.tree_leaves(mask)) else mask
        kwargs = jax.tree_util.tree_map(
            lambda t: values[id(t)][0] if is_symbolic(t) else t, node.kwargs, is_leaf=is_symbolic
        )
        if "mask" in kwargs:  # an explicit mask= replaces the one flowing with the input
            mask = jax.tree_util.tree_map(lambda m: jax.numpy.asarray(m, bool), kwargs.pop("mask"))
        kwargs.pop("training", None)
        layer_mask = mask if layer.supports_masking else None
        layer_key = None if key is None or not training else jax.random.fold_in(key, i)
        if is_model_layer(layer):  # its own forward, which gives its output's mask too
            y, out_mask, new = layer.call_as_layer(
                params[layer.name], x, training=training, key=layer_key, mask=layer_mask,
                sample_weight=sample_weight,
            )  # fmt: skip
        else:
            y, new = layer.node_apply(
                {} if is_operation(layer) else params[layer.name],
                x,
                kwargs,
                training=training,
                key=layer_key,
                mask=layer_mask,
                sample_weight=sample_weight,
            )
            out_mask = layer.compute_mask(mask, x)
        if new:
            updates[layer.name] = new
        i += 1
        ys = [y] if len(node.outputs) == 1 else list(y)
        # A model layer of several outputs gives one mask each; otherwise the mask follows
        # the main output (e.g. an RNN's sequence), not its states.
        multi = isinstance(out_mask, list)
        out_masks = out_mask if multi else [out_mask] + [None] * (len(ys) - 1)
        for t, v, m in zip(node.outputs, ys, out_masks, strict=True):
            values[id(t)] = (v, m)
    return (
        [values[id(t)][0] for t in plan.outputs],
        [values[id(t)][1] for t in plan.outputs],
        updates,
    )
