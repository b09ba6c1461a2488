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
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def format_logs(logs: dict[str, float]) -> str:
    """``loss: 0.0123 - val_loss: 0.0110``: four significant decimals, as Keras shows."""
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


class EpochProgress:
    """Shows training progress: a live bar on a terminal (``verbose=1``), else plain lines.

    On a terminal with ``verbose=1`` (:attr:`live`), a rich bar fills as the
    epoch's batches finish, with the running loss, and each finished epoch
    leaves a line like Keras's. Otherwise (``verbose=2``, or output that is not
    a terminal) one line per epoch; ``verbose=0`` shows nothing.

    Args:
        epochs: total number of epochs.
        verbose: 0 silent, 1 bar (lines when not a terminal), 2 one line per epoch.
        initial_epoch: first epoch index (for resumed training).
        console: where to draw (default: a rich Console on stdout).
    """

    def __init__(
        self, epochs: int, verbose: int, initial_epoch: int = 0, console: Console | None = None
    ) -> None:
        self.epochs = epochs
        self.verbose = verbose
        self.initial_epoch = initial_epoch
        self._console = console or Console(file=sys.stdout)
        self.live = verbose == 1 and self._console.is_terminal
        self._bar: Progress | None = None
        self._task: Any = None
        self._loss_sum = 0.0
        self._weight = 0.0

    def __enter__(self) -> EpochProgress:
        if self.live:
            self._bar = Progress(
                TextColumn("[bold]Epoch {task.fields[epoch]}/{task.fields[epochs]}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[logs]}"),
                TimeElapsedColumn(),
                console=self._console,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("fit", total=1, epoch=0, epochs=self.epochs, logs="")
        return self

    def begin_epoch(self, epoch: int, steps: int) -> None:
        """A new epoch (0-based) of ``steps`` batches starts."""
        self._loss_sum, self._weight = 0.0, 0.0
        if self._bar is not None:
            self._bar.reset(self._task, total=steps, epoch=epoch + 1, epochs=self.epochs, logs="")

    def batch(self, loss_sum: float, weight: float) -> None:
        """One batch finished with summed loss ``loss_sum`` over ``weight`` samples."""
        self._loss_sum += loss_sum
        self._weight += weight
        if self._bar is not None:
            running = self._loss_sum / max(self._weight, 1e-12)
            self._bar.update(self._task, advance=1, logs=f"loss: {running:.4f}")

    def update(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        """Report the end of ``epoch`` (0-based) with its logs and wall time."""
        if self.verbose == 0:
            return
        line = f"Epoch {epoch + 1}/{self.epochs} - {seconds:.2f}s - {format_logs(logs)}"
        if self._bar is not None:
            self._bar.console.print(line, highlight=False)
        else:
            print(line)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
