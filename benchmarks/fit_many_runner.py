"""Runner for the whole-chapter job: rnnlab trains the chapter's models together.

The models are built as the per-model rnnlab jobs build them (``keras_runner.build_model``,
same data, learning rates and seed) and trained by one ``rnnlab.parallel.fit_many`` call,
``workers`` models at a time. Each model gets its own key stream seeded with the job's seed
(``Sequential(seed=...)``), which yields the keys that ``set_random_seed(seed)`` followed
by the per-model job's build and ``fit`` would: same initial weights, same shuffling.

Invoked by the orchestrator as ``python -m benchmarks.fit_many_runner --spec <json>``;
prints one JSON line of results on stdout, everything else on stderr.
"""

from __future__ import annotations

import sys
import threading
import time
import warnings
from collections.abc import Sequence
from typing import Any

from benchmarks.common import CHAPTER_MODELS, current_rss_mb, load_arrays, mse, runner_main
from benchmarks.keras_runner import (
    build_model,
    device_info,
    import_framework,
    make_epoch_timer,
    predict,
    set_seed,
)


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Build ``spec["models"]``, train them with ``fit_many`` and time that one call.

    ``wall_s`` runs from just before ``fit_many`` until it returns, so it includes every
    model's compilation and its validation pass after each epoch. The validation MSE of
    each model is computed afterwards, as ``keras_runner.run_chapter`` computes it.
    """
    warnings.filterwarnings("ignore")
    keras = import_framework("rnnlab")
    from rnnlab.parallel import FitJob, fit_many

    if spec.get("cache_dir"):  # JAX's persistent compilation cache, as `rnnlab chapter` uses
        keras.utils.enable_compilation_cache(spec["cache_dir"])

    info = device_info("rnnlab")
    info["baseline_rss_mb"] = current_rss_mb()
    from rnnlab.chapter import RECIPES

    # Longest first, as `rnnlab chapter` schedules them: short models fill the gaps at the end.
    names: list[str] = sorted(spec["models"], key=lambda n: -RECIPES[n].cost if n in RECIPES else 0)
    set_seed(keras, spec["seed"])  # Python and NumPy as in the per-model jobs
    jobs, data, timers = [], {}, {}
    for name in names:
        model_spec = CHAPTER_MODELS[name]
        data[name] = arrays = load_arrays(spec["data"], model_spec.horizon)
        timers[name] = make_epoch_timer(keras)
        fit_kwargs = {
            "epochs": spec["epochs"],
            "batch_size": spec["batch_size"],
            "validation_data": (arrays["x_val"], arrays["y_val"]),
            "callbacks": [timers[name]],
            "verbose": 0,
        }
        model = build_model(keras, model_spec, seed=spec["seed"])
        jobs.append(FitJob(model, arrays["x_train"], arrays["y_train"], fit_kwargs))

    done_s: dict[str, float] = {}
    lock = threading.Lock()

    def on_done(index: int, _history: Any) -> None:
        with lock:
            done_s[names[index]] = time.perf_counter() - t0

    t0 = time.perf_counter()
    histories = fit_many(jobs, workers=spec["workers"], on_done=on_done)
    wall_s = time.perf_counter() - t0

    per_model = {}
    for name, job, history in zip(names, jobs, histories, strict=True):
        arrays = data[name]
        per_model[name] = {
            "val_mse": mse(arrays["y_val"], predict(job.model, arrays["x_val"])),
            "done_s": done_s[name],
            "epoch_seconds": timers[name].seconds,
            "loss": [float(v) for v in history.history.get("loss", [])],
            "val_loss": [float(v) for v in history.history.get("val_loss", [])],
        }
    return {
        **info,
        "wall_s": wall_s,
        "at_once": min(spec["workers"], len(names)),
        "cache_state": spec.get("cache_state"),
        "val_mse": {name: per_model[name]["val_mse"] for name in names},
        "per_model": per_model,
    }


def main(argv: Sequence[str] | None = None) -> int:
    return runner_main(run, argv)


if __name__ == "__main__":
    sys.exit(main())
