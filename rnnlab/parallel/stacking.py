"""Replicas' pytrees on one leading axis: renaming layers, stacking and unstacking.

Every replica of an :class:`~rnnlab.parallel.Ensemble` is an ordinary model, so its
layers have their own unique names (``lstm``, ``lstm_1`` for replica 0, ``lstm_2``,
``lstm_3`` for replica 1...) and its params and Optax state are dicts keyed by those
names. To stack them, each replica's trees are first renamed to replica 0's layer
names (layers matched by position); unstacking renames them back.

Example:
    >>> import jax.numpy as jnp
    >>> rename({"dense_1": {"kernel": 1}}, {"dense_1": "dense"})
    {'dense': {'kernel': 1}}
    >>> s = stack([{"w": jnp.zeros(2)}, {"w": jnp.ones(2)}])
    >>> s["w"].shape, [float(t["w"][0]) for t in unstack(s, 2)]
    ((2, 2), [0.0, 1.0])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["first_difference", "layer_names", "rename", "stack", "unstack"]


def rename(tree: Any, mapping: Mapping[str, str]) -> Any:
    """``tree`` with every dict whose keys are all in ``mapping`` re-keyed by it.

    Layer-keyed dicts (params, Optax moments, trainable labels) are the only dicts
    whose keys are all layer names; other containers are rebuilt as they are.
    """
    if isinstance(tree, dict):
        layer_keyed = bool(tree) and all(k in mapping for k in tree)
        return {(mapping[k] if layer_keyed else k): rename(v, mapping) for k, v in tree.items()}
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):  # NamedTuple (Optax states)
        return type(tree)(*(rename(v, mapping) for v in tree))
    if isinstance(tree, tuple | list):
        return type(tree)(rename(v, mapping) for v in tree)
    if tree is None or isinstance(tree, jax.Array | np.ndarray | np.generic | int | float):
        return tree
    children, treedef = jax.tree_util.tree_flatten(tree, is_leaf=lambda node: node is not tree)
    if treedef.num_leaves == 1 and children and children[0] is tree:
        return tree  # a leaf
    return jax.tree_util.tree_unflatten(treedef, [rename(c, mapping) for c in children])


def _stack_leaves(*leaves: Any) -> Any:
    return jnp.stack(leaves)


@jax.jit
def _stack(trees: list[Any]) -> Any:
    return jax.tree.map(_stack_leaves, *trees)


def stack(trees: Sequence[Any]) -> Any:
    """One pytree whose leaves are the ``trees``' leaves stacked on a new axis 0 ``(K, ...)``.

    The trees must have one structure (rename them first). One compiled call.
    """
    return _stack(list(trees))


def _unstack_fn(k: int):
    @jax.jit
    def split(tree: Any) -> list[Any]:
        return [jax.tree.map(lambda leaf, i=i: leaf[i], tree) for i in range(k)]

    return split


_UNSTACKERS: dict[int, Any] = {}


def unstack(tree: Any, k: int) -> list[Any]:
    """The ``k`` trees of a stacked pytree (the inverse of :func:`stack`), one compiled call."""
    if k not in _UNSTACKERS:
        _UNSTACKERS[k] = _unstack_fn(k)
    return _UNSTACKERS[k](tree)


def _holds_layers(entry: dict) -> bool:
    """Whether a params entry is a model used as a layer (``{layer: {weight}}``)."""
    return bool(entry) and all(isinstance(v, dict) for v in entry.values())


def layer_names(model: Any) -> list[str]:
    """Every layer's name, depth first: a model used as a layer is followed by its own
    layers' names (its entry in ``params`` is keyed by them), so replicas' names can be
    matched by position at every level.

    Example:
        >>> import rnnlab as keras
        >>> inp = keras.Input((3,), name="x")
        >>> inner = keras.Model(inp, keras.layers.Dense(2, name="d")(inp), name="inner")
        >>> layer_names(keras.Sequential([inner, keras.layers.Dense(1, name="out")]))
        ['inner', 'x', 'd', 'out']
    """
    names: list[str] = []
    for layer in model.layers:
        names.append(layer.name)
        if getattr(layer, "is_model_layer", False):
            names += layer_names(layer)
    return names


def first_difference(reference: Any, other: Any, prefix: str = "") -> str | None:
    """The first weight where two params pytrees ``{layer: {weight: array}}`` differ in
    layer count, weight names, shape or dtype, described; ``None`` when they match.

    Layers are compared by position (their names differ from replica to replica), at
    every level: a model used as a layer has its own ``{layer: {weight}}`` tree.

    Example:
        >>> first_difference({"a": {"w": np.zeros(2)}}, {"b": {"w": np.zeros(3)}})
        "weight 'b/w' has shape (3,) float64 where replica 0's 'a/w' has (2,) float64"
    """
    if len(reference) != len(other):
        inside = f" in {prefix.rstrip('/')!r}" if prefix else ""
        return f"it has {len(other)} layers{inside} where replica 0 has {len(reference)}"
    for (ref_name, ref_w), (name, w) in zip(reference.items(), other.items(), strict=True):
        ref_model, model = _holds_layers(ref_w), _holds_layers(w)
        if ref_model and model:  # a model used as a layer: its layers by position too
            problem = first_difference(ref_w, w, f"{prefix}{name}/")
            if problem is not None:
                return problem
            continue
        if ref_model or model or list(ref_w) != list(w):
            return (
                f"layer {prefix + name!r} has weights {list(w)} where replica 0's "
                f"{prefix + ref_name!r} has {list(ref_w)}"
            )
        for key in ref_w:
            a, b = ref_w[key], w[key]
            if tuple(a.shape) != tuple(b.shape) or a.dtype != b.dtype:
                return (
                    f"weight '{prefix}{name}/{key}' has shape {tuple(b.shape)} {b.dtype} where "
                    f"replica 0's '{prefix}{ref_name}/{key}' has {tuple(a.shape)} {a.dtype}"
                )
    return None
