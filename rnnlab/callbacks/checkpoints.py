"""Files that outlast the process: :class:`ModelCheckpoint` and :class:`BackupAndRestore`.

Both write atomically (a temporary file in the same folder, fsync, rename), so a
crash mid-write leaves the previous file whole. An epoch is one compiled call, so
both act at epoch ends: an integer ``save_freq`` counts batches, and the file is
written at the end of the epoch in which that many batches have passed.

Example:
    >>> cb = ModelCheckpoint("best.keras", monitor="val_loss", save_best_only=True)
    >>> # model.fit(x, y, validation_data=(xv, yv), callbacks=[cb, BackupAndRestore("backup/")])
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import warnings
from pathlib import Path
from typing import Any

from rnnlab.callbacks.backup_file import BackupError, read_backup, write_backup
from rnnlab.callbacks.base import Callback
from rnnlab.callbacks.monitor import direction, monitor_value
from rnnlab.validation import positive_int

__all__ = ["BackupAndRestore", "ModelCheckpoint"]


class _Frequency:
    """When to write: every epoch, or at the end of the epoch in which a multiple of
    ``n`` batches is passed (batches counted across epochs)."""

    def __init__(self, save_freq: Any, owner: str) -> None:
        if save_freq != "epoch":
            positive_int(save_freq, "save_freq", f"{owner} (an integer or 'epoch')")
        self.save_freq = save_freq
        self.batches = 0

    def due(self, steps_per_epoch: int) -> bool:
        if self.save_freq == "epoch":
            return True
        before = self.batches // self.save_freq
        self.batches += steps_per_epoch
        return self.batches // self.save_freq > before


class ModelCheckpoint(Callback):
    """Save the model (or its weights) during training, as Keras's ``ModelCheckpoint``.

    Args:
        filepath: where to save; may hold ``{epoch:02d}`` (1-based, as Keras) and any
            log key, e.g. ``"ckpt-{epoch:02d}-{val_loss:.4f}.keras"``. Must end in
            ``.keras`` (whole model), or ``.weights.h5`` with ``save_weights_only``.
        monitor: log key compared with ``save_best_only``.
        verbose: 1 prints a line at each save.
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: write ``model.save_weights`` instead of ``model.save``.
        mode: ``"auto"``, ``"min"`` or ``"max"`` (see :class:`~rnnlab.callbacks.EarlyStopping`).
        save_freq: ``"epoch"`` or a number of batches (see the module docstring).
        initial_value_threshold: a first best value the monitor must beat.

    Example:
        >>> ModelCheckpoint("w-{epoch:02d}.weights.h5", save_weights_only=True).filepath
        'w-{epoch:02d}.weights.h5'
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__()
        self.filepath = os.fspath(filepath)
        suffix = ".weights.h5" if save_weights_only else ".keras"
        if not self.filepath.endswith(suffix):
            what = "save_weights_only=True" if save_weights_only else "save_weights_only=False"
            raise ValueError(
                f"ModelCheckpoint: with {what} the filepath must end in {suffix!r}, "
                f"got {self.filepath!r}"
            )
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self._direction = direction("ModelCheckpoint", mode, monitor)
        self._frequency = _Frequency(save_freq, "ModelCheckpoint")
        worst = math.inf if self._direction == "min" else -math.inf
        self.best = worst if initial_value_threshold is None else float(initial_value_threshold)

    def get_state(self) -> dict[str, Any]:
        return {"best": self.best, "batches": self._frequency.batches}

    def set_state(self, state: dict[str, Any]) -> None:
        self.best, self._frequency.batches = float(state["best"]), int(state["batches"])

    def _path(self, epoch: int, logs: dict[str, float]) -> str:
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as exc:
            raise KeyError(
                f"ModelCheckpoint: filepath {self.filepath!r} names {exc.args[0]!r}, which is "
                f"not in the epoch logs (available: {', '.join(sorted(logs))})"
            ) from None

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        logs = logs or {}
        if not self._frequency.due(int(self.params.get("steps", 1))):
            return
        if self.save_best_only:
            current = monitor_value("ModelCheckpoint", self.monitor, logs)
            better = current is not None and (
                current < self.best if self._direction == "min" else current > self.best
            )
            if not better:
                return
            self.best = current
        path = self._path(epoch, logs)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")


_BACKUP_NAME = re.compile(r"^backup-(\d{6})\.npz$")


class BackupAndRestore(Callback):
    """Resume a run that was killed exactly where its last backup left it, as Keras's
    ``BackupAndRestore`` — and bit for bit.

    After every epoch (or as ``save_freq`` says) the whole run is written to
    ``backup_dir``: the model's :class:`~rnnlab.training.TrainState` (weights,
    optimizer state and step, next epoch, the fit's PRNG key — which fixes every
    later epoch's sample order and dropout masks) and the state of the fit's other
    callbacks (History, EarlyStopping's patience and best value,
    ReduceLROnPlateau's wait, ModelCheckpoint's best). When ``fit`` starts and a
    backup is there, it is restored and training goes on from it; run the same
    command again after a crash and it ends with the weights and History of a run
    that never stopped. Backups are written atomically and the two newest kept: one
    that does not read back whole (cut short, corrupt, another model) is skipped for
    the one before it, with a warning.

    Args:
        backup_dir: folder for the backups (created when missing).
        save_freq: ``"epoch"`` or a number of batches (see the module docstring).
        delete_checkpoint: delete the backups when training ends normally.
        double_checkpoint: accepted for Keras compatibility (two backups are always kept).

    Example:
        >>> cb = BackupAndRestore("/tmp/rnnlab-backup")
        >>> # model.fit(x, y, epochs=100, callbacks=[cb])  # rerun the same line after a crash
    """

    runs_last = True

    def __init__(
        self,
        backup_dir: str | os.PathLike[str],
        save_freq: str | int = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if not os.fspath(backup_dir):
            raise ValueError("BackupAndRestore: backup_dir must be a folder path, got ''")
        self.backup_dir = Path(backup_dir)
        self.delete_checkpoint = bool(delete_checkpoint)
        self.double_checkpoint = bool(double_checkpoint)
        self._frequency = _Frequency(save_freq, "BackupAndRestore")
        self._callbacks: list[Callback] = []
        #: Epoch index training resumed from (``None`` when it started fresh).
        self.restored_epoch: int | None = None

    def set_callback_list(self, callbacks: list[Callback]) -> None:
        self._callbacks = [cb for cb in callbacks if cb is not self]

    def backups(self) -> list[Path]:
        """The backup files in ``backup_dir``, newest first (temporary files skipped)."""
        if not self.backup_dir.is_dir():
            return []
        found = [p for p in self.backup_dir.iterdir() if _BACKUP_NAME.match(p.name)]
        return sorted(found, key=lambda p: p.name, reverse=True)

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.restored_epoch = None
        self._frequency.batches = 0
        for path in self.backups():
            try:
                state, callback_states = read_backup(path, like=self.model.train_state)
            except BackupError as exc:
                warnings.warn(f"BackupAndRestore: skipping {exc}", stacklevel=2)
                continue
            self._restore(state, callback_states, path)
            return

    def _restore(self, state: Any, callback_states: list[dict[str, Any]], path: Path) -> None:
        *others, own = callback_states
        if len(others) != len(self._callbacks):
            raise BackupError(
                f"{path}: the backup holds the state of {len(others)} callbacks, this fit has "
                f"{len(self._callbacks)}; resume with the same callbacks"
            )
        self.model.train_state = state
        for cb, cb_state in zip(self._callbacks, others, strict=True):
            cb.set_state(cb_state)
        self._frequency.batches = int(own["batches"])
        self.restored_epoch = int(state.epoch)

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if not self._frequency.due(int(self.params.get("steps", 1))):
            return
        self.backup_dir.mkdir(parents=True, exist_ok=True)
        states = [cb.get_state() for cb in self._callbacks]
        states.append({"batches": self._frequency.batches})
        state = self.model.train_state
        write_backup(self.backup_dir / f"backup-{int(state.epoch):06d}.npz", state, states)
        for old in self.backups()[2:]:
            old.unlink(missing_ok=True)

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        if not self.delete_checkpoint:
            return
        for path in self.backups():
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # not empty (the user's files) or already gone
            self.backup_dir.rmdir()
