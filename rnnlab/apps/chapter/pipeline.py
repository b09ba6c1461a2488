"""The RNN chapter as a pipeline: its data, its naive baseline and its six models.

:func:`run_chapter` generates the chapter's two data sets, scores the naive
forecast, then builds, trains and scores every requested model exactly as the
chapter does (same layers, optimizer, loss, batch size 32 and epochs, with
``validation_data``; the models are in :mod:`rnnlab.apps.chapter.recipes`). It
returns a :class:`ChapterRun` holding everything the report needs; it writes no
files (see :mod:`rnnlab.apps.chapter.report`) and prints nothing (pass a
:class:`RunObserver` to follow along).

Example:
    >>> run = run_chapter(ChapterConfig(epochs=1, models=("basic_rnn",), quick=True))
    >>> [r.name for r in run.results]
    ['naive', 'basic_rnn']
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np
import optax

import rnnlab
from rnnlab import training, utils
from rnnlab.apps.chapter import baselines, data
from rnnlab.apps.chapter.recipes import CHAPTER_MSE, MODEL_NAMES, RECIPES, build_model, model_seed
from rnnlab.callbacks import Callback
from rnnlab.models import Sequential
from rnnlab.parallel import FitJob, default_workers, fit_many

__all__ = [
    "QUICK_EPOCHS",
    "QUICK_SERIES",
    "ChapterConfig",
    "ChapterRun",
    "ModelResult",
    "Replica",
    "RunObserver",
    "run_chapter",
    "versions",
]

QUICK_SERIES = 600
QUICK_EPOCHS = 2


@dataclass(frozen=True)
class ChapterConfig:
    """Settings of one run; ``quick`` uses :data:`QUICK_SERIES` series per data set."""

    epochs: int = 15
    seed: int = 42
    models: tuple[str, ...] = MODEL_NAMES
    quick: bool = False
    workers: int | None = None  # models trained at once; None: parallel.default_workers
    save_models: bool = False  # keep each trained model in its result, for the report to save
    seeds: int = 1  # replicas per model (rnnlab.apps.chapter.seeds); 1: one model each, as ever

    @property
    def effective_workers(self) -> int:
        """How many models train at once (at least 1, at most the number of models)."""
        n = max(1, len(self.models))
        return default_workers(n) if self.workers is None else max(1, min(self.workers, n))

    @property
    def n_series(self) -> int:
        """Series per data set: 10,000 as in the chapter, fewer with ``quick``."""
        return QUICK_SERIES if self.quick else 10_000


@dataclass(frozen=True)
class Replica:
    """One seed's model in a ``--seeds K`` run (K > 1): its seed, scores and History."""

    seed: int
    val_mse: float
    test_mse: float
    history: dict[str, list[float]]


@dataclass
class ModelResult:
    """One row of the results: scores, timing, and what the figures need.

    With ``--seeds K`` (K > 1) ``replicas`` holds each seed's model; ``val_mse`` and
    ``test_mse`` are then their means, ``history`` the mean curves, ``history_stats``
    the Ensemble's aggregated History (mean, std, min, max per epoch) and ``forecast``
    the ensemble's mean forecast.
    """

    name: str
    params: int
    val_mse: float
    test_mse: float
    train_seconds: float
    horizon: int
    forecast: np.ndarray  # prediction for the first validation series, shape (horizon,)
    history: dict[str, list[float]] = field(default_factory=dict)
    summary: str = ""
    description: str = ""
    model: Any = None  # the trained model (an Ensemble with --seeds K), kept with save_models
    replicas: list[Replica] = field(default_factory=list)  # K > 1 only
    history_stats: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    ensemble_val_mse: float | None = None  # MSE of the replicas' mean forecast (K > 1)

    @property
    def val_values(self) -> np.ndarray:
        """Every replica's validation MSE (just ``val_mse`` for a single model)."""
        return np.asarray([r.val_mse for r in self.replicas] or [self.val_mse], np.float64)

    @property
    def chapter_mse(self) -> float | None:
        """The chapter's validation MSE for this model, if it printed one."""
        return CHAPTER_MSE.get(self.name)


@dataclass
class ChapterRun:
    """Everything one run produced: its settings, data, results and environment."""

    config: ChapterConfig
    single: data.SeriesSplit
    multi: data.SeriesSplit
    results: list[ModelResult]
    versions: dict[str, str]
    wall_seconds: float = 0.0
    train_wall_seconds: float = 0.0  # from the first fit's start to the last model scored

    @property
    def total_train_seconds(self) -> float:
        """Sum of the models' ``fit`` times (more than the wall time when models train at once)."""
        return float(sum(r.train_seconds for r in self.results))

    def dataset(self, horizon: int) -> data.SeriesSplit:
        """The single-step (``horizon=1``) or multi-step (``10``) data set."""
        return self.single if horizon == 1 else self.multi


class RunObserver:
    """Hooks :func:`run_chapter` calls as it goes; the base class does nothing."""

    def model_started(self, name: str, index: int, total: int, summary: str) -> None:
        """Before ``fit``: model ``index`` (1-based) of ``total`` with its summary text."""

    def callbacks(self, name: str, epochs: int) -> list[Callback]:
        """Extra callbacks for this model's ``fit`` (e.g. progress display)."""
        return []

    def model_finished(self, result: ModelResult) -> None:
        """After the model is trained and scored (also called for the naive baseline).

        With several workers this is called from the worker thread that trained
        the model, in the order the models finish.
        """


def versions() -> dict[str, str]:
    """Versions of rnnlab and of what it runs on.

    Example:
        >>> sorted(versions())
        ['jax', 'numpy', 'optax', 'python', 'rnnlab']
    """
    return {
        "rnnlab": rnnlab.__version__,
        "jax": jax.__version__,
        "optax": optax.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _naive(single: data.SeriesSplit) -> ModelResult:
    val_pred = baselines.naive_forecast(single.x_val)
    test_pred = baselines.naive_forecast(single.x_test)
    return ModelResult(
        name="naive",
        params=0,
        val_mse=baselines.mse(single.y_val, val_pred),
        test_mse=baselines.mse(single.y_test, test_pred),
        train_seconds=0.0,
        horizon=1,
        forecast=np.asarray(val_pred[0]).reshape(-1),
        description="Naive forecast (the last observed value)",
    )


class _FitTimer(Callback):
    """Wall time of one ``fit``, from ``on_train_begin`` to ``on_train_end``."""

    def __init__(self) -> None:
        super().__init__()
        self.start = self.seconds = 0.0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.start = time.perf_counter()

    def on_train_end(self, logs: dict | None = None) -> None:
        self.seconds = time.perf_counter() - self.start


def _score(
    name: str, model: Sequential, split: data.SeriesSplit, summary: str, seconds: float, keep: bool
) -> ModelResult:
    recipe = RECIPES[name]
    # One chunk size for both sets: one compiled predict function instead of two.
    chunk = training.default_chunk(min(len(split.x_val), len(split.x_test)), split.x_val.shape[1])
    val_pred = model.predict(split.x_val, batch_size=chunk)
    return ModelResult(
        name=name,
        params=model.count_params(),
        val_mse=baselines.mse(split.y_val, val_pred),
        test_mse=baselines.mse(split.y_test, model.predict(split.x_test, batch_size=chunk)),
        train_seconds=seconds,
        horizon=recipe.horizon,
        forecast=np.asarray(val_pred[0]).reshape(-1),
        history={k: list(v) for k, v in model.history.history.items()},
        summary=summary,
        description=recipe.description,
        model=model if keep else None,
    )


def _train_all(
    config: ChapterConfig, single: data.SeriesSplit, multi: data.SeriesSplit, observer: RunObserver
) -> list[ModelResult]:
    """Build every model (summaries in order), then train and score them, ``workers`` at once."""
    names = config.models
    splits = [single if RECIPES[name].horizon == 1 else multi for name in names]
    models, summaries, timers, jobs = [], [], [], []
    for index, (name, split) in enumerate(zip(names, splits, strict=True), start=1):
        model = build_model(name, seed=model_seed(config.seed, name))
        lines: list[str] = []
        model.summary(print_fn=lines.append)
        observer.model_started(name, index, len(names), "\n".join(lines))
        timer = _FitTimer()
        fit_kwargs = {
            "epochs": config.epochs,
            "validation_data": (split.x_val, split.y_val),
            "callbacks": [timer, *observer.callbacks(name, config.epochs)],
        }
        models.append(model)
        summaries.append("\n".join(lines))
        timers.append(timer)
        jobs.append(FitJob(model, split.x_train, split.y_train, fit_kwargs))
    results: list[ModelResult | None] = [None] * len(names)

    def scored(i: int, history: object) -> None:
        # Runs in the worker thread that trained model i, so predictions overlap too.
        results[i] = _score(
            names[i], models[i], splits[i], summaries[i], timers[i].seconds, config.save_models
        )
        observer.model_finished(results[i])

    # Longest first, so the short models fill the gaps at the end instead of the long ones.
    order = sorted(range(len(jobs)), key=lambda i: -RECIPES[names[i]].cost)
    fit_many(
        [jobs[i] for i in order],
        workers=config.workers,
        on_done=lambda k, history: scored(order[k], history),
    )
    return [r for r in results if r is not None]


def run_chapter(config: ChapterConfig, observer: RunObserver | None = None) -> ChapterRun:
    """Generate the data, score the naive baseline and train ``config.models``.

    Seeds everything (:func:`rnnlab.utils.set_random_seed`), resets layer names
    (:func:`rnnlab.utils.clear_session`), and trains each model from its own seed
    (:func:`model_seed`), so results depend only on the seed, epochs and data size.
    With ``config.seeds > 1`` each model is an :class:`~rnnlab.parallel.Ensemble` of
    that many replicas (:func:`rnnlab.apps.chapter.seeds.train_ensembles`).

    Example:
        >>> run = run_chapter(ChapterConfig(epochs=1, models=("gru",), quick=True))
        >>> run.results[1].params
        4110
    """
    observer = observer or RunObserver()
    start = time.perf_counter()
    utils.set_random_seed(config.seed)
    utils.clear_session()
    single, multi = data.chapter_datasets(config.seed, n_series=config.n_series)
    naive = _naive(single)
    observer.model_finished(naive)
    train_start = time.perf_counter()
    if not config.models:
        results = [naive]
    elif config.seeds > 1:
        from rnnlab.apps.chapter import seeds  # here: seeds imports this module

        results = [naive, *seeds.train_ensembles(config, single, multi, observer)]
    else:
        results = [naive, *_train_all(config, single, multi, observer)]
    return ChapterRun(
        config,
        single,
        multi,
        results,
        versions(),
        wall_seconds=time.perf_counter() - start,
        train_wall_seconds=time.perf_counter() - train_start,
    )
