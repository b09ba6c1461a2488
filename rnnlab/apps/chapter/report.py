"""Write a chapter run to a folder: ``results.json``, ``report.md`` and PNG figures.

The folder is replaced atomically: :func:`stage_folder` creates a temporary
sibling ``<out>.tmp-<pid>`` (which also proves the location is writable),
:func:`write_report` fills it, and :func:`publish_folder` swaps it into place —
the previous report is moved aside, the new one renamed in, the old one deleted —
so a report that looks complete always is, and an old one survives until then.
:func:`discard_folder` removes the staging folder after a failure.

Example:
    >>> staging = stage_folder("reports/chapter")  # doctest: +SKIP
    >>> write_report(run, staging)  # doctest: +SKIP
    >>> publish_folder(staging, "reports/chapter")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rnnlab.apps import folders
from rnnlab.apps.chapter import plotting, report_seeds
from rnnlab.apps.chapter.pipeline import ChapterRun, ModelResult
from rnnlab.apps.chapter.recipes import CHAPTER_MSE

__all__ = [
    "discard_folder",
    "publish_folder",
    "render_markdown",
    "results_dict",
    "stage_folder",
    "write_figures",
    "write_report",
]

MARKERS = ("results.json", "report.md")


def plural(n: int, word: str) -> str:
    """``"1 epoch"``, ``"15 epochs"``.

    Example:
        >>> plural(2, "epoch")
        '2 epochs'
    """
    return f"{n} {word}{'' if n == 1 else 's'}"


def results_dict(run: ChapterRun) -> dict[str, Any]:
    """The content of ``results.json``.

    Example:
        >>> results_dict(run)["models"][0]["name"]  # doctest: +SKIP
        'naive'
    """
    models = [
        {
            "name": r.name,
            "params": r.params,
            "val_mse": r.val_mse,
            "test_mse": r.test_mse,
            "train_seconds": round(r.train_seconds, 3),
            # --seeds K: the spread and every replica; a one-seed run's file is unchanged.
            **(report_seeds.json_fields(r) if r.replicas else {}),
        }
        for r in run.results
    ]
    seeds = {"seeds": run.config.seeds} if run.config.seeds > 1 else {}
    return {
        "models": models,
        **seeds,
        "seed": run.config.seed,
        "epochs": run.config.epochs,
        "quick": run.config.quick,
        "n_series": run.config.n_series,
        "total_train_seconds": round(run.total_train_seconds, 3),
        "train_wall_seconds": round(run.train_wall_seconds, 3),
        "workers": run.config.effective_workers,
        "chapter_val_mse": dict(CHAPTER_MSE),
        "versions": dict(run.versions),
    }


def _at_once(run: ChapterRun) -> str:
    workers = run.config.effective_workers
    if workers == 1:
        return ""
    return (
        f", {workers} models at a time (their fit times add up to {run.total_train_seconds:.1f} s)"
    )


def _forecast_axes(run: ChapterRun, result: ModelResult):
    split = run.dataset(result.horizon)
    y_true = split.y_val[0, 0] if result.horizon == 1 else split.y_val[0]
    y_pred = result.forecast[0] if result.horizon == 1 else result.forecast
    ax = plotting.plot_series(split.x_val[0, :, 0], y_true, y_pred)
    ax.set_title(f"{result.name}: first validation series", fontsize=16)
    return ax


def write_figures(run: ChapterRun, folder: str | os.PathLike[str]) -> dict[str, list[str]]:
    """Save every figure as PNG in ``folder``; return file names grouped by section.

    Sections: ``"series"``, ``"mse"`` and one per model name (naive included).

    Example:
        >>> write_figures(run, "reports/chapter")["lstm"]  # doctest: +SKIP
        ['lstm_loss.png', 'lstm_forecast.png']
    """
    folder = Path(folder)
    figures: dict[str, list[str]] = {}

    def save(section: str, fig: Any, filename: str) -> None:
        plotting.save_figure(fig, folder / filename)
        figures.setdefault(section, []).append(filename)

    save("series", plotting.plot_series_grid(run.single.x_val, run.single.y_val, 3), "series.png")
    for r in run.results:
        if r.history_stats:  # several seeds: the mean curve with a min–max band
            save(r.name, plotting.plot_loss_band(r.history_stats), f"{r.name}_loss.png")
        elif r.history:
            save(r.name, plotting.plot_loss(r.history), f"{r.name}_loss.png")
        save(r.name, _forecast_axes(run, r), f"{r.name}_forecast.png")
    names = [r.name for r in run.results]
    spread = None
    if run.config.seeds > 1:
        spread = [
            (r.val_values.min(), r.val_values.max()) if r.replicas else None for r in run.results
        ]
    bars = plotting.plot_mse_bars(
        names, [r.val_mse for r in run.results], reference=CHAPTER_MSE, spread=spread
    )
    save("mse", bars, "mse_by_model.png")
    return figures


def _ratio(result: ModelResult) -> str:
    ref = result.chapter_mse
    return f"{result.val_mse / ref:.2f}" if ref else "–"


def _results_table(run: ChapterRun) -> list[str]:
    lines = [
        "| model | params | val MSE | chapter val MSE | ratio | test MSE | train s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in run.results:
        ref = f"{r.chapter_mse:.5f}" if r.chapter_mse else "–"
        secs = f"{r.train_seconds:.1f}" if r.name != "naive" else "–"
        lines.append(
            f"| {r.name} | {r.params:,} | {r.val_mse:.5f} | {ref} | {_ratio(r)} "
            f"| {r.test_mse:.5f} | {secs} |"
        )
    return lines


def _image(caption: str, filename: str) -> str:
    return f"![{caption}]({filename})"


def write_models(run: ChapterRun, folder: str | os.PathLike[str]) -> dict[str, str | list[str]]:
    """Save every trained model kept in ``run`` as ``models/<name>.keras``; name → file.

    With ``--seeds K`` every replica is saved, as ``models/<name>_seed<r>.keras``
    (``r`` = 0..K-1, in the order of the replicas' seeds); name → their files.

    Example:
        >>> write_models(run, "reports/chapter")  # doctest: +SKIP
        {'lstm': 'models/lstm.keras'}
    """
    saved: dict[str, str | list[str]] = {}
    for r in run.results:
        if r.model is None:
            continue
        (Path(folder) / "models").mkdir(parents=True, exist_ok=True)
        if r.replicas:
            files = [f"models/{r.name}_seed{i}.keras" for i in range(len(r.replicas))]
            for file, model in zip(files, r.model.models, strict=True):
                model.save(Path(folder) / file)
            saved[r.name] = files
            continue
        r.model.save(Path(folder) / "models" / f"{r.name}.keras")
        saved[r.name] = f"models/{r.name}.keras"
    return saved


def render_markdown(
    run: ChapterRun,
    figures: dict[str, list[str]],
    models: dict[str, str | list[str]] | None = None,
) -> str:
    """The text of ``report.md``: results table, chapter comparison, summaries, figures.

    Example:
        >>> render_markdown(run, write_figures(run, folder)).startswith("# ")  # doctest: +SKIP
        True
    """
    cfg = run.config
    several = cfg.seeds > 1
    seeds_note = f" ({cfg.seeds} seeds per model derived from it; see --help)" if several else ""
    n_train = run.single.x_train.shape[0]
    n_val, n_test = run.single.x_val.shape[0], run.single.x_test.shape[0]
    mode = " (quick mode: a small data set for a first look; not comparable)" if cfg.quick else ""
    out = [
        "# Recurrent neural networks: the chapter reproduced with rnnlab",
        "",
        f"Generated by `rnnlab chapter` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC{mode}.",
        "",
        f"- seed {cfg.seed}{seeds_note}, {plural(cfg.epochs, 'epoch')}, batch size 32, "
        "loss MSE, Adam",
        f"- data: {cfg.n_series:,} series per data set, split {n_train:,} / {n_val:,} / "
        f"{n_test:,} (train / validation / test), 50 input steps, 1 or 10 targets",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in run.versions.items()),
        "",
        "## Results",
        "",
        *(report_seeds.results_table(run) if several else _results_table(run)),
        "",
        f"Training and scoring took {run.train_wall_seconds:.1f} s{_at_once(run)}; "
        f"the whole run, data included, {run.wall_seconds:.1f} s. "
        + (
            report_seeds.table_note(run)
            if several
            else "*ratio* is validation MSE over the chapter's (tf.keras 2.0); a single "
            "run's MSE is noisy, so ratios within about ±15% are agreement."
        ),
        "",
        _image(
            "Validation MSE by model, chapter values as markers"
            + (f", bars the mean and whiskers the min–max of {cfg.seeds} seeds" if several else ""),
            "mse_by_model.png",
        ),
        "",
        "## Data",
        "",
        "Three series of the single-step validation set, with the value to predict:",
        "",
        _image("Three validation series", "series.png"),
        "",
    ]
    for r in run.results:
        out += [f"## {r.name}", ""]
        ref = f" (chapter {r.chapter_mse:.5f})" if r.chapter_mse else ""
        trained = f", trained in {r.train_seconds:.1f} s" if r.name != "naive" else ""
        desc = r.description if r.name == "naive" else f"`{r.description}`"
        line = f"{desc}: validation MSE {r.val_mse:.5f}{ref}, test MSE {r.test_mse:.5f}{trained}."
        out += [report_seeds.model_line(r, desc) if r.replicas else line, ""]
        if r.summary:
            out += ["```", r.summary, "```", ""]
        for filename in figures.get(r.name, []):
            kind = "training loss" if filename.endswith("_loss.png") else "forecast"
            caption = f"{r.name} {kind}"
            if r.replicas:
                caption = report_seeds.figure_caption(r, filename)
            out += [_image(caption, filename), ""]
        if models and isinstance(models.get(r.name), list):
            out += [report_seeds.saved_models_line(models[r.name]), ""]
        elif models and r.name in models:
            file = models[r.name]
            out += [
                f"Saved model: [{file}]({file}) (Keras 3 `.keras`; "
                f"`rnnlab predict {file} INPUT.npy`).",
                "",
            ]
    return "\n".join(out)


def write_report(run: ChapterRun, folder: str | os.PathLike[str]) -> Path:
    """Write ``results.json``, the figures and ``report.md`` into ``folder``; return report.md.

    Example:
        >>> write_report(run, "reports/chapter")  # doctest: +SKIP
        PosixPath('reports/chapter/report.md')
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results_dict(run), indent=2) + "\n"
    (folder / "results.json").write_text(text, encoding="utf-8")
    figures = write_figures(run, folder)
    models = write_models(run, folder)
    report = folder / "report.md"
    report.write_text(render_markdown(run, figures, models), encoding="utf-8")
    return report


def stage_folder(out: str | os.PathLike[str]) -> Path:
    """Create the empty staging folder ``<out>.tmp-<pid>`` beside ``out``
    (:func:`rnnlab.apps.folders.stage_folder`; an earlier report has one of :data:`MARKERS`)."""
    return folders.stage_folder(out, MARKERS, "rnnlab report")


publish_folder = folders.publish_folder
discard_folder = folders.discard_folder
