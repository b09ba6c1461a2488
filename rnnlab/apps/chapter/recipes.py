"""The chapter's six models: how it builds each one, and its printed scores.

:data:`RECIPES` holds, per model, the layers, optimizer and data set (single-step
or multi-step) exactly as the chapter has them; :func:`build_model` builds and
compiles one, :func:`parse_models` reads a ``--models`` list, and
:data:`CHAPTER_MSE` keeps the validation MSE the chapter printed (tf.keras 2.0).

Example:
    >>> build_model("lstm", seed=0).count_params()
    5250
    >>> RECIPES["lstm"].horizon
    10
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rnnlab.layers import GRU, LSTM, Conv1D, Dense, SimpleRNN
from rnnlab.models import Sequential
from rnnlab.optimizers import Adam

__all__ = [
    "CHAPTER_MSE",
    "MODEL_NAMES",
    "RECIPES",
    "Recipe",
    "build_model",
    "model_seed",
    "parse_models",
    "replica_seeds",
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


def replica_seeds(seed: int, name: str, k: int) -> list[int]:
    """The seeds of model ``name``'s ``k`` replicas in a ``--seeds k`` run.

    Replica 0 trains from :func:`model_seed` (the seed a one-seed run uses, so
    ``--seeds k`` extends a ``--seeds 1`` run); replica ``r >= 1`` from
    ``SeedSequence([seed, model index, r])``, a stream no other model or replica shares.

    Example:
        >>> replica_seeds(42, "lstm", 3)[0] == model_seed(42, "lstm")
        True
    """
    if k < 1:
        raise ValueError(f"replica_seeds: k must be a positive integer, got {k!r}")
    index = MODEL_NAMES.index(name)
    rest = [np.random.SeedSequence([seed, index, r]).generate_state(1)[0] for r in range(1, k)]
    return [model_seed(seed, name), *(int(s) & 0x7FFFFFFF for s in rest)]


def build_model(name: str, seed: int | None = None, *, compile: bool = True) -> Sequential:
    """Build one of the chapter's models and, unless ``compile=False``, compile it
    (its optimizer, loss ``"mse"``); an :class:`~rnnlab.parallel.Ensemble` compiles its own.

    Example:
        >>> build_model("gru").count_params()
        4110
    """
    recipe = RECIPES[name]
    model = Sequential(seed=seed)
    for layer in recipe.layers():
        model.add(layer)
    if compile:
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
