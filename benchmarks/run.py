"""Benchmark orchestrator: ``python -m benchmarks.run [options]``.

Generates the data once, runs every (repeat, model, framework) job in a fresh subprocess
of the chosen interpreter (for the chapter, plus per repeat one rnnlab job that trains all
the models at once with ``rnnlab.parallel.fit_many``, see ``benchmarks.fit_many_runner``),
takes medians over repeats, prints a table, and writes
``<out>/<workload>-<stamp>.json``, ``<out>/<workload>-latest.json`` and a bar chart.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import report, steadiness
from benchmarks.common import (
    CHAPTER_MODELS,
    FRAMEWORKS,
    RUNNER_MODULE,
    make_chapter_data,
    make_scaling_data,
    scaling_configs,
    scaling_n_series,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
SCALING_DEFAULT_FRAMEWORKS = ("rnnlab", "torch")
SCALING_BUDGET = 350_000  # training samples x steps per scaling point (7,000 x 50)
WHOLE_CHAPTER_JOB = "whole_chapter"  # the rnnlab job training every model with fit_many

PROBE = r"""
import importlib.util, json, sys
out = {"available": {}, "reasons": {}, "gpu": {}}
have = {m: importlib.util.find_spec(m) is not None for m in ("jax", "keras", "tensorflow", "torch")}
needs = {"keras-jax": ("keras", "jax"), "keras-tf": ("keras", "tensorflow"), "torch": ("torch",)}
for fw, mods in needs.items():
    missing = [m for m in mods if not have[m]]
    out["available"][fw] = not missing
    if missing:
        out["reasons"][fw] = "not installed: " + ", ".join(missing)
try:
    import rnnlab
    from rnnlab.models import Sequential
    out["available"]["rnnlab"] = True
except Exception as exc:
    out["available"]["rnnlab"] = False
    out["reasons"]["rnnlab"] = f"import failed: {type(exc).__name__}: {exc}"
if have["jax"]:
    import jax
    out["gpu"]["jax"] = [str(d) for d in jax.devices() if d.platform != "cpu"]
if have["torch"]:
    import torch
    out["gpu"]["torch_cuda"] = torch.cuda.is_available()
print(json.dumps(out))
"""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    p.add_argument("--workload", choices=("chapter", "scaling", "all"), default="chapter")
    p.add_argument(
        "--frameworks",
        help=f"comma-separated subset of {','.join(FRAMEWORKS)} "
        f"(default: all for chapter, {','.join(SCALING_DEFAULT_FRAMEWORKS)} for scaling)",
    )
    p.add_argument("--models", default=",".join(CHAPTER_MODELS), help="chapter models to run")
    p.add_argument(
        "--epochs", type=int, help="chapter: 15 (quick 2); scaling timed epochs: 3 (quick 1)"
    )
    p.add_argument("--repeats", type=int, help="runs per job, median reported (default 3, quick 1)")
    p.add_argument("--quick", action="store_true", help="tiny settings for a smoke run")
    p.add_argument(
        "--n-series", type=int, help="chapter series generated (default 10000, quick 300)"
    )
    p.add_argument("--batch-size", type=int, default=32, help="chapter batch size (default 32)")
    p.add_argument(
        "--chapter-workers",
        type=int,
        help="chapter: models the extra rnnlab job trains at once with rnnlab.parallel."
        "fit_many (default: as fit_many, one more than the usable cores); 0 skips that job",
    )
    p.add_argument(
        "--seed", type=int, default=42, help="data seed; repeat r seeds models with seed+r"
    )
    p.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="output folder")
    p.add_argument(
        "--python", default=sys.executable, help="interpreter for the runner subprocesses"
    )
    p.add_argument(
        "--torch-threads",
        type=int,
        help="torch.set_num_threads for the torch runner (default: leave PyTorch's default)",
    )
    p.add_argument("--timeout", type=float, default=3600, help="seconds allowed per job")
    p.add_argument("--no-chart", action="store_true", help="skip the PNG bar chart")
    p.add_argument(
        "--require-gpu",
        action="store_true",
        help="stop before running anything unless JAX or PyTorch sees a GPU (make bench-gpu)",
    )
    return p.parse_args(argv)


def describe_gpu(found: dict[str, Any]) -> str:
    """One line saying which GPUs the runner interpreter's JAX and PyTorch see."""
    gpu = found.get("gpu", {})
    jax_gpus = ", ".join(gpu.get("jax", [])) or "none"
    torch_cuda = {True: "yes", False: "no"}.get(gpu.get("torch_cuda"), "not installed")
    return f"GPU seen by JAX: {jax_gpus}; by PyTorch (CUDA): {torch_cuda}"


def probe(python: str) -> dict[str, Any]:
    """Which frameworks the runner interpreter can use, and whether it sees a GPU."""
    proc = subprocess.run(
        [python, "-c", PROBE], capture_output=True, text=True, cwd=REPO_ROOT, env=runner_env()
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"probing {python} failed:\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def runner_env() -> dict[str, str]:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    )
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def run_job(python: str, spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one job in a fresh interpreter; its last stdout line is the JSON result."""
    module = spec.get("runner") or RUNNER_MODULE[spec["framework"]]
    cmd = [python, "-m", module, "--spec", json.dumps(spec)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, cwd=REPO_ROOT, env=runner_env(), timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {timeout:.0f} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"ok": False, "error": "no result line"}
    result["process_s"] = time.perf_counter() - t0
    if not result.get("ok"):
        result["stderr_tail"] = proc.stderr[-3000:]
    return result


def run_jobs(
    python: str, specs: list[dict[str, Any]], timeout: float, calibration: list[dict] | None = None
) -> list[dict[str, Any]]:
    """All jobs in order, one line of progress each; each result carries its spec.

    When ``calibration`` is a list, the machine's speed is timed
    (:func:`benchmarks.steadiness.calibrate`) before each repeat and after the last job,
    and appended to it as ``{"before_job": index, "seconds": {measure: s}}``.
    """
    results = []
    repeat = None
    for i, spec in enumerate(specs, 1):
        if calibration is not None and spec["repeat"] != repeat:
            repeat = spec["repeat"]
            calibration.append(
                {"before_job": i, "seconds": steadiness.calibrate(python, REPO_ROOT)}
            )
        label = spec.get("model") or spec.get("config") or spec["job"]
        if spec.get("cache_state"):
            label += f" (compilation cache {spec['cache_state']})"
        res = {**spec, **run_job(python, spec, timeout)}
        if res.get("ok") and "wall_s" in res:
            shown = f"wall {res['wall_s']:.2f} s, {res['at_once']} models at a time"
        elif res.get("ok"):
            shown = (
                f"fit {res['fit_s']:.2f} s" if "fit_s" in res else f"epoch {res['epoch_s']:.3f} s"
            )
            if "val_mse" in res:
                shown += f", val MSE {res['val_mse']:.5f}"
        else:
            shown = f"FAILED: {res.get('error')}"
            print(res.get("stderr_tail", ""), file=sys.stderr)
        print(f"[{i}/{len(specs)}] {spec['framework']} {label} repeat {spec['repeat']}: {shown}")
        results.append(res)
    if calibration is not None:
        end = {"before_job": len(specs) + 1, "seconds": steadiness.calibrate(python, REPO_ROOT)}
        calibration.append(end)
    return results


def chapter_specs(args: argparse.Namespace, frameworks: list[str], data: Path) -> list[dict]:
    """One job per (repeat, model, framework), then per repeat the whole-chapter job."""
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(models) - set(CHAPTER_MODELS))
    if unknown:
        raise SystemExit(f"unknown models {unknown}; choose from {list(CHAPTER_MODELS)}")
    base = {"workload": "chapter", "data": str(data), "batch_size": args.batch_size}
    base["torch_threads"] = args.torch_threads
    specs = [
        {
            **base,
            "framework": fw,
            "model": m,
            "epochs": args.epochs,
            "repeat": r,
            "seed": args.seed + r,
        }
        for r in range(args.repeats)
        for m in models
        for fw in frameworks
    ]
    if "rnnlab" in frameworks and args.chapter_workers > 0:
        whole = {**base, "framework": "rnnlab", "job": WHOLE_CHAPTER_JOB, "models": models}
        whole |= {"runner": "benchmarks.fit_many_runner", "workers": args.chapter_workers}
        # Per repeat: a first run that writes a fresh compilation cache (as a first
        # `rnnlab chapter` does), then a second run that reads it (as a rerun does).
        for r in range(args.repeats):
            cache = str(data.parent / f"jax-cache-{r}")
            for cache_state in ("cold", "warm"):
                specs.append(
                    {**whole, "epochs": args.epochs, "repeat": r, "seed": args.seed + r}
                    | {"cache_dir": cache, "cache_state": cache_state}
                )
    # stable sort: each repeat's whole-chapter job runs after that repeat's per-model jobs
    return sorted(specs, key=lambda s: s["repeat"])


def scaling_specs(args: argparse.Namespace, frameworks: list[str], tmp: Path) -> list[dict]:
    budget = SCALING_BUDGET // 50 if args.quick else SCALING_BUDGET
    specs = []
    for cfg in scaling_configs(args.quick):
        n = scaling_n_series(cfg.steps, budget, max_series=budget // 50)
        data = tmp / f"scaling-T{cfg.steps}.npz"
        if not data.exists():
            np.savez(data, **make_scaling_data(n, cfg.steps, args.seed))
        base = {"workload": "scaling", "config": cfg.name, "axis": cfg.axis, "steps": cfg.steps}
        base |= {"units": cfg.units, "batch_size": cfg.batch_size, "n_series": n, "data": str(data)}
        base["torch_threads"] = args.torch_threads
        specs += [
            {**base, "framework": fw, "epochs": args.epochs, "repeat": r, "seed": args.seed + r}
            for r in range(args.repeats)
            for fw in frameworks
        ]
    # repeats outermost, so slow drift of the machine spreads over every framework alike
    return sorted(specs, key=lambda s: s["repeat"])


def run_workload(
    workload: str, args: argparse.Namespace, frameworks: list[str], info: dict, tmp: Path
) -> Path:
    """Run one workload end to end; returns the path of the JSON written."""
    epochs = args.epochs
    if epochs is None:
        epochs = (2 if args.quick else 15) if workload == "chapter" else (1 if args.quick else 3)
    args = argparse.Namespace(**{**vars(args), "epochs": epochs})
    if workload == "chapter":
        data = tmp / "chapter.npz"
        np.savez(data, **make_chapter_data(args.n_series, args.seed))
        specs = chapter_specs(args, frameworks, data)
    else:
        specs = scaling_specs(args, frameworks, tmp)
    print(f"{workload}: {len(specs)} jobs on {', '.join(frameworks)} with {args.python}")
    calibration: list[dict] = []
    results = run_jobs(args.python, specs, args.timeout, calibration)
    whole = [r for r in results if r.get("job") == WHOLE_CHAPTER_JOB]
    results = [r for r in results if r.get("job") != WHOLE_CHAPTER_JOB]
    rows = report.aggregate(workload, results, frameworks)
    settings = {k: v for k, v in vars(args).items() if k not in ("out", "python")}
    payload = {
        "workload": workload,
        "settings": {**settings, "python": args.python, "frameworks": frameworks},
        "machine": info["machine"],
        "skipped": info["skipped"],
        "results": rows,
        "calibration": calibration,
    }
    timings = [c["seconds"] for c in calibration]
    payload["speed_drift"] = steadiness.drift_by_measure(timings)
    cold = [r for r in whole if r.get("cache_state", "cold") == "cold"]
    warm = [r for r in whole if r.get("cache_state") == "warm"]
    if cold:
        payload["whole_chapter"] = report.aggregate_whole_chapter(cold, rows)
    if warm:
        payload["whole_chapter_warm"] = report.aggregate_whole_chapter(warm, rows)
    report.print_table(workload, rows, payload)
    note = steadiness.steadiness_note(timings)
    if note:
        print(note)
    path = report.write_json(args.out, workload, payload)
    if not args.no_chart:
        report.draw_chart(args.out, workload, rows, path.stem)
        report.draw_whole_chapter_chart(args.out, payload, path.stem)
    print(f"wrote {path}")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.quick:
        args.repeats = args.repeats or 1
        args.n_series = args.n_series or 300
    args.repeats = args.repeats or 3
    args.n_series = args.n_series or 10_000
    if args.chapter_workers is None:  # rnnlab.parallel.default_workers: one more than the cores
        args.chapter_workers = len(os.sched_getaffinity(0)) + 1
    if args.chapter_workers < 0:
        raise SystemExit("--chapter-workers must be 0 (skip) or a positive number of models")
    workloads = ["chapter", "scaling"] if args.workload == "all" else [args.workload]
    found = probe(args.python)
    print(describe_gpu(found))
    if args.require_gpu and not (found["gpu"].get("jax") or found["gpu"].get("torch_cuda")):
        raise SystemExit(
            f"--require-gpu: neither JAX nor PyTorch in {args.python} sees a GPU; "
            "install their CUDA builds (make bench-gpu) on a machine with an NVIDIA GPU and driver"
        )
    skipped = {fw: why for fw, why in found["reasons"].items()}
    for fw, why in skipped.items():
        print(f"note: skipping {fw} ({why})")
    info = {"machine": report.machine_info(args.python, found), "skipped": skipped}
    with tempfile.TemporaryDirectory(prefix="rnnlab-bench-") as tmp:
        for workload in workloads:
            default = FRAMEWORKS if workload == "chapter" else SCALING_DEFAULT_FRAMEWORKS
            wanted = args.frameworks.split(",") if args.frameworks else list(default)
            unknown = sorted(set(wanted) - set(FRAMEWORKS))
            if unknown:
                raise SystemExit(f"unknown frameworks {unknown}; choose from {list(FRAMEWORKS)}")
            frameworks = [fw for fw in FRAMEWORKS if fw in wanted and found["available"].get(fw)]
            if not frameworks:
                print(f"{workload}: no requested framework is available; nothing to run")
                continue
            run_workload(workload, args, frameworks, info, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
