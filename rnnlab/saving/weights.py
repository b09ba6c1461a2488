"""A model's weights (and optimizer state) in Keras 3's ``model.weights.h5`` layout.

The layout, as ``keras/src/saving/saving_lib.py`` makes it (``docs/keras-format.md`` §3):
each layer of ``model.layers`` gets the folder ``layers/<snake_case class name>``, with
``_1``, ``_2``, ... for repeats of a class (not the layer's name); its variables are
``<folder>/vars/0, 1, ...`` in Keras's order, and the ``vars`` group's ``name``
attribute is the layer's name. Sub-objects nest by attribute name: an RNN layer's
weights live in ``<folder>/cell/vars``, ``TimeDistributed``'s in ``<folder>/layer/vars``,
``Bidirectional``'s in ``<folder>/forward_layer/cell/vars`` and ``.../backward_layer/...``.
The optimizer is ``optimizer/vars/<i>`` (see :mod:`rnnlab.saving.optimizer_vars`).

Reading checks every count and shape (and the optimizer's) before anything changes.

Example:
    >>> import io, h5py, numpy as np
    >>> from rnnlab.models import Sequential
    >>> from rnnlab.layers import LSTM, Dense
    >>> m = Sequential([LSTM(2, input_shape=(None, 1)), Dense(1)])
    >>> buf = io.BytesIO()
    >>> with h5py.File(buf, "w") as f:
    ...     write_weights(f, m, include_optimizer=False)
    ...     sorted(f["layers"]), f["layers/lstm/cell/vars/0"].shape
    (['dense', 'lstm'], (1, 8))
    >>> read_weights(buf.getvalue(), m, name="w.weights.h5", include_optimizer=False)
"""

from __future__ import annotations

import dataclasses
import os
import re
import warnings
from typing import Any

import h5py
import jax
import jax.numpy as jnp
import numpy as np

from rnnlab.layers.base import Layer
from rnnlab.layers.bidirectional import Bidirectional
from rnnlab.layers.recurrent import GRU, LSTM, RNN, SimpleRNN
from rnnlab.layers.time_distributed import TimeDistributed
from rnnlab.optimizers import get_learning_rate
from rnnlab.saving import optimizer_vars as ov
from rnnlab.saving.attribute_walk import is_subclassed, keras_folders
from rnnlab.saving.safe_h5 import SafeH5, Source, open_h5

__all__ = [
    "VarGroup",
    "assign_weights",
    "layer_groups",
    "read_weights",
    "snake_case",
    "value_at",
    "write_weights",
]

#: Exact Optax values of the optimizer slots whose Keras form does not round-trip in
#: float32 (rnnlab's own addition; Keras never looks at it).
EXACT_GROUP = "rnnlab_optax/vars"


def snake_case(name: str) -> str:
    """Keras's ``naming.to_snake_case`` (``SimpleRNN`` -> ``simple_rnn``).

    Example:
        >>> [snake_case(n) for n in ("SimpleRNN", "Conv1D", "RMSprop", "AdamW")]
        ['simple_rnn', 'conv1d', 'rm_sprop', 'adam_w']
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


@dataclasses.dataclass(frozen=True)
class VarGroup:
    """One ``.../vars`` group: whose weights it holds and where they are in ``params``.

    ``owner`` is the layer whose ``weight_order`` lists the weights (``None`` for the
    empty ``vars`` of a wrapper or RNN layer); ``prefix`` the path in ``model.params``;
    ``label`` what to put before a weight's name in messages (``backward_lstm/``).
    """

    path: str
    name: str
    top: Layer
    owner: Layer | None
    prefix: tuple[str, ...]
    label: str = ""

    def weights(self, params: dict[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
        """``(weight name, params path)`` of this group's variables, in Keras's order."""
        if self.owner is None:
            return []
        node = params
        for key in self.prefix:
            node = node[key]
        return [(w, (*self.prefix, w)) for w in self.owner.weight_order(node)]


def _cell_name(layer: RNN) -> str:
    for kind in (SimpleRNN, LSTM, GRU):
        if type(layer) is kind:
            return snake_case(kind.__name__) + "_cell"
    return snake_case(type(layer.cell).__name__)


def _walk(layer: Layer, top: Layer, path: str, prefix: tuple[str, ...], label: str):
    if getattr(layer, "is_model_layer", False):  # a model used as a layer: its own layout
        yield VarGroup(f"{path}/vars", layer.name, top, None, prefix)
        for inner, folder in _layer_folders(layer):
            yield from _walk(
                inner, top, f"{path}/{folder}", (*prefix, inner.name), f"{label}{inner.name}/"
            )
    elif isinstance(layer, Bidirectional):
        yield VarGroup(f"{path}/vars", layer.name, top, None, prefix)
        for attr, key, inner in (  # Keras's weights order: forward, then backward
            ("forward_layer", "forward", layer.forward_layer),
            ("backward_layer", "backward", layer.backward_layer),
        ):
            yield from _walk(inner, top, f"{path}/{attr}", (*prefix, key), f"{inner.name}/")
    elif isinstance(layer, TimeDistributed):
        yield VarGroup(f"{path}/vars", layer.name, top, None, prefix)
        yield from _walk(layer.layer, top, f"{path}/layer", prefix, label)
    elif isinstance(layer, RNN):
        yield VarGroup(f"{path}/vars", layer.name, top, None, prefix)
        yield VarGroup(f"{path}/cell/vars", _cell_name(layer), top, layer, prefix, label)
    else:
        yield VarGroup(f"{path}/vars", layer.name, top, layer, prefix, label)


def _saved_layers(model: Any) -> list[Layer]:
    """``model.layers`` in the order Keras saves them, which names the folders (``dense``,
    ``dense_1``, ...): a functional model's ``layers`` are already in Keras's order (by
    depth, :func:`rnnlab.models.graph.keras_layers`)."""
    return list(model.layers)


def _layer_folders(model: Any) -> list[tuple[Layer, str]]:
    """Each layer's folder: ``layers/<snake_case class>[_n]`` for a Sequential or
    functional model; a subclassed model's by Keras's attribute walk."""
    if is_subclassed(model):
        return keras_folders(model)
    used: dict[str, int] = {}
    out = []
    for layer in _saved_layers(model):
        base = snake_case(getattr(layer, "summary_type", type(layer).__name__))
        used[base] = used.get(base, -1) + 1  # saving_lib._get_unique_name
        out.append((layer, f"layers/{base}" + (f"_{used[base]}" if used[base] else "")))
    return out


def layer_groups(model: Any) -> list[VarGroup]:
    """Every ``vars`` group of ``model``'s layers, in ``model.layers`` order (forward
    before backward inside a ``Bidirectional``, as Keras orders the weights).

    Example:
        >>> from rnnlab.models import Sequential
        >>> from rnnlab.layers import Dense
        >>> m = Sequential([Dense(2, input_shape=(3,)), Dense(1)])
        >>> [g.path for g in layer_groups(m)]
        ['layers/dense/vars', 'layers/dense_1/vars']
    """
    groups: list[VarGroup] = []
    weighted = {id(layer) for layer in model.layers}
    for layer, folder in _layer_folders(model):
        if id(layer) not in weighted:  # a subclassed model's layer call never used
            groups.append(VarGroup(f"{folder}/vars", layer.name, layer, None, (layer.name,)))
            continue
        groups += _walk(layer, layer, folder, (layer.name,), "")
    return groups


def value_at(tree: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The node of ``tree`` at ``path`` (a labels tree may end early in a string).

    Example:
        >>> value_at({"lstm": {"kernel": 1}}, ("lstm", "kernel"))
        1
    """
    node: Any = tree
    for key in path:
        node = node[key]
        if isinstance(node, str):
            return node
    return node


def _trainable(model: Any, groups: list[VarGroup]) -> list[tuple[tuple[str, ...], tuple]]:
    """``(params path, shape)`` of the weights the optimizer updates, in Keras's order."""
    params, labels = model.params, model.trainable_labels()
    out = []
    for g in groups:
        for _, path in g.weights(params):
            if value_at(labels, path) == "train":
                out.append((path, tuple(value_at(params, path).shape)))
    return out


# -- writing --------------------------------------------------------------------------------


def write_weights(h5: h5py.File, model: Any, *, include_optimizer: bool) -> None:
    """Write ``model``'s weights in Keras 3's layout into an open, writable HDF5 file,
    and its optimizer state when ``include_optimizer`` and the optimizer has one.

    Example:
        >>> import io
        >>> from rnnlab.models import Sequential
        >>> from rnnlab.layers import Dense
        >>> m = Sequential([Dense(1, input_shape=(2,), name="d")])
        >>> with h5py.File(io.BytesIO(), "w") as f:
        ...     write_weights(f, m, include_optimizer=True)
        ...     dict(f["layers/dense/vars"].attrs), f["layers/dense/vars/0"].shape
        ({'name': 'd'}, (2, 1))
    """
    params = model.built_params("save_weights")
    groups = layer_groups(model)
    for g in groups:
        group = h5.require_group(g.path)
        group.attrs["name"] = g.name
        for i, (_, path) in enumerate(g.weights(params)):
            group.create_dataset(str(i), data=np.asarray(value_at(params, path)))
    h5.require_group("vars").attrs["name"] = model.name
    if include_optimizer:
        _write_optimizer(h5, model, groups)


def _write_optimizer(h5: h5py.File, model: Any, groups: list[VarGroup]) -> None:
    opt = model.optimizer
    if opt is None or opt.state is None:
        return
    trainable = _trainable(model, groups)
    layout = ov.keras_layout(opt, len(trainable))
    if layout is None:
        warnings.warn(
            f"save_weights: the optimizer {opt!r} has no Keras counterpart; its state is not "
            "saved (only the weights are)",
            stacklevel=3,
        )
        return
    found = ov.optax_leaves(opt.state)
    iterations = int(np.asarray(opt.iterations))
    lr = get_learning_rate(opt.state, owner="save_weights")
    ctx = ov.Context(iterations, lr, opt)
    values: list[np.ndarray] = [np.asarray(iterations, np.int32), np.asarray(lr, np.float32)]
    exact: dict[int, np.ndarray] = {}
    used = set()
    for slot in layout.slots:
        key = (slot.field, trainable[slot.var][0])
        leaf = np.asarray(found.leaves[found.slots[key]])
        used.add(key)
        value = ov.to_keras(opt, slot.field, leaf, ctx)
        if not _same(ov.to_optax(opt, slot.field, value, ctx), leaf):
            exact[len(values)] = leaf
        values.append(value)
    if used != set(found.slots):
        missing = sorted(set(found.slots) - used)
        raise ValueError(f"save_weights: optimizer state leaves with no Keras slot: {missing}")
    if "u_product" in layout.trailing:
        values.append(ov.u_product(opt, iterations))
    group = h5.require_group("optimizer/vars")
    group.attrs["name"] = layout.name
    for i, value in enumerate(values):
        group.create_dataset(str(i), data=value)
    if exact:
        side = h5.require_group(EXACT_GROUP)
        side.attrs["note"] = "exact Optax values of optimizer/vars slots (rnnlab); Keras ignores"
        for i, value in exact.items():
            side.create_dataset(str(i), data=value)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


# -- reading --------------------------------------------------------------------------------


def _datasets(h5: SafeH5) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in h5.entries:
        if e.kind == "dataset" and "/" in e.path:
            parent, leaf = e.path.rsplit("/", 1)
            out.setdefault(parent, []).append(leaf)
    return out


def _indices(names: list[str]) -> list[int] | None:
    """Sorted indices when ``names`` are exactly ``"0"``.. ``"n-1"``, else ``None``."""
    if not all(n.isdigit() for n in names):
        return None
    idx = sorted(int(n) for n in names)
    return idx if idx == list(range(len(idx))) else None


def _describe_top(layer: Layer) -> str:
    return f"layer {layer.name!r} ({type(layer).__name__})"


def _plan_layers(h5: SafeH5, model: Any, groups: list[VarGroup], name: str) -> dict:
    params = model.params
    present = _datasets(h5)
    new: dict[tuple[str, ...], np.ndarray] = {}
    consumed: set[str] = set()
    offsets: dict[str, int] = {}
    with_weights = [g.top for g in groups if g.weights(params)]
    for g in groups:
        weights = g.weights(params)
        start = offsets.get(g.top.name, 0)
        offsets[g.top.name] = start + len(weights)
        names = present.get(g.path, [])
        consumed.add(g.path)
        if not weights and not names:
            continue
        if not names:
            folders = sorted({p.split("/")[1] for p in present if p.startswith("layers/")})
            raise ValueError(
                f"load_weights: {_describe_top(g.top)} has {len(weights)} weights in the "
                f"model but none in {name!r} (no {g.path!r}); the file has weights for "
                f"{len(folders)} layers ({', '.join(folders) or 'none'}), the model for "
                f"{len(dict.fromkeys(with_weights))}"
            )
        if _indices(names) is None or len(names) != len(weights):
            raise ValueError(
                f"load_weights: {_describe_top(g.top)} has {len(weights)} weights in the "
                f"model but {len(names)} in {name!r} (at {g.path!r})"
            )
        for i, (wname, path) in enumerate(weights):
            stored = h5.read(f"{g.path}/{i}")
            want = tuple(value_at(params, path).shape)
            if tuple(stored.shape) != want:
                raise ValueError(
                    f"load_weights: {_describe_top(g.top)} weight {start + i} "
                    f"({g.label}{wname}) has shape {want} in the model but "
                    f"{tuple(stored.shape)} in {name!r}"
                )
            new[path] = np.asarray(stored, np.float32)
    # (a subclassed model's layers also live in folders named after its attributes)
    layer_paths = (
        (lambda p: not p.startswith(("optimizer/", EXACT_GROUP)))
        if is_subclassed(model)
        else (lambda p: p.startswith("layers/"))
    )
    extra = sorted(p for p in present if layer_paths(p) and p not in consumed)
    if extra:
        layers = ", ".join(f"{layer.name} ({type(layer).__name__})" for layer in model.layers)
        raise ValueError(
            f"load_weights: {name!r} has weights that model {model.name!r} has no layer for "
            f"(a file with more layers, or other layer classes): {', '.join(extra)}; the "
            f"model's layers: {layers}"
        )
    return new


def _plan_optimizer(h5: SafeH5, model: Any, groups: list[VarGroup], name: str) -> Any:
    """The new ``(optax state, iterations)`` from the file, or ``None`` to keep the old."""
    present = _datasets(h5)
    names = present.get("optimizer/vars", [])
    if not names or model.trainer is None:
        return None
    opt = model.optimizer
    trainable = _trainable(model, groups)
    layout = ov.keras_layout(opt, len(trainable))
    saved = h5.attrs("optimizer/vars").get("name")
    if layout is None or len(names) != layout.count or (saved and saved != layout.name):
        want = "no Keras counterpart" if layout is None else f"{layout.name}, {layout.count}"
        warnings.warn(
            f"load_weights: skipping the optimizer state of {name!r} ({saved}, {len(names)} "
            f"variables): the model's optimizer {type(opt).__name__} has {want} variables; "
            "the optimizer starts afresh",
            stacklevel=4,
        )
        return None
    if _indices(names) is None:
        raise ValueError(f"load_weights: {name!r}: optimizer/vars are not numbered 0..n-1")
    values = [h5.read(f"optimizer/vars/{i}") for i in range(layout.count)]
    expected = [(), ()] + [trainable[s.var][1] for s in layout.slots] + [()] * len(layout.trailing)
    for i, (value, want) in enumerate(zip(values, expected, strict=True)):
        if tuple(value.shape) != want:
            raise ValueError(
                f"load_weights: optimizer variable {i} has shape {tuple(value.shape)} in "
                f"{name!r} but the model's {layout.name} slot needs {want}"
            )
    iterations = int(values[0])
    if not 0 <= iterations < 2**31:
        raise ValueError(f"load_weights: {name!r}: optimizer iterations {iterations} out of range")
    lr = float(values[1])
    ctx = ov.Context(iterations, lr, opt)
    exact = {int(k): h5.read(f"{EXACT_GROUP}/{k}") for k in present.get(EXACT_GROUP, [])}
    from rnnlab.training.trainer import frozen_aware

    labels = model.trainable_labels()
    template = ov.optax_leaves(
        jax.eval_shape(frozen_aware(opt.transform, labels).init, model.params)
    )
    leaves = list(template.leaves)
    for i in template.counts:
        leaves[i] = jnp.asarray(iterations, leaves[i].dtype)
    for i in template.rates:
        leaves[i] = jnp.asarray(lr, leaves[i].dtype)
    filled = set()
    for k, slot in enumerate(layout.slots):
        index = template.slots[(slot.field, trainable[slot.var][0])]
        value = values[2 + k]
        side = exact.get(2 + k)
        if side is not None and _same(ov.to_keras(opt, slot.field, side, ctx), value):
            fresh = np.asarray(side, np.float32)
        else:
            fresh = ov.to_optax(opt, slot.field, value, ctx)
        leaves[index] = jnp.asarray(fresh, leaves[index].dtype)
        filled.add(index)
    if filled != set(template.slots.values()):
        raise ValueError(f"load_weights: {name!r}: the optimizer state has slots Keras lacks")
    return jax.tree.unflatten(template.treedef, leaves), iterations


def assign_weights(model: Any, new: dict[tuple[str, ...], np.ndarray]) -> None:
    """Replace the weights at the given ``model.params`` paths (already checked), at once.

    Example:
        >>> from rnnlab.models import Sequential
        >>> from rnnlab.layers import Dense
        >>> m = Sequential([Dense(1, input_shape=(1,), name="d")])
        >>> assign_weights(m, {("d", "bias"): np.ones(1, np.float32)})
        >>> m.get_weights()[1].tolist()
        [1.0]
    """
    params = jax.tree.map(lambda a: a, model.params)  # fresh containers, same leaves
    for path, value in new.items():
        node = params
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = jax.device_put(value)
    model.params = params


def read_weights(h5_source: Source, model: Any, *, name: str, include_optimizer: bool) -> None:
    """Load a Keras 3 weights file (a path, or the bytes of ``model.weights.h5``) into
    ``model``; with ``include_optimizer``, also its optimizer state when the file has one
    and the model is compiled. Everything is checked before anything changes.

    Raises:
        UnsafeFileError: the file is not a safe HDF5 file (missing, empty, truncated, ...).
        ValueError: the weights do not fit the model (names the first layer that differs).

    Example:
        >>> from rnnlab.models import Sequential
        >>> from rnnlab.layers import Dense
        >>> m = Sequential([Dense(1, input_shape=(2,))])
        >>> read_weights("dense.weights.h5", m, name="dense.weights.h5",
        ...              include_optimizer=True)  # doctest: +SKIP
    """
    if not isinstance(h5_source, bytes | bytearray | memoryview):
        h5_source = os.fspath(h5_source)
    model.built_params("load_weights")
    groups = layer_groups(model)
    with open_h5(h5_source, name=name) as h5:
        new = _plan_layers(h5, model, groups, name)
        opt_plan = _plan_optimizer(h5, model, groups, name) if include_optimizer else None
    assign_weights(model, new)
    if opt_plan is not None:
        state, iterations = opt_plan
        trainer = model.trainer
        trainer.epoch_fn(model.trainable_labels())  # a new split resets the optimizer first
        trainer.optimizer.state = state
        trainer.optimizer.iterations = np.int32(iterations)
