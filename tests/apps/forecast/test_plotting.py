"""forecast.plotting: the lines and bands drawn hold the values given; PNGs written whole."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnnlab.apps.forecast import plotting


def _band_bounds(collection) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper edges of a fill_between polygon (its vertices, by x)."""
    xy = collection.get_paths()[0].vertices
    lo = pd.Series(xy[:, 1]).groupby(xy[:, 0]).min()
    hi = pd.Series(xy[:, 1]).groupby(xy[:, 0]).max()
    return lo.to_numpy(), hi.to_numpy()


def test_interval_pairs_are_symmetric_pairs_widest_first():
    cols = ["y_hat", "y_hat_q5", "y_hat_q95", "y_hat_q10", "y_hat_q50", "y_hat_q97.5"]
    assert plotting.interval_pairs(cols) == [(90.0, "y_hat_q5", "y_hat_q95")]
    cols += ["y_hat_q2.5", "y_hat_q90"]
    assert plotting.interval_pairs(cols) == [
        (95.0, "y_hat_q2.5", "y_hat_q97.5"),
        (90.0, "y_hat_q5", "y_hat_q95"),
        (80.0, "y_hat_q10", "y_hat_q90"),
    ]
    assert plotting.interval_pairs(["y_hat", "y_hat_q50"]) == []


def test_loss_curves_hold_each_epoch():
    fig = plotting.plot_loss({"loss": [0.5, 0.25, 0.125], "val_loss": [0.6, 0.4, 0.3]})
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert lines["loss"].get_xdata().tolist() == [1, 2, 3]
    assert lines["loss"].get_ydata().tolist() == [0.5, 0.25, 0.125]
    assert lines["val_loss"].get_ydata().tolist() == [0.6, 0.4, 0.3]
    assert ax.get_xlabel() == "epoch"


def test_forecast_band_spans_the_quantiles():
    ds = pd.date_range("2024-01-01", periods=10, freq="D")
    future = pd.date_range("2024-01-11", periods=3, freq="D")
    f = pd.DataFrame(
        {
            "ds": future,
            "y_hat": [5.0, 6.0, 7.0],
            "y_hat_q10": [4.0, 4.5, 5.0],
            "y_hat_q90": [6.0, 7.5, 9.0],
        }
    )
    fig = plotting.plot_forecast(ds, np.arange(10.0), f, title="a: forecast")
    (ax,) = fig.axes
    assert ax.get_title() == "a: forecast"
    history, forecast = (line for line in ax.get_lines() if not line.get_label().startswith("_"))
    np.testing.assert_array_equal(history.get_ydata(), np.arange(10.0))
    np.testing.assert_array_equal(forecast.get_ydata(), [5.0, 6.0, 7.0])
    (band,) = ax.collections
    lo, hi = _band_bounds(band)
    np.testing.assert_array_equal(lo, [4.0, 4.5, 5.0])
    np.testing.assert_array_equal(hi, [6.0, 7.5, 9.0])
    assert band.get_label() == "80% interval"


def test_backtest_draws_one_forecast_and_cutoff_per_window():
    ds = pd.date_range("2024-01-01", periods=12, freq="D")
    cv = pd.DataFrame(
        {
            "ds": ds[[6, 7, 8, 9, 10, 11]],
            "cutoff": np.repeat(ds[[5, 8]], 3),
            "y_hat": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "y_hat_q10": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            "y_hat_q90": [2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        }
    )
    fig = plotting.plot_backtest(ds, np.arange(12.0), cv)
    (ax,) = fig.axes
    solid = [line for line in ax.get_lines() if line.get_linestyle() == "-"]
    assert [line.get_ydata().tolist() for line in solid[1:]] == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    dotted = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert [pd.Timestamp(_to_date(line.get_xdata()[0])) for line in dotted] == list(ds[[5, 8]])
    assert len(ax.collections) == 2  # one band per window
    assert _band_bounds(ax.collections[1])[1].tolist() == [5.0, 6.0, 7.0]


def _to_date(x):
    from matplotlib.dates import num2date

    return num2date(x).replace(tzinfo=None) if isinstance(x, float) else x


def test_save_figure_leaves_only_the_png(tmp_path):
    path = plotting.save_figure(plotting.plot_loss({"loss": [1.0, 0.5]}), tmp_path / "loss.png")
    assert path == tmp_path / "loss.png"
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
