"""rnnlab.parallel.Ensemble: replica i == the same model trained alone with seed i."""

from __future__ import annotations

import re

import numpy as np
import pytest

import rnnlab as keras
from rnnlab.callbacks import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN
from rnnlab.layers import GRU, Dense, Dropout
from rnnlab.models import Sequential
from rnnlab.optimizers import SGD, Adam
from rnnlab.parallel import Ensemble, EnsembleHistory

RNG = np.random.default_rng(0)
X = RNG.normal(size=(48, 5, 1)).astype(np.float32)
Y = X[:, -2:, 0] * 0.5
SEEDS = [3, 7, 11]
LRS = [1e-3, 3e-3, 1e-2]


def _build() -> Sequential:
    return Sequential([GRU(4, input_shape=(None, 1), dropout=0.2), Dropout(0.3), Dense(2)])


def _alone(seed: int, lr: float, callbacks=None, **fit) -> Sequential:
    keras.utils.set_random_seed(seed)
    m = _build()
    m.compile(Adam(lr), "mse", metrics=["mae"])
    m.fit(X, Y, verbose=0, callbacks=callbacks, **fit)
    return m


def _assert_close(a: Sequential, b: Sequential) -> None:
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


FIT = {"epochs": 3, "batch_size": 10, "validation_split": 0.25}


@pytest.fixture(scope="module")
def trained():
    ens = Ensemble(_build, seeds=SEEDS)
    ens.compile("adam", "mse", metrics=["mae"], learning_rate=LRS)
    history = ens.fit(X, Y, verbose=0, **FIT)
    return ens, history


def test_each_replica_equals_the_model_trained_alone_with_its_seed(trained):
    # Dropout, shuffling and per-replica learning rates; vmap may fuse differently,
    # so to float tolerance (observed: ~1e-7), not bit for bit.
    ens, _ = trained
    for i, (seed, lr) in enumerate(zip(SEEDS, LRS, strict=True)):
        alone = _alone(seed, lr, **FIT)
        _assert_close(alone, ens.models[i])
        for name, values in alone.history.history.items():
            np.testing.assert_allclose(ens.histories[i].history[name], values, rtol=1e-5)
        assert ens.models[i].optimizer.learning_rate == pytest.approx(lr)
        assert int(ens.models[i].optimizer.iterations) == int(alone.optimizer.iterations)


def test_predict_shapes_reductions_and_aggregated_history(trained):
    ens, history = trained
    out = ens.predict(X[:7])
    assert out.shape == (3, 7, 2)
    np.testing.assert_allclose(out[1], ens.models[1].predict(X[:7]), rtol=1e-6)
    np.testing.assert_allclose(ens.predict(X[:7], reduce="mean"), out.mean(0), rtol=1e-6)
    np.testing.assert_allclose(ens.predict(X[:7], reduce="median"), np.median(out, 0))
    assert isinstance(history, EnsembleHistory) and history is ens.history
    losses = np.array([h.history["val_loss"] for h in ens.histories])
    stats = history.history["val_loss"]
    np.testing.assert_allclose(stats["mean"], losses.mean(0))
    np.testing.assert_allclose(stats["std"], losses.std(0))
    np.testing.assert_allclose(stats["min"], losses.min(0))
    np.testing.assert_allclose(stats["max"], losses.max(0))
    assert history.epoch == [0, 1, 2] and stats["count"] == [3, 3, 3]
    with pytest.raises(ValueError, match="reduce"):
        ens.predict(X, reduce="max")


def test_a_second_fit_continues_as_a_second_lone_fit(trained):
    ens, _ = trained
    ens.fit(X, Y, verbose=0, **{**FIT, "epochs": 1})
    assert ens._epoch_fn._cache_size() == 1  # no recompilation across fits
    keras.utils.set_random_seed(SEEDS[2])
    alone = _build()
    alone.compile(Adam(LRS[2]), "mse", metrics=["mae"])
    alone.fit(X, Y, verbose=0, **FIT)
    alone.fit(X, Y, verbose=0, **{**FIT, "epochs": 1})
    _assert_close(alone, ens.models[2])


def test_callbacks_act_per_replica():
    # A replica with a huge rate stalls; EarlyStopping (patience 0 on loss) stops the
    # replicas whose loss rises, ReduceLROnPlateau lowers each one's own rate.
    lrs = [1e-3, 0.5]
    fit = {"epochs": 6, "batch_size": 16}

    def cbs():
        return [
            EarlyStopping(monitor="loss", patience=1, restore_best_weights=True),
            ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0),
        ]

    ens = Ensemble(_build, seeds=[1, 2])
    ens.compile("adam", "mse", metrics=["mae"], learning_rate=lrs)
    ens.fit(X, Y, verbose=0, callbacks=cbs(), **fit)
    for i, seed in enumerate([1, 2]):
        alone = _alone(seed, lrs[i], callbacks=cbs(), **fit)
        assert len(ens.histories[i].epoch) == len(alone.history.epoch)
        np.testing.assert_allclose(
            ens.histories[i].history["learning_rate"], alone.history.history["learning_rate"]
        )
        _assert_close(alone, ens.models[i])
    lengths = [len(h.epoch) for h in ens.histories]
    assert ens.history.history["loss"]["count"][-1] == sum(n == max(lengths) for n in lengths)


def test_terminate_on_nan_drops_only_the_diverged_replica(capsys):
    big = X * 1e3
    ens = Ensemble(lambda: Sequential([Dense(2, input_shape=(5,))]), seeds=[0, 1])
    ens.compile([SGD(1e-8), SGD(10.0)], "mse")
    ens.fit(big[:, :, 0], Y, epochs=3, batch_size=16, verbose=0, callbacks=[TerminateOnNaN()])
    assert ens.dropped == [1]
    assert "replica 1 (seed 1)" in capsys.readouterr().out
    assert len(ens.histories[0].epoch) == 3 and np.isnan(ens.histories[1].history["loss"][-1])
    keras.utils.set_random_seed(1)
    alone = Sequential([Dense(2, input_shape=(5,))])
    alone.compile(SGD(10.0), "mse")
    alone.fit(big[:, :, 0], Y, epochs=3, batch_size=16, verbose=0, callbacks=[TerminateOnNaN()])
    assert ens.histories[1].epoch == alone.history.epoch
    _assert_close(alone, ens.models[1])
    assert all(np.isfinite(w).all() for w in ens.models[1].get_weights())
    assert ens.predict(big[:4, :, 0], reduce="mean").shape == (4, 2)
    with pytest.raises(FloatingPointError, match=r"replica 1 \(seed 1\)"):
        ens2 = Ensemble(lambda: Sequential([Dense(2, input_shape=(5,))]), seeds=[0, 1])
        ens2.compile([SGD(1e-8), SGD(10.0)], "mse")
        ens2.fit(big[:, :, 0], Y, epochs=3, batch_size=16, verbose=0)


def test_models_are_ordinary_models(tmp_path, trained):
    ens, _ = trained
    path = tmp_path / "replica.keras"
    ens.models[1].save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(X[:3]), ens.models[1].predict(X[:3]), rtol=1e-6)


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="seeds is empty"):
        Ensemble(_build, seeds=[])
    with pytest.raises(TypeError, match=r"seeds\[1\] must be an integer"):
        Ensemble(_build, seeds=[1, 2.5])
    units = iter([4, 5])
    with pytest.raises(ValueError, match=r"replica 1 \(seed 8\).*gru_\d+/kernel"):
        Ensemble(lambda: Sequential([GRU(next(units), input_shape=(None, 1))]), seeds=[7, 8])
    ens = Ensemble(lambda: Sequential([Dense(1, input_shape=(2,))]), seeds=[0, 1])
    with pytest.raises(RuntimeError, match="compile first"):
        ens.fit(np.ones((4, 2)), np.ones((4, 1)))
    with pytest.raises(ValueError, match="3 learning rates for 2"):
        ens.compile("adam", "mse", learning_rate=[1e-3, 1e-3, 1e-3])
    with pytest.raises(ValueError, match="more than the learning rate"):
        ens.compile([Adam(1e-3), SGD(1e-3)], "mse")
    ens.compile("sgd", "mse")
    with pytest.raises(ValueError, match="must hold '\\{replica\\}'"):
        ens.fit(np.ones((4, 2)), np.ones((4, 1)), callbacks=[ModelCheckpoint("w.keras")])


def _raises_exactly(kind: type[Exception], message: str):
    return pytest.raises(kind, match=f"^{re.escape(message)}$")


def test_bad_replicas_and_seeds_get_exact_messages():
    with _raises_exactly(
        ValueError, "Ensemble: seeds is empty; give at least one seed, e.g. seeds=range(4)"
    ):
        Ensemble(_build, seeds=[])
    with _raises_exactly(
        TypeError, "Ensemble: seeds must be a list of integers, e.g. range(8), got 5"
    ):
        Ensemble(_build, seeds=5)
    extra = iter([False, True])  # replica 1 gets one layer more

    def grows() -> Sequential:
        return Sequential([Dense(1, input_shape=(2,)), *([Dense(1)] if next(extra) else [])])

    with _raises_exactly(
        ValueError,
        "Ensemble: build_model() returned models of different shapes: replica 1 (seed 5): "
        "it has 2 layers where replica 0 has 1; every replica must have the same architecture",
    ):
        Ensemble(grows, seeds=[4, 5])


def test_unbuilt_replicas_of_different_shapes_are_refused_before_training():
    # no input shape: the replicas are built by fit, and checked right after, before
    # anything is compiled or trained
    units = iter([3, 4])
    ens = Ensemble(lambda: Sequential([Dense(next(units)), Dense(1)]), seeds=[0, 1])
    ens.compile("sgd", "mse")
    k0, k1 = (m.layers[0].name for m in ens.models)
    with _raises_exactly(
        ValueError,
        "Ensemble: build_model() returned models of different shapes: replica 1 (seed 1): "
        f"weight '{k1}/kernel' has shape (2, 4) float32 where replica 0's '{k0}/kernel' has "
        "(2, 3) float32; every replica must have the same architecture",
    ):
        ens.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    assert ens._epoch_fn is None  # nothing was compiled
    assert all(m.optimizer.iterations in (None, 0) for m in ens.models)


def _nested(units: int = 4) -> keras.Model:
    """A model holding another model as a layer (its params nest ``{layer: {weight}}``)."""
    inp = keras.Input((5, 1))
    encoder = keras.Model(inp, GRU(units)(inp), name="encoder")
    x = keras.Input((5, 1))
    return keras.Model(x, Dense(2)(encoder(x)))


def test_replicas_holding_a_nested_model_train_as_alone():
    # the inner model's layers get fresh names in every replica; they are matched by
    # position at every level, so the replicas stack and unstack to their own names
    fit = {"epochs": 2, "batch_size": 16, "shuffle": False, "verbose": 0}
    ens = Ensemble(_nested, seeds=[0, 1])
    ens.compile("adam", "mse")
    ens.fit(X, Y, **fit)
    for i, seed in enumerate([0, 1]):
        keras.utils.set_random_seed(seed)
        alone = _nested()
        alone.compile("adam", "mse")
        alone.fit(X, Y, **fit)
        _assert_close(alone, ens.models[i])
        np.testing.assert_allclose(ens.predict(X)[i], alone.predict(X, verbose=0), atol=1e-5)


def test_nested_replicas_of_different_shapes_name_the_inner_weight():
    units = iter([3, 4])
    with pytest.raises(ValueError, match=r"replica 1 \(seed 1\): weight 'encoder/gru(_\d+)?/") as e:
        Ensemble(lambda: _nested(next(units)), seeds=[0, 1])
    assert "has shape (1, 12) float32 where replica 0's 'encoder/gru" in str(e.value)
