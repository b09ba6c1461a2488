"""The live progress display of ``rnnlab chapter``: a rich bar on a terminal, plain lines
otherwise (:class:`Display`, a :class:`~rnnlab.apps.chapter.pipeline.RunObserver`).

Example:
    >>> with Display(Console()) as display:  # doctest: +SKIP
    ...     run = pipeline.run_chapter(config, observer=display)
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rnnlab.apps.chapter import pipeline, recipes, report_seeds
from rnnlab.callbacks import Callback

__all__ = ["Display", "EpochLogger"]


class EpochLogger(Callback):
    """Reports each finished epoch of one model to a :class:`Display`."""

    def __init__(self, display: Display, name: str, epochs: int) -> None:
        super().__init__()
        self.display, self.name, self.epochs = display, name, epochs

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.display.epoch_done(self.name, epoch + 1, self.epochs, logs or {})


class Display(pipeline.RunObserver):
    """Live progress: a rich bar on a terminal, plain lines otherwise."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self.progress: Progress | None = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> Display:
        if self.live:
            self.progress = Progress(
                TextColumn("[bold cyan]{task.description}[/] epoch"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[logs]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def line(self, text: str) -> None:
        """Print one plain line (above the bar on a terminal)."""
        if self.live:
            self.console.print(text, markup=False, highlight=False)
        else:
            print(text, flush=True)

    def model_started(self, name: str, index: int, total: int, summary: str) -> None:
        self.line(f"\n[{name}] model {index}/{total}: {recipes.RECIPES[name].description}")
        self.line(summary)
        if self.progress is not None:
            self.tasks[name] = self.progress.add_task(f"{name} ({index}/{total})", logs="")

    def callbacks(self, name: str, epochs: int) -> list[Callback]:
        if self.progress is not None:
            self.progress.update(self.tasks[name], total=epochs, completed=0)
        return [EpochLogger(self, name, epochs)]

    def epoch_done(self, name: str, epoch: int, epochs: int, logs: dict[str, float]) -> None:
        """One epoch of ``name`` finished (``epoch`` is 1-based); may come from any thread."""
        values = " ".join(f"{k} {v:.4f}" for k, v in logs.items())
        if self.progress is not None:
            self.progress.update(self.tasks[name], completed=epoch, logs=values)
        else:
            print(f"[{name}] epoch {epoch}/{epochs} {values}", flush=True)

    def model_finished(self, result: pipeline.ModelResult) -> None:
        ref = result.chapter_mse
        text = f"[{result.name}] val MSE {result.val_mse:.5f}"
        if result.replicas:
            values = result.val_values
            text = (
                f"[{result.name}] val MSE {report_seeds.mean_std(values)} over {values.size} seeds"
            )
        text += f" (chapter {ref:.5f})" if ref is not None else ""
        if result.name != "naive":
            text += f", trained in {result.train_seconds:.1f} s"
        if self.progress is not None and result.name in self.tasks:
            self.progress.remove_task(self.tasks.pop(result.name))
        self.line(text)
