"""Rebuild an rnnlab functional ``Model`` from Keras 3's ``Functional`` config.

Every layer of the config is made first (classes from rnnlab's allowlist and
``custom_objects`` only, :mod:`rnnlab.saving.registry`), then the recorded calls are
replayed on fresh ``Input`` tensors: as Keras's ``functional_from_config`` does, the
layers are visited in config order and each of a layer's calls runs once every tensor it
references exists, so a layer shared at different depths loads too. A config whose calls
can never all run (a loop, a reference to a layer or call that is not there) is refused
with the first call that waits and what it waits for.

Example:
    >>> import rnnlab as keras
    >>> from rnnlab.saving.functional_config import functional_to_keras
    >>> a = keras.Input(shape=(4,), name="a")
    >>> m = keras.Model(a, keras.layers.Dense(1, name="out")(a))
    >>> functional_from_keras(functional_to_keras(m)).get_layer("out").units
    1
"""

from __future__ import annotations

import warnings
from typing import Any

import jax
import numpy as np

from rnnlab.layers.core import InputLayer
from rnnlab.layers.symbolic import KerasTensor, is_symbolic
from rnnlab.saving import objects as O
from rnnlab.saving.config_reader import compile_from_keras, layer_from_keras
from rnnlab.saving.registry import ConfigError

__all__ = ["compile_functional", "functional_from_keras"]


class _Waiting(Exception):
    """A call references a tensor whose call has not been replayed yet."""

    def __init__(self, history: list[Any]) -> None:
        super().__init__(history)
        self.history = history


def _input_from_keras(entry: dict[str, Any], name: str) -> InputLayer:
    inner = dict(entry.get("config") or {})
    what = f"layer {name!r} (InputLayer)"
    for key in ("sparse", "ragged", "optional"):
        if inner.pop(key, False):
            raise ConfigError(f"{what}: {key}=True is not supported by rnnlab")
    dtype = inner.pop("dtype", None)
    dtype = dtype.get("config", {}).get("name") if isinstance(dtype, dict) else dtype
    inner.pop("batch_size", None)
    try:
        return InputLayer(**inner, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{what}: {e}") from None


def _operation_from_keras(entry: dict[str, Any], name: str, co: dict[str, Any]) -> Any:
    """An operation of :mod:`rnnlab.ops` for an op entry (``keras.src.ops...`` or
    ``keras.src.activations...``), or ``None`` for a layer entry."""
    module, cls_name = entry.get("module") or "", entry["class_name"]
    if not module.startswith(("keras.src.ops", "keras.src.activations")):
        return None
    import rnnlab.ops  # noqa: F401  (its modules register the operation classes)
    from rnnlab.ops.operation import REGISTRY

    cls = co.get(cls_name) or REGISTRY.get((module, cls_name))
    if cls is None:
        known = sorted(c for m, c in REGISTRY if m == module)
        raise ConfigError(
            f"operation {name!r}: unknown operation class {cls_name!r} of {module}; rnnlab "
            f"has {', '.join(known) or 'none of that module'}"
        )
    config = dict(entry.get("config") or {})
    config["name"] = name
    try:
        return cls(**config)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"operation {name!r} ({cls_name}): {e}") from None


def _make(entry: Any, co: dict[str, Any]) -> tuple[str, Any]:
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise ConfigError(f"Functional config: a layer entry must be an object, got {entry!r}")
    name = entry.get("name") or (entry.get("config") or {}).get("name")
    if not isinstance(name, str):
        raise ConfigError(f"Functional config: the {entry['class_name']} entry has no name")
    if entry["class_name"] == "InputLayer":
        return name, _input_from_keras(entry, name)
    op = _operation_from_keras(entry, name, co)
    return name, op if op is not None else layer_from_keras(entry, co)


def _decode(value: Any, made: dict[tuple[str, int], list[KerasTensor]], where: str) -> Any:
    """A serialized call argument with its tensor references resolved (or ``_Waiting``)."""
    if isinstance(value, list):
        return [_decode(v, made, where) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("class_name")
    if kind == "__keras_tensor__":
        history = (value.get("config") or {}).get("keras_history")
        return _tensor(history, made, where)
    if kind == "__tuple__":
        return tuple(_decode((value.get("config") or {}).get("value", []), made, where))
    if kind == "__ellipsis__":
        return Ellipsis
    if kind in ("__numpy__", "__tensor__"):  # an op's array constant
        c = value.get("config") or {}
        try:
            return np.asarray(c.get("value"), dtype=c.get("dtype"))
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{where}: a bad {kind} constant: {e}") from None
    if kind == "__slice__":
        c = value.get("config") or {}
        return slice(*(_decode(c.get(k), made, where) for k in ("start", "stop", "step")))
    return {k: _decode(v, made, where) for k, v in value.items()}


def _tensor(history: Any, made: dict, where: str) -> KerasTensor:
    ok = isinstance(history, list) and len(history) == 3 and isinstance(history[0], str)
    if not ok or not all(isinstance(i, int) and i >= 0 for i in history[1:]):
        raise ConfigError(f"{where}: a tensor reference is [layer, node, index], not {history}")
    outs = made.get((history[0], history[1]))
    if outs is None:
        raise _Waiting(history)
    if history[2] >= len(outs):
        raise ConfigError(
            f"{where}: {history[0]!r} call {history[1]} has {len(outs)} outputs, the file "
            f"references output {history[2]}"
        )
    return outs[history[2]]


def _call(layer: Any, args: Any, kwargs: Any, where: str) -> list[KerasTensor]:
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise ConfigError(f"{where}: expected args as a list and kwargs as an object")
    kwargs = {k: v for k, v in kwargs.items() if v is not None and k != "training"}
    if type(layer).__name__ == "GetItem" and len(args) == 2 and isinstance(args[1], list):
        # JSON has no tuples: x[..., :4]'s key (Ellipsis, slice) comes back as a list
        args = [args[0], tuple(args[1])]
    if len(args) != 1 and not getattr(layer, "is_operation", False):
        raise ConfigError(f"{where}: a layer call takes one positional input, got {len(args)}")
    try:
        out = layer(*args, **kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}: replaying the call failed: {e}") from None
    first = jax.tree_util.tree_leaves(out, is_leaf=is_symbolic)[0]  # a dict for dict models
    if not is_symbolic(first):
        raise ConfigError(f"{where}: the call did not return symbolic tensors")
    return list(first.node.outputs)


def _replay(entries: list[dict], layers: dict[str, Any]) -> dict[tuple[str, int], list]:
    made: dict[tuple[str, int], list[KerasTensor]] = {}
    queues: dict[str, list[Any]] = {}
    for entry, (name, layer) in zip(entries, layers.items(), strict=True):
        if isinstance(layer, InputLayer):
            made[(name, 0)] = [layer.output]
        nodes = entry.get("inbound_nodes") or []
        if not isinstance(nodes, list):
            raise ConfigError(f"layer {name!r}: inbound_nodes must be a list, got {nodes!r}")
        queues[name] = list(nodes)
    done = {name: 1 if isinstance(layer, InputLayer) else 0 for name, layer in layers.items()}
    while any(queues.values()):
        waiting: list[tuple[str, list]] = []
        progress = False
        for name, layer in layers.items():
            queue = queues[name]
            while queue:
                where = f"layer {name!r} ({type(layer).__name__}) call {done[name]}"
                node = queue[0]
                if not isinstance(node, dict):
                    raise ConfigError(f"{where}: expected {{'args', 'kwargs'}}, got {node!r}")
                try:
                    args = _decode(node.get("args", []), made, where)
                    kwargs = _decode(node.get("kwargs", {}), made, where)
                except _Waiting as w:
                    waiting.append((where, w.history))
                    break
                made[(name, done[name])] = _call(layer, args, kwargs, where)
                done[name] += 1
                queue.pop(0)
                progress = True
        if not progress:
            where, history = waiting[0]
            missing = "is not in the file" if history[0] not in layers else "never runs"
            raise ConfigError(
                f"Functional config: {where} needs {history[0]}[{history[1]}][{history[2]}], "
                f"which {missing} (the graph has a loop or a missing call)"
            )
    return made


def _structure(value: Any, made: dict, what: str) -> Any:
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        try:
            return _tensor(value, made, what)
        except _Waiting:
            raise ConfigError(f"{what}: {value!r} names no call in the file") from None
    if isinstance(value, dict):
        return {k: _structure(v, made, what) for k, v in value.items()}
    if isinstance(value, list) and value:
        return [_structure(v, made, what) for v in value]
    raise ConfigError(f"{what}: expected [layer, node, index] or a list or dict of them")


def functional_from_keras(
    config: dict[str, Any], custom_objects: dict[str, Any] | None = None, compile_config: Any = None
) -> Any:
    """An rnnlab functional ``Model`` from Keras's ``Functional`` config (with its
    fresh weights; the caller loads the file's), compiled from ``compile_config`` when
    rnnlab has everything it names."""
    from rnnlab.models.functional import Model

    co = custom_objects or {}
    inner = config.get("config")
    if not isinstance(inner, dict) or not isinstance(inner.get("layers"), list):
        raise ConfigError("the Functional config has no list of layers")
    if inner.get("trainable", True) is not True:
        raise ConfigError(
            "the Functional model is saved with trainable=False; rnnlab freezes layers, not "
            "whole models: load a trainable copy and set each layer's trainable"
        )
    entries = inner["layers"]
    layers: dict[str, Any] = {}
    for entry in entries:
        name, layer = _make(entry, co)
        if name in layers:
            raise ConfigError(f"Functional config: two layers are named {name!r}")
        layers[name] = layer
    made = _replay(entries, layers)
    inputs = _structure(inner.get("input_layers"), made, "input_layers")
    outputs = _structure(inner.get("output_layers"), made, "output_layers")
    try:
        model = Model(inputs, outputs, name=inner.get("name"))
    except (TypeError, ValueError) as e:
        raise ConfigError(f"Functional config: {e}") from None
    compile_functional(model, compile_config, co)
    return model


def _per_output(value: Any, fn: Any) -> Any:
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _per_output(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_per_output(v, fn) for v in value]
    return None if value is None else fn(value)


def compile_functional(model: Any, compile_config: Any, co: dict[str, Any]) -> None:
    """Compile ``model`` from Keras's ``compile_config``: one loss as for a Sequential;
    per-output losses, loss weights and metrics (dicts or lists) as given, or, where
    rnnlab's ``compile`` does not take them, a warning and an uncompiled model."""
    if not compile_config:
        return
    if not isinstance(compile_config, dict):
        raise ConfigError(f"compile_config: expected a dict, got {compile_config!r}")
    loss, metrics = compile_config.get("loss"), compile_config.get("metrics")
    per_output = (isinstance(loss, dict) and "class_name" not in loss) or isinstance(loss, list)
    per_output = per_output or isinstance(metrics, dict) or (
        isinstance(metrics, list) and any(isinstance(m, list | dict) for m in metrics)
    )  # fmt: skip
    if not per_output and compile_config.get("loss_weights") is None:
        args = compile_from_keras(compile_config, co)
        if args:
            model.compile(**args)
        return
    if compile_config.get("optimizer") is None or loss is None:
        warnings.warn("the file's model was compiled without an optimizer or a loss: "
                      "returned uncompiled", stacklevel=4)  # fmt: skip
        return
    kwargs = {
        "optimizer": O.optimizer_from_keras(compile_config["optimizer"], co),
        "loss": _per_output(loss, lambda v: O.loss_from_keras(v, co)),
        "metrics": _per_output(metrics, lambda v: O.loss_from_keras(v, co, "metric")),
    }
    if compile_config.get("loss_weights") is not None:
        kwargs["loss_weights"] = compile_config["loss_weights"]
    try:
        model.compile(**kwargs)
    except (TypeError, ValueError, NotImplementedError) as e:
        warnings.warn(
            f"compile_config: returned uncompiled: rnnlab's compile did not take the file's "
            f"per-output losses, loss weights or metrics ({type(e).__name__}: {e})",
            stacklevel=4,
        )
