"""Keras 3's ``keras.distribution`` on JAX: data parallelism over devices and hosts.

- :class:`DataParallel`, :func:`set_distribution`, :func:`distribution`: split every
  batch of ``fit``/``evaluate``/``predict`` over devices (``jax.sharding``), the model
  and optimizer state replicated, the gradients summed by XLA.
- :func:`list_devices`, :func:`use_cpu_devices`: the job's devices; several CPU
  devices on one machine (also ``RNNLAB_CPU_DEVICES=n``, read when ``rnnlab`` is
  imported — JAX's device count is fixed once it starts).
- :func:`initialize`: JAX's distributed runtime, one process per host.

See docs/distribution.md for launching on a cluster.

Example:
    >>> import rnnlab as keras
    >>> keras.distribution.set_distribution(keras.distribution.DataParallel())
    >>> type(keras.distribution.distribution()).__name__
    'DataParallel'
    >>> keras.distribution.set_distribution(None)
"""

from rnnlab.distribution.data_parallel import (
    DataParallel,
    DeviceMesh,
    distribution,
    set_distribution,
)
from rnnlab.distribution.devices import (
    ENV_CPU_DEVICES,
    _apply_environment,
    initialize,
    list_devices,
    use_cpu_devices,
)

__all__ = [
    "ENV_CPU_DEVICES",
    "DataParallel",
    "DeviceMesh",
    "distribution",
    "initialize",
    "list_devices",
    "set_distribution",
    "use_cpu_devices",
]

_apply_environment()
