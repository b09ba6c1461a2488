"""Keras 3's functional model config (``"class_name": "Functional"``) <-> rnnlab's ``Model``.

Writing follows what Keras 3.15.1's ``Functional.get_config`` writes
(``tests/fixtures/keras/functional/README.md`` §a): one entry per operation in
``model.operations`` order (:func:`keras_operations`: Keras sorts by depth from the
outputs, ties by first visit, not by creation), each the layer's usual config plus its
``name`` and ``inbound_nodes``; a node is ``{"args": [...], "kwargs": {...}}`` whose
tensors are ``__keras_tensor__`` references ``[layer, node_index, tensor_index]``.
Reading replays the calls on fresh ``Input`` tensors, each node once the tensors it needs
exist (as ``functional_from_config`` does, so a layer shared at different depths works).

Example:
    >>> import rnnlab as keras
    >>> x = keras.Input(shape=(3,), name="x")
    >>> m = keras.Model(x, keras.layers.Dense(2, name="d")(x), name="m")
    >>> config = functional_to_keras(m)
    >>> config["config"]["input_layers"], config["config"]["output_layers"]
    (['x', 0, 0], ['d', 0, 0])
    >>> [entry["class_name"] for entry in config["config"]["layers"]]
    ['InputLayer', 'Dense']
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from rnnlab.layers.symbolic import KerasTensor, Node, is_symbolic
from rnnlab.models.graph import is_operation, keras_layers, keras_operations
from rnnlab.saving import objects as O
from rnnlab.saving.config import layer_to_keras
from rnnlab.saving.registry import ConfigError

__all__ = [
    "functional_to_keras",
    "is_operation",
    "keras_layers",
    "keras_operations",
    "value_to_keras",
]

#: The call arguments Keras's ``Layer.__call__`` fills in (and so records in the node)
#: when a layer is called on one tensor with no keyword arguments: ``training`` where
#: ``call`` defaults it to False, ``mask`` where ``call`` takes one (checked against Keras
#: 3.15.1). A call given keyword arguments records exactly those.
_CALL_DEFAULTS: dict[str, dict[str, Any]] = {
    **{name: {"training": False, "mask": None} for name in ("SimpleRNN", "LSTM", "GRU", "RNN")},
    **{name: {"mask": None} for name in ("Bidirectional", "TimeDistributed", "BatchNormalization")},
    **{name: {"mask": None} for name in ("Functional", "Sequential")},  # models as layers
    "Dropout": {"training": False},
}
_RNNS = ("SimpleRNN", "LSTM", "GRU", "RNN", "Bidirectional")
_INPUT_KEYS = ("batch_shape", "dtype", "sparse", "ragged", "name", "optional")


# -- rnnlab -> Keras ----------------------------------------------------------------------
def _tensor_to_keras(t: KerasTensor, plan: Any) -> dict[str, Any]:
    history = [t.node.layer.name, plan.node_index[id(t.node)], t.index]
    config = {"shape": list(t.shape), "dtype": t.dtype, "keras_history": history}
    return {"class_name": "__keras_tensor__", "config": config}


def value_to_keras(value: Any, plan: Any, what: str) -> Any:
    """A node argument as Keras writes it: tensors as references, lists and tuples as
    lists, dicts by key, ``...`` and slices as ``__ellipsis__`` / ``__slice__``, NumPy
    and jax arrays as ``__numpy__`` / ``__tensor__`` (value and dtype)."""
    if is_symbolic(value):
        return _tensor_to_keras(value, plan)
    if isinstance(value, list | tuple):
        return [value_to_keras(v, plan, what) for v in value]
    if isinstance(value, dict):
        return {str(k): value_to_keras(v, plan, what) for k, v in value.items()}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, slice):
        ends = ("start", "stop", "step")
        parts = {k: value_to_keras(getattr(value, k), plan, what) for k in ends}
        return {"class_name": "__slice__", "config": parts}
    plain = O._plain(value)
    if plain is None or isinstance(plain, str | bool | int | float):
        return plain
    if isinstance(value, np.ndarray | jax.Array):  # an op's constant: Keras's two forms
        kind = "__numpy__" if isinstance(value, np.ndarray) else "__tensor__"
        array = np.asarray(value)
        if array.ndim == 0:
            return array.item()
        return {"class_name": kind, "config": {"value": array.tolist(), "dtype": str(array.dtype)}}
    raise ConfigError(f"{what}: cannot save the call argument {value!r} in a JSON config")


def _node_to_keras(node: Node, plan: Any) -> dict[str, Any]:
    what = f"layer {node.layer.name!r}"
    args = [node.args]  # a layer is called on one positional structure (a tensor or a list)
    if node.kwargs:
        kwargs = value_to_keras(node.kwargs, plan, what)
    else:
        kind = getattr(node.layer, "summary_type", type(node.layer).__name__)
        kwargs = dict(_CALL_DEFAULTS.get(kind, {}))
    return {"args": value_to_keras(args, plan, what), "kwargs": kwargs}


def _shapes(value: Any) -> Any:
    if is_symbolic(value):
        return list(value.shape)
    if isinstance(value, list | tuple):
        return [_shapes(v) for v in value]
    return value


def _build_config(layer: Any, first: Node) -> dict[str, Any]:
    """What Keras's ``build_config`` holds: the first call's input shapes; an RNN called
    with ``initial_state=`` is built from both (``shapes_dict``)."""
    shape = _shapes(first.args)
    state = first.kwargs.get("initial_state")
    if state is not None and type(layer).__name__ in _RNNS:
        return {"shapes_dict": {"sequences_shape": shape, "initial_state_shape": _shapes(state)}}
    return {"input_shape": shape}


def _input_to_keras(layer: Any) -> dict[str, Any]:
    shape = list(layer.output.shape)
    if getattr(layer, "batch_size", None) is not None:
        shape[0] = layer.batch_size
    config = {"batch_shape": shape, "dtype": layer.dtype, "sparse": False, "ragged": False,
              "name": layer.name, "optional": False}  # fmt: skip
    return {"module": "keras.layers", "class_name": "InputLayer", "config": config,
            "registered_name": None}  # fmt: skip


def _operation_to_keras(op: Any, plan: Any) -> dict[str, Any]:
    """An operation's entry as Keras writes its own (``GetItem``, ``Multiply``, ...): the
    op's ``keras_config`` and one node with the call's arguments as given (tensors and
    constants in place: ``[T, 0.5]``, ``[[T, T]]``, ``[T, [..., slice]]``)."""
    entry = op.keras_config()
    what = f"operation {op.name!r} ({op.keras_class})"
    node = {"args": value_to_keras(list(op.call_args), plan, what),
            "kwargs": value_to_keras(dict(op.call_kwargs), plan, what)}  # fmt: skip
    return {**entry, "name": op.name, "inbound_nodes": [node]}


def functional_to_keras(model: Any, compile_config: dict[str, Any] | None = None) -> dict:
    """Keras's ``config.json`` object for a functional ``Model`` (``compile_config`` as given).

    Raises:
        ConfigError: a layer or call argument that has no Keras form (a ``Lambda``, a
            lambda function, an unsaveable value), named.
    """
    plan = model._plan
    nodes: dict[int, list[Node]] = {}
    for node in sorted(plan.nodes, key=lambda n: plan.node_index[id(n)]):
        nodes.setdefault(id(node.layer), []).append(node)
    entries = []
    for op in keras_operations(plan):
        calls = nodes[id(op)]
        if is_operation(op):
            entries.append(_operation_to_keras(op, plan))
            continue
        if calls[0].is_input:
            entry = _input_to_keras(op)
        else:
            entry = layer_to_keras(op)
            if "build_config" in entry and not getattr(op, "is_model_layer", False):
                entry["build_config"] = _build_config(op, calls[0])
        entry["name"] = op.name
        entry["inbound_nodes"] = [_node_to_keras(n, plan) for n in calls if not n.is_input]
        entries.append(entry)
    structure = {key: _structure_to_keras(model, key) for key in ("input_layers", "output_layers")}
    config = {"name": model.name, "trainable": True, "layers": entries, **structure}
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": config, "registered_name": "Functional",
            "build_config": {"input_shape": None},
            "compile_config": compile_config or {}}  # fmt: skip


def _structure_to_keras(model: Any, key: str) -> Any:
    plan = model._plan
    # as given to Model(...): a dict keeps its key order there (jax's trees sort keys)
    given = getattr(model, "_given_structure", None)
    structure = given[key == "output_layers"] if given else (
        model.input if key == "input_layers" else model.output
    )  # fmt: skip

    def triples(value: Any) -> Any:  # Keras's map_structure: a bare triple for one tensor
        if is_symbolic(value):
            return [value.node.layer.name, plan.node_index[id(value.node)], value.index]
        if isinstance(value, dict):
            return {k: triples(v) for k, v in value.items()}
        return [triples(v) for v in value]

    return triples(structure)
