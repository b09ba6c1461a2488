"""Smoke test of the benchmark harness: rnnlab only, two models, one epoch, tiny data.

Also runs the whole-chapter job (both models trained by ``rnnlab.parallel.fit_many``,
two at a time) and reprints the saved JSON with and without its ``whole_chapter`` key.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS = ["basic_rnn", "stacked_rnn"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", *args]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_chapter_smoke_rnnlab(tmp_path: Path) -> None:
    proc = _run(
        "benchmarks.run",
        "--workload=chapter",
        "--frameworks=rnnlab",
        f"--models={','.join(MODELS)}",
        "--epochs=1",
        "--repeats=1",
        "--n-series=200",
        "--chapter-workers=2",
        f"--out={tmp_path}",
    )

    latest = tmp_path / "chapter-latest.json"
    assert latest.exists(), proc.stdout + proc.stderr
    payload = json.loads(latest.read_text())
    assert payload["workload"] == "chapter"
    assert payload["machine"]["cpu_count"] >= 1
    assert [r["model"] for r in payload["results"]] == MODELS
    rows = [r for r in payload["results"] if r["model"] == "basic_rnn"]
    assert [r["framework"] for r in rows] == ["rnnlab"], payload["results"]
    for row in payload["results"]:
        assert row["n_ok"] == 1, row["errors"]
        assert math.isfinite(row["median"]["val_mse"])
        assert row["median"]["fit_s"] > 0
        assert row["ratio_vs_rnnlab"] == 1.0
    stamped = list(tmp_path.glob("chapter-2*.json"))
    assert len(stamped) == 1
    # the machine's speed, timed before the (only) repeat and after the last job
    calibration = payload["calibration"]
    jobs = len(MODELS) + 2  # each model, then fit_many with a cold and a warm cache
    assert [c["before_job"] for c in calibration] == [1, jobs + 1]
    for measure in ("compute_s", "xla_loop_s"):
        seconds = [c["seconds"][measure] for c in calibration]
        assert all(0 < t < 30 for t in seconds), calibration
        assert payload["speed_drift"][measure] == pytest.approx(max(seconds) / min(seconds) - 1)
    assert (tmp_path / "chapter-latest.png").stat().st_size > 0
    assert (tmp_path / "chapter-whole-latest.png").read_bytes()[:4] == b"\x89PNG"

    whole = payload["whole_chapter"]
    assert whole["n_ok"] == 1, whole["errors"]
    assert (whole["workers"], whole["at_once"], whole["models"]) == (2, 2, MODELS)
    assert whole["label"] == "rnnlab, two models trained 2 at a time (fit_many)"
    assert whole["wall_s"] > 0
    total = sum(r["median"]["fit_s"] for r in payload["results"])
    assert math.isclose(whole["one_at_a_time_s"]["rnnlab"], total)
    assert math.isclose(whole["ratio_vs_fit_many"]["rnnlab"], total / whole["wall_s"])
    (run,) = whole["runs"]
    assert run["repeat"] == 0 and run["seed"] == payload["settings"]["seed"]
    assert sorted(run["per_model"]) == sorted(MODELS)
    for row in payload["results"]:
        # same data, seed and keys as the per-model job: the same trained model
        mine = whole["val_mse"][row["model"]]
        assert math.isclose(mine, row["median"]["val_mse"], rel_tol=1e-4), (mine, row)
        assert 0 < run["per_model"][row["model"]]["done_s"] <= run["wall_s"]
    assert "two models trained 2 at a time (fit_many)" in proc.stdout
    assert run["cache_state"] == "cold"

    # the rerun reads the compilation cache the first run wrote, and trains the same models
    warm = payload["whole_chapter_warm"]
    assert warm["n_ok"] == 1, warm["errors"]
    assert warm["label"].endswith("(fit_many), rerun: compilation cache warm")
    assert warm["runs"][0]["cache_state"] == "warm"
    assert warm["val_mse"] == whole["val_mse"]
    assert "compilation cache warm" in proc.stdout

    # reports of runs made before the whole-chapter job (no such key) still print
    del payload["whole_chapter"], payload["whole_chapter_warm"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(payload))
    printed = _run("benchmarks.report", str(latest), str(old)).stdout
    assert printed.count("total fit s: rnnlab") == 2
    assert printed.count("(fit_many)") == 2
    assert "device peak MiB" not in printed  # CPU runs measure no device memory

    # a GPU run's rows carry the device's peak memory: the table gains that column
    for i, row in enumerate(payload["results"]):
        row["device"], row["median"]["device_peak_mb"] = "gpu:H200", 100.0 * (i + 1)
    gpu = tmp_path / "gpu.json"
    gpu.write_text(json.dumps(payload))
    printed = _run("benchmarks.report", str(gpu)).stdout
    assert "device peak MiB" in printed
    lines = [line for line in printed.splitlines() if "stacked_rnn" in line]
    assert "gpu:H200" in lines[0] and " 200 " in lines[0], lines


def test_chapter_workers_zero_plans_no_whole_chapter_job(tmp_path: Path) -> None:
    # (the planned jobs are what runs: test_chapter_smoke_rnnlab runs a plan end to end)
    from benchmarks.run import WHOLE_CHAPTER_JOB, chapter_specs, main, parse_args

    def plan(workers: int) -> list[dict]:
        argv = ["--workload=chapter", "--models=basic_rnn,lstm", "--repeats=2"]
        args = parse_args([*argv, f"--chapter-workers={workers}"])
        return chapter_specs(args, ["rnnlab"], tmp_path / "data.npz")

    assert [s["model"] for s in plan(0)] == ["basic_rnn", "lstm"] * 2
    assert all(s.get("job") != WHOLE_CHAPTER_JOB for s in plan(0))
    jobs = [(s["repeat"], s.get("model") or s["cache_state"]) for s in plan(3)]
    assert jobs == [(r, what) for r in (0, 1) for what in ("basic_rnn", "lstm", "cold", "warm")]
    assert {s["workers"] for s in plan(3) if s.get("job") == WHOLE_CHAPTER_JOB} == {3}
    with pytest.raises(SystemExit) as info:
        main(["--chapter-workers=-1"])
    assert str(info.value) == "--chapter-workers must be 0 (skip) or a positive number of models"


def test_describe_gpu_names_what_each_framework_sees() -> None:
    from benchmarks.run import describe_gpu

    seen = {"gpu": {"jax": ["cuda:0"], "torch_cuda": True}}
    assert describe_gpu(seen) == "GPU seen by JAX: cuda:0; by PyTorch (CUDA): yes"
    none = {"gpu": {"jax": [], "torch_cuda": False}}
    assert describe_gpu(none) == "GPU seen by JAX: none; by PyTorch (CUDA): no"
    assert describe_gpu({"gpu": {"jax": []}}).endswith("by PyTorch (CUDA): not installed")


def test_require_gpu_stops_before_running_anything(tmp_path: Path) -> None:
    import jax

    if any(d.platform != "cpu" for d in jax.devices()):
        import pytest

        pytest.skip("a GPU is visible: --require-gpu would run the benchmark")
    cmd = [sys.executable, "-m", "benchmarks.run", "--quick", "--require-gpu"]
    cmd += ["--frameworks=rnnlab", f"--out={tmp_path}"]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert proc.stderr.strip().endswith(
        f"--require-gpu: neither JAX nor PyTorch in {sys.executable} sees a GPU; install "
        "their CUDA builds (make bench-gpu) on a machine with an NVIDIA GPU and driver"
    )
    assert list(tmp_path.iterdir()) == []


def test_remat_benchmark_quick(tmp_path: Path) -> None:
    proc = _run("benchmarks.remat", "--quick", "--epochs=1", "--budget=2000", f"--out={tmp_path}")
    payload = json.loads((tmp_path / "remat-latest.json").read_text())
    (row,) = payload["rows"]
    assert (row["steps"], row["units"], row["n_series"]) == (200, 8, 10)
    for key in ("plain", "remat"):
        assert row[key]["epoch_s"] > 0 and row[key]["peak_rss_mb"] > 0
    # same seed, same data: rematerialization leaves the trained model as it was
    losses = [row[key]["runs"][0]["loss"] for key in ("plain", "remat")]
    assert math.isclose(*losses, rel_tol=1e-5), losses
    assert "T=   200 units=  8 series=   10:" in proc.stdout


def test_steadiness_flags_a_run_whose_machine_slowed_down() -> None:
    from benchmarks import steadiness

    assert steadiness.spread([0.2]) == 0.0
    assert steadiness.spread([0.20, 0.30, 0.25]) == pytest.approx(0.5)
    steady = [{"compute_s": 0.200, "xla_loop_s": t} for t in (0.250, 0.265, 0.255)]
    assert steadiness.steadiness_note(steady) is None  # 6%: noise
    # the slowdown of 2026-11-29: compiled loops 30% slower, plain compute unchanged
    slowed = [{"compute_s": 0.240, "xla_loop_s": t} for t in (0.200, 0.260, 0.210)]
    slowed.append({"compute_s": 0.241, "xla_loop_s": None})  # a calibration without JAX
    assert steadiness.drift_by_measure(slowed) == {
        "compute_s": pytest.approx(0.241 / 0.240 - 1),
        "xla_loop_s": pytest.approx(0.3),
    }
    assert steadiness.steadiness_note(slowed) == (
        "warning: the machine's speed drifted by 30% during this run (xla_loop_s "
        "0.200, 0.260, 0.210, before each repeat and at the end); jobs that ran in a slow "
        "phase look slower than the others, so compare ratios with care or rerun on an idle "
        "machine"
    )
