"""The ``rnnlab`` command: ``main()`` and its subcommands, each from an application.

Each subcommand lives in an application under :mod:`rnnlab.apps`; :data:`SUBCOMMANDS`
names its module, which is imported only when that subcommand runs (``rnnlab --help``
and ``import rnnlab.cli`` import no application). To add one, write a module with a
``configure(parser)`` and a ``run(args) -> exit status`` function and add a line to
:data:`SUBCOMMANDS`.

Example:
    $ rnnlab chapter --quick --out /tmp/chapter
    $ rnnlab chapter --models lstm,gru --epochs 15 --seed 42
    $ rnnlab predict reports/chapter/models/lstm.keras series.npy
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import rnnlab

__all__ = ["PROG", "SUBCOMMANDS", "Subcommand", "build_parser", "main"]

PROG = "rnnlab"


@dataclass(frozen=True)
class Subcommand:
    """Where one subcommand's code is: a module and two of its functions, by name."""

    module: str  # imported only when the subcommand runs (or its parser is built)
    configure: str  # configure(parser): description and options of ``rnnlab <name>``
    run: str  # run(args) -> int: the exit status
    help: str  # one line in ``rnnlab --help``

    def load(self) -> tuple[Callable[[argparse.ArgumentParser], None], Callable[..., int]]:
        """Import the module; return its ``configure`` and ``run`` functions."""
        module = importlib.import_module(self.module)
        return getattr(module, self.configure), getattr(module, self.run)


SUBCOMMANDS: dict[str, Subcommand] = {
    "chapter": Subcommand(
        "rnnlab.apps.chapter.cli",
        "configure_parser",
        "run_chapter_command",
        "reproduce the RNN chapter: train its models, write a report with figures",
    ),
    "predict": Subcommand(
        "rnnlab.apps.predict",
        "configure",
        "run",
        "predict with a saved model (.keras or .h5) on inputs from a .npy or .csv file",
    ),
    "forecast": Subcommand(
        "rnnlab.apps.forecast.cli",
        "configure",
        "run",
        "forecast real series from a CSV or a bundled dataset: backtest, metrics, report",
    ),
}
"""``rnnlab <name>`` for each name, in the order ``rnnlab --help`` lists them."""


def _requested(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (its first word that is not an option), if any."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def build_parser(load: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The parser of ``rnnlab``, with the options of the subcommands in ``load`` (None: all).

    The others are listed in ``rnnlab --help`` without importing their module.

    Example:
        >>> build_parser().parse_args(["chapter", "--quick"]).quick
        True
    """
    parser = argparse.ArgumentParser(
        prog=PROG, description="rnnlab: recurrent models on JAX with a Keras-compatible API."
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {rnnlab.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, entry in SUBCOMMANDS.items():
        sub = commands.add_parser(name, prog=f"{PROG} {name}", help=entry.help)
        sub.set_defaults(subparser=sub)
        if load is None or name in load:
            configure, run = entry.load()
            configure(sub)
            sub.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rnnlab`` command; returns the exit status.

    Example:
        >>> main(["chapter", "--quick", "--models", "lstm", "--out", "/tmp/r"])  # doctest: +SKIP
        0
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(load=[_requested(argv) or ""])  # imports that one app only
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # report them as the command's own usage error
            args.subparser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 2
    return args.run(args)


_CHAPTER_NAMES = frozenset(
    {"Display", "UsageError", "config_from_args", "results_table", "run_chapter_command"}
)


def __getattr__(name: str) -> Any:
    """``rnnlab.cli.results_table`` and the like: names now in :mod:`rnnlab.apps.chapter.cli`."""
    if name in _CHAPTER_NAMES:
        return getattr(importlib.import_module("rnnlab.apps.chapter.cli"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
