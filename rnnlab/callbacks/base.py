"""The callback protocol: :class:`Callback`, :class:`History` and :class:`CallbackList`.

Epochs run as one compiled call, so hooks are per epoch, never per batch:
adding callbacks adds no Python work inside an epoch.

Example:
    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, logs["loss"])
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["Callback", "CallbackList", "History"]


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

    #: Callbacks that restore or save the whole run (``BackupAndRestore``) run after
    #: every other one, History included, at each hook.
    runs_last: bool = False

    def get_state(self) -> dict[str, Any]:
        """What this callback has learned during a fit (counters, best values, weights),
        for a backup to save; ``{}`` for a callback that keeps nothing."""
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        """Take back :meth:`get_state`'s dict (a resumed run)."""

    def set_callback_list(self, callbacks: list[Callback]) -> None:
        """Receive every callback of the fit (for those that save the others' state)."""


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

    def get_state(self) -> dict[str, Any]:
        return {"history": {k: list(v) for k, v in self.history.items()}, "epoch": list(self.epoch)}

    def set_state(self, state: dict[str, Any]) -> None:
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.epoch = list(state["epoch"])

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


class CallbackList:
    """Calls every callback's hook in order: the others, then :class:`History`, then the
    ``runs_last`` ones.

    History comes after the others, as in Keras, so that what they add to an
    epoch's logs (``learning_rate`` from :class:`ReduceLROnPlateau`) is recorded;
    a backup (``runs_last``) comes after History, so it saves the epoch just recorded
    and, when it restores a run, restores History after History's own reset.

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
        histories = [cb for cb in callbacks if isinstance(cb, History)]
        last = [cb for cb in callbacks if cb.runs_last and cb not in histories]
        others = [cb for cb in callbacks if cb not in histories and cb not in last]
        self.callbacks = others + histories + last

    def set_model(self, model: Any) -> None:
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_callback_list(self.callbacks)

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
