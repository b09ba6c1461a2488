"""The RNN chapter as a pipeline: its data, its naive baseline and its six models.

:func:`run_chapter` generates the chapter's two data sets, scores the naive
forecast, then builds, trains and scores every requested model exactly as the
chapter does (same layers, optimizer, loss, batch size 32 and epochs, with
``validation_data``). It returns a :class:`ChapterRun` holding everything the
report needs; it writes no files (see :mod:`rnnlab.report`) and prints nothing
(pass a :class:`RunObserver` to follow along).

Example:
    >>> run = run_chapter(ChapterConfig(epochs=1, models=("basic_rnn",), quick=True))
    >>> [r.name for r in run.results]
    ['naive', 'basic_rnn']
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import jax
import numpy as np
import optax

import rnnlab
from rnnlab import baselines, data, training, utils
from rnnlab.callbacks import Callback
from rnnlab.layers import GRU, LSTM, Conv1D, Dense, SimpleRNN
from rnnlab.models import Sequential
from rnnlab.optimizers import Adam
from rnnlab.parallel import FitJob, default_workers, fit_many

__all__ = [
    "CHAPTER_MSE",
    "MODEL_NAMES",
    "QUICK_EPOCHS",
    "QUICK_SERIES",
    "RECIPES",
    "ChapterConfig",
    "ChapterRun",
    "ModelResult",
    "Recipe",
    "RunObserver",
    "build_model",
    "parse_models",
    "run_chapter",
    "versions",
]

CHAPTER_MSE: dict[str, float] = {
    "naive": 0.02044,
    "basic_rnn": 0.01113,
    "stacked_rnn": 0.00259,
    "multistep_rnn": 0.01007,
    "lstm": 0.00911,
    "gru": 0.00926,
    "conv1d_gru": 0.00898,
}
"""Validation MSE printed in the chapter (tf.keras 2.0), by model name."""

QUICK_SERIES = 600
QUICK_EPOCHS = 2


@dataclass(frozen=True)
class Recipe:
    """How the chapter builds one model: layers, optimizer, and which data set it uses."""

    name: str
    horizon: int  # 1: single-step data set, 10: multi-step data set
    layers: Callable[[], list]
    description: str
    optimizer: Callable[[], object] = lambda: "adam"
    cost: float = 1.0  # relative training time; the costliest models start first


def _stack(cell: type, head: int) -> tuple[Callable[[], list], str]:
    """The chapter's two-layer recurrent stack of 20 units and a Dense head, and its text."""

    def layers() -> list:
        return [cell(20, return_sequences=True, input_shape=(None, 1)), cell(20), Dense(head)]

    kind = cell.__name__
    return layers, f"{kind}(20, return_sequences=True), {kind}(20), Dense({head}); adam"


def _conv1d_gru() -> list:
    return [
        Conv1D(filters=20, kernel_size=4, strides=2, padding="valid", input_shape=(None, 1)),
        GRU(20, return_sequences=True),
        GRU(20),
        Dense(10),
    ]


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            "basic_rnn",
            1,
            lambda: [SimpleRNN(units=1, input_shape=(None, 1))],
            "SimpleRNN(1); Adam(lr=0.005)",
            lambda: Adam(lr=0.005),
            cost=1.0,
        ),
        Recipe("stacked_rnn", 1, *_stack(SimpleRNN, 1), cost=3.8),
        Recipe("multistep_rnn", 10, *_stack(SimpleRNN, 10), cost=3.9),
        Recipe("lstm", 10, *_stack(LSTM, 10), cost=10.0),
        Recipe("gru", 10, *_stack(GRU, 10), cost=9.3),
        Recipe(
            "conv1d_gru",
            10,
            _conv1d_gru,
            'Conv1D(20, kernel_size=4, strides=2, padding="valid"), '
            "GRU(20, return_sequences=True), GRU(20), Dense(10); adam",
            cost=5.9,
        ),
    )
}
"""The chapter's six trained models, in the chapter's order."""

MODEL_NAMES: tuple[str, ...] = tuple(RECIPES)


def model_seed(seed: int, name: str) -> int:
    """Seed of one model's weights and shuffling, derived from the run's seed and the name.

    Each model gets its own stream, so a model trains identically whatever subset runs.

    Example:
        >>> model_seed(42, "lstm") == model_seed(42, "lstm") != model_seed(42, "gru")
        True
    """
    state = np.random.SeedSequence([seed, MODEL_NAMES.index(name)]).generate_state(1)
    return int(state[0]) & 0x7FFFFFFF


def build_model(name: str, seed: int | None = None) -> Sequential:
    """Build and compile one of the chapter's models (loss ``"mse"``).

    Example:
        >>> build_model("gru").count_params()
        4110
    """
    recipe = RECIPES[name]
    model = Sequential(seed=seed)
    for layer in recipe.layers():
        model.add(layer)
    model.compile(optimizer=recipe.optimizer(), loss="mse")
    return model


def parse_models(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """Turn ``"lstm,gru"`` (or a list of names) into names in the chapter's order.

    ``None`` or ``"all"`` mean all six. ``"naive"`` is accepted (the baseline always
    runs), so ``"naive"`` alone trains nothing.

    Raises:
        ValueError: an unknown name (the message lists the valid ones), or no name.

    Example:
        >>> parse_models("gru, lstm")
        ('lstm', 'gru')
    """
    if text is None:
        return MODEL_NAMES
    items = text.split(",") if isinstance(text, str) else list(text)
    names = {item.strip() for item in items if item.strip()}
    unknown = sorted(names - {*MODEL_NAMES, "naive", "all"})
    if unknown:
        raise ValueError(
            f"unknown model name(s) {', '.join(map(repr, unknown))}; "
            f"valid names: {', '.join(MODEL_NAMES)} (or 'all'; naive always runs)"
        )
    if not names:
        raise ValueError(f"no model name given; valid names: {', '.join(MODEL_NAMES)}")
    if "all" in names:
        return MODEL_NAMES
    return tuple(n for n in MODEL_NAMES if n in names)


@dataclass(frozen=True)
class ChapterConfig:
    """Settings of one run; ``quick`` uses :data:`QUICK_SERIES` series per data set."""

    epochs: int = 15
    seed: int = 42
    models: tuple[str, ...] = MODEL_NAMES
    quick: bool = False
    workers: int | None = None  # models trained at once; None: parallel.default_workers

    @property
    def effective_workers(self) -> int:
        """How many models train at once (at least 1, at most the number of models)."""
        n = max(1, len(self.models))
        return default_workers(n) if self.workers is None else max(1, min(self.workers, n))

    @property
    def n_series(self) -> int:
        """Series per data set: 10,000 as in the chapter, fewer with ``quick``."""
        return QUICK_SERIES if self.quick else 10_000


@dataclass
class ModelResult:
    """One row of the results: scores, timing, and what the figures need."""

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


def _score(name: str, model: Sequential, split: data.SeriesSplit, summary: str, seconds: float):
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
        results[i] = _score(names[i], models[i], splits[i], summaries[i], timers[i].seconds)
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
    results = [naive, *_train_all(config, single, multi, observer)] if config.models else [naive]
    return ChapterRun(
        config,
        single,
        multi,
        results,
        versions(),
        wall_seconds=time.perf_counter() - start,
        train_wall_seconds=time.perf_counter() - train_start,
    )
