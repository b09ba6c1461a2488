"""The learning rate inside an Optax state: the one place rnnlab reads and writes it.

``optax.inject_hyperparams`` keeps the rate as an array in the state, so changing it
recompiles nothing. These functions find that state through ``chain`` and
``multi_transform`` states.

Example:
    >>> import jax.numpy as jnp, optax
    >>> state = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1).init({"w": jnp.zeros(2)})
    >>> round(get_learning_rate(set_learning_rate(state, 0.5)), 6)
    0.5
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["find_hyperparams", "find_inject_state", "get_learning_rate", "set_learning_rate"]


def find_inject_state(opt_state: Any) -> Any:
    """The first ``optax.inject_hyperparams`` state inside ``opt_state``, or ``None``.

    Looks through ``optax.multi_transform`` and ``chain`` states.

    Example:
        >>> import jax.numpy as jnp
        >>> from rnnlab.optimizers import Adam
        >>> state = Adam(0.01).transform.init({"w": jnp.zeros(2)})
        >>> sorted(find_inject_state(state).hyperparams)
        ['learning_rate']
    """
    if hasattr(opt_state, "hyperparams") and isinstance(opt_state.hyperparams, dict):
        return opt_state
    children: Any = ()
    if isinstance(opt_state, dict):
        children = opt_state.values()
    elif isinstance(opt_state, tuple | list):
        children = opt_state
    elif hasattr(opt_state, "inner_states"):
        children = opt_state.inner_states.values()
    elif hasattr(opt_state, "inner_state"):
        children = (opt_state.inner_state,)
    for child in children:
        found = find_inject_state(child)
        if found is not None:
            return found
    return None


def find_hyperparams(opt_state: Any) -> dict[str, Any] | None:
    """The live ``hyperparams`` dict of :func:`find_inject_state`'s state, or ``None``.

    Assigning to it changes the next update (no recompilation).

    Example:
        >>> import jax.numpy as jnp
        >>> from rnnlab.optimizers import Adam
        >>> state = Adam(0.01).transform.init({"w": jnp.zeros(2)})
        >>> round(float(find_hyperparams(state)["learning_rate"]), 6)
        0.01
    """
    state = find_inject_state(opt_state)
    return None if state is None else state.hyperparams


_NOT_INJECTED = (
    "{owner}: the learning rate cannot be read or changed: the optimizer is a plain Optax "
    "transformation whose learning rate is fixed when it is built. Compile with an rnnlab "
    "optimizer instead, e.g. model.compile(optimizer=rnnlab.optimizers.SGD(0.01), ...) or "
    "optimizer='sgd', or wrap the Optax one: "
    "optax.inject_hyperparams(optax.sgd)(learning_rate=0.01)"
)


def _injected(opt_state: Any, owner: str) -> Any:
    """The ``inject_hyperparams`` state holding a settable learning rate, or a ValueError."""
    if opt_state is None:
        raise ValueError(f"{owner}: the optimizer has no state yet; it is created by fit")
    state = find_inject_state(opt_state)
    if state is None or "learning_rate" not in state.hyperparams:
        raise ValueError(_NOT_INJECTED.format(owner=owner))
    if "learning_rate" in (getattr(state, "hyperparams_states", None) or {}):
        raise ValueError(
            f"{owner}: the optimizer's learning rate is an Optax schedule, which sets it at "
            "every step and would override a value set here; pass a number as the learning "
            "rate (or use the schedule alone)"
        )
    return state


def get_learning_rate(opt_state: Any, *, owner: str = "get_learning_rate") -> float:
    """The learning rate held in an Optax state made by ``optax.inject_hyperparams``.

    The one place rnnlab reads a learning rate once training has started
    (``optimizer.learning_rate``, ``ReduceLROnPlateau``, ``LearningRateScheduler``).

    Raises:
        ValueError: the state holds no injected, settable learning rate (``owner``
            starts the message).

    Example:
        >>> import jax.numpy as jnp
        >>> from rnnlab.optimizers import Adam
        >>> state = Adam(0.01).transform.init({"w": jnp.zeros(2)})
        >>> round(get_learning_rate(state), 6)
        0.01
    """
    return float(_injected(opt_state, owner).hyperparams["learning_rate"])


def set_learning_rate(opt_state: Any, value: float, *, owner: str = "set_learning_rate") -> Any:
    """A copy of the Optax state ``opt_state`` with its injected learning rate set to ``value``.

    Pure: the given state is left as it was. The next update uses the new rate
    without recompiling (the rate is an array in the state, not a constant).

    Example:
        >>> import jax.numpy as jnp
        >>> from rnnlab.optimizers import SGD
        >>> state = SGD(0.1).transform.init({"w": jnp.zeros(2)})
        >>> new = set_learning_rate(state, 0.5)
        >>> round(get_learning_rate(new), 6), round(get_learning_rate(state), 6)
        (0.5, 0.1)
    """
    target = _injected(opt_state, owner)
    old = target.hyperparams["learning_rate"]
    new_value = jnp.asarray(value, jnp.asarray(old).dtype)

    def replace(node: Any) -> Any:
        if node is target:
            return node._replace(hyperparams={**node.hyperparams, "learning_rate": new_value})
        return node

    return jax.tree.map(replace, opt_state, is_leaf=lambda node: node is target)
