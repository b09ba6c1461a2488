"""``rnnlab chapter``: the subcommand's options, its live progress display and its run.

The top-level :mod:`rnnlab.cli` imports this module only when ``rnnlab chapter``
runs; it calls :func:`configure_parser` on the subcommand's parser and then
:func:`run_chapter_command` with the parsed arguments.

Example:
    $ rnnlab chapter --quick --out /tmp/chapter
    $ rnnlab chapter --models lstm,gru --epochs 15 --seed 42
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import rnnlab
from rnnlab.apps.chapter import pipeline, recipes, report
from rnnlab.callbacks import Callback

__all__ = [
    "Display",
    "UsageError",
    "build_parser",
    "config_from_args",
    "configure_parser",
    "results_table",
    "run_chapter_command",
]

CHAPTER_PROG = "rnnlab chapter"

CHAPTER_HELP = f"""\
Reproduce the RNN chapter: generate its two data sets (10,000 two-sine series,
7,000 / 2,000 / 1,000 for train / validation / test, 50 input steps, 1 or 10 targets),
score the naive last-value baseline, train the chapter's six models exactly as it builds
them (loss MSE, batch size 32, validation data), and write a report with figures.

models: {", ".join(recipes.MODEL_NAMES)} (naive always runs)

--out receives results.json, report.md and PNG figures (series.png, mse_by_model.png,
naive_forecast.png, <model>_loss.png, <model>_forecast.png). The folder is replaced
atomically at the end: an interrupted run leaves any previous report untouched.
"""


class UsageError(Exception):
    """A bad command-line value, reported as one line with exit status 2."""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Give the ``chapter`` subcommand's parser its description and options.

    Example:
        >>> parser = argparse.ArgumentParser(prog=CHAPTER_PROG)
        >>> configure_parser(parser)
        >>> parser.parse_args(["--quick", "--models", "lstm"]).models
        'lstm'
    """
    parser.description = CHAPTER_HELP
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--epochs",
        metavar="N",
        help=f"training epochs per model, a positive integer (default 15; "
        f"{pipeline.QUICK_EPOCHS} with --quick)",
    )
    parser.add_argument(
        "--seed", metavar="SEED", default="42", help="seed of data and weights (default 42)"
    )
    parser.add_argument(
        "--models",
        metavar="NAMES",
        help="comma-separated models to train, e.g. lstm,gru; 'naive' alone trains none "
        "(default: all six)",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default="reports/chapter",
        help="report folder, replaced at the end (default reports/chapter)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"small data ({pipeline.QUICK_SERIES} series per set) and "
        f"{pipeline.QUICK_EPOCHS} epochs: seconds, for tests and a first look",
    )
    parser.add_argument(
        "--jobs",
        metavar="N",
        help="models trained at once, a positive integer (default: one more than the CPU cores; "
        "1 trains them one after another)",
    )
    parser.add_argument(
        "--save-models",
        action="store_true",
        help="also write each trained model as a .keras file (Keras 3's format) in "
        "DIR/models/, listed in report.md; `rnnlab predict` reads them",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="do not keep compiled programs on disk (by default they are cached in "
        "$RNNLAB_CACHE_DIR or ~/.cache/rnnlab/jax, so later runs skip compilation)",
    )


def build_parser() -> argparse.ArgumentParser:
    """A parser of the ``chapter`` options alone (``rnnlab.cli`` builds the full command).

    Example:
        >>> build_parser().parse_args(["--quick"]).quick
        True
    """
    parser = argparse.ArgumentParser(prog=CHAPTER_PROG)
    configure_parser(parser)
    return parser


def _int_arg(value: str, name: str, minimum: int, maximum: int | None = None) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        number = None
    if number is None or number < minimum or (maximum is not None and number > maximum):
        bound = "a positive integer" if minimum == 1 else f"an integer from {minimum}"
        bound += f" to {maximum}" if maximum is not None else ""
        raise UsageError(f"{name} must be {bound}, got {value!r}")
    return number


def config_from_args(args: argparse.Namespace) -> pipeline.ChapterConfig:
    """Validate parsed arguments into a :class:`~rnnlab.apps.chapter.pipeline.ChapterConfig`.

    Raises:
        UsageError: a bad value (epochs, seed, model name or jobs).

    Example:
        >>> config_from_args(build_parser().parse_args(["--quick"])).epochs
        2
    """
    default_epochs = pipeline.QUICK_EPOCHS if args.quick else 15
    epochs = default_epochs if args.epochs is None else _int_arg(args.epochs, "--epochs", 1)
    seed = _int_arg(args.seed, "--seed", 0, 2**31 - 1)
    try:
        models = recipes.parse_models(args.models)
    except ValueError as exc:
        raise UsageError(f"--models: {exc}") from None
    jobs = getattr(args, "jobs", None)
    workers = None if jobs is None else _int_arg(jobs, "--jobs", 1)
    return pipeline.ChapterConfig(
        epochs=epochs,
        seed=seed,
        models=models,
        quick=args.quick,
        workers=workers,
        save_models=bool(getattr(args, "save_models", False)),
    )


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
        text += f" (chapter {ref:.5f})" if ref is not None else ""
        if result.name != "naive":
            text += f", trained in {result.train_seconds:.1f} s"
        if self.progress is not None and result.name in self.tasks:
            self.progress.remove_task(self.tasks.pop(result.name))
        self.line(text)


def results_table(run: pipeline.ChapterRun) -> Table:
    """The final results as a rich Table, chapter values side by side.

    Example:
        >>> Console().print(results_table(run))  # doctest: +SKIP
    """
    epochs = report.plural(run.config.epochs, "epoch")
    table = Table(title=f"Chapter results (seed {run.config.seed}, {epochs})")
    for column in ("model", "params", "val MSE", "chapter", "ratio", "test MSE", "train s"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for r in run.results:
        ref = r.chapter_mse
        table.add_row(
            r.name,
            f"{r.params:,}",
            f"{r.val_mse:.5f}",
            "–" if ref is None else f"{ref:.5f}",
            "–" if ref is None else f"{r.val_mse / ref:.2f}",
            f"{r.test_mse:.5f}",
            "–" if r.name == "naive" else f"{r.train_seconds:.1f}",
        )
    table.caption = training_line(run)
    return table


def training_line(run: pipeline.ChapterRun) -> str:
    """``training 12.3 s, 2 models at a time (sum of fit times 23.0 s)``, or one model at a time.

    Example:
        >>> training_line(run)  # doctest: +SKIP
        'training 12.3 s, 2 models at a time (sum of fit times 23.0 s)'
    """
    workers = run.config.effective_workers
    text = f"training {run.train_wall_seconds:.1f} s"
    if workers > 1:
        text += f", {workers} models at a time (sum of fit times {run.total_train_seconds:.1f} s)"
    return text


def _error(message: str) -> int:
    print(f"{CHAPTER_PROG}: error: {message}", file=sys.stderr)
    return 2


def run_chapter_command(args: argparse.Namespace) -> int:
    """Run ``rnnlab chapter`` with parsed arguments; return the exit status.

    0: report written; 1: the run failed (no report written, any old one kept);
    2: bad input, before any training; 130: interrupted.

    Example:
        >>> run_chapter_command(build_parser().parse_args(["--epochs", "0"]))
        2
    """
    try:
        config = config_from_args(args)
    except UsageError as exc:
        return _error(str(exc))
    out = Path(args.out).expanduser().absolute()
    try:
        staging = report.stage_folder(out)
    except (OSError, ValueError) as exc:
        reason = str(exc)
        if isinstance(exc, OSError) and exc.strerror:
            reason = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
        return _error(f"cannot write the report to --out {args.out!r}: {reason}")

    if not getattr(args, "no_cache", False):
        try:
            rnnlab.utils.enable_compilation_cache()
        except OSError as exc:  # a read-only home is no reason to stop
            print(f"{CHAPTER_PROG}: note: compilation cache off ({exc})", file=sys.stderr)
    console = Console(file=sys.stdout, highlight=False)
    if not console.is_terminal:
        console = Console(file=sys.stdout, highlight=False, width=100)
    mode = " (quick)" if config.quick else ""
    epochs = report.plural(config.epochs, "epoch")
    print(
        f"{CHAPTER_PROG}{mode}: {', '.join(('naive', *config.models))}; {epochs}, "
        f"seed {config.seed}, {config.n_series:,} series per data set",
        flush=True,
    )
    start = time.perf_counter()
    try:
        with Display(console) as display:
            run = pipeline.run_chapter(config, observer=display)
        console.print()
        console.print(results_table(run))
        report.write_report(run, staging)
        report.publish_folder(staging, out)
    except KeyboardInterrupt:
        report.discard_folder(staging)
        print(f"{CHAPTER_PROG}: interrupted; no report written", file=sys.stderr)
        return 130
    except Exception as exc:
        report.discard_folder(staging)
        traceback.print_exc()
        print(f"{CHAPTER_PROG}: error: run failed, no report written: {exc}", file=sys.stderr)
        return 1
    print(f"{training_line(run)}; whole run {time.perf_counter() - start:.1f} s")
    print(f"Report: {out / 'report.md'}")
    return 0
