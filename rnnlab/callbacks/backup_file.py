"""The file a :class:`~rnnlab.callbacks.BackupAndRestore` backup lives in.

One ``.npz`` archive (NumPy arrays only, read back with ``allow_pickle=False``)
holds the whole run: every leaf of the model's
:class:`~rnnlab.training.TrainState` (weights, Optax state, step, next epoch, the
fit's PRNG key as its raw bits), the state of every callback (counters and best
values as JSON, weights as arrays) and a JSON ``meta`` entry with a SHA-256 digest
of all the arrays. The file is written atomically (temporary name, fsync,
rename), read through :mod:`rnnlab.saving.safe_zip`, and a file whose digest or
structure does not check out is reported as :class:`BackupError`, so the caller
can fall back to an older backup.

Example:
    >>> import jax, jax.numpy as jnp, pathlib, tempfile
    >>> from rnnlab.training import init_state
    >>> state = init_state({"d": {"w": jnp.ones(2)}}, (), jax.random.key(0), epoch=3)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "backup.npz"
    >>> write_backup(path, state, [{"wait": 1}])
    >>> back, callbacks = read_backup(path, like=state)
    >>> int(back.epoch), callbacks
    (3, [{'wait': 1}])
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from typing import Any

import jax
import numpy as np

from rnnlab.saving.atomic import atomic_write
from rnnlab.saving.errors import UnsafeFileError
from rnnlab.saving.safe_zip import open_zip

__all__ = ["FORMAT", "BackupError", "read_backup", "write_backup"]

FORMAT = "rnnlab-backup-1"


class BackupError(ValueError):
    """A backup file that cannot be used: cut short, corrupt, or from another model."""


def _is_key(leaf: Any) -> bool:
    return isinstance(leaf, jax.Array) and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key)


def _split_arrays(value: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """``value`` as JSON, its arrays moved into ``arrays`` (nested dicts keep their keys)."""
    if isinstance(value, dict):
        return {"dict": {k: _split_arrays(v, f"{prefix}/{k}", arrays) for k, v in value.items()}}
    if isinstance(value, np.ndarray | jax.Array) and not _is_key(value):
        arrays[prefix] = np.asarray(value)
        return {"array": prefix}
    if isinstance(value, list | tuple):
        return {"list": [_split_arrays(v, f"{prefix}/{i}", arrays) for i, v in enumerate(value)]}
    if value is None or isinstance(value, bool | int | float | str):
        return {"value": value}
    raise TypeError(f"BackupAndRestore: cannot save a callback value of type {type(value)}")


def _join_arrays(encoded: Any, arrays: dict[str, np.ndarray]) -> Any:
    if "dict" in encoded:
        return {k: _join_arrays(v, arrays) for k, v in encoded["dict"].items()}
    if "array" in encoded:
        return jax.device_put(arrays[encoded["array"]])
    if "list" in encoded:
        return [_join_arrays(v, arrays) for v in encoded["list"]]
    return encoded["value"]


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def write_backup(
    path: str | os.PathLike[str], state: Any, callback_states: list[dict[str, Any]]
) -> None:
    """Write ``state`` (a TrainState) and the callbacks' states to ``path``, atomically."""
    arrays: dict[str, np.ndarray] = {}
    key_leaves = []
    for i, leaf in enumerate(jax.tree.leaves(state)):
        if _is_key(leaf):
            key_leaves.append(i)
            leaf = jax.random.key_data(leaf)
        arrays[f"state/{i}"] = np.asarray(leaf)
    callbacks = [_split_arrays(s, f"callback/{j}", arrays) for j, s in enumerate(callback_states)]
    meta = {
        "format": FORMAT,
        "n_state": len(jax.tree.leaves(state)),
        "key_leaves": key_leaves,
        "callbacks": callbacks,
        "digest": _digest(arrays),
    }
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8), **arrays)
    with atomic_write(path) as f:
        f.write(buffer.getvalue())


def read_backup(path: str | os.PathLike[str], like: Any) -> tuple[Any, list[dict[str, Any]]]:
    """``(TrainState, callback states)`` from ``path``; ``like`` (the model's current
    TrainState) gives the structure, every leaf's shape and dtype are checked against it.

    Raises:
        BackupError: the file is cut short, corrupt, or holds another model's state.
    """
    name = os.fspath(path)
    try:
        with open_zip(path) as archive:
            arrays = {
                member[: -len(".npy")]: np.load(
                    io.BytesIO(archive.read(member)), allow_pickle=False
                )
                for member in archive.names()
            }
        meta = json.loads(arrays.pop("meta").tobytes().decode())
    except (UnsafeFileError, OSError, ValueError, KeyError) as exc:
        raise BackupError(f"{name}: not a readable backup ({exc})") from exc
    if meta.get("format") != FORMAT or meta.get("digest") != _digest(arrays):
        raise BackupError(f"{name}: the backup's contents do not match its digest")
    leaves, treedef = jax.tree.flatten(like)
    if meta["n_state"] != len(leaves):
        raise BackupError(
            f"{name}: the backup holds {meta['n_state']} state arrays, this model's training "
            f"state has {len(leaves)}: it was written for another model or optimizer"
        )
    restored = []
    for i, current in enumerate(leaves):
        saved = arrays[f"state/{i}"]
        if i in meta["key_leaves"]:
            restored.append(jax.random.wrap_key_data(saved, impl=jax.random.key_impl(current)))
            continue
        if saved.shape != np.shape(current) or saved.dtype != np.asarray(current).dtype:
            raise BackupError(
                f"{name}: state array {i} is {saved.dtype}{list(saved.shape)} in the backup but "
                f"{np.asarray(current).dtype}{list(np.shape(current))} in this model"
            )
        restored.append(jax.device_put(saved))
    callbacks = [_join_arrays(c, arrays) for c in meta["callbacks"]]
    return jax.tree.unflatten(treedef, restored), callbacks
