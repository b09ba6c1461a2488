"""Tests for rnnlab.training: the host-side batch plan and the order fit trains in."""

import jax
import numpy as np
import pytest

from rnnlab import training
from rnnlab.layers import Dense
from rnnlab.models import Sequential
from rnnlab.optimizers import SGD


def test_batch_plan_in_order_pads_the_last_batch_with_weight_zero():
    idx, weight = training.batch_plan(7, 3, rng=None)
    assert idx.tolist() == [[0, 1, 2], [3, 4, 5], [6, 0, 1]]
    assert weight.tolist() == [[1, 1, 1], [1, 1, 1], [1, 0, 0]]
    assert idx.dtype == np.int32 and weight.dtype == np.float32


def test_batch_plan_shuffled_takes_every_sample_once_and_depends_on_the_rng():
    plans = [training.batch_plan(10, 4, np.random.default_rng([5, epoch])) for epoch in (0, 1)]
    for idx, weight in plans:
        real = idx.ravel()[weight.ravel() == 1]
        assert sorted(real.tolist()) == list(range(10))
        assert weight.ravel().tolist() == [1.0] * 10 + [0.0] * 2
    assert plans[0][0].tolist() != plans[1][0].tolist()
    again = training.batch_plan(10, 4, np.random.default_rng([5, 0]))[0]
    assert again.tolist() == plans[0][0].tolist()


def _one_weight_model(seed=0):
    model = Sequential([Dense(1, use_bias=False, input_shape=(1,))], seed=seed)
    model.compile(optimizer=SGD(learning_rate=0.05), loss="mse")
    return model


X = np.array([[1.0], [2.0], [-1.0], [0.5], [3.0]], np.float32)
Y = np.array([[2.0], [-1.0], [0.0], [1.5], [1.0]], np.float32)


def _sgd_in_order(w, order, lr=0.05):
    for i in order:  # batch size 1: d/dw (x w - y)^2 = 2 x (x w - y)
        w = w - lr * 2 * X[i, 0] * (X[i, 0] * w - Y[i, 0])
    return w


def test_fit_without_shuffle_trains_the_samples_in_order():
    model = _one_weight_model()
    w0 = float(model.get_weights()[0][0, 0])
    model.fit(X, Y, batch_size=1, epochs=1, shuffle=False, verbose=0)
    expected = _sgd_in_order(w0, range(5))
    assert float(model.get_weights()[0][0, 0]) == pytest.approx(expected, rel=1e-5)


def test_fit_with_shuffle_trains_a_seeded_permutation_each_epoch():
    a, b = _one_weight_model(seed=3), _one_weight_model(seed=3)
    w0 = float(a.get_weights()[0][0, 0])
    a.fit(X, Y, batch_size=1, epochs=2, verbose=0)
    b.fit(X, Y, batch_size=1, epochs=2, verbose=0)
    w = float(a.get_weights()[0][0, 0])
    assert w == float(b.get_weights()[0][0, 0])  # same seed, same order
    # The order of epoch e is the permutation NumPy draws from the fit's key and e.
    fit_key = _one_weight_model(seed=3).next_key()  # the key a's fit drew
    seed = [int(v) for v in np.asarray(jax.random.key_data(fit_key)).ravel()]
    orders = [np.random.default_rng([*seed, epoch]).permutation(5) for epoch in (0, 1)]
    assert orders[0].tolist() != [0, 1, 2, 3, 4] or orders[1].tolist() != [0, 1, 2, 3, 4]
    expected = _sgd_in_order(_sgd_in_order(w0, orders[0]), orders[1])
    assert w == pytest.approx(expected, rel=1e-5)
    assert w != pytest.approx(_sgd_in_order(_sgd_in_order(w0, range(5)), range(5)), rel=1e-4)


def test_the_epoch_function_takes_the_plan_and_compiles_once():
    model = _one_weight_model()
    model.fit(X, Y, batch_size=2, epochs=1, verbose=0)
    epoch = model.trainer.train_epoch
    size = epoch._cache_size()
    model.fit(X, Y, batch_size=2, epochs=3, verbose=0)  # new orders, same shapes
    assert epoch._cache_size() == size
    idx, weights = training.batch_plan(5, 2, rng=None)
    out = epoch(model.train_state, X, Y, idx, weights)
    assert out.finite.shape == (3,)
    assert int(out.state.epoch) == int(model.train_state.epoch) + 1
    assert int(out.state.step) == int(model.train_state.step) + 3


def test_validation_inside_the_epoch_equals_a_separate_evaluate():
    from rnnlab.callbacks import Callback
    from rnnlab.layers import GRU

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 6, 2)).astype(np.float32), rng.normal(size=(40, 1))
    xv, yv = rng.normal(size=(13, 6, 2)).astype(np.float32), rng.normal(size=(13, 1))
    model = Sequential([GRU(4, input_shape=(None, 2)), Dense(1)], seed=2)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    seen = []

    class Check(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((logs["val_loss"], logs["val_mae"], *model.evaluate(xv, yv)))

    model.fit(
        x, y, batch_size=8, epochs=3, validation_data=(xv, yv), callbacks=[Check()], verbose=0
    )
    assert len(seen) == 3
    for val_loss, val_mae, loss, mae in seen:
        assert val_loss == pytest.approx(loss, rel=1e-5)
        assert val_mae == pytest.approx(mae, rel=1e-5)
    # without validation data the epoch evaluates nothing
    idx, weights = training.batch_plan(40, 8, rng=None)
    out = model.trainer.train_epoch(model.train_state, x, y, idx, weights)
    assert out.val is None
