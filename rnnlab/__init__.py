"""rnnlab: recurrent sequence models and time-series forecasting on JAX.

Keras's names on a pure-JAX core, so chapter-style code ports by changing
imports (``import rnnlab as keras``).

Example:
    >>> import rnnlab as keras
    >>> model = keras.models.Sequential([keras.layers.SimpleRNN(1, input_shape=(None, 1))])
    >>> model.count_params()
    3
"""

from rnnlab import (
    activations,
    baselines,
    callbacks,
    cells,
    data,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    utils,
)
from rnnlab.layers import Input
from rnnlab.models import Sequential
from rnnlab.remat import RematScope, remat

__version__ = "0.1.0"

__all__ = [
    "Input",
    "RematScope",
    "Sequential",
    "activations",
    "baselines",
    "callbacks",
    "cells",
    "data",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "remat",
    "utils",
]
