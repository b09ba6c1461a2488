"""Progress display for ``fit``: a rich progress bar on a terminal, plain lines otherwise.

Example:
    >>> with EpochProgress(epochs=2, verbose=2) as p:
    ...     p.update(0, {"loss": 0.5}, seconds=0.1)
    Epoch 1/2 - 0.10s - loss: 0.5000
"""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


def format_logs(logs: dict[str, float]) -> str:
    """``loss: 0.0123 - val_loss: 0.0110``: four significant decimals, as Keras shows."""
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


class EpochProgress:
    """Shows one line per epoch (``verbose=2`` or not a terminal) or a live bar (``verbose=1``).

    Args:
        epochs: total number of epochs.
        verbose: 0 silent, 1 bar (lines when not a terminal), 2 one line per epoch.
        initial_epoch: first epoch index (for resumed training).
    """

    def __init__(self, epochs: int, verbose: int, initial_epoch: int = 0) -> None:
        self.epochs = epochs
        self.verbose = verbose
        self.initial_epoch = initial_epoch
        self._console = Console(file=sys.stdout)
        self._bar: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> EpochProgress:
        if self.verbose == 1 and self._console.is_terminal:
            self._bar = Progress(
                TextColumn("[bold]Epoch {task.completed}/{task.total}"),
                BarColumn(),
                TextColumn("{task.fields[logs]}"),
                TimeElapsedColumn(),
                console=self._console,
            )
            self._bar.start()
            self._task = self._bar.add_task(
                "fit", total=self.epochs, completed=self.initial_epoch, logs=""
            )
        return self

    def update(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        """Report the end of ``epoch`` (0-based) with its logs and wall time."""
        if self.verbose == 0:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=epoch + 1, logs=format_logs(logs))
        else:
            print(f"Epoch {epoch + 1}/{self.epochs} - {seconds:.2f}s - {format_logs(logs)}")

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
