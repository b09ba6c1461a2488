"""Figures of ``rnnlab forecast``: training loss, each series' forecast, its backtest.

Every function returns a ``matplotlib.figure.Figure`` built without ``pyplot`` (so
nothing touches the user's backend or pyplot's registry of open figures, and it works
headless: PNGs are drawn by Agg); :func:`save_figure` writes one atomically.

Interval bands come from symmetric pairs of quantile columns (``y_hat_q10`` with
``y_hat_q90``: the 80% band), wider ones lighter.

Example:
    >>> fig = plot_loss({"loss": [1.0, 0.5], "val_loss": [1.2, 0.8]})
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['loss', 'val_loss']
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from rnnlab.apps.forecast.metrics import parse_quantile_column
from rnnlab.saving.atomic import write_bytes_atomic

__all__ = ["interval_pairs", "plot_backtest", "plot_forecast", "plot_loss", "save_figure"]

_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


def _figure(size: tuple[float, float] = (10.0, 4.5)) -> tuple[Figure, Any]:
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def interval_pairs(columns: Sequence[str]) -> list[tuple[float, str, str]]:
    """Symmetric quantile column pairs in ``columns``, widest first: ``(level %, lo, hi)``.

    Example:
        >>> interval_pairs(["y_hat", "y_hat_q10", "y_hat_q50", "y_hat_q90", "y_hat_q25",
        ...                 "y_hat_q75"])
        [(80.0, 'y_hat_q10', 'y_hat_q90'), (50.0, 'y_hat_q25', 'y_hat_q75')]
    """
    qs = {parse_quantile_column(c): c for c in columns}
    qs.pop(None, None)
    pairs = []
    for q, lo in qs.items():
        hi = next((c for p, c in qs.items() if q < 0.5 and abs(p - (1 - q)) < 1e-9), None)
        if hi is not None:
            pairs.append((round(100 * (1 - 2 * q), 6), lo, hi))
    return sorted(pairs, reverse=True)


def _bands(ax: Any, ds: Any, frame: pd.DataFrame, color: str, label: bool) -> None:
    pairs = interval_pairs(list(frame.columns))
    for k, (level, lo, hi) in enumerate(pairs):
        ax.fill_between(
            ds,
            frame[lo].to_numpy(float),
            frame[hi].to_numpy(float),
            color=color,
            alpha=0.15 + 0.15 * k / max(1, len(pairs) - 1) if len(pairs) > 1 else 0.25,
            linewidth=0,
            label=f"{level:g}% interval" if label else None,
        )


def plot_loss(history: Mapping[str, Sequence[float]], title: str = "Training loss") -> Figure:
    """Loss curves per epoch (``loss`` and ``val_loss`` when present), epochs from 1.

    Args:
        history: ``History.history``: metric name -> one value per epoch.
        title: the figure's title.

    Example:
        >>> fig = plot_loss({"loss": [0.3, 0.2, 0.1]})
        >>> fig.axes[0].get_lines()[0].get_xdata().tolist()
        [1, 2, 3]
    """
    fig, ax = _figure((8.0, 4.5))
    for name in ("loss", "val_loss"):
        values = list(history.get(name, ()))
        if values:
            ax.plot(
                np.arange(1, len(values) + 1),
                values,
                "o-" if len(values) < 30 else "-",
                label=name,
                ms=3,
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (scaled target)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if ax.get_lines():
        ax.legend()
    return fig


def plot_forecast(
    history_ds: Any, history_y: Any, forecast: pd.DataFrame, *, title: str = ""
) -> Figure:
    """The last part of one series, its forecast ``y_hat`` and interval bands.

    Args:
        history_ds, history_y: timestamps ``(T,)`` and values ``(T,)`` of the history shown.
        forecast: the series' rows of ``Forecaster.predict``: ``ds, y_hat[, y_hat_q…]``.
        title: the figure's title (e.g. the series id).

    Example:
        >>> ds = pd.date_range("2024-01-01", periods=6, freq="D")
        >>> f = pd.DataFrame({"ds": ds[4:] + pd.Timedelta("2D"), "y_hat": [1.0, 2.0],
        ...                   "y_hat_q10": [0.5, 1.0], "y_hat_q90": [1.5, 3.0]})
        >>> fig = plot_forecast(ds, np.arange(6.0), f, title="a")
        >>> fig.axes[0].get_legend_handles_labels()[1]
        ['history', '80% interval', 'forecast']
    """
    fig, ax = _figure()
    ds = pd.DatetimeIndex(forecast["ds"])
    ax.plot(pd.DatetimeIndex(history_ds), np.asarray(history_y, float), "k-", lw=1, label="history")
    _bands(ax, ds, forecast, "tab:blue", label=True)
    ax.plot(ds, forecast["y_hat"].to_numpy(float), "-", color="tab:blue", lw=1.5, label="forecast")
    ax.axvline(pd.DatetimeIndex(history_ds)[-1], color="grey", ls=":", lw=1)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    return fig


def plot_backtest(history_ds: Any, history_y: Any, cv: pd.DataFrame, *, title: str = "") -> Figure:
    """Actuals of one series against its backtest forecasts, one colour per cutoff.

    Args:
        history_ds, history_y: timestamps ``(T,)`` and actual values ``(T,)`` shown.
        cv: the series' rows of ``Forecaster.backtest``: ``ds, cutoff, y_hat[, y_hat_q…]``.
        title: the figure's title.

    Example:
        >>> ds = pd.date_range("2024-01-01", periods=8, freq="D")
        >>> cv = pd.DataFrame({"ds": ds[4:], "cutoff": np.repeat(ds[[3, 5]], 2),
        ...                    "y_hat": [1.0, 2.0, 3.0, 4.0]})
        >>> fig = plot_backtest(ds, np.arange(8.0), cv)
        >>> len(fig.axes[0].get_lines())  # actuals, 2 forecasts, 2 cutoff markers
        5
    """
    fig, ax = _figure()
    ax.plot(pd.DatetimeIndex(history_ds), np.asarray(history_y, float), "k-", lw=1, label="actual")
    for k, (cutoff, rows) in enumerate(cv.groupby("cutoff", sort=True)):
        color = _COLORS[k % len(_COLORS)]
        ds = pd.DatetimeIndex(rows["ds"])
        _bands(ax, ds, rows, color, label=k == 0)
        ax.plot(
            ds,
            rows["y_hat"].to_numpy(float),
            "-",
            color=color,
            lw=1.5,
            label="forecast per cutoff" if k == 0 else None,
        )
        ax.axvline(pd.Timestamp(cutoff), color=color, ls=":", lw=1)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    return fig


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = 100) -> Path:
    """Write ``fig`` as PNG to ``path`` atomically (a temporary file, fsync, rename).

    Example:
        >>> import tempfile
        >>> out = save_figure(plot_loss({"loss": [1.0]}), Path(tempfile.mkdtemp()) / "l.png")
        >>> out.read_bytes()[:4]
        b'\\x89PNG'
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    write_bytes_atomic(path, buffer.getvalue())
    return Path(path)
