"""The library stands apart from its applications; the chapter's old import paths still work."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rnnlab.apps.chapter import baselines, data, pipeline, plotting, recipes, report
from rnnlab.apps.chapter import cli as chapter_cli

APP_MODULES = [
    [name]
    for name in ("apps", "chapter", "forecast", "report", "plotting", "data", "baselines", "cli")
]


def loaded_after(code: str) -> list[str]:
    """The rnnlab and matplotlib modules a fresh interpreter has loaded after ``code``."""
    code += (
        "\nimport json, sys"
        "\nprint(json.dumps(sorted(m for m in sys.modules"
        " if m.startswith(('rnnlab', 'matplotlib')))))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def app_code(modules: list[str]) -> list[str]:
    """The application modules (and matplotlib) among ``modules``."""
    return [m for m in modules if m.startswith("matplotlib") or m.split(".")[1:2] in APP_MODULES]


def test_import_rnnlab_loads_no_application_code():
    assert app_code(loaded_after("import rnnlab")) == []


def test_import_rnnlab_loads_no_forecasting_nor_pandas():
    code = "import rnnlab, sys\nassert 'pandas' not in sys.modules, 'pandas loaded'"
    assert app_code(loaded_after(code)) == []


def test_rnnlab_help_imports_no_application():
    code = (
        "import contextlib, io\nfrom rnnlab.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['--help']) == 0"
    )
    assert app_code(loaded_after(code)) == ["rnnlab.cli"]


def test_data_and_baselines_are_imported_on_first_access():
    code = (
        "import sys, rnnlab\nassert 'rnnlab.data' not in sys.modules\n"
        "assert {'data', 'baselines'} <= set(dir(rnnlab)) and 'data' in rnnlab.__all__\n"
        "assert rnnlab.data.generate_time_series(2, 5, seed=0).shape == (2, 5, 1)\n"
        "assert rnnlab.baselines.mse([1.0], [1.0]) == 0.0"
    )
    loaded = loaded_after(code)
    assert "rnnlab.apps.chapter.data" in loaded and "matplotlib" not in loaded


def test_old_import_paths_give_the_apps_objects():
    import rnnlab.data
    from rnnlab import baselines as old_baselines
    from rnnlab import chapter, cli
    from rnnlab import data as old_data
    from rnnlab import plotting as old_plotting
    from rnnlab import report as old_report
    from rnnlab.data import generate_time_series
    from rnnlab.plotting import plot_series

    assert rnnlab.data is old_data and generate_time_series is data.generate_time_series
    assert old_data.SeriesSplit is data.SeriesSplit
    assert old_baselines.naive_forecast is baselines.naive_forecast
    assert plot_series is plotting.plot_series and old_plotting.save_figure is plotting.save_figure
    assert chapter.run_chapter is pipeline.run_chapter and chapter.RECIPES is recipes.RECIPES
    assert old_report.write_report is report.write_report
    assert cli.results_table is chapter_cli.results_table
    for old, new in [(old_data, data), (old_baselines, baselines), (old_plotting, plotting)]:
        assert set(new.__all__) <= set(old.__all__), old.__name__
    assert set(pipeline.__all__) | set(recipes.__all__) <= set(chapter.__all__)
    assert set(report.__all__) <= set(old_report.__all__)
    with pytest.raises(AttributeError):
        rnnlab.not_a_module  # noqa: B018
