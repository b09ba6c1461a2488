"""``rnnlab forecast`` end to end on a tiny two-series CSV: every output file, --load, bad input.

One quick run (2 epochs, 4 units) is shared by the tests of its outputs; its numbers are
checked against values computed here from the CSVs it wrote, not against the library.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from rnnlab.apps.forecast import datasets
from rnnlab.apps.forecast.cli import build_parser, cli_message
from rnnlab.apps.forecast.report import format_number
from rnnlab.cli import main

LENGTH, H, LOOKBACK, WINDOWS, STEP = 60, 4, 8, 2, 3
QUICK = ["--epochs", "2", "--units", "4", "--seed", "0"]
COLUMNS = ["--time", "day", "--target", "sales", "--id", "store"]


def _series_csv(path, length: int = LENGTH):
    rng = np.random.default_rng(0)
    t = np.arange(length)
    frames = [
        pd.DataFrame(
            {
                "store": sid,
                "day": pd.date_range("2024-01-01", periods=length, freq="D"),
                "sales": 10 + 3 * k + np.sin(2 * np.pi * t / 7) + 0.1 * rng.standard_normal(length),
            }
        )
        for k, sid in enumerate(["a", "b"])
    ]
    data = pd.concat(frames, ignore_index=True)
    data.to_csv(path, index=False)
    return data


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """One full run: quantiles, a 2-window backtest with step 3, 2 series plotted."""
    folder = tmp_path_factory.mktemp("forecast_cli")
    csv = folder / "series.csv"
    data = _series_csv(csv)
    out = folder / "out"
    argv = ["forecast", str(csv), *COLUMNS, "--horizon", str(H), "--lookback", str(LOOKBACK)]
    argv += ["--quantiles", "0.1,0.5,0.9", "--windows", str(WINDOWS), "--step", str(STEP)]
    argv += [*QUICK, "--plots", "2", "--out", str(out), "--quiet"]
    status = main(argv)
    return status, folder, csv, data, out


def test_run_writes_every_output_file_and_nothing_else(first_run, capsys):
    status, folder, _, _, out = first_run
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "backtest.csv",
        "backtest_1.png",
        "backtest_2.png",
        "forecast.csv",
        "forecast_1.png",
        "forecast_2.png",
        "loss.png",
        "metrics.json",
        "model",
        "report.md",
    ]
    assert sorted(p.name for p in (out / "model").iterdir()) == [
        "forecaster.json",
        "history.csv.gz",
        "model.keras",
    ]
    # No staging or old folder left beside it.
    assert sorted(p.name for p in folder.iterdir()) == ["out", "series.csv"]
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_forecast_csv_follows_each_series(first_run):
    out = first_run[-1]
    forecast = pd.read_csv(out / "forecast.csv", parse_dates=["ds"])
    assert list(forecast.columns) == [
        "unique_id",
        "ds",
        "y_hat",
        "y_hat_q10",
        "y_hat_q50",
        "y_hat_q90",
    ]
    assert forecast["unique_id"].tolist() == ["a"] * H + ["b"] * H
    last = pd.Timestamp("2024-01-01") + pd.Timedelta(days=LENGTH - 1)
    want = [last + pd.Timedelta(days=k) for k in range(1, H + 1)]
    for sid in ("a", "b"):
        assert forecast.loc[forecast["unique_id"] == sid, "ds"].tolist() == want
    assert np.isfinite(forecast[["y_hat", "y_hat_q10", "y_hat_q90"]].to_numpy()).all()
    assert (forecast["y_hat_q10"] <= forecast["y_hat_q50"]).all()
    assert (forecast["y_hat_q50"] <= forecast["y_hat_q90"]).all()


def test_backtest_csv_holds_the_actuals_at_each_cutoff(first_run):
    _, _, _, data, out = first_run
    cv = pd.read_csv(out / "backtest.csv", parse_dates=["ds", "cutoff"])
    assert list(cv.columns) == [
        "unique_id",
        "ds",
        "cutoff",
        "y",
        "y_hat",
        "y_hat_q10",
        "y_hat_q50",
        "y_hat_q90",
        "naive",
        "seasonal_naive",
        "mase_scale",
    ]
    assert len(cv) == 2 * WINDOWS * H
    days = pd.date_range("2024-01-01", periods=LENGTH, freq="D")
    # The last window forecasts the last H steps; the one before starts STEP earlier.
    cutoffs = [days[LENGTH - H - 1 - STEP], days[LENGTH - H - 1]]
    for sid in ("a", "b"):
        rows = cv[cv["unique_id"] == sid]
        assert sorted(rows["cutoff"].unique()) == cutoffs
        actual = data[data["store"] == sid].set_index("day")["sales"]
        np.testing.assert_array_equal(rows["y"].to_numpy(), actual.loc[rows["ds"]].to_numpy())
        for cutoff, part in rows.groupby("cutoff"):
            np.testing.assert_array_equal(part["naive"], actual.loc[cutoff])


def test_metrics_json_matches_the_backtest(first_run):
    _, _, csv, _, out = first_run
    meta = json.loads((out / "metrics.json").read_text())
    assert set(meta) == {
        "source",
        "created",
        "loaded_from",
        "metrics",
        "settings",
        "backtest",
        "data",
        "training",
        "timings",
        "versions",
    }
    assert meta["source"] == str(csv)
    assert meta["loaded_from"] is None
    assert list(meta["metrics"]) == ["y_hat", "naive", "seasonal_naive"]
    assert {"MAE", "RMSE", "MAPE", "sMAPE", "MASE", "coverage_80", "width_80"} <= set(
        meta["metrics"]["y_hat"]
    )
    cv = pd.read_csv(out / "backtest.csv")
    for model, col in (
        ("y_hat", "y_hat"),
        ("naive", "naive"),
        ("seasonal_naive", "seasonal_naive"),
    ):
        per_series = [np.abs(g["y"] - g[col]).mean() for _, g in cv.groupby("unique_id")]
        assert meta["metrics"][model]["MAE"] == pytest.approx(np.mean(per_series), rel=1e-12)
    inside = (cv["y_hat_q10"] <= cv["y"]) & (cv["y"] <= cv["y_hat_q90"])
    coverage = np.mean([g.mean() for _, g in inside.groupby(cv["unique_id"])])
    assert meta["metrics"]["y_hat"]["coverage_80"] == pytest.approx(coverage)
    assert meta["metrics"]["naive"]["coverage_80"] is None
    assert meta["data"] == {
        "series": 2,
        "freq": "D",
        "season": 7,
        "rows": 2 * LENGTH,
        "length_min": LENGTH,
        "length_max": LENGTH,
        "length_mean": float(LENGTH),
        "start": "2024-01-01",
        "end": str((pd.Timestamp("2024-01-01") + pd.Timedelta(days=LENGTH - 1)).date()),
        "dropped": [],
    }
    s = meta["settings"]
    assert (s["horizon"], s["lookback"], s["quantiles"], s["units"], s["epochs"]) == (
        H,
        LOOKBACK,
        [0.1, 0.5, 0.9],
        4,
        2,
    )
    assert (s["time_col"], s["target_col"], s["id_col"]) == ("day", "sales", "store")
    assert meta["backtest"] == {"windows": WINDOWS, "step": STEP, "refit": False}
    assert set(meta["timings"]) == {"checking data", "training", "forecasting", "backtesting"}
    assert meta["training"]["epochs_run"] == 2


def test_report_md_has_the_metrics_table_and_figures(first_run):
    _, _, _, _, out = first_run
    text = (out / "report.md").read_text()
    meta = json.loads((out / "metrics.json").read_text())["metrics"]
    assert text.startswith("# Forecast of ")
    assert "- 2 series, 120 rows, lengths 60" in text
    assert "- frequency `D`, season length 7" in text
    header = re.search(r"^\| model \| MAE \| RMSE \| MAPE \| sMAPE \| MASE \|.*$", text, re.M)
    assert header is not None
    for label, key in (("lstm", "y_hat"), ("naive", "naive"), ("seasonal naive", "seasonal_naive")):
        row = (
            f"| {label} | {format_number(meta[key]['MAE'])} | {format_number(meta[key]['RMSE'])} |"
        )
        assert row in text
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert sorted(links) == sorted(p.name for p in out.glob("*.png"))


def test_load_forecasts_the_same_without_training(first_run, tmp_path, capsys):
    _, _, csv, _, out = first_run
    again = tmp_path / "again"
    argv = ["forecast", str(csv), *COLUMNS, "--load", str(out / "model"), "--out", str(again)]
    assert main([*argv, "--plots", "1"]) == 0
    assert (again / "forecast.csv").read_bytes() == (out / "forecast.csv").read_bytes()
    # No training, no backtest unless asked.
    assert sorted(p.name for p in again.iterdir()) == [
        "forecast.csv",
        "forecast_1.png",
        "loss.png",
        "metrics.json",
        "model",
        "report.md",
    ]
    meta = json.loads((again / "metrics.json").read_text())
    assert meta["loaded_from"] == str(out / "model") and meta["metrics"] is None
    assert "training" not in meta["timings"]
    printed = capsys.readouterr().out
    assert "forecasting:" in printed and f"Report: {again / 'report.md'}" in printed


def test_load_refuses_a_different_horizon(first_run, tmp_path, capsys):
    _, _, csv, _, out = first_run
    argv = ["forecast", str(csv), "--load", str(out / "model"), "--horizon", "3"]
    assert main([*argv, "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err == (
        "rnnlab forecast: error: --horizon 3 differs from the loaded forecaster's 4; --load "
        "takes the model's settings from its folder (drop the option)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_bad_data_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys):
    data = _series_csv(tmp_path / "good.csv")
    data["sales"] = data["sales"].astype(object)
    data.loc[5, "sales"] = "n/a"
    data.to_csv(tmp_path / "bad.csv", index=False)
    out = tmp_path / "out"
    out.mkdir()
    (out / "metrics.json").write_text("old")  # an earlier report, which must survive
    argv = ["forecast", str(tmp_path / "bad.csv"), *COLUMNS, "--horizon", "4", *QUICK]
    assert main([*argv, "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        "rnnlab forecast: error: series 'a': column 'sales' (--target) has missing values (NaN) "
        "at line 7; pass --fill interpolate, ffill or zero to fill them\n"
    )
    assert [p.name for p in out.iterdir()] == ["metrics.json"]
    assert (out / "metrics.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "good.csv", "out"]


def test_series_too_short_for_the_backtest(tmp_path, capsys):
    _series_csv(tmp_path / "s.csv", length=30)
    argv = ["forecast", str(tmp_path / "s.csv"), *COLUMNS, "--horizon", "4", "--windows", "5"]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (
        "rnnlab forecast: error: series 'a' has 30 observations; lookback + horizon + backtest "
        "windows needs at least 36 (lookback 12 + horizon 4 + backtest windows 20); 1 more "
        "series is too short ('b'); pass --drop-short to skip such series (or ask for fewer "
        "--windows, a smaller --step, or --no-backtest)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["a.csv", "--dataset", "co2"],
            "give a CSV file or --dataset, not both (got 'a.csv' and --dataset 'co2')",
        ),
        (
            [],
            "give the series: a CSV file, or --dataset NAME (one of co2, elnino, "
            "seattle_temps, us_employment)",
        ),
        (
            ["--dataset", "sales"],
            "--dataset: unknown dataset 'sales'; the bundled datasets are: co2, elnino, "
            "seattle_temps, us_employment",
        ),
        (
            ["--dataset", "co2", "--target", "ppm"],
            "--target name the columns of a CSV; a bundled dataset has unique_id, ds, y",
        ),
        (["s.csv"], "--horizon is required: the number of steps to forecast"),
        (["missing.csv", "--horizon", "3"], "no such file: missing.csv"),
    ],
)
def test_usage_errors(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["forecast", *argv, "--out", "out"]) == 2
    assert capsys.readouterr().err == f"rnnlab forecast: error: {message}\n"
    assert list(tmp_path.iterdir()) == []


def test_future_covariates_need_a_futr_csv(tmp_path, capsys):
    data = _series_csv(tmp_path / "s.csv")
    data["promo"] = np.arange(len(data)) % 2
    data.to_csv(tmp_path / "s.csv", index=False)
    argv = ["forecast", str(tmp_path / "s.csv"), *COLUMNS, "--horizon", "4", "--futr-exog", "promo"]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (
        "rnnlab forecast: error: the forecaster uses future covariates ['promo']: give their "
        "values for the next 4 steps of every series with --futr-csv PATH\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv"]


def test_out_that_is_not_a_report_is_refused(tmp_path, capsys):
    _series_csv(tmp_path / "s.csv")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    argv = ["forecast", str(tmp_path / "s.csv"), *COLUMNS, "--horizon", "4"]
    assert main([*argv, "--out", str(tmp_path / "mine")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rnnlab forecast: error: cannot write to --out '{tmp_path / 'mine'}'")
    assert "is not an rnnlab forecast report (no metrics.json)" in err
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]


def test_list_datasets_prints_every_name(capsys):
    assert main(["forecast", "--list-datasets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(datasets.names())
    co2 = lines[0].split()
    assert co2[1:5] == ["W-SAT", "1", "x", "2284"]


def test_option_values_are_parsed_and_checked(capsys):
    parser = build_parser()
    args = parser.parse_args(["s.csv", "--refit", "true", "--futr-exog", "a, b", "--plots", "0"])
    assert (args.refit, args.futr_exog, args.plots) == (True, ("a", "b"), 0)
    assert parser.parse_args(["--refit", "3"]).refit == 3
    assert parser.parse_args(["--refit", "False"]).refit is False
    for argv, message in (
        (
            ["--refit", "sometimes"],
            "argument --refit: must be false, true or a positive number "
            "of windows, got 'sometimes'",
        ),
        (
            ["--quantiles", "0.1,1.5"],
            "argument --quantiles: must be comma-separated levels "
            "strictly between 0 and 1 such as 0.1,0.5,0.9, got '0.1,1.5'",
        ),
        (["--horizon", "0"], "argument --horizon: must be a positive integer, got '0'"),
        (["--plots", "-1"], "argument --plots: must be an integer >= 0, got '-1'"),
    ):
        assert main(["forecast", *argv]) == 2
        assert capsys.readouterr().err.splitlines()[-1] == f"rnnlab forecast: error: {message}"


def test_cli_message_is_one_line_in_the_commands_words():
    assert cli_message("column 'ds' (time_col) is\nmissing") == "column 'ds' (--time) is missing"
