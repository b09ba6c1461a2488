"""Is the machine running at the same speed all through a benchmark run?

A shared VM can slow down for minutes at a time (another tenant, thermal limits): jobs
that run then look slower than jobs of the same run that did not, and ratios between
frameworks drift with it. The orchestrator therefore times two fixed workloads (see
:data:`CALIBRATION`) in a fresh interpreter before each repeat and after the last job,
records the timings in the results JSON, and warns when either spreads by more than
:data:`TOLERANCE`.

Example:
    >>> runs = [{"compute_s": 0.20, "xla_loop_s": t} for t in (0.10, 0.13, 0.11)]
    >>> steadiness_note(runs).startswith("warning: the machine's speed drifted by 30%")
    True
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

TOLERANCE = 0.10  # spread (slowest / fastest - 1) above which a run is flagged
MEASURES = ("compute_s", "xla_loop_s")

# Best of 3: one slow repetition (a context switch) should not count as a slow machine.
# Two measures, because a slowdown need not hit both: "compute_s" is NumPy products and a
# plain Python loop on one thread; "xla_loop_s" is 100,000 steps of a small recurrence in a
# compiled lax.scan on the CPU, which spends much of its time handing tiny kernels between
# threads, as every framework's small-model training does. (On 2026-11-29 a slowdown made
# the second 35% slower and left the first unchanged.)
CALIBRATION = r"""
import json
import time
import numpy as np

def best_of_3(fn):
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best

a = np.random.default_rng(0).random((128, 128))

def compute():
    x = a
    for _ in range(1500):
        x = np.tanh(x @ a * 0.01)
    total = 0
    for i in range(1_500_000):
        total += i * i
    return total

result = {"compute_s": best_of_3(compute), "xla_loop_s": None}
try:
    import jax
    import jax.numpy as jnp
except ImportError:
    jax = None
if jax is not None:
    cpu = jax.devices("cpu")[0]
    u = jax.device_put(np.random.default_rng(1).random((20, 80), np.float32) * 0.1, cpu)
    x = jax.device_put(np.random.default_rng(2).random((32, 80), np.float32), cpu)

    @jax.jit
    def loop(u, x):
        def step(h, _):
            z = jnp.tanh(x + h @ u)
            return z[:, :20] * z[:, 20:40] + z[:, 40:60], None

        return jax.lax.scan(step, jnp.zeros((32, 20), jnp.float32), None, length=100_000)[0]

    loop(u, x).block_until_ready()  # compile outside the timing
    result["xla_loop_s"] = best_of_3(lambda: loop(u, x).block_until_ready())
print(json.dumps(result))
"""


def calibrate(python: str, cwd: Path) -> dict[str, float | None]:
    """Seconds of each fixed workload in a fresh ``python``: ``{"compute_s", "xla_loop_s"}``
    (``None`` where one could not run, e.g. no JAX in that interpreter).

    Example:
        >>> import sys
        >>> sorted(calibrate(sys.executable, Path(".")))  # doctest: +SKIP
        ['compute_s', 'xla_loop_s']
    """
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run(
        [python, "-c", CALIBRATION], capture_output=True, text=True, cwd=cwd, env=env
    )
    try:
        found = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        found = {}
    return {name: found.get(name) for name in MEASURES}


def spread(seconds: list[float]) -> float:
    """Slowest over fastest timing, minus 1 (0.0 for fewer than two timings).

    Example:
        >>> round(spread([0.20, 0.25, 0.22]), 3)
        0.25
    """
    if len(seconds) < 2:
        return 0.0
    return max(seconds) / min(seconds) - 1.0


def steadiness_note(timings: list[dict[str, float | None]]) -> str | None:
    """A warning line when either measure's timings spread by more than :data:`TOLERANCE`.

    Example:
        >>> steadiness_note([{"compute_s": 0.20, "xla_loop_s": 0.10}] * 2) is None
        True
    """
    drifts = drift_by_measure(timings)
    worst = max(drifts, key=lambda name: drifts[name])
    if drifts[worst] <= TOLERANCE:
        return None
    shown = ", ".join(f"{t[worst]:.3f}" for t in timings if t.get(worst) is not None)
    return (
        f"warning: the machine's speed drifted by {drifts[worst]:.0%} during this run "
        f"({worst} {shown}, before each repeat and at the end); jobs that ran in a slow "
        "phase look slower than the others, so compare ratios with care or rerun on an idle "
        "machine"
    )


def drift_by_measure(timings: list[dict[str, float | None]]) -> dict[str, float]:
    """:func:`spread` of each measure over the calibrations that have it.

    Example:
        >>> drift_by_measure([{"compute_s": 0.25, "xla_loop_s": None}, {"compute_s": 0.5}])
        {'compute_s': 1.0, 'xla_loop_s': 0.0}
    """
    return {
        name: spread([t[name] for t in timings if t.get(name) is not None]) for name in MEASURES
    }
