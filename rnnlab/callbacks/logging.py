"""Callbacks that record or run user code: :class:`CSVLogger`, :class:`LambdaCallback`.

Example:
    >>> LambdaCallback(on_epoch_end=lambda epoch, logs: None).on_epoch_end(0, {})
"""

from __future__ import annotations

import csv
import os
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import jax
import numpy as np

from rnnlab.callbacks.base import Callback

__all__ = ["CSVLogger", "LambdaCallback"]

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
