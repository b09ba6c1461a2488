"""Windowing and scaling a panel: ``python -m benchmarks.forecast.windowing``.

Issue 13's target: windowing and scaling 1,000 series x 1,000 steps takes under 1 s, and the
memory for windows does not grow with their number beyond the data plus one batch. Timed, as
the forecaster prepares training data: the validation tail (:func:`validation_split`), the
scaler fitted on each training part (:func:`fit_scaler`), the targets transformed, each series'
channels stacked (scaled target + calendar-like channels), :func:`pad_panel`, and the training
and validation :func:`window_index` tables. Then one batch gathered (:func:`numpy_windows` on
the host, jitted :func:`take_windows`). Memory: the index table and the panel against what all
windows materialised would take, and tracemalloc's peak over the whole preparation.
Writes ``<out>/forecast-windowing-latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.apps.forecast.scaling import SCALER_KINDS, fit_scaler
from rnnlab.apps.forecast.windows import (
    numpy_windows,
    pad_panel,
    take_windows,
    validation_split,
    window_index,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_panel(n_series: int, steps: int, n_extra: int, seed: int) -> tuple[list, list]:
    """Targets ``(T,)`` of different levels and spreads, and ``(T, n_extra)`` extra channels."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    level = rng.uniform(0, 1000, (n_series, 1))
    spread = rng.uniform(1, 100, (n_series, 1))
    y = level + spread * (np.sin(2 * np.pi * t / 24) + 0.3 * rng.normal(size=(n_series, steps)))
    angles = 2 * np.pi * t[:, None] / np.array([24, 168] * (n_extra // 2 + 1))[:n_extra]
    extra = np.where(np.arange(n_extra) % 2 == 0, np.sin(angles), np.cos(angles))
    return list(y), [extra.astype(np.float32)] * n_series


def prepare(y: Sequence[np.ndarray], extra: Sequence[np.ndarray], args: argparse.Namespace):
    """What the forecaster does before training; returns each stage's seconds and outputs."""
    times: dict[str, float] = {}

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        out = fn()
        times[name] = times.get(name, 0.0) + time.perf_counter() - start
        return out

    lengths = np.array([len(s) for s in y])
    train_ends, val_start = stage(
        "validation_split",
        lambda: validation_split(lengths, args.lookback, args.horizon, args.val_size),
    )
    scaler = stage("fit_scaler", lambda: fit_scaler(args.scaler, y, train_ends))
    scaled = stage("transform", lambda: scaler.transform(list(y)))
    channels = stage(
        "stack_channels",
        lambda: [
            np.column_stack([z.astype(np.float32), e]) for z, e in zip(scaled, extra, strict=True)
        ],
    )
    values, lengths = stage("pad_panel", lambda: pad_panel(channels))
    train = stage(
        "window_index", lambda: window_index(lengths, train_ends, args.lookback, args.horizon)
    )
    val = stage(
        "window_index",
        lambda: window_index(lengths, lengths, args.lookback, args.horizon, start=val_start),
    )
    return times, values, train, val


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--extra", type=int, default=4, help="channels beside the target")
    parser.add_argument("--lookback", type=int, default=96)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--val-size", type=int, default=24)
    parser.add_argument("--scaler", choices=SCALER_KINDS, default="robust")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)

    y, extra = make_panel(args.series, args.steps, args.extra, args.seed)
    runs = [prepare(y, extra, args)[0] for _ in range(args.repeats)]
    totals = [sum(r.values()) for r in runs]
    stages = {k: statistics.median(r[k] for r in runs) for k in runs[0]}

    tracemalloc.start()
    _, values, train, val = prepare(y, extra, args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    width = args.lookback + args.horizon
    rows = np.random.default_rng(args.seed).choice(len(train), args.batch, replace=False)
    batch_index = train[np.sort(rows)]
    host = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        numpy_windows(values, batch_index, width)
        host.append(time.perf_counter() - start)

    import jax

    device_values, device_index = jax.device_put(values), jax.device_put(batch_index)
    take_windows(device_values, device_index, width).block_until_ready()  # compiles
    jitted = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        take_windows(device_values, device_index, width).block_until_ready()
        jitted.append(time.perf_counter() - start)

    mb = 1 / 2**20
    n_windows = len(train) + len(val)
    result = {
        "benchmark": "forecast-windowing",
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "jax_backend": jax.default_backend(),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "prepare_s": {"median": statistics.median(totals), "min": min(totals), "max": max(totals)},
        "stages_median_s": stages,
        "windows": {"train": len(train), "val": len(val)},
        "memory_mb": {
            # the extra channels are one array shared by all series
            "input_series": (
                sum(s.nbytes for s in y) + sum(e.nbytes for e in {id(e): e for e in extra}.values())
            )
            * mb,
            "panel_values": values.nbytes * mb,
            "index_tables": (train.nbytes + val.nbytes) * mb,
            "one_batch": args.batch * width * values.shape[2] * values.itemsize * mb,
            "all_windows_materialised": n_windows * width * values.shape[2] * 4 * mb,
            "tracemalloc_peak_prepare": peak * mb,
        },
        "batch_gather_s": {
            "numpy_windows_median": statistics.median(host),
            "take_windows_jit_median": statistics.median(jitted),
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "forecast-windowing-latest.json").write_text(json.dumps(result, indent=2) + "\n")

    memory = result["memory_mb"]
    print(
        f"{args.series} series x {args.steps} steps, {values.shape[2]} channels, lookback "
        f"{args.lookback}, horizon {args.horizon}, scaler {args.scaler}: "
        f"{len(train):,} training + {len(val):,} validation windows"
    )
    print(
        f"prepare: median {statistics.median(totals):.3f} s "
        f"(min {min(totals):.3f}, max {max(totals):.3f}; target < 1 s)"
    )
    for name, seconds in stages.items():
        print(f"  {name:<17} {seconds * 1e3:8.1f} ms")
    print(
        f"memory: panel {memory['panel_values']:.1f} MB, index tables "
        f"{memory['index_tables']:.1f} MB, one batch {memory['one_batch']:.1f} MB; all windows "
        f"materialised would be {memory['all_windows_materialised']:,.0f} MB; tracemalloc peak "
        f"of the preparation {memory['tracemalloc_peak_prepare']:.1f} MB (inputs "
        f"{memory['input_series']:.1f} MB)"
    )
    gather = result["batch_gather_s"]
    print(
        f"one batch of {args.batch}: numpy_windows {gather['numpy_windows_median'] * 1e3:.2f} ms, "
        f"take_windows (jit, {result['jax_backend']}) "
        f"{gather['take_windows_jit_median'] * 1e3:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
