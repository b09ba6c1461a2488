"""Where an :class:`~rnnlab.parallel.Ensemble`'s replicas train: one device, or split over
a :class:`~rnnlab.distribution.DataParallel`'s devices.

The vmapped epoch's work grows with the number of replicas (the per-step loop's cost is
shared, the products and transposes around it are not: BENCHMARKS.md), so replicas on
several devices — several cores of a CPU with ``RNNLAB_CPU_DEVICES``, or several GPUs —
train side by side. The stacked states and sample orders are split along their leading
(replica) axis over a one-axis mesh ``"replica"``; the data is replicated. No replica
needs another's values, so the partitioned program has no collectives. A replica count
that does not divide by the device count is padded with copies of replica 0 that are
never active (their results are dropped).

Example:
    >>> import jax, numpy as np
    >>> place = ReplicaPlacement(jax.devices()[:1], k=3)
    >>> place.padded, place.split(np.arange(3)).shape
    (3, (3,))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from rnnlab import distribution as dist

__all__ = ["ReplicaPlacement", "placement_for"]


class ReplicaPlacement:
    """``k`` replicas split over ``devices`` (padded to a multiple of their count).

    Args:
        devices: JAX devices of this process.
        k: the number of replicas.

    Attributes:
        devices: the devices used.
        padded: replicas after padding, a multiple of ``len(devices)``.
    """

    def __init__(self, devices: Sequence[jax.Device], k: int) -> None:
        self.devices = list(devices)
        self.k = k
        self.padded = -(-k // len(self.devices)) * len(self.devices)
        mesh = Mesh(np.array(self.devices, dtype=object), ("replica",))
        self._split = NamedSharding(mesh, P("replica"))
        self._replicated = NamedSharding(mesh, P())

    def _pad(self, leaf: Any) -> Any:
        extra = self.padded - self.k
        if not extra:
            return leaf
        if isinstance(leaf, np.ndarray):
            return np.concatenate([leaf, np.repeat(leaf[:1], extra, axis=0)])
        return jnp.concatenate([leaf, jnp.repeat(leaf[:1], extra, axis=0)])

    def split(self, tree: Any) -> Any:
        """``tree``'s leaves ``(k, ...)``, padded to ``(padded, ...)``, split over the devices."""
        return jax.device_put(jax.tree.map(self._pad, tree), self._split)

    def active(self, active: np.ndarray) -> jax.Array:
        """The active mask ``(k,)`` padded with inactive replicas, split over the devices."""
        mask = np.concatenate([active, np.zeros(self.padded - self.k, bool)])
        return jax.device_put(mask, self._split)

    def replicate(self, tree: Any) -> Any:
        """``tree`` (the data) whole on every device."""
        return jax.device_put(tree, self._replicated)

    def gather(self, tree: Any) -> Any:
        """``tree`` back on this process's first device, the padding dropped."""
        home = jax.local_devices()[0]
        return jax.device_put(jax.tree.map(lambda leaf: leaf[: self.k], tree), home)


def placement_for(k: int) -> ReplicaPlacement | None:
    """The placement of ``k`` replicas under the current distribution, ``None`` for one
    device (no distribution, a one-device one, or a single replica).

    Raises:
        ValueError: the distribution spans several processes (an ensemble trains in one).

    Example:
        >>> placement_for(4) is None  # no distribution set
        True
    """
    dp = dist.distribution()
    if dp is None:
        return None
    if jax.process_count() > 1:
        raise ValueError(
            f"Ensemble.fit: the distribution {dp!r} spans {jax.process_count()} processes; "
            "an ensemble trains in one process (its replicas may use that process's devices)"
        )
    devices = dp.devices[: min(len(dp.devices), k)]
    return None if len(devices) == 1 else ReplicaPlacement(devices, k)
