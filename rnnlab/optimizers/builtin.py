"""Keras's optimizers by name and argument, each built from its Optax counterpart.

Note: Keras adds ``epsilon`` to ``sqrt(v)`` before bias correction, Optax after;
with ``epsilon=1e-7`` the difference is below float32 noise after a few steps
(docs/keras-format.md lists every difference).

Example:
    >>> Adam(learning_rate=0.005).learning_rate
    0.005
"""

from __future__ import annotations

from typing import Any

import optax

from rnnlab.optimizers.base import OptaxOptimizer, Optimizer

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Adamax", "Nadam", "RMSprop", "get"]


class Adam(Optimizer):
    """Adam (Keras defaults: lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7).

    Example:
        >>> Adam(lr=0.005).learning_rate
        0.005
    """

    elementwise = True  # per-weight arithmetic: the flat epoch applies

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

    elementwise = True  # per-weight arithmetic: the flat epoch applies

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

    elementwise = True  # per-weight arithmetic: the flat epoch applies

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

    elementwise = True  # per-weight arithmetic: the flat epoch applies

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
