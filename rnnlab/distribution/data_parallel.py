"""Keras 3's distribution objects: ``DeviceMesh``, ``DataParallel`` and the global setting.

``set_distribution(DataParallel())`` makes every later ``fit``/``evaluate``/``predict``
split each batch over the devices along a one-dimensional mesh axis ``"batch"``
(``jax.sharding.NamedSharding``): every device holds the whole model and optimizer
state (replicated), computes the gradient of its part of the batch, and XLA's SPMD
partitioner sums the parts (an all-reduce) before the one Optax update that every
device applies alike. The same code runs on one host's CPU devices
(:func:`~rnnlab.distribution.use_cpu_devices`), on several GPUs, or on many hosts
after :func:`~rnnlab.distribution.initialize`. ``set_distribution(None)`` (the default)
is the single-device path, unchanged.

Example:
    >>> import rnnlab as keras
    >>> dp = keras.distribution.DataParallel()
    >>> dp.batch_dim_name, len(dp.devices) >= 1
    ('batch', True)
    >>> with dp.scope():
    ...     keras.distribution.distribution() is dp
    True
    >>> keras.distribution.distribution() is None
    True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

__all__ = ["DataParallel", "DeviceMesh", "distribution", "set_distribution"]

DeviceLike = str | jax.Device


def _resolve(device: DeviceLike, where: str) -> jax.Device:
    """A JAX device from Keras's ``"cpu:1"`` name (or a device itself)."""
    if isinstance(device, jax.Device):
        return device
    if not isinstance(device, str) or ":" not in device:
        raise ValueError(
            f"{where}: a device must be a name like 'cpu:0' (see "
            f"rnnlab.distribution.list_devices()) or a jax.Device, got {device!r}"
        )
    platform, _, index = device.lower().partition(":")
    platform = "gpu" if platform == "cuda" else platform
    try:
        found = {d.id: d for d in jax.devices(platform)}
    except RuntimeError:
        found = {}
    if not index.isdigit() or int(index) not in found:
        have = [f"{d.platform}:{d.id}" for d in jax.devices()]
        raise ValueError(
            f"{where}: no device {device!r}; this job has {have}. On a CPU, more devices "
            "come from rnnlab.distribution.use_cpu_devices(n) before JAX starts"
        )
    return found[int(index)]


class DeviceMesh:
    """Keras 3's ``DeviceMesh``: devices laid out on named axes.

    ``DataParallel`` needs a one-dimensional mesh; its axis is the batch axis.

    Args:
        shape: the mesh's shape, e.g. ``(8,)``.
        axis_names: one name per axis, e.g. ``["batch"]``.
        devices: names (``"cpu:0"``) or JAX devices, ``prod(shape)`` of them; all of the
            job's devices when ``None``.

    Example:
        >>> import jax
        >>> mesh = DeviceMesh((1,), ["batch"], devices=jax.devices()[:1])
        >>> mesh.shape, mesh.axis_names
        ((1,), ('batch',))
    """

    def __init__(
        self,
        shape: Sequence[int],
        axis_names: Sequence[str],
        devices: Sequence[DeviceLike] | None = None,
    ) -> None:
        shape = tuple(int(s) for s in shape)
        axis_names = tuple(axis_names)
        if len(shape) != len(axis_names):
            raise ValueError(
                f"DeviceMesh: shape {shape} has {len(shape)} axes but axis_names "
                f"{axis_names} names {len(axis_names)}"
            )
        found = [_resolve(d, "DeviceMesh") for d in (devices or jax.devices())]
        if len(found) != int(np.prod(shape)):
            raise ValueError(
                f"DeviceMesh: shape {shape} needs {int(np.prod(shape))} devices, got {len(found)}"
            )
        self.shape, self.axis_names = shape, axis_names
        self.devices = np.array(found, dtype=object).reshape(shape)


class DataParallel:
    """Data parallelism: the batch split over devices, the model replicated on each.

    Keras 3's signature. Set it globally with :func:`set_distribution` (or for a block
    with ``with dp.scope():``); ``fit``, ``evaluate`` and ``predict`` then run on
    ``devices``. Each batch of ``batch_size`` samples is split evenly; a batch size that
    does not divide by the device count is padded with weight-0 samples up to the next
    multiple (as the epoch's last batch already is), so the loss and gradients are the
    batch's, exactly — only the padding's compute is wasted. On several hosts each
    process passes its own part of the data to ``fit``; training then equals one
    process training on the processes' parts concatenated in process order.

    Args:
        device_mesh: a one-dimensional :class:`DeviceMesh` (or ``jax.sharding.Mesh``);
            its axis is the batch axis. Give this or ``devices``, not both.
        devices: device names (``"cpu:0"``, see ``list_devices()``) or JAX devices;
            every device of the job when both are ``None``.
        auto_shard_dataset: accepted for Keras compatibility; arrays given to ``fit`` are
            always this process's part of the data.

    Example:
        >>> import jax
        >>> dp = DataParallel(devices=[f"cpu:{jax.devices('cpu')[0].id}"])
        >>> dp.mesh.axis_names, dp.mesh.shape["batch"]
        (('batch',), 1)
    """

    batch_dim_name = "batch"

    def __init__(
        self,
        device_mesh: DeviceMesh | Mesh | None = None,
        devices: Sequence[DeviceLike] | None = None,
        auto_shard_dataset: bool = True,
    ) -> None:
        if isinstance(device_mesh, list | tuple):  # DataParallel(devices) positionally
            device_mesh, devices = None, device_mesh
        if device_mesh is not None and devices is not None:
            raise ValueError("DataParallel: give device_mesh or devices, not both")
        if device_mesh is not None:
            if not isinstance(device_mesh, DeviceMesh | Mesh):
                raise TypeError(
                    "DataParallel: device_mesh must be a DeviceMesh or jax.sharding.Mesh, got "
                    f"{type(device_mesh).__name__}"
                )
            shape = tuple(np.shape(device_mesh.devices))
            if len(shape) != 1:
                raise ValueError(
                    f"DataParallel: device_mesh must be one-dimensional, got shape {shape}"
                )
            found = list(np.ravel(device_mesh.devices))
        else:
            if devices is not None and len(devices) == 0:
                raise ValueError("DataParallel: devices is empty; give at least one device")
            found = [_resolve(d, "DataParallel") for d in (devices or jax.devices())]
        if len(set(found)) != len(found):
            raise ValueError(f"DataParallel: devices repeat a device: {found}")
        self.devices: list[jax.Device] = found
        self.auto_shard_dataset = auto_shard_dataset
        self.mesh = Mesh(np.array(found, dtype=object), (self.batch_dim_name,))
        self.device_mesh = DeviceMesh((len(found),), [self.batch_dim_name], found)

    @property
    def replicated(self) -> NamedSharding:
        """Every device holds the whole array (weights, optimizer state, data on one host)."""
        return NamedSharding(self.mesh, P())

    @property
    def batch_sharding(self) -> NamedSharding:
        """The leading (sample) axis split over the devices."""
        return NamedSharding(self.mesh, P(self.batch_dim_name))

    @contextlib.contextmanager
    def scope(self) -> Iterator[DataParallel]:
        """Use this distribution inside a ``with`` block, then restore the previous one."""
        global _current
        previous, _current = _current, self
        try:
            yield self
        finally:
            _current = previous

    def __repr__(self) -> str:
        names = [f"{d.platform}:{d.id}" for d in self.devices]
        return f"DataParallel(devices={names})"


_current: DataParallel | None = None


def set_distribution(value: DataParallel | None) -> None:
    """Make ``value`` the distribution of every later ``fit``/``evaluate``/``predict``.

    Args:
        value: a :class:`DataParallel`, or ``None`` for the single-device path.

    Example:
        >>> set_distribution(None)
        >>> distribution() is None
        True
    """
    global _current
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(
            "set_distribution: expected a rnnlab.distribution.DataParallel or None, got "
            f"{type(value).__name__}"
        )
    _current = value


def distribution() -> DataParallel | None:
    """The distribution in effect (``None``: one device), as Keras 3's getter.

    Example:
        >>> distribution() is None
        True
    """
    return _current
