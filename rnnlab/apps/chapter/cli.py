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

from rich.console import Console
from rich.table import Table

import rnnlab
from rnnlab.apps.chapter import pipeline, recipes, report, report_seeds
from rnnlab.apps.chapter.display import Display, EpochLogger

__all__ = [
    "Display",
    "EpochLogger",
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
        "--seeds",
        metavar="K",
        default="1",
        help="train every model from K seeds, a positive integer (default 1): each "
        "model's K replicas train as one compiled program (rnnlab.parallel.Ensemble) and "
        "the report gives validation MSE as mean ± std and min–max. Replica 0 uses the "
        "seed a one-seed run gives the model (SeedSequence([SEED, model index])), replica "
        "r >= 1 SeedSequence([SEED, model index, r]); --seeds 1 is the one-seed report",
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
        UsageError: a bad value (epochs, seed, seeds, model name or jobs).

    Example:
        >>> config_from_args(build_parser().parse_args(["--quick"])).epochs
        2
    """
    default_epochs = pipeline.QUICK_EPOCHS if args.quick else 15
    epochs = default_epochs if args.epochs is None else _int_arg(args.epochs, "--epochs", 1)
    seed = _int_arg(args.seed, "--seed", 0, 2**31 - 1)
    seeds = _int_arg(getattr(args, "seeds", "1"), "--seeds", 1)
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
        seeds=seeds,
    )


def results_table(run: pipeline.ChapterRun) -> Table:
    """The final results as a rich Table, chapter values side by side.

    Example:
        >>> Console().print(results_table(run))  # doctest: +SKIP
    """
    epochs = report.plural(run.config.epochs, "epoch")
    k = run.config.seeds
    title = f"Chapter results (seed {run.config.seed}, {epochs})"
    if k > 1:
        title = f"Chapter results (seed {run.config.seed}, {k} seeds per model, {epochs})"
    table = Table(title=title)
    # With several seeds the spread takes params' place: the table must fit 100 columns.
    spread = ("val MSE mean ± std", "min–max") if k > 1 else ("params", "val MSE")
    columns = ("model", *spread, "chapter", "ratio")
    for column in (*columns, "test MSE", "train s"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for r in run.results:
        ref = r.chapter_mse
        values = r.val_values
        cells = [f"{r.params:,}", f"{r.val_mse:.5f}"]
        if k > 1:
            stats = [report_seeds.mean_std(values), report_seeds.min_max(values)]
            cells = stats if r.replicas else [cells[1], "–"]
        table.add_row(
            r.name,
            *cells,
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
    seeds = f" ({config.seeds} seeds per model)" if config.seeds > 1 else ""
    print(
        f"{CHAPTER_PROG}{mode}: {', '.join(('naive', *config.models))}; {epochs}, "
        f"seed {config.seed}{seeds}, {config.n_series:,} series per data set",
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
