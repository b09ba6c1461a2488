"""The optimizer base: Keras-style arguments, an Optax transformation, and its state.

Example:
    >>> import optax
    >>> OptaxOptimizer(optax.sgd(0.1)).state is None
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import optax

from rnnlab.optimizers.learning_rate import get_learning_rate, set_learning_rate
from rnnlab.validation import is_number

__all__ = ["OptaxOptimizer", "Optimizer"]


class Optimizer:
    """Base: Keras-style arguments, the Optax transformation, and (once training
    started) its state.

    Args:
        learning_rate: step size (``lr=`` is accepted too, as in old Keras).

    Attributes:
        state: the Optax state of the model this optimizer trains (``None`` until
            the first ``fit``); the learning rate lives in it.
        iterations: optimizer steps taken (an integer array; 0 before training).
        elementwise: whether each weight's update depends only on its own gradient and
            state (so the compiled epoch may update all weights as one vector:
            :mod:`rnnlab.training.flat`); ``False`` unless a subclass says so.
    """

    elementwise = False

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
