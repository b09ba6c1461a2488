"""Keras-named optimizers, all built from Optax.

Each class takes Keras's arguments and defaults and exposes ``.transform``, an
``optax.GradientTransformation`` whose learning rate lives in its state
(``optax.inject_hyperparams``), so callbacks can change it without recompiling.
``compile`` also takes a name (``"adam"``) or any Optax transformation.

Note: Keras adds ``epsilon`` to ``sqrt(v)`` before bias correction, Optax after;
with ``epsilon=1e-7`` the difference is below float32 noise after a few steps.

Example:
    >>> import optax
    >>> opt = Adam(learning_rate=0.005)
    >>> isinstance(opt.transform, optax.GradientTransformation)
    True
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np
import optax

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "find_hyperparams",
    "find_inject_state",
    "get",
]


class Optimizer:
    """Base: holds Keras-style arguments and builds the Optax transformation.

    Args:
        learning_rate: step size (``lr=`` is accepted too, as in old Keras).
    """

    def __init__(self, learning_rate: float = 0.001, **kwargs: Any) -> None:
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
        self._check_lr(learning_rate)
        self._learning_rate = float(learning_rate)
        self._model: Any = None  # set by Sequential.compile
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")

    @property
    def learning_rate(self) -> float:
        """Current learning rate; once training started, read from the optimizer state."""
        state = getattr(self._model, "_opt_state", None)
        if state is not None:
            hyper = find_hyperparams(state)
            if hyper is not None:
                return float(hyper["learning_rate"])
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        """Change the learning rate; takes effect at the next epoch, without recompiling."""
        self._check_lr(value)
        self._learning_rate = float(value)
        state = getattr(self._model, "_opt_state", None)
        if state is not None:
            hyper = find_hyperparams(state)
            if hyper is not None:
                hyper["learning_rate"] = jnp.asarray(value, hyper["learning_rate"].dtype)

    def _check_lr(self, lr: Any) -> None:
        if isinstance(lr, bool) or not isinstance(lr, int | float | np.floating) or not lr > 0:
            raise ValueError(
                f"{type(self).__name__}: learning_rate must be a positive number, got {lr!r}"
            )

    def _build(self, learning_rate: float) -> optax.GradientTransformation:
        raise NotImplementedError

    @property
    def transform(self) -> optax.GradientTransformation:
        """The Optax transformation, learning rate injected as a hyperparameter."""
        return optax.inject_hyperparams(self._build)(learning_rate=self._learning_rate)

    def get_config(self) -> dict[str, Any]:
        """Arguments of this optimizer, as Keras reports them."""
        config = {"learning_rate": self._learning_rate}
        config.update({k: v for k, v in vars(self).items() if not k.startswith("_")})
        return config

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


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


def get(identifier: Any) -> tuple[optax.GradientTransformation, Optimizer | None]:
    """Resolve ``compile``'s optimizer argument to ``(optax transformation, wrapper or None)``.

    Accepts a Keras name (``"adam"``), an :class:`Optimizer`, or an Optax
    ``GradientTransformation`` used as is.

    Example:
        >>> tx, opt = get("sgd")
        >>> opt.learning_rate
        0.01
    """
    if isinstance(identifier, Optimizer):
        return identifier.transform, identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        opt = _BY_NAME[identifier.lower()]()
        return opt.transform, opt
    if isinstance(identifier, optax.GradientTransformation):
        return identifier, None
    valid = ", ".join(sorted(_BY_NAME))
    raise ValueError(
        f"compile: unknown optimizer {identifier!r}; expected one of: {valid}, "
        "an rnnlab.optimizers.Optimizer, or an optax.GradientTransformation"
    )
