"""Long sequences with and without rematerialization: ``python -m benchmarks.remat``.

The scaling model (2×LSTM(units) + Dense(10), batch 32) trained on series of T steps,
once as built and once built inside ``rnnlab.RematScope(mode="full")``. Each run is a
fresh interpreter (so its peak RSS is its own); it reports seconds per epoch (after a
warm-up epoch that compiles) and peak RSS, and the table shows both side by side. The
training series are capped at ``--budget`` sample·steps so every T costs about the same.
Writes ``<out>/remat-latest.json``.

Run as a runner: ``python -m benchmarks.remat --run '<json spec>'`` prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import generate_time_series, median, peak_rss_mb, write_result

REPO_ROOT = Path(__file__).resolve().parent.parent


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Train one configuration; ``spec``: steps, units, n_series, epochs, remat, seed."""
    import contextlib

    import numpy as np

    import rnnlab as keras

    rng = np.random.default_rng(spec["seed"])
    series = generate_time_series(rng, spec["n_series"], spec["steps"] + 10)
    x, y = series[:, : spec["steps"]], series[:, -10:, 0]
    keras.utils.set_random_seed(spec["seed"])
    scope = keras.RematScope(mode="full") if spec["remat"] else contextlib.nullcontext()
    with scope:
        model = keras.models.Sequential(
            [
                keras.layers.LSTM(spec["units"], return_sequences=True, input_shape=[None, 1]),
                keras.layers.LSTM(spec["units"]),
                keras.layers.Dense(10),
            ]
        )
    model.compile("adam", "mse")
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)  # compiles
    start = time.perf_counter()
    history = model.fit(x, y, epochs=spec["epochs"], batch_size=32, verbose=0)
    epoch_s = (time.perf_counter() - start) / spec["epochs"]
    return {"epoch_s": epoch_s, "peak_rss_mb": peak_rss_mb(), "loss": history.history["loss"][-1]}


def configs(quick: bool) -> list[tuple[int, int]]:
    """``(steps, units)`` pairs measured."""
    return [(200, 8)] if quick else [(1_000, 20), (10_000, 20), (10_000, 64)]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.remat", description=__doc__)
    p.add_argument("--quick", action="store_true", help="one tiny configuration, one run")
    p.add_argument("--repeats", type=int, default=None, help="runs per configuration (3)")
    p.add_argument("--budget", type=int, default=350_000, help="training sample·steps")
    p.add_argument("--epochs", type=int, default=2, help="timed epochs per run")
    p.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    p.add_argument("--run", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.run:
        print(json.dumps(run(json.loads(args.run))))
        return 0
    repeats = args.repeats or (1 if args.quick else 3)
    rows = []
    for steps, units in configs(args.quick):
        n_series = max(1, min(7_000, args.budget // steps))
        row: dict[str, Any] = {"steps": steps, "units": units, "n_series": n_series}
        for remat in (False, True):
            runs = []
            for repeat in range(repeats):
                spec = {"steps": steps, "units": units, "n_series": n_series, "remat": remat}
                spec |= {"epochs": args.epochs, "seed": 42 + repeat}
                cmd = [sys.executable, "-m", "benchmarks.remat", "--run", json.dumps(spec)]
                proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
                if proc.returncode != 0:
                    raise SystemExit(f"run {spec} failed:\n{proc.stderr[-2000:]}")
                runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            key = "remat" if remat else "plain"
            row[key] = {m: median([r[m] for r in runs]) for m in ("epoch_s", "peak_rss_mb")}
            row[key]["runs"] = runs
        rows.append(row)
        plain, rem = row["plain"], row["remat"]
        print(
            f"T={steps:>6,} units={units:>3} series={n_series:>5,}: "
            f"{plain['epoch_s']:.3f} → {rem['epoch_s']:.3f} s/epoch, "
            f"peak RSS {plain['peak_rss_mb']:.0f} → {rem['peak_rss_mb']:.0f} MiB (plain → remat)"
        )
    payload = {"workload": "remat", "repeats": repeats, "epochs": args.epochs, "rows": rows}
    write_result(args.out, "remat", payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
