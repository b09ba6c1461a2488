"""rnnlab.parallel.fit_many: same results as one fit after another, checks before work."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from rnnlab import utils
from rnnlab.callbacks import Callback, LambdaCallback
from rnnlab.initializers import constant
from rnnlab.layers import GRU, Dense
from rnnlab.models import Sequential
from rnnlab.optimizers import SGD
from rnnlab.parallel import FitJob, default_workers, fit_many

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 6, 1)).astype(np.float32)
Y = X[:, -2:, 0] * 0.5


def _gru(seed: int | None) -> Sequential:
    m = Sequential([GRU(4, input_shape=(None, 1)), Dense(2)], seed=seed)
    m.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return m


def _fit_kwargs(**extra):
    return {"epochs": 3, "batch_size": 16, "validation_data": (X[:16], Y[:16]), **extra}


def _assert_same_training(a: Sequential, b: Sequential) -> None:
    assert a.history.history == b.history.history
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


@pytest.fixture(scope="module")
def one_by_one():
    """Three seeded models fitted one after another: the reference for fit_many."""
    models = [_gru(seed) for seed in (1, 2, 3)]
    for m in models:
        m.fit(X, Y, verbose=0, **_fit_kwargs())
    return models


@pytest.mark.parametrize("workers", [1, 2, None])
def test_fit_many_trains_exactly_as_fits_one_after_another(workers, one_by_one):
    together = [_gru(seed) for seed in (1, 2, 3)]
    histories = fit_many([FitJob(m, X, Y, _fit_kwargs()) for m in together], workers=workers)
    for m, h, ref in zip(together, histories, one_by_one, strict=True):
        assert h is m.history
        assert sorted(h.history) == ["loss", "mae", "val_loss", "val_mae"]
        _assert_same_training(m, ref)


def test_unseeded_models_draw_keys_in_job_order_whatever_the_workers():
    def run(workers):
        utils.set_random_seed(7)
        models = [_gru(None) for _ in range(3)]
        fit_many([FitJob(m, X, Y, _fit_kwargs()) for m in models], workers=workers)
        return models

    for a, b in zip(run(1), run(3), strict=True):
        _assert_same_training(a, b)


def test_models_really_train_at_the_same_time():
    # Each fit waits at the barrier until the other has started: with one worker it
    # would time out, so passing proves two fits ran side by side.
    barrier = threading.Barrier(2, timeout=60)
    meet = LambdaCallback(on_train_begin=lambda logs: barrier.wait())
    models = [_gru(s) for s in (1, 2)]
    jobs = [FitJob(m, X, Y, {"epochs": 1, "callbacks": [meet]}) for m in models]
    fit_many(jobs, workers=2)
    assert not barrier.broken


def test_on_done_gets_each_index_and_history_once():
    models = [_gru(s) for s in (1, 2, 3)]
    seen = []
    histories = fit_many(
        [FitJob(m, X, Y, {"epochs": 1}) for m in models],
        on_done=lambda i, h: seen.append((i, h)),
    )
    assert sorted(i for i, _ in seen) == [0, 1, 2]
    assert all(h is histories[i] for i, h in seen)


def test_default_workers_is_one_more_than_the_cores_at_most_one_per_job(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(8)), raising=False)
    assert default_workers(3) == 3 and default_workers(20) == 9
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0}, raising=False)
    assert default_workers(5) == 2 and default_workers(1) == 1


# --- bad input: refused before any model trains -----------------------------------------


class _Untouched(Callback):
    def on_train_begin(self, logs=None):  # pragma: no cover - must not run
        raise AssertionError("a fit started although the job list was invalid")


def _valid_job(seed=1):
    return FitJob(_gru(seed), X, Y, {"epochs": 1, "callbacks": [_Untouched()]})


def _uncompiled():
    return Sequential([Dense(1, input_shape=(1,))])


@pytest.mark.parametrize(
    ("make_jobs", "kwargs", "message"),
    [
        (lambda: [], {}, "fit_many: jobs must be a non-empty list of FitJob, got list (empty)"),
        (lambda: _valid_job(), {}, "fit_many: jobs must be a non-empty list of FitJob, got FitJob"),
        (lambda: [_valid_job(), "job"], {}, "fit_many: jobs[1] must be a FitJob, got str"),
        (
            lambda: [_valid_job()],
            {"workers": 0},
            "fit_many: workers must be a positive integer or None, got 0",
        ),
        (
            lambda: [_valid_job(), FitJob(_uncompiled(), X, Y)],
            {},
            "fit_many: jobs[1].model must be a compiled model: call "
            "model.compile(optimizer=..., loss=...) first",
        ),
        (
            lambda: [_valid_job(), FitJob(_valid_job().model, X, Y, {"verbose": 1})],
            {},
            "fit_many: jobs[1] asks for verbose=1; models trained at once cannot share a "
            "progress display, so verbose must be 0",
        ),
        (
            lambda: [_valid_job(), FitJob(_gru(2), X, Y, {"epoch": 3})],
            {},
            "fit_many: jobs[1].fit_kwargs: got an unexpected keyword argument 'epoch'",
        ),
        (
            lambda: [_valid_job(), FitJob(_gru(2), X, Y, {"x": X})],
            {},
            "fit_many: jobs[1].fit_kwargs must not hold x or y (use FitJob.x/y)",
        ),
        (
            lambda: [_valid_job(), FitJob(_gru(2), X[:10], Y)],
            {},
            "fit_many: jobs[1]: fit: x and y must have the same number of samples",
        ),
        (
            lambda: [_valid_job(), FitJob(_gru(2), X, Y, {"epochs": 0})],
            {},
            "fit_many: jobs[1]: fit: epochs must be a positive integer, got 0",
        ),
    ],
)
def test_bad_jobs_are_refused_before_any_training(make_jobs, kwargs, message):
    jobs = make_jobs()
    listed = jobs if isinstance(jobs, list) else [jobs]
    trained = [j.model for j in listed if isinstance(j, FitJob) and j.model.trainer is not None]
    before = [m.get_weights() for m in trained]
    with pytest.raises(ValueError) as info:
        fit_many(jobs, **kwargs)
    assert str(info.value).startswith(message), str(info.value)
    after = [m.get_weights() for m in trained]
    for wb, wa in zip(before, after, strict=True):
        for a, b in zip(wa, wb, strict=True):
            np.testing.assert_array_equal(a, b)


def test_the_same_model_twice_is_refused():
    job = _valid_job()
    with pytest.raises(ValueError, match=r"jobs\[0\] and jobs\[2\] train the same model object"):
        fit_many([job, _valid_job(2), FitJob(job.model, X, Y)])


def test_a_failing_fit_does_not_stop_the_others_and_is_reported_with_its_index():
    exploding = Sequential(
        [Dense(1, input_shape=(1,), kernel_initializer=constant(0.5))], seed=0
    )  # lr 1 on x = 10: the weight grows ~200x per step until the loss overflows
    exploding.compile(optimizer=SGD(learning_rate=1.0), loss="mse")
    xe, ye = np.full((40, 1), 10.0, np.float32), np.zeros((40, 1), np.float32)
    good = _gru(1)
    jobs = [
        FitJob(exploding, xe, ye, {"epochs": 3, "batch_size": 1}),
        FitJob(good, X, Y, {"epochs": 2}),
    ]
    with pytest.raises(ExceptionGroup, match=r"fit_many: 1 of 2 fits failed") as info:
        fit_many(jobs, workers=2)
    (error,) = info.value.exceptions
    assert isinstance(error, FloatingPointError)
    assert "in fit_many jobs[0]" in error.__notes__
    assert len(good.history.history["loss"]) == 2
    assert all(np.isfinite(w).all() for w in exploding.get_weights())
