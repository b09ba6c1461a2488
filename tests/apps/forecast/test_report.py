"""forecast.report: number formats, the Markdown metrics table, data summary, staged folders."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from rnnlab.apps.forecast import report
from rnnlab.apps.forecast.frame import prepare


def test_format_number():
    assert [report.format_number(v) for v in (0.0, 0.123456, 1.0, 99.99, 999.94, 1234.5)] == [
        "0.000",
        "0.1235",
        "1.000",
        "99.99",
        "999.9",
        "1,234",
    ]
    assert report.format_number(float("nan")) == "–"
    assert report.format_number(None) == "–"


def test_metrics_markdown_table():
    metrics = pd.DataFrame(
        {
            "MAE": [1.25, 2.0, 1.5],
            "MAPE_skipped": [3, 3, 3],
            "MASE": [0.625, 1.0, 0.75],
            "coverage_80": [0.8, np.nan, np.nan],
        },
        index=pd.Index(["y_hat", "naive", "seasonal_naive"], name="model"),
    )
    assert report.metrics_markdown(metrics, "gru") == [
        "| model | MAE | MASE | coverage_80 |",
        "|---|---:|---:|---:|",
        "| gru | 1.250 | 0.6250 | 0.8000 |",
        "| naive | 2.000 | 1.000 | – |",
        "| seasonal naive | 1.500 | 0.7500 | – |",
    ]


def test_data_summary_of_uneven_series_with_one_dropped():
    frames = [
        pd.DataFrame({"unique_id": sid, "ds": pd.date_range(start, periods=n, freq="h"), "y": 1.0})
        for sid, start, n in (
            ("a", "2024-01-01 00:00", 30),
            ("b", "2024-01-01 05:00", 50),
            ("c", "2024-01-03", 3),
        )
    ]
    panel = prepare(pd.concat(frames), min_length=10, drop_short=True)
    assert report.data_summary(panel) == {
        "series": 2,
        "freq": "h",
        "season": 24,
        "rows": 80,
        "length_min": 30,
        "length_max": 50,
        "length_mean": 40.0,
        "start": "2024-01-01",
        "end": "2024-01-03 06:00:00",
        "dropped": ["c"],
    }


def test_publish_replaces_an_earlier_report_at_once(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "metrics.json").write_text("old")
    (out / "stale.png").write_text("old")
    staging = report.stage_folder(out)
    assert staging == tmp_path / f"out.tmp-{staging.name.rsplit('-', 1)[1]}"
    assert list(staging.iterdir()) == []
    (staging / "metrics.json").write_text("new")
    assert (out / "metrics.json").read_text() == "old"  # untouched until published
    report.publish_folder(staging, out)
    assert [p.name for p in out.iterdir()] == ["metrics.json"]
    assert (out / "metrics.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_discard_leaves_the_old_report(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("old")
    staging = report.stage_folder(out)
    (staging / "report.md").write_text("half")
    report.discard_folder(staging)
    report.discard_folder(None)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert (out / "report.md").read_text() == "old"


def test_stage_refuses_a_file_or_a_folder_that_is_not_a_report(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path / 'file'} is a file, not a folder")):
        report.stage_folder(tmp_path / "file" / "out")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match=re.escape("is not an rnnlab forecast report")):
        report.stage_folder(tmp_path / "mine")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "mine"]
