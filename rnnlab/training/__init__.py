"""Training: the state of a model in training, the compiled epoch, and the trainer.

- :mod:`rnnlab.training.state`: :class:`TrainState`, the whole training state as one pytree.
- :mod:`rnnlab.training.epoch`: pure compiled functions — a whole epoch in one
  ``lax.scan`` (:func:`make_train_epoch`), chunked evaluation, batch plans.
- :mod:`rnnlab.training.trainer`: :class:`Trainer`, a compiled model's functions and the
  loop over epochs (created by ``model.compile``).
- :mod:`rnnlab.training.progress`: the progress display of ``fit``.
- :mod:`rnnlab.training.sources`: :class:`Source`, data that cuts its own batches inside
  the compiled epoch (overlapping windows of long series without one array per window).

Optimizers, losses, metrics and callbacks keep Keras's module names
(:mod:`rnnlab.optimizers`, :mod:`rnnlab.losses`, :mod:`rnnlab.metrics`,
:mod:`rnnlab.callbacks`).

Example:
    >>> from rnnlab.training import TrainState, batch_plan
    >>> batch_plan(3, 2, rng=None)[1].tolist()
    [[1.0, 1.0], [1.0, 0.0]]
"""

from rnnlab.training.epoch import (
    EpochResult,
    batch_plan,
    bucket_size,
    compiler_options,
    default_chunk,
    make_evaluate,
    make_train_epoch,
    weighted_sums,
)
from rnnlab.training.sources import ArraySource, Source, is_source
from rnnlab.training.state import TrainState, init_state
from rnnlab.training.trainer import FitPlan, Trainer

__all__ = [
    "ArraySource",
    "EpochResult",
    "FitPlan",
    "Source",
    "TrainState",
    "Trainer",
    "batch_plan",
    "bucket_size",
    "compiler_options",
    "default_chunk",
    "init_state",
    "is_source",
    "make_evaluate",
    "make_train_epoch",
    "weighted_sums",
]
