"""One model over several CPU devices: ``python -m benchmarks.distribution``.

The chapter's 2×LSTM(20) + Dense(10) and 2×GRU(20) + Dense(10) (Adam, batch 32,
10-step forecasts of the chapter's series) trained fit for fit on one device (no
distribution: the ordinary path) and with ``DataParallel`` over 2 CPU devices
(``RNNLAB_CPU_DEVICES=2`` in the child's environment; each CPU device is one thread of
XLA's CPU runtime, so 2 devices can use the machine's 2 cores). Then the issue's bigger
points of the scaling workload: LSTM at batch 256, and LSTM(64)/LSTM(256) at batch 32.

Each run is a fresh interpreter (the device count is fixed when JAX starts). It reports
the wall time of the first fit (``--epochs`` epochs with validation, compilation
included), the time per epoch of a second fit (compiled: the same program), the final
validation MSE and the peak RSS. The speed-up is one device's time over two devices'.
Writes ``<out>/distribution-latest.json``.

Run as a runner: ``python -m benchmarks.distribution --run '<json spec>'`` prints one
JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import generate_time_series, median, peak_rss_mb, run_child, write_result

REPO_ROOT = Path(__file__).resolve().parent.parent

CONFIGS: list[dict[str, Any]] = [
    {"name": "chapter LSTM", "kind": "LSTM", "units": 20, "batch_size": 32},
    {"name": "chapter GRU", "kind": "GRU", "units": 20, "batch_size": 32},
    {"name": "LSTM batch 256", "kind": "LSTM", "units": 20, "batch_size": 256},
    {"name": "LSTM(64)", "kind": "LSTM", "units": 64, "batch_size": 32},
    {"name": "LSTM(256)", "kind": "LSTM", "units": 256, "batch_size": 32},
]
"""The measured points; ``--quick`` keeps the first two."""


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Train one model; ``spec``: kind, units, batch_size, devices, n_series, epochs,
    timed_epochs, seed. ``devices`` must match ``RNNLAB_CPU_DEVICES`` (set by ``main``)."""
    import jax
    import numpy as np

    import rnnlab as keras

    if jax.local_device_count() != spec["devices"]:
        raise SystemExit(f"expected {spec['devices']} devices, JAX has {jax.local_device_count()}")
    rng = np.random.default_rng(spec["seed"])
    n = spec["n_series"]
    series = generate_time_series(rng, n + 1_000, 60)
    x, y = series[:, :50], series[:, -10:, 0]
    x_train, y_train, x_val, y_val = x[:n], y[:n], x[n:], y[n:]
    layer = getattr(keras.layers, spec["kind"])
    keras.utils.set_random_seed(spec["seed"])
    model = keras.models.Sequential(
        [
            layer(spec["units"], return_sequences=True, input_shape=[None, 1]),
            layer(spec["units"]),
            keras.layers.Dense(10),
        ]
    )
    model.compile("adam", "mse")
    if spec["devices"] > 1:
        keras.distribution.set_distribution(keras.distribution.DataParallel())
    batch = spec["batch_size"]
    start = time.perf_counter()
    fit = {"batch_size": batch, "validation_data": (x_val, y_val), "verbose": 0}
    history = model.fit(x_train, y_train, epochs=spec["epochs"], **fit)
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=spec["timed_epochs"], **fit)
    epoch_s = (time.perf_counter() - start) / spec["timed_epochs"]
    return {
        "first_fit_s": first_s,
        "epoch_s": epoch_s,
        "val_mse": history.history["val_loss"][-1],
        "peak_rss_mb": peak_rss_mb(),
    }


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env["RNNLAB_CPU_DEVICES"] = str(spec["devices"])
    return run_child("benchmarks.distribution", spec, env)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.distribution", description=__doc__)
    p.add_argument("--quick", action="store_true", help="chapter LSTM and GRU, little data")
    p.add_argument("--repeats", type=int, default=1, help="runs per point and device count (1)")
    p.add_argument("--epochs", type=int, default=15, help="epochs of the first fit (15)")
    p.add_argument("--n-series", type=int, default=7_000, help="training series (7,000)")
    p.add_argument("--only", help="comma-separated point names (default: all)")
    p.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    p.add_argument("--run", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.run:
        print(json.dumps(run(json.loads(args.run))))
        return 0
    configs = CONFIGS[:2] if args.quick else CONFIGS
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        configs = [c for c in configs if c["name"] in wanted]
    n_series, epochs = (500, 2) if args.quick else (args.n_series, args.epochs)
    rows = []
    for config in configs:
        row: dict[str, Any] = dict(config)
        for devices in (1, 2):
            runs = []
            for repeat in range(args.repeats):  # one device, then two: same machine state
                spec = {**config, "devices": devices, "n_series": n_series, "epochs": epochs}
                spec |= {"seed": 42 + repeat, "timed_epochs": 1 if args.quick else 2}
                runs.append(_child(spec))
            row[f"devices_{devices}"] = {
                m: median([r[m] for r in runs])
                for m in ("first_fit_s", "epoch_s", "val_mse", "peak_rss_mb")
            } | {"runs": runs}
        one, two = row["devices_1"], row["devices_2"]
        row["speedup_fit"] = one["first_fit_s"] / two["first_fit_s"]
        row["speedup_epoch"] = one["epoch_s"] / two["epoch_s"]
        rows.append(row)
        print(
            f"{config['name']:>15}: fit of {epochs} epochs {one['first_fit_s']:7.2f} s on 1 "
            f"device, {two['first_fit_s']:7.2f} s on 2 ({row['speedup_fit']:.2f}×); compiled "
            f"epoch {one['epoch_s']:.3f} s / {two['epoch_s']:.3f} s ({row['speedup_epoch']:.2f}×)"
        )
    payload = {
        "workload": "distribution",
        "model": "2x<kind>(units)+Dense(10), adam; DataParallel over RNNLAB_CPU_DEVICES=2",
        "n_series": n_series,
        "epochs": epochs,
        "repeats": args.repeats,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "rows": rows,
    }
    write_result(args.out, "distribution", payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
