"""What ``rnnlab forecast`` prints: progress by stage, the metrics table, errors in one line.

Errors go to stderr as ``rnnlab forecast: error: ...``, the library's Python argument
names replaced by the command's options (:func:`cli_message`), so a message tells the user
what to type.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.table import Table

from rnnlab.apps.forecast import datasets, report
from rnnlab.apps.forecast.cli_options import PROG

__all__ = ["Display", "cli_message", "metrics_table"]


# -- progress -----------------------------------------------------------------------------------
class Display:
    """Stage by stage progress: a rich spinner on a terminal, plain lines otherwise,
    nothing with ``quiet``; records each stage's seconds in ``timings``."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.console = Console(file=sys.stdout, highlight=False)
        self.timings: dict[str, float] = {}

    def line(self, text: str) -> None:
        """Print one line unless quiet."""
        if not self.quiet:
            self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    @contextlib.contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[None]:
        """Show ``name`` while the block runs; then a line with its time."""
        start = time.perf_counter()
        if self.quiet or not self.console.is_terminal:
            yield
        else:
            with self.console.status(f"[bold cyan]{name}[/] {detail}"):
                yield
        self.timings[name] = time.perf_counter() - start
        self.line(f"{name}: {self.timings[name]:.1f} s{f' ({detail})' if detail else ''}")


def metrics_table(metrics: Any, model: str) -> Table:
    """``evaluate``'s table as a rich Table (MAE, RMSE, sMAPE, MASE, coverage columns)."""
    table = Table(title="Backtest: model vs baselines")
    columns = [
        c for c in metrics.columns if c in ("MAE", "RMSE", "sMAPE", "MASE") or "coverage" in c
    ]
    table.add_column("model")
    for c in columns:
        table.add_column(c, justify="right")
    for name, row in metrics.iterrows():
        label = model if name == "y_hat" else str(name)
        table.add_row(label, *(report.format_number(row[c]) for c in columns))
    return table


# The library's messages name Python arguments; on the command line they are options.
_CLI_WORDS = (
    ("pass drop_short=True", "pass --drop-short"),
    ("pass fill='interpolate', 'ffill' or 'zero'", "pass --fill interpolate, ffill or zero"),
    ("(target_col)", "(--target)"),
    ("(time_col)", "(--time)"),
    ("(id_col)", "(--id)"),
    ("(futr_exog)", "(--futr-exog)"),
    ("(hist_exog)", "(--hist-exog)"),
)


def cli_message(message: str) -> str:
    """A library error as one line, its Python argument names as the command's options.

    Example:
        >>> cli_message("series 'a' is too short; pass drop_short=True to skip such series")
        "series 'a' is too short; pass --drop-short to skip such series"
    """
    text = " ".join(str(message).split())
    for python, option in _CLI_WORDS:
        text = text.replace(python, option)
    if "backtest windows" in text:
        text += " (or ask for fewer --windows, a smaller --step, or --no-backtest)"
    return text


def _error(message: str) -> int:
    text = " ".join(str(message).split())  # one line, whatever the message holds
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return 2


def _list_datasets() -> int:
    table = datasets.describe()
    for row in table.itertuples():
        print(
            f"{row.name:<14} {row.freq:<6} {row.series:>3} x {row.length:<5} "
            f"h={row.horizon:<3} {row.description}"
        )
    return 0
