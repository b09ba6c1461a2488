"""Write a ``rnnlab forecast`` run to a folder: CSVs, ``metrics.json``, ``report.md``, PNGs.

The folder is replaced all at once: :func:`stage_folder` makes an empty sibling
``<out>.tmp-<pid>`` (proving the place is writable), :func:`write_outputs` fills it —
each file itself written to a temporary name, synced and renamed — and
:func:`publish_folder` swaps it in (the old folder moved aside, the new one renamed in,
the old one deleted). A run that fails or is interrupted calls :func:`discard_folder`,
so ``--out`` holds a complete earlier report or a complete new one, never half of one.

Files: ``forecast.csv``, ``backtest.csv`` (when backtested), ``metrics.json``,
``report.md``, ``loss.png``, ``forecast_<k>.png`` and ``backtest_<k>.png`` for the
first series (``k`` from 1, in the sorted order of the ids), ``model/`` (the saved
forecaster, read back by ``rnnlab forecast --load``).

Example:
    >>> staging = stage_folder("reports/co2")  # doctest: +SKIP
    >>> write_outputs(run, staging)  # doctest: +SKIP
    >>> publish_folder(staging, "reports/co2")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import rnnlab
from rnnlab.apps import folders
from rnnlab.apps.forecast import plotting
from rnnlab.apps.forecast.calendar import season_length
from rnnlab.apps.forecast.frame import Panel
from rnnlab.apps.forecast.metrics import to_json_dict
from rnnlab.saving.atomic import write_bytes_atomic

__all__ = [
    "MARKERS",
    "ForecastRun",
    "data_summary",
    "discard_folder",
    "format_number",
    "metrics_dict",
    "metrics_markdown",
    "publish_folder",
    "render_markdown",
    "settings_dict",
    "stage_folder",
    "write_outputs",
]

MARKERS = ("metrics.json", "report.md")
"""Files whose presence makes a folder an earlier report, which ``--out`` may replace."""

_ROW_NAMES = {"naive": "naive", "seasonal_naive": "seasonal naive"}


@dataclass
class ForecastRun:
    """What one ``rnnlab forecast`` run made, for :func:`write_outputs`.

    ``panel`` is the data forecast from (its last values start the forecast);
    ``backtest``/``metrics`` are None without a backtest; ``backtest_args`` holds
    ``windows``, ``step`` and ``refit``; ``timings`` seconds per stage.
    """

    source: str  # "dataset co2", or the CSV's path
    forecaster: Any  # a fitted (or loaded) Forecaster
    panel: Panel
    forecast: pd.DataFrame
    backtest: pd.DataFrame | None = None
    metrics: pd.DataFrame | None = None
    backtest_args: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    loaded_from: str | None = None  # --load DIR, when the model was not trained here


def _plain(value: Any) -> Any:
    """JSON-safe: tuples to lists, NumPy scalars to Python, NaN to None."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def settings_dict(forecaster: Any) -> dict[str, Any]:
    """The forecaster's settings as JSON values (a user's model builder named by function).

    Example:
        >>> from rnnlab.apps.forecast.forecaster import Forecaster
        >>> settings_dict(Forecaster(horizon=3, quantiles=[0.9, 0.1]))["quantiles"]
        [0.1, 0.9]
    """
    out = {}
    for key, value in forecaster.settings.items():
        if key == "model" and not isinstance(value, str):
            value = getattr(value, "__name__", "custom")
        if key != "verbose":
            out[key] = _plain(value)
    out.update({k: v for k, v in forecaster.data_args.items() if v is not None})
    out["drop_short"] = forecaster.drop_short
    return out


def data_summary(panel: Panel) -> dict[str, Any]:
    """Series count, lengths, frequency, season, time span and dropped series of ``panel``.

    Example:
        >>> from rnnlab.apps.forecast.frame import prepare
        >>> p = prepare(pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=9),
        ...                           "y": np.arange(9.0)}))
        >>> s = data_summary(p)
        >>> s["series"], s["freq"], s["season"], s["length_min"], s["start"]
        (1, 'D', 7, 9, '2024-01-01')
    """
    lengths = panel.lengths
    return {
        "series": len(panel),
        "freq": panel.freq,
        "season": season_length(panel.freq),
        "rows": int(lengths.sum()),
        "length_min": int(lengths.min()),
        "length_max": int(lengths.max()),
        "length_mean": float(lengths.mean()),
        "start": _stamp(min(panel.starts)),
        "end": _stamp(max(panel.ds(i)[-1] for i in range(len(panel)))),
        "dropped": list(panel.dropped),
    }


def _stamp(when: pd.Timestamp) -> str:
    """``2024-01-01`` for a midnight, else ``2024-01-01 13:00:00`` (with the zone if any)."""
    return str(when.date()) if when == when.normalize() and when.tz is None else str(when)


def _versions() -> dict[str, str]:
    import jax

    return {"rnnlab": rnnlab.__version__, "jax": jax.__version__, "pandas": pd.__version__}


def metrics_dict(run: ForecastRun) -> dict[str, Any]:
    """The content of ``metrics.json``: metrics, settings, data, training, timings.

    ``metrics`` is ``evaluate``'s aggregate table as ``{model: {metric: value}}`` (the
    model's row is ``y_hat``; NaN as null), or null without a backtest.

    Example:
        >>> sorted(metrics_dict(run))  # doctest: +SKIP
        ['backtest', 'created', 'data', 'loaded_from', 'metrics', 'settings', 'source', ...]
    """
    history = run.forecaster.history_.history
    val = [v for v in history.get("val_loss", []) if v is not None and math.isfinite(v)]
    return {
        "source": run.source,
        "created": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}",
        "loaded_from": run.loaded_from,
        "metrics": None if run.metrics is None else to_json_dict(run.metrics),
        "settings": settings_dict(run.forecaster),
        "backtest": dict(run.backtest_args) if run.backtest is not None else None,
        "data": data_summary(run.panel),
        "training": {
            "epochs_run": len(history.get("loss", [])),
            "final_loss": _plain(float(history["loss"][-1])) if history.get("loss") else None,
            "best_val_loss": _plain(float(min(val))) if val else None,
        },
        "timings": {k: round(float(v), 3) for k, v in run.timings.items()},
        "versions": _versions(),
    }


def format_number(value: Any) -> str:
    """A metric for a table: 4 significant digits, thousands without decimals, ``–`` for NaN.

    Example:
        >>> [format_number(v) for v in (0.71234, 12.5, 123456.7, None)]
        ['0.7123', '12.50', '123,457', '–']
    """
    if value is None or not math.isfinite(float(value)):
        return "–"
    v = float(value)
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:#.4g}"


def metrics_markdown(metrics: pd.DataFrame, model: str = "model") -> list[str]:
    """``evaluate``'s aggregate table as Markdown lines: one row per model, the baselines
    beside (``–`` where a metric does not apply); ``*_skipped`` counts left to a note.

    Example:
        >>> m = pd.DataFrame({"MAE": [1.5, 2.0], "MASE": [0.75, 1.0]},
        ...                  index=pd.Index(["y_hat", "naive"], name="model"))
        >>> print("\\n".join(metrics_markdown(m, "lstm")))
        | model | MAE | MASE |
        |---|---:|---:|
        | lstm | 1.500 | 0.7500 |
        | naive | 2.000 | 1.000 |
    """
    columns = [c for c in metrics.columns if not c.endswith("_skipped")]
    lines = [
        "| model | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for name, row in metrics.iterrows():
        label = model if name == "y_hat" else _ROW_NAMES.get(str(name), str(name))
        lines.append(f"| {label} | " + " | ".join(format_number(row[c]) for c in columns) + " |")
    return lines


def _figure_names(run: ForecastRun, plots: int) -> dict[str, Any]:
    ids = run.panel.ids[:plots]
    names: dict[str, Any] = {"loss": "loss.png", "series": []}
    for k, sid in enumerate(ids, start=1):
        entry = {"id": sid, "forecast": f"forecast_{k}.png"}
        if run.backtest is not None:
            entry["backtest"] = f"backtest_{k}.png"
        names["series"].append(entry)
    return names


def render_markdown(run: ForecastRun, figures: dict[str, Any]) -> str:
    """The text of ``report.md``: data, settings, metrics beside the baselines, timings and
    figures (``figures`` as :func:`write_outputs` names them)."""
    fc, data = run.forecaster, data_summary(run.panel)
    s = settings_dict(fc)
    lengths = (
        f"{data['length_min']:,}"
        if data["length_min"] == data["length_max"]
        else f"{data['length_min']:,} to {data['length_max']:,} (mean {data['length_mean']:,.1f})"
    )
    dropped = f"; dropped as too short: {', '.join(data['dropped'])}" if data["dropped"] else ""
    model = s["model"]
    out = [
        f"# Forecast of {run.source}",
        "",
        f"Generated by `rnnlab forecast` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"(rnnlab {rnnlab.__version__}).",
        "",
        "## Data",
        "",
        f"- {data['series']:,} series, {data['rows']:,} rows, lengths {lengths}{dropped}",
        f"- frequency `{data['freq']}`, season length {data['season']}, "
        f"from {data['start']} to {data['end']}",
        "",
        "## Settings",
        "",
        f"- model `{model}`, strategy `{s['strategy']}`, horizon {s['horizon']}, "
        f"lookback {s['lookback']}, {s['units']} units, dropout {s['dropout']}",
        f"- quantiles {s['quantiles'] or 'none'}"
        + (f" ({s['intervals']} intervals)" if s["intervals"] else ""),
        f"- scaler `{s['scaler']}`, calendar features {'on' if s['calendar'] else 'off'}, "
        f"future covariates {s['futr_exog'] or 'none'}, past covariates {s['hist_exog'] or 'none'}",
        f"- training: epochs {s['epochs'] or 'auto'}, batch size {s['batch_size']}, "
        f"learning rate {s['learning_rate']}, patience {s['patience']}, "
        f"validation tail {s['val_size']}, seed {s['seed']}",
    ]
    if run.loaded_from:
        out.append(f"- model loaded from `{run.loaded_from}` (not trained in this run)")
    out += ["", "## Backtest", ""]
    if run.metrics is None:
        out += ["No backtest in this run.", ""]
    else:
        b = run.backtest_args
        cutoffs = run.backtest["cutoff"].nunique()
        out += [
            f"{b['windows']} rolling windows per series, {b['step']} steps apart, refit "
            f"{b['refit']}; {cutoffs} distinct cutoffs, {len(run.backtest):,} forecast rows. "
            "Naive and seasonal-naive forecasts from the same cutoffs; MASE scaled by each "
            "series' in-sample seasonal-naive error up to the cutoff.",
            "",
            *metrics_markdown(run.metrics, model),
            "",
        ]
        skipped = [c for c in run.metrics.columns if c.endswith("_skipped")]
        counts = {c: int(run.metrics[c].max()) for c in skipped if run.metrics[c].max() > 0}
        if counts:
            out += [
                "Left out: "
                + ", ".join(f"{c} {n}" for c, n in counts.items())
                + " (MAPE skips y = 0; MASE skips series whose scale is 0).",
                "",
            ]
    out += ["## Timings", "", "| stage | seconds |", "|---|---:|"]
    out += [f"| {k} | {v:.2f} |" for k, v in run.timings.items()]
    out += ["", "## Figures", "", f"![Training loss]({figures['loss']})", ""]
    for entry in figures["series"]:
        out += [
            f"### Series `{entry['id']}`",
            "",
            f"![Forecast of {entry['id']}]({entry['forecast']})",
            "",
        ]
        if "backtest" in entry:
            out += [f"![Backtest of {entry['id']}]({entry['backtest']})", ""]
    out += [
        "## Files",
        "",
        "`forecast.csv` (the forecast), "
        + ("`backtest.csv` (every backtest forecast), " if run.backtest is not None else "")
        + "`metrics.json`, and `model/`, the saved forecaster: "
        "`rnnlab forecast DATA.csv --load model` forecasts again without training.",
        "",
    ]
    return "\n".join(out)


def _csv(frame: pd.DataFrame, path: Path) -> None:
    write_bytes_atomic(path, frame.to_csv(index=False).encode())


def write_figures(run: ForecastRun, folder: Path, plots: int) -> dict[str, Any]:
    """Save ``loss.png`` and the first ``plots`` series' forecast and backtest PNGs."""
    names = _figure_names(run, plots)
    history = run.forecaster.history_.history
    plotting.save_figure(plotting.plot_loss(history), folder / names["loss"])
    tail = max(3 * run.forecaster.horizon, run.forecaster.lookback)
    for k, entry in enumerate(names["series"]):
        sid, ds, y = entry["id"], run.panel.ds(k), run.panel.y[k]
        rows = run.forecast[run.forecast["unique_id"] == sid]
        fig = plotting.plot_forecast(ds[-tail:], y[-tail:], rows, title=f"{sid}: forecast")
        plotting.save_figure(fig, folder / entry["forecast"])
        if "backtest" in entry:
            rows = run.backtest[run.backtest["unique_id"] == sid]
            first = ds.get_indexer([pd.Timestamp(rows["cutoff"].min())])[0]
            start = max(0, first + 1 - run.forecaster.lookback)
            fig = plotting.plot_backtest(ds[start:], y[start:], rows, title=f"{sid}: backtest")
            plotting.save_figure(fig, folder / entry["backtest"])
    return names


def write_outputs(run: ForecastRun, folder: str | os.PathLike[str], plots: int = 4) -> list[str]:
    """Write every output of ``run`` into ``folder`` (each file atomically; ``report.md``
    last); return the file names written, sorted (``model/`` as one entry)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    run.forecaster.save(folder / "model")
    _csv(run.forecast, folder / "forecast.csv")
    if run.backtest is not None:
        _csv(run.backtest, folder / "backtest.csv")
    figures = write_figures(run, folder, plots)
    text = json.dumps(metrics_dict(run), indent=2, allow_nan=False) + "\n"
    write_bytes_atomic(folder / "metrics.json", text.encode())
    write_bytes_atomic(folder / "report.md", render_markdown(run, figures).encode())
    return sorted(p.name for p in folder.iterdir())


def stage_folder(out: str | os.PathLike[str]) -> Path:
    """Create the empty staging folder ``<out>.tmp-<pid>`` beside ``out``
    (:func:`rnnlab.apps.folders.stage_folder`; an earlier report has one of :data:`MARKERS`)."""
    return folders.stage_folder(out, MARKERS, "rnnlab forecast report")


publish_folder = folders.publish_folder
discard_folder = folders.discard_folder
