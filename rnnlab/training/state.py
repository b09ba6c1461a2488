"""The training state: everything ``fit`` needs to continue, as one pytree.

:class:`TrainState` holds the weights, the Optax state (the learning rate lives
in it), the optimizer step, the next epoch's index and the fit's PRNG key. The
compiled epoch (:func:`rnnlab.training.make_train_epoch`) takes one and returns
the next; a checkpoint saves one; restoring one resumes training exactly (the
epoch's sample order and dropout keys are derived from ``rng`` and ``epoch``).

Between calls each piece has one home, as in Keras: the weights in the layers
(``model.params`` assembles them), the Optax state and step in the optimizer
(``optimizer.state``, ``optimizer.iterations``), the epoch and key in the model's
:class:`~rnnlab.training.trainer.Trainer`. ``model.train_state`` assembles them into a
``TrainState``; assigning one writes each piece back to its home.

Example:
    >>> import jax, jax.numpy as jnp, optax
    >>> tx = optax.sgd(0.1)
    >>> state = init_state({"w": jnp.zeros(2)}, tx.init({"w": jnp.zeros(2)}), jax.random.key(0))
    >>> int(state.step), int(state.epoch)
    (0, 0)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["TrainState", "init_state"]


class TrainState(NamedTuple):
    """One model in training, as a pytree of arrays.

    Attributes:
        params: ``{layer: {weight: array}}``, trainable and non-trainable weights.
        opt_state: the Optax state of the (frozen-aware) transformation.
        step: optimizer steps taken, int32 scalar (Keras's ``optimizer.iterations``).
        epoch: index of the next epoch to train, int32 scalar.
        rng: the PRNG key of the fit: epoch ``e``'s sample order and dropout keys
            are derived from ``(rng, e)``.
    """

    params: Any
    opt_state: Any
    step: jax.Array
    epoch: jax.Array
    rng: jax.Array


def init_state(params: Any, opt_state: Any, rng: jax.Array, step: Any = 0, epoch: Any = 0):
    """A :class:`TrainState` at ``step`` and ``epoch`` (int32 scalars on the device).

    Example:
        >>> s = init_state({}, (), jax.random.key(1), step=5, epoch=2)
        >>> int(s.step), int(s.epoch)
        (5, 2)
    """
    as_int = lambda v: jax.device_put(jnp.int32(v)) if not isinstance(v, jax.Array) else v  # noqa: E731
    return TrainState(params, opt_state, as_int(step), as_int(epoch), rng)
