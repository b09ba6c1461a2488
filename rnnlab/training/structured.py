"""Data for models of several inputs or outputs: lists and dicts of arrays, checked.

``fit``/``evaluate``/``predict`` take each of ``x`` and ``y`` as one array, a list in the
model's input (output) order or a dict keyed by input (output) name, as Keras does.
:func:`flat_arrays` turns any of these into one checked float32 array per input (output),
:func:`same_lengths` checks that every array has the same number of samples, and the
compiled epoch cuts batches out of such lists with :func:`take_tree` (the rows ``idx`` of
every array — for a single array the same gather as plain ``fit(x, y)``).

Example:
    >>> import numpy as np
    >>> xs, args = flat_arrays({"b": np.ones((4, 2)), "a": np.ones((4, 3))}, ["a", "b"],
    ...                        "input", "x", "fit")
    >>> [a.shape for a in xs], args
    ([(4, 3), (4, 2)], ["x['a']", "x['b']"])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from rnnlab.validation import as_float_array

__all__ = [
    "first_leaf",
    "flat_arrays",
    "is_plain",
    "predict_chunks",
    "rows",
    "same_lengths",
    "sample_weights",
    "take_tree",
]


def take_tree(x: Any, y: Any, idx: Any) -> tuple[Any, Any]:
    """The rows ``idx`` of every array of the pytrees ``x`` and ``y`` (lists of inputs,
    targets with sample weights): the gather of structured ``fit`` data."""
    return jax.tree.map(lambda a: a[idx], (x, y))


def is_plain(*values: Any) -> bool:
    """Whether every value is one array (the path of single-input, single-output data)."""
    return all(isinstance(v, np.ndarray | jax.Array) for v in values)


def first_leaf(tree: Any) -> Any:
    """The first array of a pytree of arrays (its first axis counts the samples)."""
    return jax.tree.leaves(tree)[0]


def rows(tree: Any, sl: slice | np.ndarray) -> Any:
    """The rows ``sl`` of every array of ``tree`` (``validation_split``'s cut)."""
    return jax.tree.map(lambda a: a[sl], tree)


def flat_arrays(
    value: Any, names: Sequence[str], what: str, arg: str, where: str
) -> tuple[list[np.ndarray], list[str]]:
    """One float32 array per name from one array, a list (in ``names``' order) or a dict
    keyed by ``names``; also each array's argument name for messages (``x['seq']``).

    ``what`` is ``"input"`` or ``"output"``. A dict key naming none of ``names``, a name
    missing from a dict, and a list of the wrong length get errors that list the names.
    """
    names = list(names)
    if isinstance(value, dict):
        for key in value:
            if key not in names:
                raise ValueError(
                    f"{where}: {arg} has the key {key!r}, which names no {what} of the "
                    f"model; its {what}s are {names}"
                )
        for name in names:
            if name not in value:
                raise ValueError(
                    f"{where}: {arg} has no array for the {what} {name!r}; the model's "
                    f"{what}s are {names}"
                )
        items = [(f"{arg}[{name!r}]", value[name]) for name in names]
    elif isinstance(value, list | tuple) and len(names) > 1:
        if len(value) != len(names):
            raise ValueError(
                f"{where}: {arg} is a list of {len(value)} arrays, but the model has "
                f"{len(names)} {what}s {names}; give one array per {what}, in that order, "
                f"or a dict keyed by {what} name"
            )
        items = [(f"{arg}[{i}]", v) for i, v in enumerate(value)]
    elif len(names) > 1:
        raise ValueError(
            f"{where}: {arg} is one array, but the model has {len(names)} {what}s {names}; "
            f"give a list in that order or a dict keyed by {what} name"
        )
    elif (
        isinstance(value, list | tuple)
        and len(value) == 1
        and isinstance(value[0], np.ndarray | jax.Array)
    ):
        items = [(f"{arg}[0]", value[0])]  # a list of one array for a single input
    else:
        items = [(arg, value)]
    return [as_float_array(v, a, where) for a, v in items], [a for a, _ in items]


def same_lengths(arrays: Sequence[np.ndarray], args: Sequence[str], where: str) -> int:
    """The common number of samples of ``arrays``; an error naming every length if they
    differ."""
    counts = [int(a.shape[0]) for a in arrays]
    if len(set(counts)) > 1:
        listed = ", ".join(f"{arg} has {n}" for arg, n in zip(args, counts, strict=True))
        raise ValueError(
            f"{where}: every array must have the same number of samples (first axis); {listed}"
        )
    return counts[0]


def sample_weights(value: Any, n: int, arg: str, where: str) -> np.ndarray:
    """Checked sample weights: ``(n,)`` float32, one per sample."""
    sw = as_float_array(value, arg, where)
    if sw.shape != (n,):
        raise ValueError(
            f"{where}: {arg} must have shape ({n},), one weight per sample, got {sw.shape}"
        )
    return sw


def predict_chunks(
    predict_fn: Any, params: Any, xs: list[np.ndarray], chunk: int, put: Any = None
) -> list[np.ndarray]:
    """The outputs of ``predict_fn(params, x, None)`` over ``xs`` (one array per input) in
    chunks of ``chunk`` samples, the last one zero-padded (one compiled shape), as a flat
    list of NumPy arrays in the model's output order. ``put`` places a chunk's arrays on
    the devices of a distribution."""
    pieces: list[list[np.ndarray]] = []
    n = xs[0].shape[0]
    for start in range(0, n, chunk):
        parts = [a[start : start + chunk] for a in xs]
        real = parts[0].shape[0]
        if real < chunk:
            parts = [
                np.concatenate([p, np.zeros((chunk - real, *p.shape[1:]), np.float32)])
                for p in parts
            ]
        if put is not None:
            parts = [put(p) for p in parts]
        out = predict_fn(params, parts[0] if len(parts) == 1 else parts, None)
        pieces.append([np.asarray(leaf)[:real] for leaf in jax.tree.leaves(out)])
    return [np.concatenate(column) for column in zip(*pieces, strict=True)]
