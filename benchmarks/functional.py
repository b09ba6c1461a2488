"""Functional and custom-layer models, rnnlab against Keras 3 on JAX: ``python -m
benchmarks.functional``.

The models of :mod:`benchmarks.functional_models` (a gated residual WaveNet built with
the functional API and ``keras.ops``-style gating, the same with a custom gate layer,
notebook 15's custom LN-SimpleRNN cell, and for rnnlab the LN cell as a pure-JAX cell),
each trained by both frameworks from the same code on the chapter's series
(sequence-to-sequence, the next 10 values at each of 50 steps), Adam, batch 32. Every
run is a fresh interpreter; it reports the wall time of the first fit (``--epochs``
epochs, compilation included), the time per epoch of a second fit (compiled) and the
validation MSE. Targets (issue 14): rnnlab ≥ 1.5× faster than Keras fit for fit, and a
custom layer or cell no slower than rnnlab's own built-in path. Writes
``<out>/functional-latest.json``.
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

from benchmarks.common import generate_time_series, median, run_child, write_result

REPO_ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ("rnnlab", "keras-jax")


def seq2seq_data(n: int, seed: int) -> tuple[Any, Any]:
    """``x`` (n, 50, 1) and ``y`` (n, 50, 10): at step t, the values t+1 … t+10."""
    import numpy as np

    series = generate_time_series(np.random.default_rng(seed), n, 60)
    x = series[:, :50]
    y = np.stack([series[:, k : k + 50, 0] for k in range(1, 11)], axis=-1)
    return x, y.astype(np.float32)


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """One fit in this interpreter; ``spec``: framework, model, n_series, epochs, seed."""
    if spec["framework"] == "keras-jax":
        os.environ["KERAS_BACKEND"] = "jax"
        import keras
    else:
        import rnnlab as keras
    from benchmarks.functional_models import BUILDERS

    keras.utils.set_random_seed(spec["seed"])
    x, y = seq2seq_data(spec["n_series"] + 500, spec["seed"])
    x_train, y_train = x[: spec["n_series"]], y[: spec["n_series"]]
    x_val, y_val = x[spec["n_series"] :], y[spec["n_series"] :]
    model = BUILDERS[spec["model"]](keras)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
    fit = {"batch_size": 32, "validation_data": (x_val, y_val), "verbose": 0}
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=spec["epochs"], **fit)
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=spec["timed_epochs"], **fit)
    epoch_s = (time.perf_counter() - start) / spec["timed_epochs"]
    return {
        "first_fit_s": first_s,
        "epoch_s": epoch_s,
        "val_mse": float(history.history["val_loss"][-1]),
        "params": int(model.count_params()),
    }


def _one(spec: dict[str, Any]) -> dict[str, Any]:
    return run_child("benchmarks.functional", spec, {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})


def main(argv: Sequence[str] | None = None) -> int:
    from benchmarks.functional_models import BUILDERS, RNNLAB_ONLY

    p = argparse.ArgumentParser(prog="python -m benchmarks.functional", description=__doc__)
    p.add_argument("--quick", action="store_true", help="little data, 2 epochs, one run")
    p.add_argument("--repeats", type=int, default=1, help="runs per model and framework (1)")
    p.add_argument("--epochs", type=int, default=5, help="epochs of the first fit (5)")
    p.add_argument("--n-series", type=int, default=4_000, help="training series (4,000)")
    p.add_argument("--models", default=",".join(BUILDERS), help="comma-separated subset")
    p.add_argument("--frameworks", default=",".join(FRAMEWORKS), help="comma-separated subset")
    p.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    p.add_argument("--run", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.run:
        print(json.dumps(run(json.loads(args.run))))
        return 0
    n_series, epochs = (300, 2) if args.quick else (args.n_series, args.epochs)
    rows = []
    for model in args.models.split(","):
        chosen = [f for f in args.frameworks.split(",") if f in FRAMEWORKS]
        for framework in [f for f in chosen if f == "rnnlab" or model not in RNNLAB_ONLY]:
            spec = {"framework": framework, "model": model, "n_series": n_series}
            spec |= {"epochs": epochs, "timed_epochs": 1 if args.quick else 2}
            runs = [_one({**spec, "seed": 42 + r}) for r in range(args.repeats)]
            row = {"model": model, "framework": framework, "runs": runs}
            row |= {m: median([r[m] for r in runs]) for m in ("first_fit_s", "epoch_s", "val_mse")}
            row["params"] = runs[0]["params"]
            rows.append(row)
            print(
                f"{model:12s} {framework:9s} first fit {row['first_fit_s']:7.2f} s, "
                f"{row['epoch_s']:.3f} s/epoch, val MSE {row['val_mse']:.4f}, "
                f"{row['params']} params",
                flush=True,
            )
    by = {(r["model"], r["framework"]): r for r in rows}
    ratios = {}
    for model in {r["model"] for r in rows} - RNNLAB_ONLY:
        mine, peer = by.get((model, "rnnlab")), by.get((model, "keras-jax"))
        if mine and peer:
            ratios[model] = {
                "first_fit_speedup": peer["first_fit_s"] / mine["first_fit_s"],
                "epoch_speedup": peer["epoch_s"] / mine["epoch_s"],
            }
            print(
                f"{model}: rnnlab {ratios[model]['first_fit_speedup']:.2f}× faster fit for "
                f"fit, {ratios[model]['epoch_speedup']:.2f}× per compiled epoch (target 1.5×)"
            )
    custom_vs_builtin = {}
    for custom, builtin in (("ln_rnn", "ln_rnn_jax"), ("wavenet_gau", "wavenet")):
        a, b = by.get((custom, "rnnlab")), by.get((builtin, "rnnlab"))
        if a and b:
            custom_vs_builtin[custom] = {"vs": builtin, "epoch_ratio": a["epoch_s"] / b["epoch_s"]}
            print(
                f"rnnlab {custom} / {builtin}: {a['epoch_s'] / b['epoch_s']:.2f}× the time per "
                "epoch (target ≤ 1.0, within noise)"
            )
    payload = {
        "workload": "functional",
        "data": "chapter series, seq-to-seq next 10 values at 50 steps; adam, batch 32",
        "n_series": n_series,
        "epochs": epochs,
        "repeats": args.repeats,
        "rows": rows,
        "speedup_vs_keras_jax": ratios,
        "custom_vs_builtin": custom_vs_builtin,
    }
    write_result(args.out, "functional", payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
