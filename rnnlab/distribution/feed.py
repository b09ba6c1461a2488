"""Putting a fit's arrays on a :class:`DataParallel`'s devices (used by the trainer).

The compiled epoch is the single-device one with two additions: each gathered batch is
constrained to be split over the mesh's ``"batch"`` axis, and every output is
replicated. What differs is where its inputs live:

- the training state (weights, optimizer state, step, key): replicated;
- the epoch's sample order ``idx``/``weights`` ``(n_batches, batch)``: split along the
  batch axis, each batch padded with weight-0 slots to a multiple of the device count;
- the data: on one host replicated on its devices, so each device gathers its part of a
  batch locally. On several hosts each process holds only its own part: the data is one
  global array split over the devices (``jax.make_array_from_process_local_data``), the
  sample order is drawn over all processes' samples (process 0's first), and XLA moves
  the rows each batch needs between hosts.

Example:
    >>> import numpy as np
    >>> from rnnlab.distribution import DataParallel
    >>> feed = Feed(DataParallel(devices=["cpu:0"]), (np.ones((5, 2)), np.ones((5, 1))))
    >>> feed.n_samples, feed.plan(*__import__("rnnlab").training.batch_plan(5, 2, None))[0].shape
    (5, (3, 2))
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from rnnlab.distribution.data_parallel import DataParallel

__all__ = ["Feed", "constrain", "local_copy", "pad_columns", "replicate"]


def _is_key(leaf: Any) -> bool:
    return isinstance(leaf, jax.Array) and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key)


def _put(leaf: Any, sharding: NamedSharding) -> jax.Array:
    """``leaf`` with ``sharding``; across processes every process must pass the same value."""
    if isinstance(leaf, jax.Array) and leaf.sharding == sharding:
        return leaf
    if _is_key(leaf):  # key arrays travel as their raw data
        data = _put(jax.random.key_data(leaf), sharding)
        return jax.random.wrap_key_data(data, impl=jax.random.key_impl(leaf))
    if jax.process_count() == 1:
        return jax.device_put(leaf, sharding)
    if isinstance(leaf, jax.Array) and not leaf.is_fully_addressable:
        leaf = leaf.addressable_data(0)
    host = np.asarray(leaf)
    return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])


def replicate(dp: DataParallel, tree: Any) -> Any:
    """``tree`` replicated on every device of ``dp`` (weights, optimizer state, a key)."""
    return jax.tree.map(lambda leaf: _put(leaf, dp.replicated), tree)


def local_copy(tree: Any) -> Any:
    """``tree`` back on this process's default device, as the single-device path keeps it."""
    device = jax.local_devices()[0]

    def one(leaf: Any) -> Any:
        if not isinstance(leaf, jax.Array) or leaf.sharding.device_set == {device}:
            return leaf
        return jax.device_put(leaf.addressable_data(0), device)  # any shard: replicated

    return jax.tree.map(one, tree)


def constrain(dp: DataParallel, tree: Any) -> Any:
    """Inside the compiled epoch: split every array of ``tree`` along its first axis."""
    return jax.tree.map(lambda a: jax.lax.with_sharding_constraint(a, dp.batch_sharding), tree)


def pad_columns(idx: np.ndarray, weights: np.ndarray, multiple: int) -> tuple[np.ndarray, ...]:
    """``idx``/``weights`` ``(n_batches, batch)`` with weight-0 columns up to a multiple.

    Example:
        >>> idx, w = pad_columns(np.array([[3, 4, 5]]), np.ones((1, 3), np.float32), 2)
        >>> idx.tolist(), w.tolist()
        ([[3, 4, 5, 3]], [[1.0, 1.0, 1.0, 0.0]])
    """
    extra = -idx.shape[1] % multiple
    if not extra:
        return idx, weights
    idx = np.concatenate([idx, np.repeat(idx[:, :1], extra, axis=1)], axis=1)
    weights = np.concatenate([weights, np.zeros((weights.shape[0], extra), weights.dtype)], 1)
    return idx, weights


class Feed:
    """One data set (``(x, y)`` arrays, or a source's ``arrays``) on ``dp``'s devices.

    Args:
        dp: the distribution.
        arrays: ``(x_data, y_data)``, pytrees of arrays whose leading axis is the sample
            axis — this process's part of the data when there are several processes.
        rows: whether a batch is the rows ``idx`` of every leaf (plain arrays: ``True``);
            a source's own gather cannot be fed from several processes.

    Attributes:
        arrays: the data on the devices.
        n_samples: samples in the whole job (all processes together).
    """

    def __init__(self, dp: DataParallel, arrays: tuple[Any, Any], rows: bool = True) -> None:
        self.dp = dp
        self._positions: np.ndarray | None = None
        x = jax.tree.leaves(arrays[0])[0]
        if jax.process_count() == 1:
            self.arrays = replicate(dp, arrays)
            self.n_samples = int(x.shape[0])
            return
        if not rows:
            raise NotImplementedError(
                "fit: a data Source with its own gather cannot be split over several "
                "processes yet; pass each process's part of the data as arrays (x, y)"
            )
        self.arrays, self.n_samples = self._global(arrays, int(x.shape[0]))

    def _global(self, arrays: tuple[Any, Any], n_local: int) -> tuple[Any, int]:
        """Every process's rows as one array split over the devices; sample ``j`` of the
        job (process 0's first) lives at row ``self._positions[j]``."""
        dp = self.dp
        counts = np.asarray(multihost_utils.process_allgather(np.int32(n_local))).ravel()
        per_process = {}
        for d in dp.devices:
            per_process[d.process_index] = per_process.get(d.process_index, 0) + 1
        if len(per_process) != len(counts) or len(set(per_process.values())) != 1:
            raise ValueError(
                f"DataParallel across {len(counts)} processes needs the same number of "
                f"devices from every process; its devices per process: {per_process}"
            )
        local = next(iter(per_process.values()))
        rows = -(-int(counts.max()) // local) * local  # each process's rows, padded
        shape_of = lambda a: (rows * len(counts), *a.shape[1:])  # noqa: E731
        sharding = dp.batch_sharding
        starts = {}
        for device, index in sharding.devices_indices_map(shape_of(np.zeros((1,)))).items():
            start = index[0].start or 0
            starts[device.process_index] = min(start, starts.get(device.process_index, start))
        self._positions = np.concatenate(
            [starts[p] + np.arange(int(c)) for p, c in enumerate(counts)]
        ).astype(np.int32)

        def to_global(a: Any) -> jax.Array:
            a = np.asarray(a)
            padded = np.concatenate([a, np.zeros((rows - a.shape[0], *a.shape[1:]), a.dtype)])
            return jax.make_array_from_process_local_data(sharding, padded, shape_of(a))

        return jax.tree.map(to_global, arrays), int(counts.sum())

    def plan(self, idx: np.ndarray, weights: np.ndarray) -> tuple[jax.Array, jax.Array]:
        """A sample order from ``batch_plan(n_samples, ...)`` on the devices: each batch
        padded to a multiple of the device count and split along the batch axis."""
        idx, weights = pad_columns(idx, weights, len(self.dp.devices))
        if self._positions is not None:
            idx = self._positions[idx]
        split = NamedSharding(self.dp.mesh, P(None, self.dp.batch_dim_name))
        return _put(idx, split), _put(weights, split)
