"""Reporting for the benchmark orchestrator: medians, rich table, JSON and bar chart.

``python -m benchmarks.report <results.json>`` prints the table of a saved run again.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.common import median

CHAPTER_METRICS = (
    "fit_s",
    "compile_s",
    "epoch_s",
    "setup_s",
    "predict_s",
    "val_mse",
    "peak_rss_mb",
    "device_peak_mb",
)
SCALING_METRICS = (
    "epoch_s",
    "warmup_s",
    "peak_rss_mb",
    "baseline_rss_mb",
    "us_per_sample_step",
    "device_peak_mb",
)
DISTRIBUTIONS = (
    "rnnlab",
    "jax",
    "jaxlib",
    "keras",
    "tensorflow",
    "tensorflow-cpu",
    "torch",
    "optax",
)


def machine_info(python: str, probe: dict[str, Any]) -> dict[str, Any]:
    """Platform, CPU, core count, framework versions and GPU presence of the runner side."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    code = (
        "import json, importlib.metadata as m\n"
        f"names = {list(DISTRIBUTIONS)!r}\n"
        "out = {}\n"
        "for n in names:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))"
    )
    try:
        proc = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
        versions = json.loads(proc.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError):
        versions = {n: metadata.version(n) for n in DISTRIBUTIONS if _installed(n)}
    gpu = probe.get("gpu", {})
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "runner_python": python,
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "versions": versions,
        "gpu": gpu,
        "has_gpu": bool(gpu.get("jax")) or bool(gpu.get("torch_cuda")),
    }


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def aggregate(workload: str, results: list[dict], frameworks: Sequence[str]) -> list[dict]:
    """One row per (job key, framework): medians over repeats, ratio to rnnlab, raw runs."""
    key = "model" if workload == "chapter" else "config"
    metrics = CHAPTER_METRICS if workload == "chapter" else SCALING_METRICS
    time_metric = "fit_s" if workload == "chapter" else "epoch_s"
    for res in results:
        if workload == "scaling" and res.get("ok") and res.get("epoch_s"):
            res["us_per_sample_step"] = res["epoch_s"] / (res["n_series"] * res["steps"]) * 1e6
    names = list(dict.fromkeys(r[key] for r in results))
    rows = []
    for name in names:
        for fw in frameworks:
            runs = [r for r in results if r[key] == name and r["framework"] == fw]
            if not runs:
                continue
            ok = [r for r in runs if r.get("ok")]
            row = {key: name, "framework": fw, "device": ok[0]["device"] if ok else None}
            if workload == "scaling":
                row |= {k: runs[0][k] for k in ("axis", "steps", "units", "batch_size", "n_series")}
            row["median"] = {m: median([r.get(m) for r in ok]) for m in metrics}
            row["n_ok"], row["n_failed"] = len(ok), len(runs) - len(ok)
            row["errors"] = [r.get("error") for r in runs if not r.get("ok")]
            row["runs"] = runs
            rows.append(row)
    for row in rows:
        base = next((r for r in rows if r[key] == row[key] and r["framework"] == "rnnlab"), None)
        mine, theirs = row["median"][time_metric], base and base["median"][time_metric]
        row["ratio_vs_rnnlab"] = mine / theirs if mine and theirs else None
    return rows


NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six")


def one_at_a_time_totals(rows: list[dict], models: Sequence[str]) -> dict[str, float | None]:
    """Per framework, the sum of the median fit seconds of ``models`` (None if one is missing)."""
    totals: dict[str, float | None] = {}
    for fw in dict.fromkeys(r["framework"] for r in rows):
        fits = {r["model"]: r["median"]["fit_s"] for r in rows if r["framework"] == fw}
        complete = all(fits.get(m) is not None for m in models)
        totals[fw] = sum(fits[m] for m in models) if complete else None
    return totals


def aggregate_whole_chapter(results: list[dict], rows: list[dict]) -> dict[str, Any]:
    """The whole-chapter (``fit_many``) job: median wall time over repeats, set against
    each framework's one-model-at-a-time total from ``rows`` (the per-model medians)."""
    ok = [r for r in results if r.get("ok")]
    models, workers = list(results[0]["models"]), results[0]["workers"]
    at_once = min(workers, len(models))
    count = NUMBER_WORDS[len(models)] if len(models) < len(NUMBER_WORDS) else str(len(models))
    wall = median([r.get("wall_s") for r in ok])
    totals = one_at_a_time_totals(rows, models)
    label = f"rnnlab, {count} models trained {at_once} at a time (fit_many)"
    if results[0].get("cache_state") == "warm":
        label += ", rerun: compilation cache warm"
    return {
        "label": label,
        "workers": workers,
        "at_once": at_once,
        "models": models,
        "wall_s": wall,
        "val_mse": {m: median([r["val_mse"].get(m) for r in ok]) for m in models},
        "one_at_a_time_s": totals,
        "ratio_vs_fit_many": {fw: t / wall if t and wall else None for fw, t in totals.items()},
        "n_ok": len(ok),
        "n_failed": len(results) - len(ok),
        "errors": [r.get("error") for r in results if not r.get("ok")],
        "runs": results,
    }


def _print_whole_chapter(console: Any, whole: dict[str, Any], repeats: int) -> None:
    """The whole-chapter section: the fit_many wall time and each one-at-a-time total."""
    from rich.table import Table

    table = Table(
        title=f"whole chapter: median of {repeats} run(s), compilation included",
        caption="× fit_many = total / fit_many wall time (above 1: the fit_many run is faster)",
    )
    for col in ("run", "models at a time", "s", "× fit_many"):
        table.add_column(col, justify="left" if col == "run" else "right")
    wall = whole["wall_s"]
    shown = "FAILED" if wall is None else _fmt(wall, ".2f")
    table.add_row(whole["label"], str(whole["at_once"]), shown, "1.00" if wall else "")
    for fw, total in whole["one_at_a_time_s"].items():
        label = f"{fw}, one model at a time (sum of fit s)"
        table.add_row(label, "1", _fmt(total, ".2f"), _fmt(whole["ratio_vs_fit_many"][fw], ".2f"))
    console.print(table)
    mses = ", ".join(f"{m} {_fmt(v, '.5f')}" for m, v in whole["val_mse"].items())
    console.print(f"val MSE of the fit_many run: {mses}")
    for error in whole["errors"]:
        console.print(f"fit_many run failed: {error}")


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def print_table(workload: str, rows: list[dict], payload: dict[str, Any]) -> None:
    """A rich table of the medians; ratio = peer time / rnnlab time (>1: rnnlab faster)."""
    from rich.console import Console
    from rich.table import Table

    settings = payload["settings"]
    title = f"{workload}: median of {settings['repeats']} run(s), {settings['epochs']} epoch(s)"
    table = Table(title=title)
    if workload == "chapter":
        cols = ["model", "framework", "device", "fit s", "compile s", "s/epoch", "val MSE"]
        cols += ["peak RSS MiB", "× rnnlab"]
    else:
        cols = ["config", "framework", "device", "series", "s/epoch", "µs/sample·step", "warm-up s"]
        cols += ["peak RSS MiB", "× rnnlab"]
    # GPU runs also report the device's peak memory; CPU runs have none, so no column.
    on_device = any(row["median"].get("device_peak_mb") is not None for row in rows)
    if on_device:
        cols.insert(-1, "device peak MiB")
    for col in cols:
        table.add_column(
            col, justify="left" if col in ("model", "config", "framework") else "right"
        )
    for row in rows:
        m = row["median"]
        if row["n_ok"] == 0:
            cells = [row.get("model") or row["config"], row["framework"], "FAILED"]
            table.add_row(*cells, *[""] * (len(cols) - 3))
            continue
        if workload == "chapter":
            cells = [row["model"], row["framework"], row["device"], _fmt(m["fit_s"], ".2f")]
            cells += [
                _fmt(m["compile_s"], ".2f"),
                _fmt(m["epoch_s"], ".3f"),
                _fmt(m["val_mse"], ".5f"),
            ]
        else:
            cells = [row["config"], row["framework"], row["device"], str(row["n_series"])]
            cells += [_fmt(m["epoch_s"], ".3f"), _fmt(m["us_per_sample_step"], ".2f")]
            cells += [_fmt(m["warmup_s"], ".2f")]
        cells += [_fmt(m["peak_rss_mb"], ".0f")]
        if on_device:
            cells += [_fmt(m.get("device_peak_mb"), ".0f")]
        cells += [_fmt(row["ratio_vs_rnnlab"], ".2f")]
        table.add_row(*cells)
    console = Console(width=None if Console().is_terminal else 132)
    console.print(table)
    if workload == "chapter":
        totals = {}
        for row in rows:
            if row["median"]["fit_s"] is not None:
                totals[row["framework"]] = (
                    totals.get(row["framework"], 0.0) + row["median"]["fit_s"]
                )
        console.print("total fit s: " + ", ".join(f"{fw} {t:.2f}" for fw, t in totals.items()))
        if payload.get("whole_chapter"):  # absent from runs made before the fit_many job
            _print_whole_chapter(console, payload["whole_chapter"], settings["repeats"])
        if payload.get("whole_chapter_warm"):
            _print_whole_chapter(console, payload["whole_chapter_warm"], settings["repeats"])
    for fw, why in payload["skipped"].items():
        console.print(f"skipped {fw}: {why}")


def write_json(out: Path, workload: str, payload: dict[str, Any]) -> Path:
    """Write ``<workload>-<stamp>.json`` and, atomically, ``<workload>-latest.json``."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    payload = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **payload}
    text = json.dumps(payload, indent=2) + "\n"
    path = out / f"{workload}-{stamp}.json"
    for target in (path, out / f"{workload}-latest.json"):
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text)
        tmp.replace(target)
    return path


def draw_chart(out: Path, workload: str, rows: list[dict], stem: str) -> Path:
    """Grouped bars: seconds (fit, or per epoch for scaling) per model/config per framework."""
    from matplotlib.figure import Figure

    key, metric = ("model", "fit_s") if workload == "chapter" else ("config", "epoch_s")
    names = list(dict.fromkeys(r[key] for r in rows))
    frameworks = list(dict.fromkeys(r["framework"] for r in rows))
    fig = Figure(figsize=(max(6.0, 1.4 * len(names)), 4.5), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(frameworks))
    for i, fw in enumerate(frameworks):
        vals = []
        for name in names:
            row = next((r for r in rows if r[key] == name and r["framework"] == fw), None)
            vals.append((row and row["median"][metric]) or 0.0)
        xs = [j + (i - (len(frameworks) - 1) / 2) * width for j in range(len(names))]
        ax.bar(xs, vals, width=width, label=fw)
    devices = sorted({r["device"] for r in rows if r["device"]})
    tilt = {"rotation": 20, "ha": "right"} if workload == "scaling" else {}
    ax.set_xticks(range(len(names)), names, **tilt)
    ax.set_ylabel("fit seconds" if workload == "chapter" else "seconds per epoch")
    ax.set_title(f"{workload} ({', '.join(devices) or 'no device'})")
    if workload == "scaling":
        ax.set_yscale("log")
    ax.legend()
    path = out / f"{stem}.png"
    fig.savefig(path, dpi=110)
    latest = out / f"{workload}-latest.png"
    tmp = latest.with_name(f".{latest.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    tmp.replace(latest)
    return path


def draw_whole_chapter_chart(out: Path, payload: dict[str, Any], stem: str) -> Path | None:
    """Horizontal bars: each framework's six-model total, one model at a time, and rnnlab's
    fit_many wall time (cold, and warm when measured). ``None`` when there is no such job."""
    from matplotlib.figure import Figure

    cold, warm = payload.get("whole_chapter"), payload.get("whole_chapter_warm")
    if not cold or cold["wall_s"] is None:
        return None
    bars = [(f"{fw}, one model at a time", t) for fw, t in cold["one_at_a_time_s"].items() if t]
    bars.sort(key=lambda bar: -bar[1])
    at_once = cold["at_once"]
    bars.append((f"rnnlab fit_many, {at_once} at a time", cold["wall_s"]))
    if warm and warm["wall_s"] is not None:
        bars.append((f"rnnlab fit_many, {at_once} at a time, cache warm", warm["wall_s"]))
    fig = Figure(figsize=(9.0, 0.55 * len(bars) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    labels, seconds = zip(*bars, strict=True)
    colors = ["#999999" if "one model" in label else "#1f77b4" for label in labels]
    ax.barh(range(len(bars)), seconds, color=colors)
    ax.set_yticks(range(len(bars)), labels)
    ax.invert_yaxis()
    for i, value in enumerate(seconds):
        ax.text(value, i, f" {value:.1f} s", va="center")
    ax.set_xlim(0, max(seconds) * 1.15)
    ax.set_xlabel("seconds for the chapter's models (compilation included)")
    ax.set_title("whole chapter: training time of all models")
    path = out / f"{stem}-whole.png"
    fig.savefig(path, dpi=110)
    latest = out / "chapter-whole-latest.png"
    tmp = latest.with_name(f".{latest.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    tmp.replace(latest)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table(s) of saved result files again: ``python -m benchmarks.report FILE...``."""
    paths = sys.argv[1:] if argv is None else list(argv)
    if not paths:
        print("usage: python -m benchmarks.report <results.json>...", file=sys.stderr)
        return 2
    for path in paths:
        payload = json.loads(Path(path).read_text())
        print_table(payload["workload"], payload["results"], payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
