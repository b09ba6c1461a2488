"""Figures of the RNN chapter: series with forecasts, loss curves, MSE comparisons.

Every function draws on the Axes it is given, or on a new one built with
``matplotlib.figure.Figure`` (never ``pyplot``), so they work headless, leave the
user's backend alone, and do not accumulate figures in pyplot's registry. Nothing
here calls ``plt.show()``; use :func:`save_figure` or display ``ax.figure`` yourself.

Example:
    >>> ax = plot_series(np.zeros(50), 0.1, 0.2)
    >>> path = save_figure(ax.figure, "reports/naive.png")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.ticker import MaxNLocator

__all__ = [
    "plot_loss",
    "plot_loss_band",
    "plot_mse_bars",
    "plot_series",
    "plot_series_grid",
    "save_figure",
]


def _new_axes(figsize: tuple[float, float]) -> Axes:
    """A single Axes on a fresh Figure that pyplot does not track."""
    return Figure(figsize=figsize, layout="constrained").add_subplot()


def plot_series(
    series: Any,
    y_true: Any,
    y_pred: Any = None,
    *,
    ax: Axes | None = None,
    x_label: str | None = "$t$",
    y_label: str | None = "$x(t)$",
    legend: bool = True,
) -> Axes:
    """Plot one series followed by its actual and (optionally) predicted future values.

    Draws the series as ``".-"``, the actual values at ``x = n_steps .. n_steps+ahead-1``
    as ``"ro-"`` ("Actual"), the prediction as ``"bx-"`` ("Predicted"), and a thin black
    line at 0; the view is ``[0, n_steps + ahead] x [-1, 1]``. Without ``y_pred`` that is
    3 lines (series, actual, zero line), with it 4.

    Args:
        series: observed values, shape ``(n_steps,)``.
        y_true: actual future values, a scalar (one step ahead) or shape ``(ahead,)``.
        y_pred: predicted future values with ``y_true``'s length, or None.
        ax: Axes to draw on; a new 10x8 Figure is made if None.
        x_label, y_label: axis labels (falsy to omit), fontsize 16, y label upright.
        legend: draw the legend (fontsize 14).

    Returns:
        The Axes drawn on.

    Example:
        >>> ax = plot_series(np.linspace(-0.5, 0.5, 50), [0.5, 0.6], [0.4, 0.5])
        >>> len(ax.get_lines())
        4
    """
    series = np.asarray(series)
    if series.ndim != 1 or series.size == 0:
        raise ValueError(
            f"plot_series: series must be a non-empty 1-D array of shape (time steps,), "
            f"got shape {series.shape}"
        )
    y_true = np.atleast_1d(np.asarray(y_true))
    if y_true.ndim != 1 or y_true.size == 0:
        raise ValueError(
            f"plot_series: y_true must be a scalar or a non-empty 1-D array of shape "
            f"(ahead steps,), got shape {y_true.shape}"
        )
    if y_pred is not None:
        y_pred = np.atleast_1d(np.asarray(y_pred))
        if y_pred.shape != y_true.shape:
            raise ValueError(
                f"plot_series: y_pred must have the same length as y_true {y_true.shape}, "
                f"got shape {y_pred.shape}"
            )
    if ax is None:
        ax = _new_axes((10, 8))
    n_steps, ahead = series.shape[0], y_true.shape[0]
    future = np.arange(n_steps, n_steps + ahead)
    ax.plot(series, ".-")
    ax.plot(future, y_true, "ro-", label="Actual")
    if y_pred is not None:
        ax.plot(future, y_pred, "bx-", label="Predicted", markersize=10)
    ax.axhline(0, color="k", linewidth=1)
    if x_label:
        ax.set_xlabel(x_label, fontsize=16)
    if y_label:
        ax.set_ylabel(y_label, fontsize=16, rotation=0, labelpad=20)
    ax.axis((0, n_steps + ahead, -1, 1))
    if legend:
        ax.legend(fontsize=14)
    return ax


def plot_loss(history: Any, *, ax: Axes | None = None) -> Axes:
    """Plot training (and validation) loss per epoch, final values in the title.

    Args:
        history: an object with a ``.history`` dict (e.g. a Keras ``History``) or a
            plain mapping; ``"loss"`` (required, non-empty) and optionally
            ``"val_loss"`` are sequences of per-epoch values.
        ax: Axes to draw on; a new 10x5 Figure is made if None.

    Returns:
        The Axes, titled e.g. ``"Training loss: 0.0123, Validation loss: 0.0098"``.

    Example:
        >>> plot_loss({"loss": [0.1, 0.05], "val_loss": [0.08, 0.04]}).get_title()
        'Training loss: 0.0500, Validation loss: 0.0400'
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise TypeError(
            f"plot_loss: history must be a mapping or have a .history mapping, "
            f"got {type(history).__name__}"
        )
    loss = np.asarray(logs.get("loss", []), dtype=float).ravel()
    if loss.size == 0:
        raise ValueError(
            f"plot_loss: history must contain a non-empty 'loss' sequence, "
            f"got keys {sorted(map(str, logs))}"
        )
    if ax is None:
        ax = _new_axes((10, 5))
    ax.plot(np.arange(1, loss.size + 1), loss, ".--", label="Training loss")
    title = f"Training loss: {loss[-1]:.4f}"
    val_loss = np.asarray(logs.get("val_loss", []), dtype=float).ravel()
    if val_loss.size:
        ax.plot(np.arange(1, val_loss.size + 1), val_loss, "o-", label="Validation loss")
        title += f", Validation loss: {val_loss[-1]:.4f}"
    ax.set_title(title)
    ax.set_xlabel("Epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Loss")
    ax.legend()
    return ax


def plot_loss_band(
    stats: Mapping[str, Mapping[str, Sequence[float]]], *, ax: Axes | None = None
) -> Axes:
    """Plot the mean training (and validation) loss of several seeds with a min–max band.

    Args:
        stats: ``{"loss": {"mean": [...], "min": [...], "max": [...]}, "val_loss": ...}``,
            e.g. an :class:`~rnnlab.parallel.EnsembleHistory`'s ``history``; ``"loss"``
            is required.
        ax: Axes to draw on; a new 10x5 Figure is made if None.

    Returns:
        The Axes, titled with the last epoch's mean losses.

    Example:
        >>> band = {"mean": [0.2, 0.1], "min": [0.1, 0.05], "max": [0.3, 0.2]}
        >>> plot_loss_band({"loss": band}).get_title()
        'Training loss (mean): 0.1000'
    """
    if "loss" not in stats or not len(stats["loss"].get("mean", [])):
        raise ValueError(
            f"plot_loss_band: stats must hold a non-empty 'loss' entry, got keys {sorted(stats)}"
        )
    if ax is None:
        ax = _new_axes((10, 5))
    title = []
    for key, label, style in (("loss", "Training", ".--"), ("val_loss", "Validation", "o-")):
        if key not in stats:
            continue
        mean, low, high = (np.asarray(stats[key][s], dtype=float) for s in ("mean", "min", "max"))
        epochs = np.arange(1, mean.size + 1)
        (line,) = ax.plot(epochs, mean, style, label=f"{label} loss (mean)")
        ax.fill_between(epochs, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
        title.append(f"{label} loss (mean): {mean[-1]:.4f}")
    ax.set_title(", ".join(title))
    ax.set_xlabel("Epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Loss (band: min–max over seeds)")
    ax.legend()
    return ax


def plot_series_grid(x: Any, y_true: Any, n: int = 3, *, y_pred: Any = None) -> Figure:
    """Plot the first ``n`` series side by side (1 row, shared y axis, 15x5 inches).

    Args:
        x: inputs of shape ``(batch, time, 1)``.
        y_true: targets of shape ``(batch, 1)`` or ``(batch, ahead)``.
        n: number of series (columns), ``1 <= n <= batch``.
        y_pred: predictions with ``y_true``'s shape, or None.

    Returns:
        The Figure; ``fig.axes`` holds the ``n`` Axes, only the first has a y label.

    Example:
        >>> fig = plot_series_grid(np.zeros((5, 50, 1)), np.zeros((5, 1)))
        >>> len(fig.axes)
        3
    """
    x, y_true = np.asarray(x), np.asarray(y_true)
    if x.ndim != 3 or x.shape[2] != 1:
        raise ValueError(
            f"plot_series_grid: x must have shape (batch, time, 1), got shape {x.shape}"
        )
    if y_true.ndim != 2 or y_true.shape[0] != x.shape[0]:
        raise ValueError(
            f"plot_series_grid: y_true must have shape ({x.shape[0]}, ahead), "
            f"got shape {y_true.shape}"
        )
    if y_pred is not None:
        y_pred = np.asarray(y_pred)
        if y_pred.shape != y_true.shape:
            raise ValueError(
                f"plot_series_grid: y_pred must have y_true's shape {y_true.shape}, "
                f"got shape {y_pred.shape}"
            )
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= len(x):
        raise ValueError(
            f"plot_series_grid: n must be an integer between 1 and the batch size "
            f"({len(x)}), got {n!r}"
        )
    fig = Figure(figsize=(15, 5), layout="constrained")
    axes = fig.subplots(nrows=1, ncols=int(n), sharey=True, squeeze=False)[0]
    for col, ax in enumerate(axes):
        plot_series(
            x[col, :, 0],
            y_true[col],
            None if y_pred is None else y_pred[col],
            ax=ax,
            y_label="$x(t)$" if col == 0 else None,
        )
    return fig


def plot_mse_bars(
    names: Sequence[str],
    values: Sequence[float],
    *,
    reference: Mapping[str, float] | None = None,
    spread: Sequence[tuple[float, float] | None] | None = None,
    ax: Axes | None = None,
    title: str = "Validation MSE by model",
) -> Axes:
    """Bar chart of validation MSE per model, values written on the bars.

    Args:
        names: model names, one bar each, in order.
        values: their MSEs, same length as ``names``.
        reference: optional ``{name: mse}`` of reference figures (e.g. the chapter's),
            drawn as black ``"_"`` markers over the bars with matching names, as one
            line labelled "Chapter"; names without a bar are ignored.
        spread: optional ``(min, max)`` per bar (``None`` for none), drawn as an error
            bar, e.g. the range over seeds of a ``--seeds K`` run.
        ax: Axes to draw on; a new 10x5 Figure is made if None.
        title: Axes title.

    Returns:
        The Axes (``ax.patches`` holds one bar per name).

    Example:
        >>> ax = plot_mse_bars(["naive", "rnn"], [0.0204, 0.0111], reference={"naive": 0.02044})
        >>> len(ax.patches)
        2
    """
    names = [str(name) for name in names]
    heights = np.asarray(values, dtype=float)
    if heights.ndim != 1 or heights.size != len(names) or not names:
        raise ValueError(
            f"plot_mse_bars: values must be a 1-D sequence with one value per name "
            f"({len(names)} names), got shape {heights.shape}"
        )
    if not np.all(np.isfinite(heights)):
        raise ValueError(f"plot_mse_bars: values must be finite, got {heights.tolist()}")
    if ax is None:
        ax = _new_axes((10, 5))
    positions = np.arange(len(names))
    bars = ax.bar(positions, heights, color="C0")
    # Values inside the bars, so the reference markers never cross the text.
    ax.bar_label(
        bars, labels=[f"{v:.5f}" for v in heights], label_type="center", color="white", fontsize=9
    )
    ax.set_xticks(positions, names, rotation=30, ha="right", rotation_mode="anchor")
    top = float(heights.max())
    if spread is not None:
        if len(spread) != len(names):
            raise ValueError(
                f"plot_mse_bars: spread must have one entry per name ({len(names)}), "
                f"got {len(spread)}"
            )
        for i, pair in enumerate(spread):
            if pair is not None:
                low, high = (float(v) for v in pair)
                yerr = [[max(heights[i] - low, 0.0)], [max(high - heights[i], 0.0)]]
                ax.errorbar([i], [heights[i]], yerr=yerr, fmt="none", ecolor="C1", capsize=6)
                top = max(top, high)
    reference = reference or {}
    matched = [(i, float(reference[name])) for i, name in enumerate(names) if name in reference]
    if matched:
        xs, ys = zip(*matched, strict=True)
        ax.plot(xs, ys, "k_", ms=30, mew=2, ls="none", zorder=3, label="Chapter")
        top = max(top, *ys)
        ax.legend()
    ax.set_ylim(0, top * 1.15 if top > 0 else 1)
    ax.set_ylabel("MSE")
    ax.set_title(title)
    return ax


def save_figure(fig: Figure | Axes, path: str | os.PathLike[str]) -> Path:
    """Save a Figure as PNG atomically and return the final path.

    The image is written to a hidden temporary file in the target folder (created if
    needed) and then moved over ``path`` with ``os.replace``, so readers never see a
    half-written file. The format is PNG whatever the suffix. The figure stays open.

    Args:
        fig: the Figure, or an Axes whose Figure is saved.
        path: destination file.

    Returns:
        ``Path(path)``.

    Example:
        >>> save_figure(plot_loss({"loss": [0.1]}).figure, "reports/loss.png")  # doctest: +SKIP
        PosixPath('reports/loss.png')
    """
    figure: Any = fig
    while isinstance(figure, Axes | SubFigure):  # an Axes, maybe inside sub-figures
        figure = figure.figure
    if not isinstance(figure, Figure):
        raise TypeError(
            f"save_figure: fig must be a matplotlib Figure or Axes, got {type(fig).__name__}"
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        figure.savefig(tmp, format="png")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
