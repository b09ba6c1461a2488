"""Stopping rules: :class:`EarlyStopping` and :class:`TerminateOnNaN`.

Example:
    >>> EarlyStopping(patience=3).patience
    3
"""

from __future__ import annotations

import math
from typing import Any

from rnnlab.callbacks.base import Callback
from rnnlab.callbacks.monitor import MODES, direction, monitor_value, snapshot
from rnnlab.validation import non_negative_int

__all__ = ["EarlyStopping", "TerminateOnNaN"]


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving (Keras's arguments).

    Each epoch counts one more epoch without improvement (``wait``); an improvement
    of more than ``min_delta`` over the best value so far resets the count (when
    ``baseline`` is given, only if the value also beats the baseline). Training
    stops, through ``model.stop_training``, once ``wait >= patience`` (never on the
    first epoch).

    Args:
        monitor: key of the epoch logs to watch (``"val_loss"``, ``"loss"``, ``"val_mae"``…).
        min_delta: smallest change that counts as an improvement (its sign is ignored).
        patience: epochs without improvement before stopping.
        verbose: 1 prints a line when training stops and when weights are restored.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (maximize names containing ``acc``
            or ``auc``, minimize the rest).
        baseline: value the monitor must beat for ``wait`` to reset.
        restore_best_weights: at the end of training (stopped early or not, as in
            Keras 3) put back the weights of the epoch with the best monitored value.
        start_from_epoch: epochs to ignore at the start (warm-up).

    Attributes:
        best: best monitored value so far. ``best_epoch``: its epoch (0-based).
        wait: epochs since the last improvement. ``stopped_epoch``: epoch at which
            training was stopped (0 when it was not). ``best_weights``: the params
            pytree of the best epoch (with ``restore_best_weights``).

    Example:
        >>> stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
        >>> # model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        self.patience = non_negative_int(patience, "patience", "EarlyStopping")
        self.verbose = verbose
        self.mode = mode if mode in MODES else "auto"
        self._direction = direction("EarlyStopping", mode, monitor)
        self.baseline = None if baseline is None else float(baseline)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = non_negative_int(
            start_from_epoch, "start_from_epoch", "EarlyStopping"
        )
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = math.inf if self._direction == "min" else -math.inf
        self.best_weights: Any = None
        self.best_epoch = 0

    def get_state(self) -> dict[str, Any]:
        return {
            "wait": self.wait,
            "stopped_epoch": self.stopped_epoch,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "best_weights": self.best_weights,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.wait, self.stopped_epoch = int(state["wait"]), int(state["stopped_epoch"])
        self.best, self.best_epoch = float(state["best"]), int(state["best_epoch"])
        self.best_weights = state["best_weights"]

    def _is_improvement(self, value: float, reference: float) -> bool:
        if self._direction == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self._reset()  # the same instance can serve several fits

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        current = monitor_value("EarlyStopping", self.monitor, logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = snapshot(self.model.params)
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = snapshot(self.model.params)
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(
                    f"Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.params = self.best_weights


class TerminateOnNaN(Callback):
    """Stop training, without raising, when the loss becomes NaN or infinite.

    Without it ``fit`` raises ``FloatingPointError``. The check runs inside the
    compiled epoch (``fit`` looks for ``terminate_on_nan = True``): the update of
    the bad batch and every later one are skipped, so the model keeps the last
    finite weights, and the epoch's logs hold ``loss = nan``.

    Example:
        >>> cb = TerminateOnNaN()
        >>> cb.terminate_on_nan
        True
        >>> # model.fit(x, y, epochs=10, callbacks=[TerminateOnNaN()])
    """

    terminate_on_nan = True

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        # fit already stops itself; this covers callers that drive the hooks directly.
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)) and self.model is not None:
            self.model.stop_training = True
