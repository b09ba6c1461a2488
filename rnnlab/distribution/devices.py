"""Devices and processes: how many CPU devices JAX starts with, and multi-host start-up.

JAX fixes its device list the first time anything runs (``jax.devices()``, the first
array, the first compiled call); a CPU is one device unless asked otherwise before that
moment. :func:`use_cpu_devices` asks (JAX 0.10's ``jax_num_cpu_devices`` option, the
successor of ``XLA_FLAGS=--xla_force_host_platform_device_count``), and so does the
environment variable ``RNNLAB_CPU_DEVICES``, read when ``rnnlab`` is imported.
:func:`initialize` starts JAX's distributed runtime (one process per host), with
Keras 3's arguments and environment variables.

Example:
    >>> import rnnlab as keras
    >>> keras.distribution.list_devices("cpu")[0]
    'cpu:0'
"""

from __future__ import annotations

import os

import jax
from jax._src import xla_bridge  # backends_are_initialized: no public equivalent in JAX 0.10

__all__ = ["ENV_CPU_DEVICES", "initialize", "list_devices", "use_cpu_devices"]

ENV_CPU_DEVICES = "RNNLAB_CPU_DEVICES"
"""Environment variable: CPU devices to start JAX with (read when ``rnnlab`` is imported)."""


def _started() -> bool:
    return xla_bridge.backends_are_initialized()


def use_cpu_devices(n: int) -> None:
    """Start JAX with ``n`` CPU devices (per process), for data parallelism on one CPU.

    Must run before JAX starts — before any array is created, any function compiled or
    ``jax.devices()`` called; right after ``import rnnlab`` is safe (importing rnnlab
    starts nothing). Setting ``RNNLAB_CPU_DEVICES=n`` in the environment does the same.
    Calling it again with the count JAX already has is a no-op.

    Args:
        n: number of CPU devices, ≥ 1.

    Raises:
        RuntimeError: JAX has already started with a different number of CPU devices.

    Example:
        >>> import jax, rnnlab as keras
        >>> keras.distribution.use_cpu_devices(jax.local_device_count("cpu"))  # no-op
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"use_cpu_devices: n must be a positive int, got {n!r}")
    if _started():
        have = jax.local_device_count("cpu")
        if have == n:
            return
        raise RuntimeError(
            f"use_cpu_devices({n}): JAX has already started with {have} CPU device(s), and "
            "its device count cannot change once it has started. Call "
            f"rnnlab.distribution.use_cpu_devices({n}) before anything runs in JAX (right "
            f"after `import rnnlab`), or set {ENV_CPU_DEVICES}={n} in the environment before "
            "starting Python."
        )
    jax.config.update("jax_num_cpu_devices", n)


def _apply_environment() -> None:
    """Honour ``RNNLAB_CPU_DEVICES`` (called once, when ``rnnlab`` is imported)."""
    value = os.environ.get(ENV_CPU_DEVICES, "").strip()
    if not value:
        return
    try:
        n = int(value)
    except ValueError:
        raise ValueError(
            f"{ENV_CPU_DEVICES} must be a positive integer (CPU devices), got {value!r}"
        ) from None
    use_cpu_devices(n)


def list_devices(device_type: str | None = None) -> list[str]:
    """Every device of the job, as Keras 3 names them: ``"cpu:0"``, ``"gpu:1"``, …

    Across hosts (after :func:`initialize`) the list holds all processes' devices.

    Args:
        device_type: ``"cpu"``, ``"gpu"`` or ``"tpu"``; ``None``: JAX's default backend.

    Returns:
        ``["<platform>:<id>", ...]``, what ``DataParallel(devices=...)`` accepts.

    Example:
        >>> list_devices("cpu")[:1]
        ['cpu:0']
    """
    backend = device_type.lower() if device_type else None
    return [f"{d.platform}:{d.id}" for d in jax.devices(backend)]


def initialize(
    job_addresses: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
) -> None:
    """Start JAX's distributed runtime: one call per process, before anything runs in JAX.

    Keras 3's semantics: ``job_addresses`` is ``"host:port"`` of the coordinator, or a
    comma-separated list of every process's address whose first entry is the coordinator
    (JAX needs only that one). Arguments left ``None`` are read from
    ``KERAS_DISTRIBUTION_JOB_ADDRESSES``, ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and
    ``KERAS_DISTRIBUTION_PROCESS_ID``; all ``None``, JAX detects the cluster itself
    (SLURM, Open MPI, Cloud TPU). On CPUs the processes exchange gradients over gloo
    (``jax_cpu_collectives_implementation``, JAX's default). See docs/distribution.md.

    Args:
        job_addresses: ``"10.0.0.1:1234"`` or ``"10.0.0.1:1234,10.0.0.2:1234"``.
        num_processes: processes in the job.
        process_id: this process's index, ``0 .. num_processes - 1``.

    Raises:
        RuntimeError: JAX has already started in this process.

    Example:
        >>> import rnnlab as keras
        >>> # on host 0 (and process_id=1 on host 1):
        >>> # keras.distribution.initialize("10.0.0.1:1234", num_processes=2, process_id=0)
    """
    env = os.environ
    if job_addresses is None:
        job_addresses = env.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in env:
        num_processes = int(env["KERAS_DISTRIBUTION_NUM_PROCESSES"])
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in env:
        process_id = int(env["KERAS_DISTRIBUTION_PROCESS_ID"])
    if job_addresses is not None and not isinstance(job_addresses, str):
        raise TypeError(
            "initialize: job_addresses must be a string 'host:port[,host:port...]', got "
            f"{type(job_addresses).__name__}"
        )
    coordinator = job_addresses.split(",")[0].strip() if job_addresses else None
    if num_processes is not None and process_id is not None and not 0 <= process_id < num_processes:
        raise ValueError(
            f"initialize: process_id must be in [0, num_processes={num_processes}), "
            f"got {process_id}"
        )
    if _started():
        raise RuntimeError(
            "initialize: JAX has already started in this process; call "
            "rnnlab.distribution.initialize(...) first, before any array is created or "
            "function compiled (right after `import rnnlab`)"
        )
    jax.distributed.initialize(
        coordinator_address=coordinator, num_processes=num_processes, process_id=process_id
    )
