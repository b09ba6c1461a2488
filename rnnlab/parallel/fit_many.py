"""Train several models at once: :func:`fit_many` runs their ``fit`` calls side by side.

Why threads help: a small recurrent model's training step is a long chain of tiny
operations, and XLA's CPU runtime executes one model's chain on one core at a
time. Two models trained together on two cores therefore take little longer
than one (BENCHMARKS.md: about 1.9× the throughput of training them one after the
other on a 2-core machine). Compiled code runs without Python's GIL, so plain
threads are enough; each model keeps its own parameters, optimizer state and
compiled functions, and its results do not depend on what runs beside it.

Example:
    >>> import numpy as np
    >>> from rnnlab.layers import Dense
    >>> from rnnlab.models import Sequential
    >>> x, y = np.ones((8, 2), "float32"), np.zeros((8, 1), "float32")
    >>> models = [Sequential([Dense(1, input_shape=(2,))], seed=s) for s in (1, 2)]
    >>> for m in models:
    ...     m.compile("sgd", "mse")
    >>> histories = fit_many([FitJob(m, x, y, {"epochs": 2}) for m in models])
    >>> [len(h.history["loss"]) for h in histories]
    [2, 2]
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from rnnlab.callbacks import History
from rnnlab.validation import is_int

__all__ = ["FitJob", "default_workers", "fit_many", "usable_cores"]


@dataclass(frozen=True)
class FitJob:
    """One ``model.fit(x, y, **fit_kwargs)`` call for :func:`fit_many`.

    Args:
        model: a compiled model (e.g. :class:`rnnlab.models.Sequential`).
        x: training inputs, as for ``fit`` (e.g. ``(samples, time, features)``).
        y: training targets, as for ``fit`` (e.g. ``(samples, outputs)``).
        fit_kwargs: any other ``fit`` arguments (``epochs``, ``batch_size``,
            ``validation_data``, ``callbacks``, ...). ``verbose`` defaults to 0
            and must stay 0: several live progress bars cannot share a terminal;
            pass a callback to follow progress instead.

    Example:
        >>> FitJob(model=None, x=[[0.0]], y=[[0.0]], fit_kwargs={"epochs": 3}).fit_kwargs
        {'epochs': 3}
    """

    model: Any
    x: Any
    y: Any
    fit_kwargs: Mapping[str, Any] = field(default_factory=dict)


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one).

    Example:
        >>> usable_cores() >= 1
        True
    """
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def default_workers(n_jobs: int) -> int:
    """How many models :func:`fit_many` trains at once by default: one more than the cores.

    The extra one keeps every core busy while another model compiles or runs
    its Python between epochs (six chapter models on 2 cores: 17.2-18.0 s with
    2 at a time, 16.5-16.9 s with 3; BENCHMARKS.md). Never more than ``n_jobs``.

    Example:
        >>> default_workers(1)
        1
    """
    return max(1, min(n_jobs, usable_cores() + 1))


def _check_jobs(jobs: Sequence[FitJob], workers: int | None) -> list[Any]:
    """Check every job and its data before any training starts; returns each fit's plan."""
    if isinstance(jobs, FitJob) or not isinstance(jobs, Sequence) or not jobs:
        raise ValueError(
            f"fit_many: jobs must be a non-empty list of FitJob, got {type(jobs).__name__}"
            + (" (empty)" if isinstance(jobs, Sequence) and not jobs else "")
        )
    if workers is not None and (not is_int(workers) or workers < 1):
        raise ValueError(f"fit_many: workers must be a positive integer or None, got {workers!r}")
    seen: dict[int, int] = {}
    plans = []
    for i, job in enumerate(jobs):
        if not isinstance(job, FitJob):
            raise ValueError(f"fit_many: jobs[{i}] must be a FitJob, got {type(job).__name__}")
        if getattr(job.model, "trainer", None) is None:
            raise ValueError(
                f"fit_many: jobs[{i}].model must be a compiled model: call "
                "model.compile(optimizer=..., loss=...) first"
            )
        if id(job.model) in seen:
            raise ValueError(
                f"fit_many: jobs[{seen[id(job.model)]}] and jobs[{i}] train the same model "
                "object; one model can only be trained by one job at a time"
            )
        seen[id(job.model)] = i
        kwargs = dict(job.fit_kwargs)
        if "x" in kwargs or "y" in kwargs:
            raise ValueError(
                f"fit_many: jobs[{i}].fit_kwargs must not hold x or y (use FitJob.x/y)"
            )
        kwargs.setdefault("verbose", 0)
        if kwargs["verbose"] != 0:
            raise ValueError(
                f"fit_many: jobs[{i}] asks for verbose={kwargs['verbose']!r}; models trained "
                "at once cannot share a progress display, so verbose must be 0 (follow "
                "progress with a callback, e.g. rnnlab.callbacks.LambdaCallback)"
            )
        try:
            bound = inspect.signature(job.model.fit).bind(job.x, job.y, **kwargs)
        except TypeError as exc:
            raise ValueError(f"fit_many: jobs[{i}].fit_kwargs: {exc}") from None
        bound.apply_defaults()
        try:
            plans.append(job.model.fit_plan(**bound.arguments))
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"fit_many: jobs[{i}]: {exc}") from None
    return plans


def fit_many(
    jobs: Sequence[FitJob],
    *,
    workers: int | None = None,
    on_done: Callable[[int, History], None] | None = None,
) -> list[History]:
    """Run ``job.model.fit(job.x, job.y, **job.fit_kwargs)`` for every job, several at once.

    Every job is checked before any starts. Jobs start in list order, at most
    ``workers`` at a time; each model's random keys are drawn in that order too,
    so a run is reproducible whatever the number of workers.

    Args:
        jobs: the fits to run; each model may appear once.
        workers: models trained at once (default: :func:`default_workers`, one
            more than the usable cores, at most ``len(jobs)``). ``workers=1``
            trains them one after another.
        on_done: called as ``on_done(index, history)`` when job ``index``
            finishes, from the worker thread that ran it (so calls for different
            jobs may overlap): the place for per-model work such as predictions.
            An exception raised there counts as that job's failure.

    Returns:
        The :class:`~rnnlab.callbacks.History` of every job, in the order of ``jobs``.

    Raises:
        ValueError: a malformed job list (before anything trains).
        ExceptionGroup: one or more fits failed; the others still ran to the
            end, and each model keeps the weights its fit reached.

    Example:
        >>> from rnnlab.layers import Dense
        >>> from rnnlab.models import Sequential
        >>> m = Sequential([Dense(1, input_shape=(1,))], seed=0); m.compile("sgd", "mse")
        >>> len(fit_many([FitJob(m, [[1.0]], [[2.0]], {"epochs": 3})], workers=1)[0].epoch)
        3
    """
    plans = _check_jobs(jobs, workers)
    workers = default_workers(len(jobs)) if workers is None else min(workers, len(jobs))
    # Draw each fit's key here, in job order, not in whichever order the threads start.
    keys = [job.model.next_key() for job in jobs]

    def run(index: int) -> History:
        history = jobs[index].model.fit_with_plan(plans[index], keys[index])
        if on_done is not None:
            on_done(index, history)
        return history

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rnnlab-fit")
    futures = []
    try:
        futures = [pool.submit(run, i) for i in range(len(jobs))]
        wait(futures)
    except BaseException:  # e.g. Ctrl-C: stop every fit at its next epoch end, start no more
        for job in jobs:
            job.model.stop_training = True
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    errors = [(i, f.exception()) for i, f in enumerate(futures) if f.exception() is not None]
    if errors:
        for i, error in errors:
            error.add_note(f"in fit_many jobs[{i}]")
        # An ExceptionGroup unless a worker died of a BaseException such as SystemExit.
        raise BaseExceptionGroup(
            f"fit_many: {len(errors)} of {len(jobs)} fits failed", [e for _, e in errors]
        )
    return [f.result() for f in futures]
