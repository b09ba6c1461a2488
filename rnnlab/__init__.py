"""rnnlab: recurrent sequence models and time-series forecasting on JAX.

Keras's names on a pure-JAX core, so chapter-style code ports by changing
imports (``import rnnlab as keras``). Applications built on it (the RNN
chapter's pipeline, report and ``rnnlab`` command) live in :mod:`rnnlab.apps`
and are not imported here; ``rnnlab.data`` and ``rnnlab.baselines`` (the
chapter's series and naive forecast) are imported on first use.
``rnnlab.distribution`` (Keras 3's data parallelism) is small and starts nothing in
JAX, so importing rnnlab leaves ``use_cpu_devices`` and ``RNNLAB_CPU_DEVICES`` free
to set the device count.

Example:
    >>> import rnnlab as keras
    >>> model = keras.models.Sequential([keras.layers.SimpleRNN(1, input_shape=(None, 1))])
    >>> model.count_params()
    3
"""

import importlib
from typing import Any

from rnnlab import (
    activations,
    callbacks,
    cells,
    distribution,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    utils,
)
from rnnlab.core.remat import RematScope, remat
from rnnlab.layers import Input
from rnnlab.models import Model, Sequential

__version__ = "0.1.0"

__all__ = [
    "Input",
    "Model",
    "RematScope",
    "Sequential",
    "activations",
    "baselines",
    "callbacks",
    "cells",
    "data",
    "distribution",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "ops",
    "optimizers",
    "remat",
    "utils",
]

_LAZY = ("baselines", "data")  # the chapter app's modules, re-exported at their old paths


def __getattr__(name: str) -> Any:
    """Import ``rnnlab.data`` / ``rnnlab.baselines`` on first access (``rnnlab.data.…``)."""
    if name in _LAZY:
        return importlib.import_module(f"rnnlab.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
