"""The parts of the chapter's report that differ with ``--seeds K`` (K > 1).

Each model's validation MSE is shown as mean ± std and min–max over its K seeds,
beside the chapter's single figure; the standard deviation is NumPy's default
(population, ``ddof=0``), as in :class:`rnnlab.parallel.EnsembleHistory`. The naive
baseline has no seed: one value, no spread. :mod:`rnnlab.apps.chapter.report` calls
these functions only when the run has several seeds, so a one-seed report is
unchanged.

Example:
    >>> mean_std(np.asarray([0.01, 0.03]))
    '0.02000 ± 0.01000'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnlab.apps.chapter.pipeline import ChapterRun, ModelResult

__all__ = [
    "figure_caption",
    "json_fields",
    "mean_std",
    "min_max",
    "model_line",
    "results_table",
    "saved_models_line",
    "table_note",
]


def mean_std(values: np.ndarray) -> str:
    """``"0.01234 ± 0.00056"``: mean and population standard deviation, 5 decimals."""
    return f"{np.mean(values):.5f} ± {np.std(values):.5f}"


def min_max(values: np.ndarray) -> str:
    """``"0.01180–0.01290"``: the smallest and largest value, 5 decimals."""
    return f"{np.min(values):.5f}–{np.max(values):.5f}"


def _ratio(result: ModelResult) -> str:
    ref = result.chapter_mse
    return f"{np.mean(result.val_values) / ref:.2f}" if ref else "–"


def results_table(run: ChapterRun) -> list[str]:
    """The results table's Markdown lines: one row per model, spread over the seeds."""
    k = run.config.seeds
    lines = [
        f"| model | params | val MSE, mean ± std ({k} seeds) | val MSE min–max "
        "| chapter val MSE | ratio | ensemble val MSE | test MSE (mean) | train s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in run.results:
        values = r.val_values
        spread = min_max(values) if r.replicas else "–"
        ref = f"{r.chapter_mse:.5f}" if r.chapter_mse else "–"
        ens = f"{r.ensemble_val_mse:.5f}" if r.ensemble_val_mse is not None else "–"
        secs = f"{r.train_seconds:.1f}" if r.name != "naive" else "–"
        centre = mean_std(values) if r.replicas else f"{r.val_mse:.5f}"
        lines.append(
            f"| {r.name} | {r.params:,} | {centre} | {spread} | {ref} | {_ratio(r)} | {ens} "
            f"| {r.test_mse:.5f} | {secs} |"
        )
    return lines


def table_note(run: ChapterRun) -> str:
    """What the columns of :func:`results_table` mean."""
    k = run.config.seeds
    return (
        f"Every model was trained from {k} seeds, each architecture's {k} models as one "
        "compiled program (`rnnlab.parallel.Ensemble`); *train s* is that program's time. "
        f"*val MSE* is the mean ± standard deviation over the {k} models (population std, "
        "ddof 0), *min–max* their range; *ratio* is the mean over the chapter's single "
        "figure (tf.keras 2.0); *ensemble val MSE* scores the mean of the "
        f"{k} models' forecasts. The naive forecast has no seed: one value."
    )


def model_line(result: ModelResult, desc: str) -> str:
    """A model section's first line: its scores over the seeds, each seed's value."""
    r = result
    values = r.val_values
    ref = f" (chapter {r.chapter_mse:.5f})" if r.chapter_mse else ""
    each = ", ".join(f"{x.val_mse:.5f} (seed {x.seed})" for x in r.replicas)
    return (
        f"{desc}: validation MSE {mean_std(values)}, min–max {min_max(values)} over "
        f"{len(values)} seeds{ref}; their mean forecast scores {r.ensemble_val_mse:.5f}; "
        f"test MSE {r.test_mse:.5f} (mean); trained in {r.train_seconds:.1f} s. "
        f"Each seed's validation MSE: {each}."
    )


def figure_caption(result: ModelResult, filename: str) -> str:
    """The alt text of a model's figure: what the curve, band and forecast are."""
    k = len(result.replicas)
    if filename.endswith("_loss.png"):
        return f"{result.name} training loss: mean of {k} seeds, band min–max"
    return f"{result.name} forecast: the mean of the {k} seeds' forecasts"


def json_fields(result: ModelResult) -> dict[str, Any]:
    """Extra ``results.json`` fields of one trained model: spread and each replica."""
    values = result.val_values
    return {
        "val_mse_std": float(np.std(values)),
        "val_mse_min": float(np.min(values)),
        "val_mse_max": float(np.max(values)),
        "ensemble_val_mse": result.ensemble_val_mse,
        "replicas": [
            {
                "seed": x.seed,
                "val_mse": x.val_mse,
                "test_mse": x.test_mse,
                "loss": x.history.get("loss", []),
                "val_loss": x.history.get("val_loss", []),
            }
            for x in result.replicas
        ],
    }


def saved_models_line(files: list[str]) -> str:
    """The report's line listing one model's saved replicas."""
    links = ", ".join(f"[{f}]({f})" for f in files)
    return (
        f"Saved models, one per seed: {links} (Keras 3 `.keras`; `rnnlab predict FILE INPUT.npy`)."
    )
