"""Tests for rnnlab.apps.chapter.plotting, run headless (figures are built without pyplot)."""

import os
import subprocess
import sys
import types

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from rnnlab.apps.chapter.plotting import (
    plot_loss,
    plot_mse_bars,
    plot_series,
    plot_series_grid,
    save_figure,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _line(ax: Axes, label: str):
    (line,) = [line for line in ax.get_lines() if line.get_label() == label]
    return line


# --- plot_series ------------------------------------------------------------------------


def test_plot_series_without_prediction():
    series = np.linspace(-0.5, 0.5, 20)
    ax = plot_series(series, 0.3)
    assert isinstance(ax, Axes)
    assert len(ax.get_lines()) == 3  # series, actual, zero line
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), series)
    actual = _line(ax, "Actual")
    np.testing.assert_array_equal(actual.get_xdata(), [20])
    np.testing.assert_array_equal(actual.get_ydata(), [0.3])
    assert actual.get_color() == "r" and actual.get_marker() == "o"
    assert ax.get_xlim() == (0.0, 21.0)
    assert ax.get_ylim() == (-1.0, 1.0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Actual"]


def test_plot_series_multi_step_with_prediction():
    series = np.zeros(50)
    y_true = np.array([0.1, 0.2, 0.3, 0.4])
    y_pred = np.array([0.0, 0.1, 0.2, 0.3])
    ax = plot_series(series, y_true, y_pred)
    assert len(ax.get_lines()) == 4
    actual, predicted = _line(ax, "Actual"), _line(ax, "Predicted")
    np.testing.assert_array_equal(actual.get_xdata(), [50, 51, 52, 53])
    np.testing.assert_array_equal(actual.get_ydata(), y_true)
    np.testing.assert_array_equal(predicted.get_xdata(), [50, 51, 52, 53])
    np.testing.assert_array_equal(predicted.get_ydata(), y_pred)
    assert predicted.get_marker() == "x" and predicted.get_markersize() == 10
    assert ax.get_xlim() == (0.0, 54.0)
    assert ax.get_ylim() == (-1.0, 1.0)
    assert ax.get_xlabel() == "$t$" and ax.get_ylabel() == "$x(t)$"
    assert ax.yaxis.label.get_rotation() == 0
    assert ax.yaxis.label.get_fontsize() == 16
    assert ax.get_legend().get_texts()[0].get_fontsize() == 14


def test_plot_series_draws_on_given_axes_and_respects_options():
    ax = Figure().add_subplot()
    out = plot_series([0.1, 0.2], [0.3], ax=ax, y_label=None, legend=False)
    assert out is ax
    assert ax.get_ylabel() == ""
    assert ax.get_legend() is None


@pytest.mark.parametrize(
    ("series", "y_true", "y_pred", "message"),
    [
        (np.zeros((5, 1)), 0.0, None, r"series must be a non-empty 1-D array .*\(5, 1\)"),
        (np.zeros(5), np.zeros((2, 2)), None, r"y_true must be a scalar or .*\(2, 2\)"),
        (np.zeros(5), [0.1, 0.2], [0.1], r"y_pred must have the same length .*got shape \(1,\)"),
    ],
)
def test_plot_series_rejects_bad_shapes(series, y_true, y_pred, message):
    with pytest.raises(ValueError, match=r"^plot_series: " + message):
        plot_series(series, y_true, y_pred)


# --- plot_loss --------------------------------------------------------------------------


def test_plot_loss_with_validation_and_history_object():
    history = types.SimpleNamespace(
        history={"loss": [0.5, 0.1, 0.0123], "val_loss": [0.4, 0.2, 0.0098]}
    )
    ax = plot_loss(history)
    assert ax.get_title() == "Training loss: 0.0123, Validation loss: 0.0098"
    assert ax.get_xlabel() == "Epoch" and ax.get_ylabel() == "Loss"
    train, val = _line(ax, "Training loss"), _line(ax, "Validation loss")
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(val.get_ydata(), [0.4, 0.2, 0.0098])
    assert train.get_linestyle() == "--"


def test_plot_loss_plain_dict_without_validation():
    ax = plot_loss({"loss": [0.25, 0.123456]})
    assert ax.get_title() == "Training loss: 0.1235"
    assert len(ax.get_lines()) == 1


@pytest.mark.parametrize("history", [{}, {"loss": []}, {"val_loss": [0.1]}])
def test_plot_loss_requires_loss(history):
    with pytest.raises(ValueError, match=r"^plot_loss: history must contain a non-empty 'loss'"):
        plot_loss(history)


# --- plot_series_grid -------------------------------------------------------------------


def test_plot_series_grid():
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.5, 0.5, (6, 30, 1))
    y_true = rng.uniform(-0.5, 0.5, (6, 10))
    fig = plot_series_grid(x, y_true, n=4, y_pred=y_true * 0.5)
    assert isinstance(fig, Figure)
    assert tuple(fig.get_size_inches()) == (15.0, 5.0)
    assert len(fig.axes) == 4
    assert [ax.get_ylabel() for ax in fig.axes] == ["$x(t)$", "", "", ""]
    np.testing.assert_array_equal(_line(fig.axes[2], "Actual").get_ydata(), y_true[2])
    np.testing.assert_array_equal(fig.axes[3].get_lines()[0].get_ydata(), x[3, :, 0])
    assert fig.axes[0].get_shared_y_axes().joined(fig.axes[0], fig.axes[3])


def test_plot_series_grid_default_three_single_step():
    fig = plot_series_grid(np.zeros((5, 50, 1)), np.ones((5, 1)))
    assert len(fig.axes) == 3
    assert all(len(ax.get_lines()) == 3 for ax in fig.axes)


def test_plot_series_grid_rejects_bad_input():
    with pytest.raises(ValueError, match=r"n must be an integer between 1 and .*\(2\), got 3"):
        plot_series_grid(np.zeros((2, 5, 1)), np.zeros((2, 1)), n=3)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, time, 1\)"):
        plot_series_grid(np.zeros((2, 5)), np.zeros((2, 1)))


# --- plot_mse_bars ----------------------------------------------------------------------


def test_plot_mse_bars_with_reference():
    names = ["naive", "rnn", "lstm"]
    values = [0.0204, 0.0111, 0.0091]
    ax = plot_mse_bars(names, values, reference={"naive": 0.02044, "lstm": 0.00911, "gru": 1.0})
    assert len(ax.patches) == 3
    np.testing.assert_allclose([bar.get_height() for bar in ax.patches], values)
    chapter = _line(ax, "Chapter")
    np.testing.assert_array_equal(chapter.get_xdata(), [0, 2])  # "gru" has no bar
    np.testing.assert_array_equal(chapter.get_ydata(), [0.02044, 0.00911])
    assert chapter.get_marker() == "_"
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["0.02040", "0.01110", "0.00910"]
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Chapter"]


def test_plot_mse_bars_without_reference():
    ax = plot_mse_bars(["a", "b"], [1.0, 2.0], title="Test")
    assert len(ax.patches) == 2
    assert ax.get_lines() == []
    assert ax.get_legend() is None
    assert ax.get_title() == "Test"


def test_plot_mse_bars_rejects_bad_values():
    with pytest.raises(ValueError, match=r"one value per name \(2 names\), got shape \(3,\)"):
        plot_mse_bars(["a", "b"], [1.0, 2.0, 3.0])
    with pytest.raises(
        ValueError, match=r"^plot_mse_bars: values must be finite, got \[1\.0, nan\]$"
    ):
        plot_mse_bars(["a", "b"], [1.0, float("nan")])


# --- save_figure and headless use -------------------------------------------------------


def test_save_figure_writes_png_atomically(tmp_path):
    ax = plot_series(np.zeros(10), 0.5, 0.4)
    target = tmp_path / "deep" / "folder" / "series.png"
    out = save_figure(ax.figure, target)
    assert out == target
    assert target.read_bytes()[:8] == PNG_MAGIC
    assert sorted(p.name for p in target.parent.iterdir()) == ["series.png"]
    # Overwriting works and still leaves no temporary file; Axes are accepted too.
    save_figure(plot_loss({"loss": [1.0, 0.5]}), str(target))
    assert target.read_bytes()[:8] == PNG_MAGIC
    assert sorted(p.name for p in target.parent.iterdir()) == ["series.png"]


def test_save_figure_cleans_up_on_failure(tmp_path, monkeypatch):
    fig = plot_series_grid(np.zeros((3, 5, 1)), np.zeros((3, 1)))

    def broken_savefig(fname, **kwargs):
        with open(fname, "wb") as handle:  # a half-written image, then a failure
            handle.write(PNG_MAGIC)
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk full"):
        save_figure(fig, tmp_path / "grid.png")
    assert list(tmp_path.iterdir()) == []


def test_save_figure_rejects_non_figures(tmp_path):
    with pytest.raises(TypeError, match=r"^save_figure: fig must be a matplotlib Figure or Axes"):
        save_figure("not a figure", tmp_path / "x.png")


def test_no_figures_leak_into_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    for _ in range(25):
        plot_series(np.zeros(10), [0.1, 0.2], [0.1, 0.2])
        plot_loss({"loss": [0.1], "val_loss": [0.2]})
        plot_series_grid(np.zeros((3, 10, 1)), np.zeros((3, 1)))
        plot_mse_bars(["a"], [0.1], reference={"a": 0.1})
    assert plt.get_fignums() == before


def test_module_does_not_import_pyplot():
    # Importing and using the module must not pull in pyplot (which picks a backend).
    code = (
        "import sys, numpy as np, rnnlab.apps.chapter.plotting as p; "
        "p.plot_series(np.zeros(3), 0.1); "
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
