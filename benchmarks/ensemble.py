"""K replicas in one compiled program: ``python -m benchmarks.ensemble``.

The chapter's 2×LSTM(20) + Dense(10) (Adam, batch 32, 10-step forecasts of the
chapter's series) trained as an :class:`rnnlab.parallel.Ensemble` of K replicas, for
K = 1, 2, 4, 8 (16 and 32 with ``--large``). Each run is a fresh interpreter; it reports
the wall time of the first fit (``--epochs`` epochs, compilation included), the time
per epoch of a second fit (compiled), and the per-replica cost. Writes
``<out>/ensemble-latest.json``. With ``--devices N`` the replicas are split over N CPU
devices (``RNNLAB_CPU_DEVICES=N``, a ``DataParallel`` set): ``ensemble-Ndevices-latest.json``.

Run as a runner: ``python -m benchmarks.ensemble --run '<json spec>'`` prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import generate_time_series, median, write_result

REPO_ROOT = Path(__file__).resolve().parent.parent


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Train one ensemble; ``spec``: k, n_series, epochs, seed."""
    import numpy as np

    import rnnlab as keras
    from rnnlab.parallel import Ensemble

    rng = np.random.default_rng(spec["seed"])
    series = generate_time_series(rng, spec["n_series"] + 1_000, 60)
    x, y = series[:, :50], series[:, -10:, 0]
    x_train, y_train = x[: spec["n_series"]], y[: spec["n_series"]]
    x_val, y_val = x[spec["n_series"] :], y[spec["n_series"] :]

    def build() -> Any:
        return keras.models.Sequential(
            [
                keras.layers.LSTM(20, return_sequences=True, input_shape=[None, 1]),
                keras.layers.LSTM(20),
                keras.layers.Dense(10),
            ]
        )

    devices = spec.get("devices", 1)
    if devices > 1:  # replicas split over the CPU devices (RNNLAB_CPU_DEVICES, set by main)
        keras.distribution.set_distribution(keras.distribution.DataParallel())
    ens = Ensemble(build, seeds=range(spec["seed"], spec["seed"] + spec["k"]))
    ens.compile("adam", "mse")
    fit = {"batch_size": 32, "validation_data": (x_val, y_val), "verbose": 0}
    start = time.perf_counter()
    history = ens.fit(x_train, y_train, epochs=spec["epochs"], **fit)
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    ens.fit(x_train, y_train, epochs=spec["timed_epochs"], **fit)
    epoch_s = (time.perf_counter() - start) / spec["timed_epochs"]
    val = history.history["val_loss"]
    return {"first_fit_s": first_s, "epoch_s": epoch_s, "val_mse_mean": val["mean"][-1]}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.ensemble", description=__doc__)
    p.add_argument("--quick", action="store_true", help="K = 1, 2 on little data, one run")
    p.add_argument("--large", action="store_true", help="also K = 16 and 32")
    p.add_argument("--repeats", type=int, default=1, help="runs per K (1)")
    p.add_argument("--epochs", type=int, default=15, help="epochs of the first fit (15)")
    p.add_argument("--n-series", type=int, default=7_000, help="training series (7,000)")
    p.add_argument(
        "--devices", type=int, default=1, help="CPU devices to split the replicas over (1)"
    )
    p.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    p.add_argument("--run", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.run:
        print(json.dumps(run(json.loads(args.run))))
        return 0
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env["RNNLAB_CPU_DEVICES"] = str(args.devices)
    ks = [1, 2] if args.quick else [1, 2, 4, 8] + ([16, 32] if args.large else [])
    n_series, epochs = (500, 2) if args.quick else (args.n_series, args.epochs)
    rows = []
    for k in ks:
        runs = []
        for repeat in range(args.repeats):
            spec = {"k": k, "n_series": n_series, "epochs": epochs, "seed": 42 + repeat}
            spec["devices"] = args.devices
            spec["timed_epochs"] = 1 if args.quick else 2
            cmd = [sys.executable, "-m", "benchmarks.ensemble", "--run", json.dumps(spec)]
            proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise SystemExit(f"run {spec} failed:\n{proc.stderr[-2000:]}")
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        row: dict[str, Any] = {"k": k}
        row |= {m: median([r[m] for r in runs]) for m in ("first_fit_s", "epoch_s")}
        row["runs"] = runs
        rows.append(row)
    base = rows[0]
    for row in rows:
        row["vs_one"] = row["first_fit_s"] / base["first_fit_s"]
        row["per_replica_s"] = row["first_fit_s"] / row["k"]
        print(
            f"K={row['k']:>2}: fit of {epochs} epochs {row['first_fit_s']:7.2f} s "
            f"({row['vs_one']:.2f}× K=1, {row['per_replica_s']:.2f} s per replica), "
            f"{row['epoch_s']:.3f} s per compiled epoch"
        )
    payload = {
        "workload": "ensemble",
        "model": "2xLSTM(20)+Dense(10), adam, batch 32",
        "devices": args.devices,
        "n_series": n_series,
        "epochs": epochs,
        "repeats": args.repeats,
        "rows": rows,
    }
    suffix = "" if args.devices == 1 else f"-{args.devices}devices"
    write_result(args.out, f"ensemble{suffix}", payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
