"""Legacy HDF5 model files: tf.keras 2.x ``model.save("m.h5")`` / ``save_weights("w.h5")``
and Keras 3's legacy ``.h5``, read safely (through :mod:`rnnlab.saving.safe_h5`).

The layout (``keras/src/legacy/saving/legacy_h5_format.py``): whole-model files keep
the weights under ``model_weights/`` (weights-only files at the root), whose attribute
``layer_names`` lists the layers in order; each layer's group has ``weight_names``
(``dense/kernel:0`` in tf.keras 2, ``sequential/dense/kernel`` in Keras 3) naming its
datasets, relative to the group. As Keras does, weights are matched **by position**:
the file's layers that have weights, in ``layer_names`` order, against the model's
layers that have weights; each layer's arrays in ``weight_names`` order against the
layer's ``get_weights()`` order. Attribute lists too long for one HDF5 header are split
into ``layer_names0``, ``layer_names1``, ... and joined here.

Example:
    >>> import pathlib, tempfile, h5py, numpy as np
    >>> from rnnlab.models import Sequential
    >>> from rnnlab.layers import Dense
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "w.h5"
    >>> with h5py.File(path, "w") as f:
    ...     f.attrs["layer_names"] = [b"dense"]
    ...     f["dense/dense/kernel:0"] = np.ones((2, 1), "float32")
    ...     f["dense/dense/bias:0"] = np.zeros(1, "float32")
    ...     f["dense"].attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
    >>> m = Sequential([Dense(1, input_shape=(2,))])
    >>> read_legacy_weights(path, m)
    >>> m.get_weights()[0].tolist()
    [[1.0], [1.0]]
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from rnnlab.saving.errors import UnsafeFileError
from rnnlab.saving.safe_h5 import SafeH5, open_h5

__all__ = ["read_legacy_model_config", "read_legacy_weights"]

PathLike = str | os.PathLike[str]


def _names(h5: SafeH5, inner: str, key: str) -> list[str]:
    """A string-list attribute, joined from ``key0``, ``key1``, ... when split."""
    attrs = h5.attrs(inner)
    if key in attrs:
        parts = [attrs[key]]
    else:
        chunks = sorted(
            (int(k[len(key) :]), k) for k in attrs if k.startswith(key) and k[len(key) :].isdigit()
        )
        parts = [attrs[k] for _, k in chunks]
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, list):
            out.extend(str(p) for p in part)
        elif np.size(part) != 0:  # h5py writes an empty list as an empty float array
            raise UnsafeFileError(h5.name, f"{inner}@{key}", "expected a list of names")
    return out


def read_legacy_model_config(path: PathLike) -> dict[str, Any]:
    """The ``model_config`` root attribute of a legacy ``.h5`` file, parsed from JSON.

    Raises:
        UnsafeFileError: not a (safe) HDF5 file, or no valid ``model_config`` (for
            instance a weights-only file).

    Example:
        >>> read_legacy_model_config("tests/fixtures/keras/basic_rnn.h5")["class_name"]
        'Sequential'
    """
    name = os.fspath(path)
    with open_h5(name) as h5:
        config = h5.attrs().get("model_config")
    if not isinstance(config, str):
        raise UnsafeFileError(
            name, None, "has no model_config attribute (a weights-only file?), no model in it"
        )
    try:
        parsed = json.loads(config)
    except json.JSONDecodeError as e:
        raise UnsafeFileError(name, "@model_config", f"is not valid JSON: {e}") from None
    if not isinstance(parsed, dict):
        raise UnsafeFileError(name, "@model_config", "is not a JSON object")
    return parsed


def _model_layers(model: Any) -> list[tuple[Any, list[tuple[tuple[str, ...], tuple]]]]:
    """``(layer, [(params path, shape), ...])`` for the layers that have weights."""
    from rnnlab.saving.weights import layer_groups, value_at

    params = model.params
    by_layer: dict[str, list] = {}
    for g in layer_groups(model):
        for _, path in g.weights(params):
            shape = tuple(value_at(params, path).shape)
            by_layer.setdefault(g.top.name, []).append((path, shape))
    return [(layer, by_layer[layer.name]) for layer in model.layers if by_layer.get(layer.name)]


def read_legacy_weights(path: PathLike, model: Any) -> None:
    """Load the weights of a legacy ``.h5`` file into ``model``, matched by position.

    Every count and shape is checked before any weight changes. The optimizer state
    of a legacy file is not read (Keras's ``load_weights`` does not read it either).

    Raises:
        UnsafeFileError: not a (safe) HDF5 file, or a malformed legacy layout.
        ValueError: the file's layers or weights do not fit the model.

    Example:
        >>> from rnnlab.models import Sequential
        >>> from rnnlab.layers import SimpleRNN
        >>> m = Sequential([SimpleRNN(1, input_shape=(None, 1))])
        >>> read_legacy_weights("tests/fixtures/keras/basic_rnn.h5", m)
    """
    name = os.fspath(path)
    model.built_params("load_weights")
    layers = _model_layers(model)
    new: dict[tuple[str, ...], np.ndarray] = {}
    with open_h5(name) as h5:
        top = {e.path for e in h5.entries if e.kind == "group"}
        root = (
            "model_weights"
            if "model_weights" in top and not any(k.startswith("layer_names") for k in h5.attrs())
            else ""
        )
        saved = []
        for layer_name in _names(h5, root, "layer_names"):
            group = f"{root}/{layer_name}" if root else layer_name
            if group not in top:
                raise UnsafeFileError(name, group, "listed in layer_names but missing")
            weight_names = _names(h5, group, "weight_names")
            if weight_names:
                saved.append((layer_name, group, weight_names))
        if len(saved) != len(layers):
            raise ValueError(
                f"load_weights: layer count mismatch: model {model.name!r} has "
                f"{len(layers)} layers with weights "
                f"({', '.join(f'{lay.name} ({type(lay).__name__})' for lay, _ in layers)}) "
                f"but {name!r} has {len(saved)} ({', '.join(s[0] for s in saved)})"
            )
        for (layer, weights), (layer_name, group, weight_names) in zip(layers, saved, strict=True):
            if len(weight_names) != len(weights):
                raise ValueError(
                    f"load_weights: layer {layer.name!r} ({type(layer).__name__}) has "
                    f"{len(weights)} weights in the model but {len(weight_names)} in {name!r} "
                    f"(layer {layer_name!r})"
                )
            for i, ((wpath, shape), weight_name) in enumerate(
                zip(weights, weight_names, strict=True)
            ):
                stored = h5.read(f"{group}/{weight_name}")
                if tuple(stored.shape) != shape:
                    raise ValueError(
                        f"load_weights: layer {layer.name!r} ({type(layer).__name__}) weight "
                        f"{i} ({'/'.join(wpath[1:])}) has shape {shape} in the model but "
                        f"{tuple(stored.shape)} in {name!r} ({weight_name!r})"
                    )
                new[wpath] = np.asarray(stored, np.float32)
    from rnnlab.saving.weights import assign_weights

    assign_weights(model, new)
