"""rnnlab's forecaster against its peers: ``python -m benchmarks.forecast.run``.

Every contender (:mod:`.peers`, and rnnlab's row from :mod:`.contenders_rnnlab`) runs the
backtest of :mod:`.protocol` on each dataset: same cutoffs, horizon, lookback, quantiles and
seed; scored alike by :mod:`.scoring`. Writes ``<out>/forecast.json``, ``<out>/forecast.md``
(the table, also printed) and ``<out>/forecast.png`` (wall time of fit + backtest, MASE and
80% coverage per dataset). ``--merge`` keeps the rows of an earlier run that this one did not
redo (e.g. add rnnlab's row without training the peers again).

    python -m benchmarks.forecast.run --datasets co2 --profile matched
    python -m benchmarks.forecast.run --quick          # a smoke run: tiny data and budgets
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.forecast import contenders_rnnlab, peers
from benchmarks.forecast.protocol import BenchSpec, Contender, check_cv, limit_threads
from benchmarks.forecast.scoring import mase_scales, score

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATASETS = ("co2", "elnino", "seattle_temps", "us_employment")
ORDER = ("rnnlab_lstm", *peers.PEERS)


# -- datasets -------------------------------------------------------------------------------
def load_dataset(name: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The long frame of a bundled dataset and its ``freq, horizon, lookback, season``."""
    from rnnlab.forecast import datasets

    info = datasets.info(name)
    meta = dict(
        freq=info.freq, horizon=info.horizon, lookback=info.lookback, season=info.season_length
    )
    return datasets.load(name), meta


def quick_data(df: pd.DataFrame, spec: BenchSpec) -> pd.DataFrame:
    """Each series' last steps: enough for a few training windows before the first cutoff."""
    keep = spec.lookback + spec.horizon + 40 + spec.horizon + (spec.windows - 1) * spec.step
    return df.groupby("unique_id", sort=True).tail(keep).reset_index(drop=True)


# -- running --------------------------------------------------------------------------------
def contenders(names: list[str] | None) -> tuple[dict[str, Contender], list[str]]:
    """The contenders to run, in table order, and a note per contender skipped."""
    pool: dict[str, Contender] = {}
    notes = []
    why = contenders_rnnlab.available()
    if why is None:
        pool.update(contenders_rnnlab.CONTENDERS)
    else:
        notes.append(f"rnnlab skipped: {why}")
    pool.update(peers.PEERS)
    if names:
        unknown = [n for n in names if n not in pool and n not in contenders_rnnlab.CONTENDERS]
        if unknown:
            raise SystemExit(f"--contenders: unknown {unknown}; known: {', '.join(pool)}")
        pool = {n: pool[n] for n in names if n in pool}
    order = {n: i for i, n in enumerate(ORDER)}
    return dict(sorted(pool.items(), key=lambda kv: order.get(kv[0], len(order)))), notes


def run_one(fn: Callable, df: pd.DataFrame, spec: BenchSpec, who: str) -> dict[str, Any]:
    """One contender on one dataset: its scores, seconds and settings, or its error."""
    try:
        res = fn(df, spec)
        cv = check_cv(res.cv, df, spec, who)
    except Exception as exc:
        traceback.print_exc()
        return {"error": f"{type(exc).__name__}: {exc}"}
    row = {"seconds_fit_backtest": res.seconds_fit_backtest, "settings": res.settings}
    row.update(score(cv, mase_scales(df, spec)))
    row.update(res.extra)
    return row


def versions() -> dict[str, str]:
    """Installed versions of the libraries that ran."""
    out = {"python": platform.python_version()}
    for pkg in ("rnnlab", "jax", "torch", "darts", "neuralforecast", "pytorch-lightning"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    out["pandas"] = pd.__version__
    return out


# -- outputs --------------------------------------------------------------------------------
def table(results: dict[str, dict[str, dict]]) -> str:
    """Markdown: one row per dataset and contender."""
    lines = [
        "| dataset | contender | fit + backtest (s) | MASE | sMAPE (%) | coverage 80% | "
        "width 80% (rel.) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for ds, rows in results.items():
        for who, r in rows.items():
            if "error" in r:
                lines.append(f"| {ds} | {who} | failed: {r['error'][:80]} | | | | |")
                continue
            lines.append(
                f"| {ds} | {who} | {r['seconds_fit_backtest']:.1f} | {r['MASE']:.3f} | "
                f"{r['sMAPE']:.2f} | {r['coverage_80']:.2f} | {r['width_80_rel']:.4f} |"
            )
    return "\n".join(lines)


def chart(results: dict[str, dict[str, dict]], path: Path) -> None:
    """Bars per dataset: seconds (log scale), MASE (seasonal naive's as a line), coverage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    fig, axes = plt.subplots(len(names), 3, figsize=(14, 3.2 * len(names)), squeeze=False)
    for ax_row, ds in zip(axes, names, strict=True):
        rows = {k: v for k, v in results[ds].items() if "error" not in v}
        who = list(rows)
        colors = ["tab:red" if w.startswith("rnnlab") else "tab:gray" for w in who]
        for ax, key, title in zip(
            ax_row,
            ("seconds_fit_backtest", "MASE", "coverage_80"),
            ("fit + backtest (s, log)", "MASE (lower is better)", "80% interval coverage"),
            strict=True,
        ):
            ax.barh(who, [rows[w][key] for w in who], color=colors)
            ax.set_title(f"{ds}: {title}", fontsize=9)
            ax.invert_yaxis()
            ax.tick_params(labelsize=8)
        ax_row[0].set_xscale("log")
        if "seasonal_naive" in rows:
            ax_row[1].axvline(rows["seasonal_naive"]["MASE"], color="k", ls="--", lw=0.8)
        ax_row[2].axvline(0.8, color="k", ls="--", lw=0.8)
        ax_row[2].set_xlim(0, 1)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; see the module docstring."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default=",".join(DEFAULT_DATASETS))
    p.add_argument("--contenders", default="", help="comma list (default: all)")
    p.add_argument("--profile", choices=peers.PROFILES, default="matched")
    p.add_argument("--windows", type=int, default=5)
    p.add_argument("--step", type=int, default=None, help="default: each dataset's horizon")
    p.add_argument("--epochs", type=int, default=None, help="override Darts's n_epochs")
    p.add_argument("--max-steps", type=int, default=None, help="override NeuralForecast's")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="tiny data and budgets (smoke run)")
    p.add_argument("--merge", action="store_true", help="keep earlier rows not rerun")
    p.add_argument("--out", default=None, help="default benchmarks/results (quick: reports/)")
    a = p.parse_args(argv)
    default_out = "reports/forecast-bench-quick" if a.quick else "benchmarks/results"
    out = Path(a.out or REPO_ROOT / default_out)
    out.mkdir(parents=True, exist_ok=True)
    limit_threads(a.threads)
    peers.PROFILE["name"] = a.profile
    pool, notes = contenders([c for c in a.contenders.split(",") if c] or None)
    for n in notes:
        print(n)
    path = out / "forecast.json"
    doc = json.loads(path.read_text()) if a.merge and path.exists() else {}
    results: dict[str, dict[str, dict]] = doc.get("results", {})
    specs = doc.get("specs", {})
    load_before = os.getloadavg()
    for name in [d for d in a.datasets.split(",") if d]:
        df, meta = load_dataset(name)
        windows = 2 if a.quick else a.windows
        spec = BenchSpec(
            name=name,
            step=a.step or meta["horizon"],
            windows=windows,
            seed=a.seed,
            quick=a.quick,
            threads=a.threads,
            epochs=a.epochs,
            max_steps=a.max_steps,
            **meta,
        )
        if a.quick:
            df = quick_data(df, spec)
        # epochs / max_steps are per-contender overrides: each row's settings records them
        skip = ("name", "epochs", "max_steps")
        specs[name] = {k: v for k, v in vars(spec).items() if k not in skip}
        specs[name]["series"] = int(df["unique_id"].nunique())
        specs[name]["steps"] = len(df)
        rows = results.setdefault(name, {})
        for who, fn in pool.items():
            print(f"[{name}] {who} ...", flush=True)
            t0 = time.perf_counter()
            rows[who] = run_one(fn, df, spec, who)
            print(f"[{name}] {who}: {json.dumps(rows[who])} ({time.perf_counter() - t0:.1f} s)")
        rank = {k: i for i, k in enumerate(ORDER)}
        results[name] = {k: rows[k] for k in sorted(rows, key=lambda k: rank.get(k, len(rank)))}
    doc = {
        "benchmark": "forecast",
        "profile": a.profile,
        "quick": a.quick,
        "notes": notes,
        "machine": {
            "cpus": os.cpu_count(),
            "threads": a.threads,
            "platform": platform.platform(),
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg(),
        },
        "versions": versions(),
        "specs": specs,
        "results": results,
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
    md = table(results)
    (out / "forecast.md").write_text(md + "\n")
    chart(results, out / "forecast.png")
    print(md)
    print(f"wrote {path}, {out / 'forecast.md'}, {out / 'forecast.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
