"""Runner for the Keras-style frameworks: rnnlab, Keras 3 on JAX, Keras 3 on TensorFlow.

The model code is the chapter's Keras code, written once; only the import differs
(``import rnnlab as keras`` or ``import keras`` with ``KERAS_BACKEND`` set first).

Invoked by the orchestrator as ``python -m benchmarks.keras_runner --spec <json>``; prints
one JSON line of results on stdout, everything else on stderr.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import time
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from benchmarks.common import (
    CHAPTER_MODELS,
    ModelSpec,
    compile_estimate,
    current_rss_mb,
    load_arrays,
    mse,
    runner_main,
    scaling_model,
)

KERAS_BACKENDS = {"keras-jax": "jax", "keras-tf": "tensorflow"}


def import_framework(framework: str) -> ModuleType:
    """``import rnnlab as keras``, or Keras 3 with its backend chosen before the import."""
    if framework == "rnnlab":
        return importlib.import_module("rnnlab")
    if framework not in KERAS_BACKENDS:
        raise ValueError(f"keras_runner does not run {framework!r}")
    os.environ["KERAS_BACKEND"] = KERAS_BACKENDS[framework]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return importlib.import_module("keras")


def set_seed(keras: ModuleType, seed: int) -> None:
    """Seed Python, numpy and the framework (``keras.utils.set_random_seed`` in both APIs)."""
    importlib.import_module(f"{keras.__name__}.utils").set_random_seed(seed)


def device_info(framework: str) -> dict[str, Any]:
    """Which device the framework computes on, and the versions that matter."""
    info: dict[str, Any] = {}
    if framework == "keras-tf":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        info["device"] = f"gpu:{gpus[0].name}" if gpus else "cpu"
        info["versions"] = {"tensorflow": tf.__version__}
    else:
        import jax

        dev = jax.devices()[0]
        info["device"] = "cpu" if dev.platform == "cpu" else f"{dev.platform}:{dev.device_kind}"
        info["versions"] = {"jax": jax.__version__}
    module = sys.modules["rnnlab" if framework == "rnnlab" else "keras"]
    info["versions"][module.__name__] = getattr(module, "__version__", "unknown")
    return info


def build_model(
    keras: ModuleType,
    spec: ModelSpec,
    learning_rate: float | None = None,
    seed: int | None = None,
) -> Any:
    """The chapter's Sequential model, compiled with Adam and MSE loss.

    ``seed`` (rnnlab only) gives the model its own key stream, ``Sequential(seed=seed)``,
    in place of the global one; the per-model jobs leave it None.
    """
    model = keras.models.Sequential(**({} if seed is None else {"seed": seed}))
    for i, (kind, kwargs) in enumerate(spec.layers):
        extra = {"input_shape": (None, 1)} if i == 0 else {}
        model.add(getattr(keras.layers, kind)(**kwargs, **extra))
    lr = spec.learning_rate if learning_rate is None else learning_rate
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss="mse")
    return model


def _accepts(fn: Any, name: str) -> bool:
    """Whether callable ``fn`` takes a keyword argument ``name`` (explicitly or via **kwargs)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def make_epoch_timer(keras: ModuleType) -> Any | None:
    """A callback recording each epoch's wall time, or None if the API has no callbacks."""
    base = getattr(getattr(keras, "callbacks", None), "Callback", None)
    if base is None:
        return None

    class EpochTimer(base):  # type: ignore[misc, valid-type]
        """Wall time from ``on_epoch_begin`` to ``on_epoch_end`` (validation included)."""

        def __init__(self) -> None:
            super().__init__()
            self.seconds: list[float] = []
            self._t0 = 0.0

        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self.seconds.append(time.perf_counter() - self._t0)

    return EpochTimer()


def timed_fit(
    model: Any, keras: ModuleType, x: Any, y: Any, **kwargs: Any
) -> tuple[Any, float, list]:
    """``model.fit(...)`` timed with perf_counter: (history, seconds, per-epoch seconds)."""
    timer = make_epoch_timer(keras) if _accepts(model.fit, "callbacks") else None
    if timer is not None:
        kwargs["callbacks"] = [timer]
    t0 = time.perf_counter()
    history = model.fit(x, y, verbose=0, **kwargs)
    seconds = time.perf_counter() - t0
    return history, seconds, list(timer.seconds) if timer is not None else []


def predict(model: Any, x: Any) -> Any:
    """``model.predict(x)``, silenced where the API allows it."""
    return model.predict(x, verbose=0) if _accepts(model.predict, "verbose") else model.predict(x)


def _history(history: Any, key: str) -> list[float]:
    return [float(v) for v in getattr(history, "history", {}).get(key, [])]


def _count_params(model: Any) -> int | None:
    count = getattr(model, "count_params", None)
    try:
        return int(count()) if callable(count) else None
    except Exception:
        return None


def run_chapter(spec: dict[str, Any], keras: ModuleType) -> dict[str, Any]:
    """Train one chapter model for ``spec["epochs"]`` epochs, validating every epoch."""
    model_spec = CHAPTER_MODELS[spec["model"]]
    data = load_arrays(spec["data"], model_spec.horizon)
    set_seed(keras, spec["seed"])
    t0 = time.perf_counter()
    model = build_model(keras, model_spec)
    setup_s = time.perf_counter() - t0
    history, fit_s, epoch_seconds = timed_fit(
        model,
        keras,
        data["x_train"],
        data["y_train"],
        epochs=spec["epochs"],
        batch_size=spec["batch_size"],
        validation_data=(data["x_val"], data["y_val"]),
    )
    t0 = time.perf_counter()
    y_pred = predict(model, data["x_val"])
    predict_s = time.perf_counter() - t0
    compile_s, epoch_s = compile_estimate(epoch_seconds)
    return {
        "setup_s": setup_s,
        "fit_s": fit_s,
        "compile_s": compile_s,
        "epoch_s": epoch_s,
        "epoch_seconds": epoch_seconds,
        "predict_s": predict_s,
        "val_mse": mse(data["y_val"], y_pred),
        "loss": _history(history, "loss"),
        "val_loss": _history(history, "val_loss"),
        "n_params": _count_params(model),
    }


def run_scaling(spec: dict[str, Any], keras: ModuleType) -> dict[str, Any]:
    """Warm-up fit of one epoch (compiles), then a timed fit of ``spec["epochs"]`` epochs."""
    data = load_arrays(spec["data"], 10)
    x, y = data["x_train"], data["y_train"]
    set_seed(keras, spec["seed"])
    t0 = time.perf_counter()
    model = build_model(keras, scaling_model(spec["units"]))
    setup_s = time.perf_counter() - t0
    _, warmup_s, _ = timed_fit(model, keras, x, y, epochs=1, batch_size=spec["batch_size"])
    _, timed_s, epoch_seconds = timed_fit(
        model, keras, x, y, epochs=spec["epochs"], batch_size=spec["batch_size"]
    )
    return {
        "setup_s": setup_s,
        "warmup_s": warmup_s,
        "epoch_s": timed_s / spec["epochs"],
        "epoch_seconds": epoch_seconds,
    }


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one job described by ``spec`` (see ``benchmarks.run`` for its fields)."""
    warnings.filterwarnings("ignore")
    framework = spec["framework"]
    keras = import_framework(framework)
    info = device_info(framework)
    info["baseline_rss_mb"] = current_rss_mb()
    if spec["workload"] == "chapter":
        info.update(run_chapter(spec, keras))
    else:
        info.update(run_scaling(spec, keras))
    if info["device"] != "cpu" and framework == "keras-tf":
        import tensorflow as tf

        info["device_peak_mb"] = tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    elif info["device"] != "cpu":
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        if "peak_bytes_in_use" in stats:
            info["device_peak_mb"] = stats["peak_bytes_in_use"] / 2**20
    return info


def main(argv: Sequence[str] | None = None) -> int:
    return runner_main(run, argv)


if __name__ == "__main__":
    sys.exit(main())
