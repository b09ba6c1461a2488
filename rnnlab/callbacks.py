"""Callbacks: hooks called by ``fit`` at the start and end of training and of each epoch.

Epochs run as one compiled call, so hooks are per epoch, never per batch:
adding callbacks adds no Python work inside an epoch.

Keras's callbacks, with Keras's names, arguments and defaults:
:class:`EarlyStopping`, :class:`ReduceLROnPlateau`, :class:`LearningRateScheduler`,
:class:`TerminateOnNaN`, :class:`CSVLogger`, :class:`LambdaCallback` (and
:class:`History`, which ``fit`` returns).

Example:
    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, logs["loss"])
"""

from __future__ import annotations

import csv
import inspect
import math
import numbers
import os
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import jax
import numpy as np

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]


class Callback:
    """Base class; override the hooks you need. ``self.model`` is set by ``fit``.

    Hooks: ``on_train_begin(logs)``, ``on_epoch_begin(epoch, logs)``,
    ``on_epoch_end(epoch, logs)`` (``logs`` holds ``loss``, ``val_loss`` and
    metrics for that epoch), ``on_train_end(logs)``. Setting
    ``self.model.stop_training = True`` ends training after the current epoch.
    """

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        """Attach the model being trained."""
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        """Receive fit's settings (``epochs``, ``steps``, ``verbose``)."""
        self.params = params

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        """Called once before the first epoch."""

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        """Called once after the last epoch."""

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Called before each epoch (0-based)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Called after each epoch with that epoch's results."""


class History(Callback):
    """Records every epoch's logs; ``fit`` returns it.

    Attributes:
        history: dict of name → list with one value per epoch
            (``loss``, ``val_loss``, metrics, ``val_<metric>``).
        epoch: list of epoch indices (0-based).

    Example:
        >>> h = History()
        >>> h.on_epoch_end(0, {"loss": 0.5})
        >>> h.history
        {'loss': [0.5]}
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


class CallbackList:
    """Calls every callback's hook in order, :class:`History` last.

    History comes last, as in Keras, so that what other callbacks add to an
    epoch's logs (``learning_rate`` from :class:`ReduceLROnPlateau`) is recorded.

    Example:
        >>> cbs = CallbackList([History()])
        >>> cbs.on_epoch_end(0, {"loss": 1.0})
    """

    def __init__(self, callbacks: Iterable[Callback]) -> None:
        callbacks = list(callbacks)
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"fit: callbacks must be rnnlab.callbacks.Callback instances, got {cb!r}"
                )
        others = [cb for cb in callbacks if not isinstance(cb, History)]
        self.callbacks = others + [cb for cb in callbacks if isinstance(cb, History)]

    def set_model(self, model: Any) -> None:
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params: dict[str, Any]) -> None:
        for cb in self.callbacks:
            cb.set_params(params)

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_train_begin(logs)

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_train_end(logs)

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)


# -- helpers shared by the callbacks below -----------------------------------------------
_MODES = ("auto", "min", "max")
_BATCH_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)


def _direction(owner: str, mode: str, monitor: str) -> str:
    """``"min"`` or ``"max"``: ``mode``, or for ``"auto"`` from the monitor's name.

    ``auto`` maximizes names containing ``acc`` or ``auc`` and minimizes the rest
    (losses, errors). An unknown mode warns and falls back to ``auto``, as in Keras.
    """
    if mode not in _MODES:
        warnings.warn(
            f"{owner}: mode {mode!r} is unknown (expected 'auto', 'min' or 'max'); "
            "falling back to 'auto'",
            stacklevel=3,
        )
        mode = "auto"
    if mode == "auto":
        name = monitor.lower()
        return "max" if "acc" in name or "auc" in name else "min"
    return mode


def _monitor_value(owner: str, monitor: str, logs: dict[str, float] | None) -> float | None:
    """``logs[monitor]`` as a float; ``None`` with a warning naming the available keys."""
    logs = logs or {}
    value = logs.get(monitor)
    if value is None:
        loss = logs.get("loss")
        if isinstance(loss, float) and not math.isfinite(loss):
            return None  # fit ended this epoch on a NaN loss: nothing else was computed
        hint = ""
        if monitor.startswith("val_"):
            hint = " (val_* values need validation_data or validation_split in fit)"
        warnings.warn(
            f"{owner} is conditioned on {monitor!r}, which is not in the epoch logs{hint}; "
            f"available keys: {', '.join(sorted(logs)) or 'none'}. "
            "Skipping this epoch.",
            stacklevel=3,
        )
        return None
    return float(value)


def _non_negative_int(value: Any, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{owner}: {name} must be a non-negative integer, got {value!r}")
    return int(value)


def _snapshot(params: Any) -> Any:
    """A copy of the params pytree's containers; JAX arrays are immutable, so shared."""
    return jax.tree.map(lambda a: a.copy() if isinstance(a, np.ndarray) else a, params)


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


# -- the callbacks ------------------------------------------------------------------------
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
        self.patience = _non_negative_int(patience, "patience", "EarlyStopping")
        self.verbose = verbose
        self.mode = mode if mode in _MODES else "auto"
        self._direction = _direction("EarlyStopping", mode, monitor)
        self.baseline = None if baseline is None else float(baseline)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = _non_negative_int(
            start_from_epoch, "start_from_epoch", "EarlyStopping"
        )
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = math.inf if self._direction == "min" else -math.inf
        self.best_weights: Any = None
        self.best_epoch = 0

    def _is_improvement(self, value: float, reference: float) -> bool:
        if self._direction == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self._reset()  # the same instance can serve several fits

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        current = _monitor_value("EarlyStopping", self.monitor, logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = _snapshot(self.model.params)
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _snapshot(self.model.params)
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
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0 < factor < 1:
            raise ValueError(
                "ReduceLROnPlateau: factor must be a number in (0, 1) "
                f"(new_lr = lr * factor), got factor={factor!r}"
            )
        if not min_lr >= 0:
            raise ValueError(f"ReduceLROnPlateau: min_lr must be >= 0, got min_lr={min_lr!r}")
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = _non_negative_int(patience, "patience", "ReduceLROnPlateau")
        self.verbose = verbose
        self.mode = mode if mode in _MODES else "auto"
        self._direction = _direction("ReduceLROnPlateau", mode, monitor)
        self.min_delta = float(min_delta)
        self.cooldown = _non_negative_int(cooldown, "cooldown", "ReduceLROnPlateau")
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
        current = _monitor_value("ReduceLROnPlateau", self.monitor, logs)
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


class CSVLogger(Callback):
    """Stream each epoch's logs to a CSV file, one row per epoch.

    The header is ``epoch`` then the log keys sorted by name (the keys of the first
    epoch), e.g. ``epoch,loss,val_loss``; ``epoch`` is 0-based, as in Keras. Rows
    use Python's CSV ``excel`` dialect (as Keras: ``\\r\\n`` line ends) and are
    flushed as they are written. A key missing in a later epoch is written ``NA``.

    Args:
        filename: path of the CSV file.
        separator: field separator.
        append: continue an existing file (no second header; the columns follow its
            header) instead of overwriting it.

    Example:
        >>> logger = CSVLogger("training.csv")
        >>> # model.fit(x, y, epochs=10, callbacks=[logger])
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = bool(append)
        self.keys: list[str] | None = None
        self.append_header = True
        self.writer: Any = None
        self.csv_file: Any = None

    def _dialect(self) -> type[csv.Dialect]:
        class Dialect(csv.excel):
            delimiter = self.sep

        return Dialect

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.keys = None
        self.append_header = True
        mode = "w"
        if self.append:
            mode = "a"
            if os.path.exists(self.filename):
                with open(self.filename, newline="") as f:
                    header = next(csv.reader(f, self._dialect()), None)
                if header:
                    self.append_header = False
                    self.keys = [k for k in header if k != "epoch"]
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")  # noqa: SIM115 (closed at train end)
        self.writer = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        logs = logs or {}
        if self.csv_file is None or self.csv_file.closed:
            raise RuntimeError("CSVLogger: on_train_begin must be called before on_epoch_end")
        if self.keys is None:
            self.keys = sorted(logs)
        elif not self.append_header and self.writer is None:
            extra = sorted(set(logs) - set(self.keys))
            if extra:
                warnings.warn(
                    f"CSVLogger: {self.filename} has no column for {extra}; appending only "
                    f"its columns {self.keys}",
                    stacklevel=2,
                )
        if self.writer is None:
            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch", *self.keys], dialect=self._dialect()
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update({key: _csv_value(logs.get(key, "NA")) for key in self.keys})
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _csv_value(value: Any) -> Any:
    """Floats as Python writes them (``repr``: reads back exactly); arrays as ``"[a, b]"``."""
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray | jax.Array) and np.ndim(value) == 0:
        return value.item()
    if isinstance(value, Iterable):
        return f"[{', '.join(map(str, value))}]"
    return value


class LambdaCallback(Callback):
    """A callback made from functions, for quick one-offs.

    Each argument, when given, replaces that hook and is called as Keras calls it:
    ``on_epoch_begin(epoch, logs)``, ``on_epoch_end(epoch, logs)``,
    ``on_train_begin(logs)``, ``on_train_end(logs)``. Per-batch hooks do not
    exist here (an epoch is one compiled call) and are refused.

    Example:
        >>> losses = []
        >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
        >>> cb.on_epoch_end(0, {"loss": 0.25})
        >>> losses
        [0.25]
    """

    def __init__(
        self,
        on_epoch_begin: Callable[[int, dict[str, float] | None], Any] | None = None,
        on_epoch_end: Callable[[int, dict[str, float] | None], Any] | None = None,
        on_train_begin: Callable[[dict[str, float] | None], Any] | None = None,
        on_train_end: Callable[[dict[str, float] | None], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        batch = sorted(k for k in kwargs if k in _BATCH_HOOKS)
        if batch:
            raise ValueError(
                f"LambdaCallback: per-batch hooks are not supported ({', '.join(batch)}): "
                "each epoch runs as one compiled call, so callbacks see epochs only; "
                "use on_epoch_begin/on_epoch_end"
            )
        if kwargs:
            raise TypeError(f"LambdaCallback: unexpected arguments {sorted(kwargs)}")
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
        }
        for name, fn in hooks.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be callable, got {fn!r}")
            setattr(self, name, fn)
