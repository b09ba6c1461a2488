"""Keras-named optimizers, all built from Optax.

Each class takes Keras's arguments and defaults and exposes ``.transform``, an
``optax.GradientTransformation`` whose learning rate lives in its state
(``optax.inject_hyperparams``), so callbacks can change it without recompiling.
``compile`` also takes a name (``"adam"``) or any Optax transformation (wrapped
in :class:`OptaxOptimizer`).

Where the state lives: as in Keras, an optimizer owns its variables. Once
training has started, ``optimizer.state`` holds the Optax state (and with it the
learning rate) and ``optimizer.iterations`` the number of steps taken; the
compiled epoch takes them in and gives them back inside a
:class:`rnnlab.training.state.TrainState`. The learning rate is read and written
through one pair of public functions over an Optax state,
:func:`get_learning_rate` and :func:`set_learning_rate`; before the state exists
``learning_rate`` is the configured starting rate.

Note: Keras adds ``epsilon`` to ``sqrt(v)`` before bias correction, Optax after;
with ``epsilon=1e-7`` the difference is below float32 noise after a few steps.

Example:
    >>> import optax

from rnnlab.validation import is_number
    >>> opt = Adam(learning_rate=0.005)
    >>> isinstance(opt.transform, optax.GradientTransformation)
    True
"""

from rnnlab.optimizers.base import OptaxOptimizer, Optimizer
from rnnlab.optimizers.builtin import SGD, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop, get
from rnnlab.optimizers.learning_rate import (
    find_hyperparams,
    find_inject_state,
    get_learning_rate,
    set_learning_rate,
)

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Nadam",
    "OptaxOptimizer",
    "Optimizer",
    "RMSprop",
    "find_hyperparams",
    "find_inject_state",
    "get",
    "get_learning_rate",
    "set_learning_rate",
]
