"""End-to-end tests of ``rnnlab chapter`` (quick mode) and of its command line."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import rnnlab
from rnnlab.apps.chapter import cli as chapter_cli
from rnnlab.apps.chapter import pipeline, plotting, recipes, report
from rnnlab.callbacks import Callback
from rnnlab.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXPECTED_PARAMS = {
    "naive": 0,
    "basic_rnn": 3,
    "stacked_rnn": 1281,
    "multistep_rnn": 1470,
    "lstm": 5250,
    "gru": 4110,
    "conv1d_gru": 5350,
}
LINK = re.compile(r"!\[[^\]]*\]\(([^)]+)\)")


def expected_files(models) -> set[str]:
    files = {"results.json", "report.md", "series.png", "mse_by_model.png", "naive_forecast.png"}
    for name in models:
        files |= {f"{name}_loss.png", f"{name}_forecast.png"}
    return files


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """Call main() capturing stdout/stderr (usable from module-scoped fixtures)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def make_old_report(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "results.json").write_text('{"old": true}\n')
    (folder / "report.md").write_text("old report\n")


def leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One quick end-to-end run of all models: (exit code, stdout, stderr, out folder)."""
    out = tmp_path_factory.mktemp("quick") / "r"
    code, stdout, stderr = run_main(["chapter", "--quick", "--out", str(out)])
    return code, stdout, stderr, out


# --- the quick end-to-end run -----------------------------------------------------------


def test_quick_run_exits_0_and_prints_where_the_report_is(quick):
    code, stdout, stderr, out = quick
    assert code == 0, stderr
    assert f"Report: {out.absolute() / 'report.md'}" in stdout.splitlines()
    workers = pipeline.ChapterConfig().effective_workers
    line = r"^training \d+\.\d s"
    if workers > 1:
        line += rf", {workers} models at a time \(sum of fit times \d+\.\d s\)"
    assert re.search(line + r"; whole run \d+\.\d s$", stdout, re.M), stdout[-400:]


def test_quick_run_prints_plain_progress_summaries_and_table(quick):
    _, stdout, _, _ = quick
    for name in recipes.MODEL_NAMES:
        for epoch in (1, 2):
            pattern = rf"^\[{name}\] epoch {epoch}/2 loss \d+\.\d{{4}} val_loss \d+\.\d{{4}}$"
            assert re.search(pattern, stdout, re.M), f"no progress line for {name} {epoch}"
        assert re.search(rf"^│ {name} ", stdout, re.M), f"{name} missing from the table"
    assert stdout.count("Total params:") == 6
    assert 'Model: "sequential"' in stdout and "simple_rnn (SimpleRNN)" in stdout
    assert "0.00911" in stdout  # the chapter's lstm value, side by side


def test_quick_run_writes_every_file(quick):
    _, _, _, out = quick
    assert {p.name for p in out.iterdir()} == expected_files(recipes.MODEL_NAMES)
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == PNG_MAGIC, png.name


def test_quick_results_json(quick):
    _, _, _, out = quick
    results = json.loads((out / "results.json").read_text())
    assert results["seed"] == 42 and results["epochs"] == 2 and results["quick"] is True
    assert set(results["versions"]) >= {"rnnlab", "jax", "optax", "numpy", "python"}
    assert results["versions"]["rnnlab"] == rnnlab.__version__
    models = results["models"]
    assert [m["name"] for m in models] == ["naive", *recipes.MODEL_NAMES]
    for m in models:
        assert set(m) == {"name", "params", "val_mse", "test_mse", "train_seconds"}
        assert m["params"] == EXPECTED_PARAMS[m["name"]]
        for key in ("val_mse", "test_mse"):
            assert math.isfinite(m[key]) and m[key] > 0, (m["name"], key)
        assert (m["train_seconds"] == 0) == (m["name"] == "naive")
    total = sum(m["train_seconds"] for m in models)
    assert results["total_train_seconds"] == pytest.approx(total, abs=0.01)
    assert results["workers"] == pipeline.ChapterConfig().effective_workers
    assert 0 < results["train_wall_seconds"] <= total + 60


def test_quick_report_md_links_only_existing_figures(quick):
    _, _, _, out = quick
    text = (out / "report.md").read_text()
    links = LINK.findall(text)
    assert links, "report.md embeds no figure"
    for link in links:
        assert not Path(link).is_absolute() and (out / link).is_file(), link
    assert set(links) == {p.name for p in out.glob("*.png")}
    assert "| model | params | val MSE | chapter val MSE | ratio | test MSE | train s |" in text
    for name, ref in recipes.CHAPTER_MSE.items():
        assert re.search(rf"^\| {name} \|.*\| {ref:.5f} \|", text, re.M), name
    assert text.count("```") == 2 * 6  # one summary block per trained model
    assert "lstm_1 (LSTM)" in text


def test_quick_run_leaves_no_temporary_folder(quick):
    _, _, _, out = quick
    assert [p.name for p in out.parent.iterdir()] == ["r"]


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--epochs", "0"], "--epochs"),
        (["--epochs", "-2"], "--epochs"),
        (["--epochs", "1.5"], "--epochs"),
        (["--epochs", "many"], "--epochs"),
        (["--seed", "-1"], "--seed"),
        (["--models", "lstm,transformer"], "transformer"),
        (["--models", ""], "--models"),
        (["--jobs", "0"], "--jobs"),
        (["--jobs", "two"], "--jobs"),
    ],
)
def test_bad_values_exit_2_with_one_line_and_create_nothing(tmp_path, capsys, args, needle):
    code = main(["chapter", "--quick", "--out", str(tmp_path / "r"), *args])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnlab chapter: error:"), captured.err
    assert needle in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_unknown_model_message_lists_valid_names(tmp_path, capsys):
    assert main(["chapter", "--models", "nope", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    for name in recipes.MODEL_NAMES:
        assert name in err


def test_out_whose_parent_is_a_file(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["chapter", "--quick", "--out", str(blocker / "r")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnlab chapter: error:") and len(err.strip().splitlines()) == 1
    assert "not a folder" in err
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_out_in_read_only_folder(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert main(["chapter", "--quick", "--out", str(locked / "r")]) == 2
        assert capsys.readouterr().err.startswith("rnnlab chapter: error:")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_out_that_is_not_a_report_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("keep me")
    assert main(["chapter", "--quick", "--out", str(tmp_path)]) == 2
    assert "not an rnnlab report" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("argv", [[], ["train"], ["chapter", "--bogus"], ["chapter", "--out"]])
def test_argparse_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    assert "error:" in capsys.readouterr().err


def test_help_and_version(capsys):
    assert main(["--help"]) == 0
    assert "chapter" in capsys.readouterr().out
    assert main(["chapter", "--help"]) == 0
    text = capsys.readouterr().out
    for word in ("--epochs", "--seed", "--models", "--out", "--quick", *recipes.MODEL_NAMES):
        assert word in text
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"rnnlab {rnnlab.__version__}"


# --- subsets, replacement and failures ----------------------------------------------------


def test_models_subset_trains_only_those(tmp_path):
    out = tmp_path / "r"
    code, stdout, stderr = run_main(
        ["chapter", "--quick", "--models", "gru,lstm", "--out", str(out)]
    )
    assert code == 0, stderr
    results = json.loads((out / "results.json").read_text())
    assert [m["name"] for m in results["models"]] == ["naive", "lstm", "gru"]
    assert {p.name for p in out.iterdir()} == expected_files(["lstm", "gru"])
    assert "[basic_rnn]" not in stdout


def test_existing_report_is_replaced_only_at_the_end(tmp_path, monkeypatch):
    out = tmp_path / "r"
    make_old_report(out)
    real_write = report.write_report
    seen = []

    def checking_write(run, folder):
        seen.append((out / "report.md").read_text())  # old report still in place
        return real_write(run, folder)

    monkeypatch.setattr(report, "write_report", checking_write)
    code, _, stderr = run_main(["chapter", "--quick", "--models", "basic_rnn", "--out", str(out)])
    assert code == 0, stderr
    assert seen == ["old report\n"]
    assert [m["name"] for m in json.loads((out / "results.json").read_text())["models"]] == [
        "naive",
        "basic_rnn",
    ]
    assert leftovers(tmp_path) == []


def test_failure_mid_training_keeps_old_report(tmp_path, monkeypatch):
    out = tmp_path / "r"
    make_old_report(out)
    real_callbacks = chapter_cli.Display.callbacks

    class Crash(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            raise RuntimeError("simulated crash")

    def crashing_callbacks(self, name, epochs):
        # stacked_rnn fails in its worker; basic_rnn still trains to the end
        return [*real_callbacks(self, name, epochs), *([Crash()] if name == "stacked_rnn" else [])]

    monkeypatch.setattr(chapter_cli.Display, "callbacks", crashing_callbacks)
    argv = ["chapter", "--quick", "--models", "basic_rnn,stacked_rnn", "--out", str(out)]
    code, stdout, stderr = run_main(argv)
    assert code == 1
    assert "simulated crash" in stderr and "[basic_rnn] epoch 2/2" in stdout
    assert (out / "results.json").read_text() == '{"old": true}\n'
    assert sorted(p.name for p in out.iterdir()) == ["report.md", "results.json"]
    assert leftovers(tmp_path) == []


def test_failure_while_writing_figures_removes_partial_folder(tmp_path, monkeypatch):
    out = tmp_path / "r"
    real_save = plotting.save_figure
    calls = []

    def failing_save(fig, path):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        return real_save(fig, path)

    monkeypatch.setattr(plotting, "save_figure", failing_save)
    code, _, stderr = run_main(["chapter", "--quick", "--models", "basic_rnn", "--out", str(out)])
    assert code == 1 and "disk full" in stderr
    assert list(tmp_path.iterdir()) == []


def test_interrupt_exits_130_and_cleans_up(tmp_path, monkeypatch):
    def interrupted(name, seed=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "build_model", interrupted)
    code, _, stderr = run_main(["chapter", "--quick", "--out", str(tmp_path / "r")])
    assert code == 130 and "interrupted" in stderr
    assert list(tmp_path.iterdir()) == []


# --- as a program -------------------------------------------------------------------------


def test_python_dash_m_runs_the_quick_chapter(tmp_path):
    out = tmp_path / "r"
    cmd = [sys.executable, "-m", "rnnlab", "chapter", "--quick", "--models", "basic_rnn"]
    proc = subprocess.run(
        [*cmd, "--out", str(out)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^\[basic_rnn\] epoch 2/2 loss \d\.\d{4} val_loss", proc.stdout, re.M)
    assert proc.stdout.strip().splitlines()[-1] == f"Report: {out / 'report.md'}"
    assert {p.name for p in out.iterdir()} == expected_files(["basic_rnn"])


def test_no_cache_flag_leaves_the_compilation_cache_off(monkeypatch, tmp_path):
    import rnnlab
    from rnnlab import cli

    calls = []
    monkeypatch.setattr(rnnlab.utils, "enable_compilation_cache", lambda: calls.append(1))
    args = ["chapter", "--quick", "--models", "naive", "--out", str(tmp_path / "r")]
    assert cli.main([*args, "--no-cache"]) == 0
    assert calls == []
    assert cli.main(args) == 0
    assert calls == [1]
