"""Callbacks that change the learning rate: ReduceLROnPlateau and LearningRateScheduler.

The rate lives in the optimizer's Optax state: both read and write it through
``model.optimizer.learning_rate`` (:func:`rnnlab.optimizers.get_learning_rate` /
:func:`~rnnlab.optimizers.set_learning_rate`), so changing it recompiles nothing.

Example:
    >>> ReduceLROnPlateau(factor=0.5).factor
    0.5
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from rnnlab.callbacks.base import Callback
from rnnlab.callbacks.monitor import MODES, direction, monitor_value
from rnnlab.validation import is_number, non_negative_int

__all__ = ["LearningRateScheduler", "ReduceLROnPlateau"]


def _optimizer(model: Any, owner: str) -> Any:
    """The model's optimizer, whose ``learning_rate`` reads and writes its Optax state."""
    opt = getattr(model, "optimizer", None)
    if opt is None:
        raise RuntimeError(
            f"{owner}: the model has no optimizer; call model.compile(optimizer=..., loss=...) "
            "first"
        )
    return opt


def _get_lr(model: Any, owner: str) -> float:
    try:
        return float(_optimizer(model, owner).learning_rate)
    except ValueError as exc:  # a plain Optax transformation or a schedule
        raise ValueError(f"{owner}: {exc}") from None


def _set_lr(model: Any, value: float, owner: str) -> None:
    _get_lr(model, owner)  # the same clear error when the rate cannot change
    _optimizer(model, owner).learning_rate = float(value)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when a quantity stops improving.

    After ``patience`` epochs without an improvement of more than ``min_delta``,
    the rate becomes ``max(lr * factor, min_lr)``; then ``cooldown`` epochs pass
    before epochs without improvement are counted again. The rate lives in the
    optimizer state, so changing it does not recompile the epoch. Like Keras 3,
    it adds ``learning_rate`` (the rate used during that epoch) to the epoch's
    logs, hence to ``History``.

    Args:
        monitor: key of the epoch logs to watch.
        factor: multiplier of the learning rate, ``0 < factor < 1``.
        patience: epochs without improvement before reducing.
        verbose: 1 prints a line at each reduction.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (see :class:`EarlyStopping`).
        min_delta: smallest change that counts as an improvement.
        cooldown: epochs after a reduction during which no epoch is counted.
        min_lr: lower bound of the learning rate.

    Raises:
        ValueError: ``factor`` is not in ``(0, 1)``; or, at the start of training,
            the optimizer is a plain Optax transformation whose rate cannot change.

    Example:
        >>> reduce_lr = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=5)
        >>> # model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[reduce_lr])
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        if "epsilon" in kwargs:  # tf.keras 1.x/2.x name of min_delta
            min_delta = kwargs.pop("epsilon")
            warnings.warn(
                "ReduceLROnPlateau: `epsilon` is deprecated; use `min_delta`", stacklevel=2
            )
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unexpected arguments {sorted(kwargs)}")
        if not is_number(factor) or not 0 < factor < 1:
            raise ValueError(
                "ReduceLROnPlateau: factor must be a number in (0, 1) "
                f"(new_lr = lr * factor), got factor={factor!r}"
            )
        if not min_lr >= 0:
            raise ValueError(f"ReduceLROnPlateau: min_lr must be >= 0, got min_lr={min_lr!r}")
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = non_negative_int(patience, "patience", "ReduceLROnPlateau")
        self.verbose = verbose
        self.mode = mode if mode in MODES else "auto"
        self._direction = direction("ReduceLROnPlateau", mode, monitor)
        self.min_delta = float(min_delta)
        self.cooldown = non_negative_int(cooldown, "cooldown", "ReduceLROnPlateau")
        self.min_lr = float(min_lr)
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.cooldown_counter = 0
        self.best = math.inf if self._direction == "min" else -math.inf

    def _is_improvement(self, value: float) -> bool:
        if self._direction == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def get_state(self) -> dict[str, Any]:
        return {"wait": self.wait, "cooldown_counter": self.cooldown_counter, "best": self.best}

    def set_state(self, state: dict[str, Any]) -> None:
        self.wait, self.cooldown_counter = int(state["wait"]), int(state["cooldown_counter"])
        self.best = float(state["best"])

    def in_cooldown(self) -> bool:
        """Whether the callback is in its cooldown period after a reduction."""
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self._reset()
        _get_lr(self.model, "ReduceLROnPlateau")  # fail before the first epoch

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if logs is None:
            logs = {}
        logs["learning_rate"] = _get_lr(self.model, "ReduceLROnPlateau")
        current = monitor_value("ReduceLROnPlateau", self.monitor, logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = _get_lr(self.model, "ReduceLROnPlateau")
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    _set_lr(self.model, new_lr, "ReduceLROnPlateau")
                    if self.verbose > 0:
                        print(
                            f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                            f"to {new_lr}."
                        )
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of every epoch from ``schedule``.

    ``schedule(epoch, lr)`` gets the 0-based epoch and the current rate and
    returns the new rate (a one-argument ``schedule(epoch)`` works too, as in old
    Keras). The rate lives in the optimizer state: no recompilation. The rate
    used is added to the epoch's logs as ``learning_rate``, as in Keras 3.

    Args:
        schedule: ``(epoch, lr) -> new lr``, a positive number.
        verbose: 1 prints the rate set at each epoch.

    Raises:
        ValueError: ``schedule`` returned something other than a positive finite
            number, or the optimizer's rate cannot be changed (plain Optax).

    Example:
        >>> def schedule(epoch, lr):
        ...     return lr if epoch < 10 else lr * 0.9
        >>> cb = LearningRateScheduler(schedule)
        >>> # model.fit(x, y, epochs=30, callbacks=[cb])
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler: schedule must be a function (epoch, lr) -> lr, "
                f"got {schedule!r}"
            )
        self.schedule = schedule
        self.verbose = verbose
        self._takes_lr = _accepts_two_args(schedule)

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        _get_lr(self.model, "LearningRateScheduler")  # fail before the first epoch

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        lr = _get_lr(self.model, "LearningRateScheduler")
        value = self.schedule(epoch, lr) if self._takes_lr else self.schedule(epoch)
        new_lr = _as_learning_rate(value, epoch, lr)
        _set_lr(self.model, new_lr, "LearningRateScheduler")
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {new_lr}.")

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = _get_lr(self.model, "LearningRateScheduler")


def _accepts_two_args(fn: Callable[..., Any]) -> bool:
    """Whether ``fn(epoch, lr)`` binds (else the old one-argument ``fn(epoch)`` form)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # builtins without a signature: assume the new form
        return True
    try:
        signature.bind(0, 0.1)
    except TypeError:
        return False
    return True


def _as_learning_rate(value: Any, epoch: int, lr: float) -> float:
    """``value`` as a float learning rate, or a ValueError saying what the schedule gave."""
    scalar = isinstance(value, int | float | np.integer | np.floating) or (
        isinstance(value, np.ndarray | jax.Array) and value.ndim == 0
    )
    real = scalar and np.issubdtype(np.asarray(value).dtype, np.number)
    number = float(value) if real and not np.iscomplexobj(value) else None
    if number is None or not math.isfinite(number) or number <= 0:
        raise ValueError(
            f"LearningRateScheduler: schedule(epoch={epoch}, lr={lr:g}) must return a positive "
            f"finite number (the new learning rate), got {value!r}"
        )
    return number
