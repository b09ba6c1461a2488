"""Tests of the chapter app's report: its files and its atomically replaced folder."""

from __future__ import annotations

import json
import re

import pytest

from rnnlab.apps.chapter import recipes, report

# --- report -------------------------------------------------------------------------------


def test_write_report(small_run, tmp_path):
    run, _ = small_run
    path = report.write_report(run, tmp_path)
    assert path == tmp_path / "report.md"
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {
        "report.md",
        "results.json",
        "series.png",
        "mse_by_model.png",
        "naive_forecast.png",
        "basic_rnn_loss.png",
        "basic_rnn_forecast.png",
        "gru_loss.png",
        "gru_forecast.png",
    }
    results = json.loads((tmp_path / "results.json").read_text())
    assert results == json.loads(json.dumps(report.results_dict(run)))
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", path.read_text())
    assert sorted(links) == sorted(n for n in names if n.endswith(".png"))
    text = path.read_text()
    ratio = run.results[2].val_mse / recipes.CHAPTER_MSE["gru"]
    assert f"| gru | 4,110 | {run.results[2].val_mse:.5f} | 0.00926 | {ratio:.2f} |" in text


def test_stage_and_publish_replace_the_old_report(tmp_path):
    out = tmp_path / "deep" / "r"
    staging = report.stage_folder(out)
    assert staging == tmp_path / "deep" / f"r.tmp-{__import__('os').getpid()}"
    assert staging.is_dir() and not out.exists()
    (staging / "results.json").write_text("new")
    assert report.publish_folder(staging, out) == out
    assert (out / "results.json").read_text() == "new" and not staging.exists()
    staging = report.stage_folder(out)  # out is now a report: replaceable
    (staging / "results.json").write_text("newer")
    report.publish_folder(staging, out)
    assert (out / "results.json").read_text() == "newer"
    assert sorted(p.name for p in out.parent.iterdir()) == ["r"]


def test_stage_refuses_files_and_foreign_folders(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        report.stage_folder(tmp_path / "f")
    with pytest.raises(ValueError, match="is a file"):
        report.stage_folder(tmp_path / "f" / "r")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "data.csv").write_text("1,2")
    with pytest.raises(ValueError, match="not an rnnlab report"):
        report.stage_folder(tmp_path / "mine")
    (tmp_path / "empty").mkdir()
    report.discard_folder(report.stage_folder(tmp_path / "empty"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "f", "mine"]
