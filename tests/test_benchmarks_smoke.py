"""Smoke test of the benchmark harness: rnnlab only, basic_rnn, one epoch, tiny data."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_chapter_smoke_rnnlab(tmp_path: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--workload=chapter",
        "--frameworks=rnnlab",
        "--models=basic_rnn",
        "--epochs=1",
        "--repeats=1",
        "--n-series=200",
        f"--out={tmp_path}",
    ]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    latest = tmp_path / "chapter-latest.json"
    assert latest.exists(), proc.stdout + proc.stderr
    payload = json.loads(latest.read_text())
    assert payload["workload"] == "chapter"
    assert payload["machine"]["cpu_count"] >= 1
    rows = [r for r in payload["results"] if r["model"] == "basic_rnn"]
    assert [r["framework"] for r in rows] == ["rnnlab"], payload["results"]
    row = rows[0]
    assert row["n_ok"] == 1, row["errors"]
    assert math.isfinite(row["median"]["val_mse"])
    assert row["median"]["fit_s"] > 0
    assert row["ratio_vs_rnnlab"] == 1.0
    stamped = list(tmp_path.glob("chapter-2*.json"))
    assert len(stamped) == 1
    assert (tmp_path / "chapter-latest.png").stat().st_size > 0
