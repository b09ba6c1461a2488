"""``rnnlab forecast``: a CSV or a bundled dataset in, a backtested forecast and report out.

:mod:`rnnlab.cli` imports this module only when ``rnnlab forecast`` runs; it calls
:func:`configure` on the subcommand's parser, then :func:`run` with the parsed arguments.
The options mirror :class:`~rnnlab.apps.forecast.forecaster.Forecaster`'s and
``backtest``'s arguments.

This module runs the command; the parser is :mod:`.cli_options`'s, the step from options
to data and a ``Forecaster`` :mod:`.cli_settings`'s, and what it prints
:mod:`.cli_display`'s. Their public names are importable from here, as before the split.

Example:
    $ rnnlab forecast sales.csv --time ds --target y --id store --horizon 28 --out reports/sales
    $ rnnlab forecast --dataset co2 --horizon 52 --out reports/co2
    $ rnnlab forecast sales.csv --load reports/sales/model --out reports/sales-again
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from rnnlab.apps.forecast import report
from rnnlab.apps.forecast.calendar import season_length
from rnnlab.apps.forecast.cli_display import (
    Display,
    _error,
    _list_datasets,
    cli_message,
    metrics_table,
)
from rnnlab.apps.forecast.cli_options import (  # HELP, FILLS: importable from here as before
    DEFAULT_WINDOWS,
    FILLS,  # noqa: F401
    HELP,  # noqa: F401
    PROG,
    build_parser,
    configure,
)
from rnnlab.apps.forecast.cli_settings import (
    UsageError,
    _check_loaded,
    _saved_history,
    _source,
    forecaster_kwargs,
)
from rnnlab.apps.forecast.forecaster import Forecaster
from rnnlab.apps.forecast.metrics import evaluate

__all__ = ["PROG", "UsageError", "build_parser", "cli_message", "configure", "run"]


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


def _stage(out: str) -> Path:
    try:
        return report.stage_folder(Path(out).expanduser())
    except (OSError, ValueError) as exc:
        reason = str(exc)
        if isinstance(exc, OSError) and exc.strerror:
            reason = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
        raise UsageError(f"cannot write to --out {out!r}: {reason}") from None
