"""Shared pieces of the benchmark harness: data, model specs, timing and runner I/O.

This module imports only the standard library and numpy, so the orchestrator and every
runner subprocess can use it without pulling in a framework.
"""

from __future__ import annotations

import json
import math
import os
import resource
import statistics
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

FRAMEWORKS: tuple[str, ...] = ("rnnlab", "keras-jax", "keras-tf", "torch")
"""Every framework the harness knows, in table order (rnnlab first: it is the baseline)."""

RUNNER_MODULE: dict[str, str] = {
    "rnnlab": "benchmarks.keras_runner",
    "keras-jax": "benchmarks.keras_runner",
    "keras-tf": "benchmarks.keras_runner",
    "torch": "benchmarks.torch_runner",
}

LayerSpec = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class ModelSpec:
    """A Sequential model as Keras-style layer specs, plus its training settings."""

    layers: tuple[LayerSpec, ...]
    horizon: int  # number of future values predicted (1 or 10)
    learning_rate: float = 0.001  # Adam's Keras default unless the chapter says otherwise
    notes: str = field(default="", compare=False)


def _rnn(kind: str, units: int, seq: bool = False) -> LayerSpec:
    return (kind, {"units": units, "return_sequences": seq} if seq else {"units": units})


CHAPTER_MODELS: dict[str, ModelSpec] = {
    "basic_rnn": ModelSpec((_rnn("SimpleRNN", 1),), horizon=1, learning_rate=0.005),
    "stacked_rnn": ModelSpec(
        (_rnn("SimpleRNN", 20, True), _rnn("SimpleRNN", 20), ("Dense", {"units": 1})), horizon=1
    ),
    "multistep_rnn": ModelSpec(
        (_rnn("SimpleRNN", 20, True), _rnn("SimpleRNN", 20), ("Dense", {"units": 10})), horizon=10
    ),
    "lstm": ModelSpec(
        (_rnn("LSTM", 20, True), _rnn("LSTM", 20), ("Dense", {"units": 10})), horizon=10
    ),
    "gru": ModelSpec(
        (_rnn("GRU", 20, True), _rnn("GRU", 20), ("Dense", {"units": 10})), horizon=10
    ),
    "conv1d_gru": ModelSpec(
        (
            ("Conv1D", {"filters": 20, "kernel_size": 4, "strides": 2, "padding": "valid"}),
            _rnn("GRU", 20, True),
            _rnn("GRU", 20),
            ("Dense", {"units": 10}),
        ),
        horizon=10,
    ),
}
"""The six trained models of the chapter, in the chapter's order."""

SPLIT = (0.7, 0.2, 0.1)  # train / validation / test fractions (7,000 / 2,000 / 1,000 of 10,000)
CHAPTER_STEPS = 50


def scaling_model(units: int) -> ModelSpec:
    """The scaling workload's model: LSTM(units, return_sequences) → LSTM(units) → Dense(10)."""
    return ModelSpec(
        (_rnn("LSTM", units, True), _rnn("LSTM", units), ("Dense", {"units": 10})), horizon=10
    )


@dataclass(frozen=True)
class ScalingConfig:
    """One point of the scaling workload."""

    axis: str  # which knob this point varies: "steps", "units" or "batch"
    steps: int
    units: int
    batch_size: int

    @property
    def name(self) -> str:
        return f"T={self.steps},units={self.units},batch={self.batch_size}"


def scaling_configs(quick: bool) -> list[ScalingConfig]:
    """Grid of the scaling workload: one knob at a time from (T=50, units=20, batch=32)."""
    steps = (50, 200) if quick else (50, 200, 1000)
    units = (20, 64) if quick else (20, 64, 256)
    batches = (32, 256)
    out = [ScalingConfig("steps", t, 20, 32) for t in steps]
    out += [ScalingConfig("units", 50, u, 32) for u in units if u != 20]
    out += [ScalingConfig("batch", 50, 20, b) for b in batches if b != 32]
    return out


def scaling_n_series(steps: int, budget: int, max_series: int) -> int:
    """Training series for a sequence length: ``budget // steps`` capped at ``max_series``."""
    return max(1, min(max_series, budget // steps))


# --------------------------------------------------------------------------- data


def generate_time_series(rng: np.random.Generator, n: int, steps: int) -> np.ndarray:
    """The chapter's generator: two sines of random frequency and phase plus noise.

    Returns float32 of shape ``(n, steps, 1)``.
    """
    freq1, freq2, offsets1, offsets2 = rng.random((4, n, 1))
    t = np.linspace(0, 1, steps)
    series = 0.5 * np.sin((t - offsets1) * (freq1 * 10 + 10))
    series += 0.2 * np.sin((t - offsets2) * (freq2 * 20 + 20))
    series += 0.1 * (rng.random((n, steps)) - 0.5)
    return series[..., np.newaxis].astype(np.float32)


def make_chapter_data(
    n_series: int, seed: int, steps: int = CHAPTER_STEPS
) -> dict[str, np.ndarray]:
    """Both chapter data sets, as the chapter builds them.

    Horizon 1: series of ``steps + 1`` values, target the last one, shape ``(n, 1)``.
    Horizon 10: fresh series of ``steps + 10`` values, targets the last ten, shape ``(n, 10)``.
    Keys are ``{x,y}_{train,val,test}_h{1,10}``.
    """
    rng = np.random.default_rng(seed)
    n_train, n_val = int(n_series * SPLIT[0]), int(n_series * SPLIT[1])
    bounds = {
        "train": (0, n_train),
        "val": (n_train, n_train + n_val),
        "test": (n_train + n_val, None),
    }
    out: dict[str, np.ndarray] = {}
    for horizon in (1, 10):
        series = generate_time_series(rng, n_series, steps + horizon)
        for split, (lo, hi) in bounds.items():
            out[f"x_{split}_h{horizon}"] = series[lo:hi, :steps]
            out[f"y_{split}_h{horizon}"] = series[lo:hi, -horizon:, 0]
    return out


def make_scaling_data(n_series: int, steps: int, seed: int) -> dict[str, np.ndarray]:
    """Training data for one scaling point: ``steps`` inputs, the next 10 values as targets."""
    series = generate_time_series(np.random.default_rng(seed), n_series, steps + 10)
    return {"x_train_h10": series[:, :steps], "y_train_h10": series[:, -10:, 0]}


def load_arrays(path: str | os.PathLike[str], horizon: int) -> dict[str, np.ndarray]:
    """Arrays of one horizon from a data file, keyed without the ``_h{horizon}`` suffix."""
    suffix = f"_h{horizon}"
    with np.load(path) as data:
        return {k.removesuffix(suffix): data[k] for k in data.files if k.endswith(suffix)}


def mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean squared error over all elements, as float64."""
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(np.shape(y_true))
    return float(np.mean((np.asarray(y_true, dtype=np.float64) - y_pred) ** 2))


# --------------------------------------------------------------------------- timing


def median(values: Sequence[float | None]) -> float | None:
    """Median of the finite values, or None when there are none."""
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return statistics.median(vals) if vals else None


def compile_estimate(epoch_seconds: Sequence[float]) -> tuple[float | None, float | None]:
    """``(compile_s, steady_epoch_s)`` from per-epoch wall times.

    The steady epoch time is the median of epochs 2..n; the compile (warm-up) estimate is
    the first epoch minus it, floored at 0. Both are None with fewer than two epochs.
    """
    if len(epoch_seconds) < 2:
        return None, None
    steady = statistics.median(epoch_seconds[1:])
    return max(0.0, epoch_seconds[0] - steady), steady


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float | None:
    """Current resident set size in MiB, from /proc/self/statm (None where absent)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


# --------------------------------------------------------------------------- runner I/O


def claim_stdout() -> TextIO:
    """Route file descriptor 1 to stderr and return a stream on the original stdout.

    Frameworks print progress bars and logs (some from C code); after this, only what
    the runner writes to the returned stream reaches the orchestrator's stdout.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(saved, "w")


def read_spec(argv: Sequence[str] | None) -> dict[str, Any]:
    """Parse ``--spec <json or path to a .json file>`` from the command line."""
    import argparse

    parser = argparse.ArgumentParser(description="Run one benchmark job; print one JSON line.")
    parser.add_argument(
        "--spec", required=True, help="job spec: a JSON object or a file holding one"
    )
    raw = parser.parse_args(argv).spec
    return json.loads(raw if raw.lstrip().startswith("{") else Path(raw).read_text())


def runner_main(run: Callable[[dict[str, Any]], dict[str, Any]], argv: Sequence[str] | None) -> int:
    """Shared ``main`` of the runners: read the spec, run it, print one JSON result line."""
    spec = read_spec(argv)
    out = claim_stdout()
    try:
        result = {"ok": True, **run(spec)}
    except Exception as exc:  # report the failure as data; the orchestrator goes on
        traceback.print_exc()
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    result.setdefault("peak_rss_mb", peak_rss_mb())
    out.write(json.dumps(result) + "\n")
    out.flush()
    return 0 if result["ok"] else 1


# --------------------------------------------------------------------------- orchestration


def run_child(
    module: str, spec: dict[str, Any], env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run ``python -m <module> --run <spec>`` in a fresh interpreter from the repository
    root and return the JSON object it prints last; a failed run stops the benchmark with
    the end of its stderr."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    cmd = [sys.executable, "-m", module, "--run", json.dumps(spec)]
    proc = subprocess.run(
        cmd, cwd=root, capture_output=True, text=True, env=env if env is not None else None
    )
    if proc.returncode != 0:
        raise SystemExit(f"run {spec} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def write_result(out: Path, name: str, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as ``<out>/<name>-latest.json`` through a temporary name, so a
    reader never sees half a file; print and return the path."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{name}-latest.json"
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=1))
    tmp.replace(target)
    print(f"wrote {target}")
    return target
