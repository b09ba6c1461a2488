"""Where Keras 3 puts a subclassed model's layers in ``model.weights.h5``.

A subclassed model has no list of layers of its own: ``saving_lib._walk_saveable`` visits
its attributes in sorted order, private ones (``_name``) last, and saves each layer the
first time it meets it. A layer held directly by an attribute gets the attribute's name
(``self.hidden`` -> ``hidden/vars``); a list, tuple or dict of layers is a container whose
layers get their snake-cased class name, ``_1``, ``_2``... for repeats (``self.blocks`` ->
``blocks/dense``, ``blocks/dense_1``); and ``layers`` — every tracked layer, in assignment
order — is such a container among the attributes. So attributes sorting before ``layers``
keep their own folders, and the rest land in ``layers/<class>_<n>``, where ``n`` counts
every layer of that class in ``model.layers``, the ones already saved included.

Example:
    >>> import numpy as np
    >>> import rnnlab as keras
    >>> keras.utils.clear_session()  # automatic names from dense, dense_1
    >>> class Net(keras.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = keras.layers.Dense(4)
    ...         self.out = keras.layers.Dense(1)
    ...     def call(self, x):
    ...         return self.out(self.hidden(x))
    >>> net = Net()
    >>> _ = net(np.ones((2, 3), np.float32))
    >>> [(layer.name, path) for layer, path in keras_folders(net)]
    [('dense', 'hidden'), ('dense_1', 'layers/dense_1')]
"""

from __future__ import annotations

from typing import Any

from rnnlab.layers.base import Layer
from rnnlab.layers.binding import is_sublayer, tracked_sublayers

__all__ = ["is_subclassed", "keras_folders"]


def is_subclassed(model: Any) -> bool:
    """Whether ``model`` is a subclassed ``keras.Model`` (layers as attributes, ``call``)."""
    return bool(getattr(type(model), "_keras_subclassed", False))


def _sort_key(name: str) -> str:
    # saving_lib._name_key: private attributes are visited last
    return f"~{name}" if name.startswith("_") else name


def keras_folders(model: Any) -> list[tuple[Layer, str]]:
    """``(layer, folder)`` for every layer the model's attributes hold, in assignment
    order (Keras's ``model.layers``, which orders the weights), with the folder Keras's
    attribute walk gives it (the module docstring has the rules). Layers ``call`` never
    used are in it too: Keras writes an empty ``vars`` group for them."""
    from rnnlab.saving.weights import snake_case

    everyone = list({id(v): v for v in tracked_sublayers(model).values()}.values())
    attrs = {a: v for a, v in vars(model).items() if not a.startswith(("__", "_keras"))}
    attrs["layers"] = everyone
    folders: dict[int, str] = {}

    def visit(layer: Layer, path: str) -> None:
        folders.setdefault(id(layer), path)

    for attr in sorted(attrs, key=_sort_key):
        value = attrs[attr]
        if is_sublayer(value):
            visit(value, attr)
        elif isinstance(value, list | tuple | dict):
            used: dict[str, int] = {}
            for item in value.values() if isinstance(value, dict) else value:
                if not is_sublayer(item):
                    continue
                base = snake_case(getattr(item, "summary_type", type(item).__name__))
                used[base] = used.get(base, -1) + 1  # saving_lib._get_unique_name
                visit(item, f"{attr}/{base}" + (f"_{used[base]}" if used[base] else ""))
    return [(layer, folders[id(layer)]) for layer in everyone]
