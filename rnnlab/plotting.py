"""Old path, kept working: the code lives in the app, :mod:`rnnlab.apps.chapter.plotting`."""

from rnnlab.apps.chapter.plotting import (
    plot_loss,
    plot_loss_band,
    plot_mse_bars,
    plot_series,
    plot_series_grid,
    save_figure,
)

__all__ = [
    "plot_loss",
    "plot_loss_band",
    "plot_mse_bars",
    "plot_series",
    "plot_series_grid",
    "save_figure",
]
