"""Is the machine running at the same speed all through a benchmark run?

A shared VM can slow down for minutes at a time (another tenant, thermal limits): jobs
that run then look slower than jobs of the same run that did not, and ratios between
frameworks drift with it. The orchestrator therefore times one fixed single-threaded
workload (NumPy products and plain Python) in a fresh interpreter before each repeat
and after the last one, records the timings in the results JSON, and warns when they
spread by more than :data:`TOLERANCE`.

Example:
    >>> note = steadiness_note([0.20, 0.21, 0.26])
    >>> note.startswith("warning: the machine's speed drifted by 30%")
    True
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

TOLERANCE = 0.10  # spread (slowest / fastest - 1) above which a run is flagged

# Best of 3: one slow repetition (a context switch) should not count as a slow machine.
CALIBRATION = r"""
import time
import numpy as np

a = np.random.default_rng(0).random((128, 128))

def work():
    x = a
    for _ in range(1500):
        x = np.tanh(x @ a * 0.01)
    total = 0
    for i in range(1_500_000):
        total += i * i
    return total

best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    work()
    best = min(best, time.perf_counter() - start)
print(best)
"""


def calibrate(python: str, cwd: Path) -> float | None:
    """Seconds the fixed workload takes in a fresh ``python`` (one thread); ``None`` if it fails.

    Example:
        >>> import sys
        >>> seconds = calibrate(sys.executable, Path("."))  # doctest: +SKIP
    """
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run(
        [python, "-c", CALIBRATION], capture_output=True, text=True, cwd=cwd, env=env
    )
    try:
        return float(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return None


def spread(seconds: list[float]) -> float:
    """Slowest over fastest timing, minus 1 (0.0 for fewer than two timings).

    Example:
        >>> round(spread([0.20, 0.25, 0.22]), 3)
        0.25
    """
    if len(seconds) < 2:
        return 0.0
    return max(seconds) / min(seconds) - 1.0


def steadiness_note(seconds: list[float]) -> str | None:
    """A warning line when the calibration timings spread by more than :data:`TOLERANCE`.

    Example:
        >>> steadiness_note([0.20, 0.21]) is None
        True
    """
    drift = spread(seconds)
    if drift <= TOLERANCE:
        return None
    shown = ", ".join(f"{s:.3f}" for s in seconds)
    return (
        f"warning: the machine's speed drifted by {drift:.0%} during this run (calibration "
        f"{shown} s, before each repeat and at the end); jobs that ran in a slow phase look "
        "slower than the others, so compare ratios with care or rerun on an idle machine"
    )
