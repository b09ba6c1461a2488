"""The chapter's models from K seeds each (``rnnlab chapter --seeds K``, K > 1).

Every model of the chapter becomes an :class:`rnnlab.parallel.Ensemble` of K replicas,
one per seed (:func:`rnnlab.apps.chapter.recipes.replica_seeds`), trained as **one**
compiled program: replica ``r`` is the model a lone run with that seed trains (to
float tolerance). As in a one-seed run, several architectures train at once in
threads, the costliest first.

The chapter's recipes use no training callbacks of their own; the only callbacks are
the run observer's (the progress display), which follow one model, not K: they get
the mean of the replicas' logs per epoch through :class:`ReplicaMean`.

Example:
    >>> from rnnlab.apps.chapter.pipeline import ChapterConfig, run_chapter
    >>> run = run_chapter(ChapterConfig(epochs=1, models=("basic_rnn",), quick=True, seeds=2))
    >>> len(run.results[1].replicas)  # doctest: +SKIP
    2
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import numpy as np

from rnnlab import training
from rnnlab.apps.chapter import baselines, data
from rnnlab.apps.chapter.pipeline import ChapterConfig, ModelResult, Replica, RunObserver
from rnnlab.apps.chapter.recipes import RECIPES, build_model, replica_seeds
from rnnlab.callbacks import Callback
from rnnlab.parallel import Ensemble

__all__ = ["ReplicaMean", "build_ensemble", "train_ensembles"]


def build_ensemble(name: str, seeds: Sequence[int]) -> Ensemble:
    """Model ``name``'s replicas, one per seed, compiled as the chapter compiles it.

    Example:
        >>> build_ensemble("gru", [1, 2]).models[0].count_params()
        4110
    """
    pending = iter(seeds)
    # Ensemble seeds the global stream before each call, but a chapter model carries its
    # own seed (as in a one-seed run), so hand out the same seeds in the same order.
    ens = Ensemble(lambda: build_model(name, seed=next(pending), compile=False), seeds)
    ens.compile(optimizer=RECIPES[name].optimizer(), loss="mse")
    return ens


class _Shared:
    """What the per-replica copies of one :class:`ReplicaMean` share."""

    def __init__(self, targets: list[Callback], model: Any) -> None:
        self.targets, self.model = targets, model
        self.pending: dict[int, list[dict[str, float]]] = {}
        self.begun = self.ended = False

    def flush(self, before: float) -> None:
        for epoch in sorted(e for e in self.pending if e < before):
            logs = _mean_logs(self.pending.pop(epoch))
            for cb in self.targets:
                cb.on_epoch_end(epoch, logs)


def _mean_logs(rows: list[dict[str, float]]) -> dict[str, float]:
    names = [n for n in rows[0] if all(n in r for r in rows)]
    out = {}
    for name in names:
        values = [r[name] for r in rows if math.isfinite(r[name])]
        out[name] = float(np.mean(values)) if values else math.nan
    return out


class ReplicaMean(Callback):
    """Feeds callbacks written for one model the mean of K replicas' epoch logs.

    ``Ensemble.fit`` deep-copies every callback once per replica; the copies of this one
    share its state (``__deepcopy__``), so ``targets`` are not copied and hear each
    epoch once: when the first replica begins the next epoch, or training ends, they
    get the epoch's logs averaged over the replicas that trained it.

    Example:
        >>> import copy
        >>> seen = []
        >>> class Log(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         seen.append((epoch, logs))
        >>> cb = ReplicaMean([Log()], model=None)
        >>> a, b = copy.deepcopy(cb), copy.deepcopy(cb)
        >>> a.on_epoch_end(0, {"loss": 1.0}); b.on_epoch_end(0, {"loss": 3.0}); a.on_train_end()
        >>> seen
        [(0, {'loss': 2.0})]
    """

    def __init__(self, targets: Sequence[Callback], model: Any) -> None:
        super().__init__()
        self._shared = _Shared(list(targets), model)

    def __deepcopy__(self, memo: dict[int, Any]) -> ReplicaMean:
        clone = ReplicaMean.__new__(ReplicaMean)
        Callback.__init__(clone)
        clone._shared = self._shared
        return clone

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        shared = self._shared
        if not shared.begun:
            shared.begun = True
            for cb in shared.targets:
                cb.set_model(shared.model)
                cb.set_params(dict(self.params))
                cb.on_train_begin()

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self._shared.flush(before=epoch)

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self._shared.pending.setdefault(epoch, []).append(dict(logs or {}))

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        shared = self._shared
        if not shared.ended:
            shared.ended = True
            shared.flush(before=math.inf)
            for cb in shared.targets:
                cb.on_train_end()


def _score(
    name: str, ens: Ensemble, split: data.SeriesSplit, summary: str, seconds: float, keep: bool
) -> ModelResult:
    recipe = RECIPES[name]
    # One chunk size for both sets, as in a one-seed run: one compiled predict function.
    chunk = training.default_chunk(min(len(split.x_val), len(split.x_test)), split.x_val.shape[1])
    val_pred = ens.predict(split.x_val, batch_size=chunk)  # (K, n, horizon)
    test_pred = ens.predict(split.x_test, batch_size=chunk)
    replicas = [
        Replica(
            seed=seed,
            val_mse=baselines.mse(split.y_val, val_pred[i]),
            test_mse=baselines.mse(split.y_test, test_pred[i]),
            history={k: list(v) for k, v in ens.histories[i].history.items()},
        )
        for i, seed in enumerate(ens.seeds)
    ]
    stats = ens.history.history if ens.history is not None else {}
    mean_pred = val_pred.mean(axis=0)
    return ModelResult(
        name=name,
        params=ens.models[0].count_params(),
        val_mse=float(np.mean([r.val_mse for r in replicas])),
        test_mse=float(np.mean([r.test_mse for r in replicas])),
        train_seconds=seconds,
        horizon=recipe.horizon,
        forecast=np.asarray(mean_pred[0]).reshape(-1),
        history={k: list(v["mean"]) for k, v in stats.items()},
        summary=summary,
        description=recipe.description,
        model=ens if keep else None,
        replicas=replicas,
        history_stats={k: {s: list(v[s]) for s in v} for k, v in stats.items()},
        ensemble_val_mse=baselines.mse(split.y_val, mean_pred),
    )


def train_ensembles(
    config: ChapterConfig, single: data.SeriesSplit, multi: data.SeriesSplit, observer: RunObserver
) -> list[ModelResult]:
    """Build every model's ensemble of ``config.seeds`` replicas (summaries in order), then
    train and score them, ``config.effective_workers`` ensembles at once.

    Raises:
        ExceptionGroup: one or more ensembles failed to train (the others ran to the end).
    """
    names = config.models
    splits = [single if RECIPES[n].horizon == 1 else multi for n in names]
    ensembles, summaries, progress = [], [], []
    for index, name in enumerate(names, start=1):
        ens = build_ensemble(name, replica_seeds(config.seed, name, config.seeds))
        lines: list[str] = []
        ens.models[0].summary(print_fn=lines.append)
        summaries.append("\n".join(lines))
        observer.model_started(name, index, len(names), summaries[-1])
        progress.append(ReplicaMean(observer.callbacks(name, config.epochs), ens.models[0]))
        ensembles.append(ens)
    results: list[ModelResult | None] = [None] * len(names)

    def run(i: int) -> None:
        ens, split = ensembles[i], splits[i]
        start = time.perf_counter()
        ens.fit(
            split.x_train,
            split.y_train,
            epochs=config.epochs,
            validation_data=(split.x_val, split.y_val),
            callbacks=[progress[i]],
        )
        seconds = time.perf_counter() - start
        results[i] = _score(names[i], ens, split, summaries[i], seconds, config.save_models)
        observer.model_finished(results[i])

    # Longest first, so the short models fill the gaps at the end instead of the long ones.
    order = sorted(range(len(names)), key=lambda i: -RECIPES[names[i]].cost)
    _run_threads(run, order, config.effective_workers, ensembles)
    return [r for r in results if r is not None]


def _run_threads(
    run: Callable[[int], None], order: list[int], workers: int, ensembles: list[Ensemble]
) -> None:
    """``run(i)`` for every ``i`` in ``order``, ``workers`` at once, errors gathered."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rnnlab-ensemble")
    futures = []
    try:
        futures = [pool.submit(run, i) for i in order]
        wait(futures)
    except BaseException:  # e.g. Ctrl-C: every replica stops at its next epoch end
        for ens in ensembles:
            for model in ens.models:
                model.stop_training = True
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    errors = [
        (i, f.exception()) for i, f in zip(order, futures, strict=True) if f.exception() is not None
    ]
    if errors:
        for _, error in errors:
            error.add_note("in rnnlab chapter --seeds")
        raise BaseExceptionGroup(
            f"{len(errors)} of {len(order)} ensembles failed", [e for _, e in errors]
        )
