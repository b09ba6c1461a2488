"""``rnnlab forecast``: a CSV or a bundled dataset in, a backtested forecast and report out.

:mod:`rnnlab.cli` imports this module only when ``rnnlab forecast`` runs; it calls
:func:`configure` on the subcommand's parser, then :func:`run` with the parsed arguments.
The options mirror :class:`~rnnlab.apps.forecast.forecaster.Forecaster`'s and
``backtest``'s arguments.

Example:
    $ rnnlab forecast sales.csv --time ds --target y --id store --horizon 28 --out reports/sales
    $ rnnlab forecast --dataset co2 --horizon 52 --out reports/co2
    $ rnnlab forecast sales.csv --load reports/sales/model --out reports/sales-again
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from rnnlab.apps.forecast import datasets, report
from rnnlab.apps.forecast.calendar import season_length
from rnnlab.apps.forecast.forecaster import INTERVALS, Forecaster
from rnnlab.apps.forecast.metrics import evaluate
from rnnlab.apps.forecast.models import PRESETS, STRATEGIES
from rnnlab.apps.forecast.scaling import SCALER_KINDS

__all__ = ["PROG", "UsageError", "build_parser", "cli_message", "configure", "run"]

PROG = "rnnlab forecast"

HELP = """\
Forecast one or many series from a CSV in long format (columns ds, y and, for many
series, unique_id; --time/--target/--id rename them) or a bundled dataset: train one
global network on every series, backtest it over rolling origins beside the naive and
seasonal-naive forecasts, and write the results.

--out receives forecast.csv, backtest.csv, metrics.json, report.md, loss.png,
forecast_<k>.png and backtest_<k>.png for the first --plots series, and model/ (the
saved forecaster; --load model/ forecasts again without training). The folder is
replaced at the end: a failed or interrupted run leaves the previous one untouched.
"""

_DEFAULTS = {
    name: p.default
    for name, p in inspect.signature(Forecaster).parameters.items()
    if p.default is not inspect.Parameter.empty
}
DEFAULT_WINDOWS = 5
FILLS = ("interpolate", "ffill", "zero")

# Option dest -> Forecaster argument, for the settings a --load run takes from the file.
_MODEL_OPTIONS = {
    "horizon": "horizon",
    "lookback": "lookback",
    "model": "model",
    "strategy": "strategy",
    "quantiles": "quantiles",
    "intervals": "intervals",
    "scaler": "scaler",
    "futr_exog": "futr_exog",
    "hist_exog": "hist_exog",
    "units": "units",
    "dropout": "dropout",
    "epochs": "epochs",
    "max_steps": "max_steps",
    "batch_size": "batch_size",
    "learning_rate": "learning_rate",
    "patience": "patience",
    "val_size": "val_size",
    "seed": "seed",
}
_DATA_OPTIONS = {"time": "time_col", "target": "target_col", "id": "id_col", "freq": "freq"}


class UsageError(Exception):
    """A bad combination of options, reported as one line with exit status 2."""


# -- option types (argparse reports their errors as usage errors, status 2) ------------------
def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _quantile_list(text: str) -> tuple[float, ...]:
    try:
        qs = tuple(float(q) for q in text.split(",") if q.strip())
    except ValueError:
        qs = ()
    if not qs or not all(0.0 < q < 1.0 for q in qs):
        raise argparse.ArgumentTypeError(
            f"must be comma-separated levels strictly between 0 and 1 such as 0.1,0.5,0.9, "
            f"got {text!r}"
        )
    return qs


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def _refit(text: str) -> bool | int:
    word = text.strip().lower()
    if word in ("false", "no", "off"):
        return False
    if word in ("true", "yes", "on"):
        return True
    try:
        return _positive(word)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be false, true or a positive number of windows, got {text!r}"
        ) from None


def configure(parser: argparse.ArgumentParser) -> None:
    """Give the ``forecast`` subcommand's parser its description and options.

    Example:
        >>> parser = argparse.ArgumentParser(prog=PROG)
        >>> configure(parser)
        >>> args = parser.parse_args(["s.csv", "--horizon", "7", "--quantiles", "0.1,0.9"])
        >>> args.csv, args.horizon, args.quantiles, args.refit
        ('s.csv', 7, (0.1, 0.9), False)
    """
    parser.description = HELP
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    d = _DEFAULTS
    data = parser.add_argument_group("data")
    data.add_argument("csv", nargs="?", metavar="CSV", help="the series, a CSV in long format")
    data.add_argument(
        "--dataset", metavar="NAME", help=f"a bundled dataset: {', '.join(datasets.names())}"
    )
    data.add_argument("--list-datasets", action="store_true", help="list them and exit")
    data.add_argument("--time", metavar="COL", help="timestamp column (default ds)")
    data.add_argument("--target", metavar="COL", help="value column (default y)")
    data.add_argument(
        "--id", metavar="COL", help="series id column (default unique_id; absent: one series)"
    )
    data.add_argument("--freq", help="frequency, e.g. h, D, W-SAT, MS (default: inferred)")
    data.add_argument("--fill", choices=FILLS, help="fill gaps and NaN (default: refuse them)")
    data.add_argument(
        "--drop-short", action="store_true", help="skip series too short instead of refusing"
    )
    data.add_argument("--futr-exog", type=_names, metavar="A,B", help="future-known covariates")
    data.add_argument("--hist-exog", type=_names, metavar="C,D", help="past-only covariates")
    data.add_argument(
        "--futr-csv",
        metavar="PATH",
        help="the --futr-exog columns for the next HORIZON steps of every series",
    )
    model = parser.add_argument_group("model")
    model.add_argument(
        "--horizon",
        type=_positive,
        metavar="H",
        help="steps to forecast (required, except with --load or --dataset: its suggestion)",
    )
    model.add_argument(
        "--lookback",
        type=_positive,
        metavar="L",
        help="past steps each forecast reads (default 3 * H, or the dataset's suggestion)",
    )
    model.add_argument("--model", choices=PRESETS, help=f"network (default {d['model']})")
    model.add_argument(
        "--strategy", choices=STRATEGIES, help=f"multi-step strategy (default {d['strategy']})"
    )
    model.add_argument(
        "--quantiles", type=_quantile_list, metavar="Q,..", help="e.g. 0.1,0.5,0.9 (default none)"
    )
    model.add_argument(
        "--intervals", choices=INTERVALS, help=f"interval method (default {d['intervals']})"
    )
    model.add_argument(
        "--scaler", choices=SCALER_KINDS, help=f"per-series scaling (default {d['scaler']})"
    )
    model.add_argument("--no-calendar", action="store_true", help="no calendar features")
    model.add_argument("--units", type=_positive, help=f"units per layer (default {d['units']})")
    model.add_argument("--dropout", type=float, help=f"input dropout (default {d['dropout']})")
    train = parser.add_argument_group("training")
    train.add_argument("--epochs", type=_positive, help="epochs (default: about max-steps steps)")
    train.add_argument(
        "--max-steps", type=_positive, help=f"steps budget (default {d['max_steps']})"
    )
    train.add_argument(
        "--batch-size", type=_positive, help=f"batch size (default {d['batch_size']})"
    )
    train.add_argument(
        "--learning-rate", type=_positive_float, help=f"Adam's (default {d['learning_rate']})"
    )
    train.add_argument(
        "--patience", type=_positive, help=f"early stopping (default {d['patience']})"
    )
    train.add_argument(
        "--val-size", type=_positive, help="validation tail of each series (default H)"
    )
    train.add_argument("--seed", type=_count, help=f"seed (default {d['seed']})")
    back = parser.add_argument_group("backtest")
    back.add_argument(
        "--windows",
        type=_positive,
        help=f"rolling origins per series (default {DEFAULT_WINDOWS}; with --load: none)",
    )
    back.add_argument("--step", type=_positive, help="steps between origins (default H)")
    back.add_argument(
        "--refit",
        type=_refit,
        default=False,
        metavar="false|true|K",
        help="train once (false, default), at every window, or every K windows",
    )
    back.add_argument("--no-backtest", action="store_true", help="forecast only")
    out = parser.add_argument_group("output")
    out.add_argument(
        "--out", metavar="DIR", default="reports/forecast", help="default reports/forecast"
    )
    out.add_argument("--load", metavar="DIR", help="a saved forecaster (an earlier DIR/model)")
    out.add_argument(
        "--plots", type=_count, default=4, metavar="N", help="series plotted (default 4)"
    )
    out.add_argument("--quiet", action="store_true", help="no progress, no summary")


def build_parser() -> argparse.ArgumentParser:
    """A parser of the ``forecast`` options alone (``rnnlab.cli`` builds the full command).

    Example:
        >>> build_parser().parse_args(["--dataset", "co2"]).dataset
        'co2'
    """
    parser = argparse.ArgumentParser(prog=PROG)
    configure(parser)
    return parser


# -- from options to a Forecaster -------------------------------------------------------------
def _source(args: argparse.Namespace) -> tuple[Any, str]:
    """The data (a CSV path, a frame, or None with --load) and its name in the report."""
    if args.csv is not None and args.dataset is not None:
        raise UsageError(
            f"give a CSV file or --dataset, not both (got {args.csv!r} and "
            f"--dataset {args.dataset!r})"
        )
    if args.dataset is not None:
        given = [f"--{o}" for o in ("time", "target", "id") if getattr(args, o) is not None]
        if given:
            raise UsageError(
                f"{', '.join(given)} name the columns of a CSV; a bundled dataset has "
                "unique_id, ds, y"
            )
        try:
            return datasets.load(args.dataset), f"dataset {args.dataset}"
        except ValueError as exc:
            raise UsageError(f"--dataset: {exc}") from None
    if args.csv is not None:
        return args.csv, args.csv
    if args.load is not None:
        return None, f"the data saved in {args.load}"
    raise UsageError(
        f"give the series: a CSV file, or --dataset NAME (one of {', '.join(datasets.names())})"
    )


def forecaster_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """``Forecaster`` arguments from the options (the library's defaults where not given).

    Example:
        >>> kw = forecaster_kwargs(build_parser().parse_args(["--dataset", "co2"]))
        >>> kw["horizon"], kw["lookback"], kw["calendar"]
        (52, 156, True)
    """
    kwargs = {k: getattr(args, opt) for opt, k in _MODEL_OPTIONS.items()}
    kwargs.update({k: getattr(args, opt) for opt, k in _DATA_OPTIONS.items()})
    if args.dataset is not None and args.horizon is None:
        info = datasets.info(args.dataset)
        kwargs["horizon"] = info.horizon
        kwargs["lookback"] = kwargs["lookback"] or info.lookback
    if kwargs["horizon"] is None:
        raise UsageError("--horizon is required: the number of steps to forecast")
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    kwargs.update(calendar=not args.no_calendar, fill=args.fill, drop_short=args.drop_short)
    return kwargs


def _check_loaded(fc: Forecaster, args: argparse.Namespace) -> None:
    """A --load run takes the model's settings from the file; refuse options that differ."""
    saved = {**fc.settings, **fc.data_args}
    options = {**_MODEL_OPTIONS, **_DATA_OPTIONS}
    for opt, key in options.items():
        value = getattr(args, opt)
        if value is None:
            continue
        want = tuple(sorted(value)) if key == "quantiles" else value
        if want != saved[key]:
            flag = "--" + opt.replace("_", "-")
            raise UsageError(
                f"{flag} {value!r} differs from the loaded forecaster's {saved[key]!r}; "
                "--load takes the model's settings from its folder (drop the option)"
            )


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


def run(args: argparse.Namespace) -> int:
    """Run ``rnnlab forecast`` with parsed arguments; return the exit status.

    0: outputs written; 1: the run failed (nothing written, an earlier --out kept);
    2: bad input or options, found before any training; 130: interrupted.

    Example:
        >>> run(build_parser().parse_args(["a.csv", "--dataset", "co2"]))
        2
    """
    if args.list_datasets:
        return _list_datasets()
    display = Display(args.quiet)
    staging = None
    try:
        data, source = _source(args)
        load = args.load is not None
        with display.stage("checking data", source):
            if load:
                fc = Forecaster.load(args.load)
                _check_loaded(fc, args)
                fc.drop_short = args.drop_short or fc.drop_short
            else:
                fc = Forecaster(**forecaster_kwargs(args))
            h = fc.horizon
            do_backtest = not args.no_backtest and (not load or args.windows is not None)
            windows = args.windows or DEFAULT_WINDOWS
            step = args.step or h
            need = {"lookback": fc.lookback}
            if not load:
                need["horizon"] = h
            if do_backtest:
                need.update(horizon=h, **{"backtest windows": h + (windows - 1) * step})
            given = data
            if data is None:  # --load alone: forecast from (and backtest on) the saved data
                data = _saved_history(fc)
            panel = fc.prepare(data, need)
            futr = fc.settings["futr_exog"]
            if futr and args.futr_csv is None:
                raise UsageError(
                    f"the forecaster uses future covariates {list(futr)}: give their values "
                    f"for the next {h} steps of every series with --futr-csv PATH"
                )
        staging = _stage(args.out)
        model = report.settings_dict(fc)["model"]
        display.line(
            f"{PROG}: {source}: {len(panel):,} series at freq {panel.freq}; {model}, "
            f"horizon {h}, lookback {fc.lookback}"
        )
        if not load:
            with display.stage("training", f"{model} on {len(panel):,} series"):
                fc.fit(data)
            panel = fc.panel_
        with display.stage("forecasting"):
            forecast = fc.predict(futr_df=args.futr_csv, df=given if load else None)
        cv = metrics = None
        if do_backtest:
            with display.stage("backtesting", f"{windows} windows, step {step}"):
                cv = fc.backtest(data, windows=windows, step=step, refit=args.refit)
                metrics = evaluate(cv, season=season_length(panel.freq))
        result = report.ForecastRun(
            source=source,
            forecaster=fc,
            panel=panel,
            forecast=forecast,
            backtest=cv,
            metrics=metrics,
            backtest_args={"windows": windows, "step": step, "refit": args.refit},
            timings=display.timings,
            loaded_from=args.load,
        )
        with display.stage("writing report"):
            report.write_outputs(result, staging, plots=args.plots)
            out = report.publish_folder(staging, args.out)
    except UsageError as exc:
        report.discard_folder(staging)
        return _error(str(exc))
    except (ValueError, FileNotFoundError) as exc:  # the library's checks of data and settings
        report.discard_folder(staging)
        return _error(cli_message(str(exc)))
    except KeyboardInterrupt:
        report.discard_folder(staging)
        print(f"{PROG}: interrupted; nothing written", file=sys.stderr)
        return 130
    except Exception as exc:
        report.discard_folder(staging)
        traceback.print_exc()
        print(f"{PROG}: error: run failed, nothing written: {exc}", file=sys.stderr)
        return 1
    if metrics is not None and not args.quiet:
        display.console.print(metrics_table(metrics, model))
    display.line(f"Report: {out / 'report.md'}")
    return 0


def _saved_history(fc: Forecaster) -> Any:
    """A loaded forecaster's training data, in its own column names (to backtest on)."""
    a = fc.data_args
    frame = fc.panel_.to_frame()
    return frame.rename(
        columns={"unique_id": a["id_col"], "ds": a["time_col"], "y": a["target_col"]}
    )


def _stage(out: str) -> Path:
    try:
        return report.stage_folder(Path(out).expanduser())
    except (OSError, ValueError) as exc:
        reason = str(exc)
        if isinstance(exc, OSError) and exc.strerror:
            reason = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
        raise UsageError(f"cannot write to --out {out!r}: {reason}") from None
