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

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from rnnlab.validation import is_number

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


class Optimizer:
    """Base: Keras-style arguments, the Optax transformation, and (once training
    started) its state.

    Args:
        learning_rate: step size (``lr=`` is accepted too, as in old Keras).

    Attributes:
        state: the Optax state of the model this optimizer trains (``None`` until
            the first ``fit``); the learning rate lives in it.
        iterations: optimizer steps taken (an integer array; 0 before training).
    """

    def __init__(self, learning_rate: float = 0.001, **kwargs: Any) -> None:
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
        self._check_lr(learning_rate)
        self._initial_learning_rate = float(learning_rate)
        self.state: Any = None
        self.iterations: Any = np.int32(0)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")

    @property
    def learning_rate(self) -> float:
        """Current learning rate: read from :attr:`state` once training started."""
        if self.state is None:
            return self._initial_learning_rate
        return get_learning_rate(self.state, owner=f"{type(self).__name__}.learning_rate")

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        """Change the learning rate; takes effect at the next epoch, without recompiling."""
        self._check_lr(value)
        if self.state is None:
            self._initial_learning_rate = float(value)
        else:
            owner = f"{type(self).__name__}.learning_rate"
            self.state = set_learning_rate(self.state, value, owner=owner)

    def _check_lr(self, lr: Any) -> None:
        if not is_number(lr) or not lr > 0:
            raise ValueError(
                f"{type(self).__name__}: learning_rate must be a positive number, got {lr!r}"
            )

    def _build(self, learning_rate: float) -> optax.GradientTransformation:
        raise NotImplementedError

    @property
    def transform(self) -> optax.GradientTransformation:
        """The Optax transformation, learning rate injected as a hyperparameter."""
        return optax.inject_hyperparams(self._build)(learning_rate=self._initial_learning_rate)

    def reset(self) -> None:
        """Forget the state (a new ``compile``): the next fit starts from the configured rate."""
        if self.state is not None:
            self._initial_learning_rate = self.learning_rate
        self.state = None
        self.iterations = np.int32(0)

    def get_config(self) -> dict[str, Any]:
        """Arguments of this optimizer, as Keras reports them."""
        config: dict[str, Any] = {"learning_rate": self._initial_learning_rate}
        skip = ("state", "iterations")
        config.update(
            {k: v for k, v in vars(self).items() if not k.startswith("_") and k not in skip}
        )
        return config

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class OptaxOptimizer(Optimizer):
    """Any ``optax.GradientTransformation``, used as it is (``compile(optimizer=optax.sgd(0.1))``).

        Its learning rate can be read and changed only when the transformation was made
        with ``optax.inject_hyperparams`` and a number (not a schedule) as its rate.

        Example:
            >>> import optax

    from rnnlab.validation import is_number
            >>> OptaxOptimizer(optax.sgd(0.1)).transform is not None
            True
    """

    def __init__(self, transform: optax.GradientTransformation) -> None:
        if not isinstance(transform, optax.GradientTransformation):
            raise TypeError(
                f"OptaxOptimizer: expected an optax.GradientTransformation, got {transform!r}"
            )
        self._transform = transform
        self.state = None
        self.iterations = np.int32(0)

    @property
    def learning_rate(self) -> float:
        """The injected learning rate (the state must exist and hold one)."""
        return get_learning_rate(self.state, owner="optimizer.learning_rate")

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self._check_lr(value)
        self.state = set_learning_rate(self.state, value, owner="optimizer.learning_rate")

    @property
    def transform(self) -> optax.GradientTransformation:
        """The Optax transformation given."""
        return self._transform

    def reset(self) -> None:
        self.state = None
        self.iterations = np.int32(0)

    def get_config(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return f"OptaxOptimizer({self._transform!r})"


class Adam(Optimizer):
    """Adam (Keras defaults: lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7).

    Example:
        >>> Adam(lr=0.005).learning_rate
        0.005
    """

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def _build(self, learning_rate):
        if self.amsgrad:
            return optax.amsgrad(learning_rate, self.beta_1, self.beta_2, self.epsilon)
        return optax.adam(learning_rate, self.beta_1, self.beta_2, self.epsilon)


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras default ``weight_decay=0.004``).

    Example:
        >>> AdamW(weight_decay=0.01).weight_decay
        0.01
    """

    def __init__(self, learning_rate: float = 0.001, weight_decay: float = 0.004, **kwargs: Any):
        super().__init__(learning_rate, **kwargs)
        self.weight_decay = weight_decay

    def _build(self, learning_rate):
        return optax.adamw(
            learning_rate, self.beta_1, self.beta_2, self.epsilon, weight_decay=self.weight_decay
        )


class Adamax(Adam):
    """Adamax (infinity-norm Adam), Keras defaults.

    Example:
        >>> Adamax().learning_rate
        0.001
    """

    def _build(self, learning_rate):
        return optax.adamax(learning_rate, self.beta_1, self.beta_2, self.epsilon)


class Nadam(Adam):
    """Adam with Nesterov momentum, Keras defaults.

    Example:
        >>> Nadam().beta_1
        0.9
    """

    def _build(self, learning_rate):
        return optax.nadam(learning_rate, self.beta_1, self.beta_2, self.epsilon)


class SGD(Optimizer):
    """Stochastic gradient descent (Keras defaults: lr 0.01, momentum 0, no Nesterov).

    Example:
        >>> SGD(0.1, momentum=0.9).momentum
        0.9
    """

    def __init__(
        self,
        learning_rate: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.momentum, self.nesterov = momentum, nesterov

    def _build(self, learning_rate):
        return optax.sgd(learning_rate, momentum=self.momentum or None, nesterov=self.nesterov)


class RMSprop(Optimizer):
    """RMSprop (Keras defaults: lr 0.001, rho 0.9, momentum 0, epsilon 1e-7).

    Example:
        >>> RMSprop().rho
        0.9
    """

    def __init__(
        self,
        learning_rate: float = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _build(self, learning_rate):
        return optax.rmsprop(
            learning_rate,
            decay=self.rho,
            eps=self.epsilon,
            momentum=self.momentum or None,
            centered=self.centered,
        )


class Adagrad(Optimizer):
    """Adagrad (Keras defaults: lr 0.001, initial accumulator 0.1, epsilon 1e-7).

    Example:
        >>> Adagrad().initial_accumulator_value
        0.1
    """

    def __init__(
        self,
        learning_rate: float = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _build(self, learning_rate):
        return optax.adagrad(
            learning_rate,
            initial_accumulator_value=self.initial_accumulator_value,
            eps=self.epsilon,
        )


def find_inject_state(opt_state: Any) -> Any:
    """The first ``optax.inject_hyperparams`` state inside ``opt_state``, or ``None``.

    Looks through ``optax.multi_transform`` and ``chain`` states.

    Example:
        >>> import jax.numpy as jnp
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
        >>> state = Adam(0.01).transform.init({"w": jnp.zeros(2)})
        >>> round(float(find_hyperparams(state)["learning_rate"]), 6)
        0.01
    """
    state = find_inject_state(opt_state)
    return None if state is None else state.hyperparams


_BY_NAME: dict[str, type[Optimizer]] = {
    "adam": Adam,
    "adamw": AdamW,
    "adamax": Adamax,
    "nadam": Nadam,
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
}


def get(identifier: Any) -> Optimizer:
    """Resolve ``compile``'s optimizer argument to an :class:`Optimizer`.

    Accepts a Keras name (``"adam"``), an :class:`Optimizer` (returned as is), or
    an Optax ``GradientTransformation`` (wrapped in :class:`OptaxOptimizer`).

    Example:
        >>> get("sgd").learning_rate
        0.01
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    if isinstance(identifier, optax.GradientTransformation):
        return OptaxOptimizer(identifier)
    valid = ", ".join(sorted(_BY_NAME))
    raise ValueError(
        f"compile: unknown optimizer {identifier!r}; expected one of: {valid}, "
        "an rnnlab.optimizers.Optimizer, or an optax.GradientTransformation"
    )


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
