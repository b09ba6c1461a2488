"""From the parsed options of ``rnnlab forecast`` to the data and a ``Forecaster``.

:func:`_source` picks the data (a CSV, a bundled dataset, or a ``--load`` folder's own),
:func:`forecaster_kwargs` makes the ``Forecaster`` arguments, and :func:`_check_loaded`
refuses options that contradict a loaded forecaster. A bad combination of options is a
:class:`UsageError`, reported before any training.
"""

from __future__ import annotations

import argparse
from typing import Any

from rnnlab.apps.forecast import datasets
from rnnlab.apps.forecast.forecaster import Forecaster

__all__ = ["UsageError", "forecaster_kwargs"]

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
        >>> from rnnlab.apps.forecast.cli_options import build_parser
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


def _saved_history(fc: Forecaster) -> Any:
    """A loaded forecaster's training data, in its own column names (to backtest on)."""
    a = fc.data_args
    frame = fc.panel_.to_frame()
    return frame.rename(
        columns={"unique_id": a["id_col"], "ds": a["time_col"], "y": a["target_col"]}
    )
