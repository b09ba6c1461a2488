"""The options of ``rnnlab forecast``: :func:`configure` gives a parser them, with their types.

Each option's type checks its own text (a positive integer, quantile levels in (0, 1), ...)
and argparse reports a bad one as a usage error, exit status 2. The defaults shown in
``--help`` are :class:`~rnnlab.apps.forecast.forecaster.Forecaster`'s own, read from its
signature, so the help cannot drift from the library. Options that are only wrong together
are :mod:`.cli_settings`'s to refuse.
"""

from __future__ import annotations

import argparse
import inspect

from rnnlab.apps.forecast import datasets
from rnnlab.apps.forecast.forecaster import INTERVALS, Forecaster
from rnnlab.apps.forecast.frame import FILLS
from rnnlab.apps.forecast.models import PRESETS, STRATEGIES
from rnnlab.apps.forecast.scaling import SCALER_KINDS

__all__ = ["DEFAULT_WINDOWS", "HELP", "PROG", "build_parser", "configure"]

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
