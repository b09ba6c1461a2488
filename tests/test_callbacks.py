"""Tests for rnnlab.callbacks: EarlyStopping, ReduceLROnPlateau, LearningRateScheduler,
TerminateOnNaN, CSVLogger and LambdaCallback — driven directly on scripted values and
inside real (tiny) fits."""

import csv
import math
import warnings
from types import SimpleNamespace

import jax
import numpy as np
import optax
import pytest

from rnnlab.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from rnnlab.layers import Dense, SimpleRNN
from rnnlab.models import Sequential
from rnnlab.optimizers import SGD, get_learning_rate

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
X_VAL = RNG.normal(size=(8, 3)).astype(np.float32)
Y_VAL = (X_VAL @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)


def _dense(optimizer="sgd", loss="mse", metrics=None, seed=0):
    model = Sequential([Dense(1, input_shape=(3,))], seed=seed)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    return model


def _fake_model(params=None, lr=1.0):
    return SimpleNamespace(stop_training=False, params=params, optimizer=SGD(lr))


def _drive(cb, values, model=None, monitor="val_loss"):
    """Feed scripted monitor values as fit would; return the epochs actually run."""
    model = model if model is not None else _fake_model()
    cb.set_model(model)
    cb.on_train_begin()
    ran = 0
    for epoch, value in enumerate(values):
        cb.on_epoch_begin(epoch)
        cb.on_epoch_end(epoch, {"loss": 0.0, monitor: value})
        ran += 1
        if model.stop_training:
            break
    cb.on_train_end()
    return ran


def _snapshot(model):
    return jax.tree.map(lambda a: np.array(a), model.params)


def _leaves(tree):
    return [np.asarray(leaf) for leaf in jax.tree.leaves(tree)]


# --- EarlyStopping: scripted ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("patience", "expected_epochs"),
    [(0, 3), (1, 3), (2, 4), (3, 5)],  # as in Keras, patience 0 acts as 1
)
def test_early_stopping_patience(patience, expected_epochs):
    values = [1.0, 0.9, 0.95, 0.93, 0.92, 0.91, 0.8, 0.7]  # best 0.9 at epoch 1
    cb = EarlyStopping(patience=patience)
    assert _drive(cb, values) == expected_epochs
    assert cb.stopped_epoch == expected_epochs - 1
    assert cb.best == 0.9 and cb.best_epoch == 1
    assert cb.wait == max(patience, 1)


def test_early_stopping_no_stop_while_improving():
    cb = EarlyStopping(patience=0)
    assert _drive(cb, [5.0, 4.0, 3.0, 2.0]) == 4
    assert cb.stopped_epoch == 0 and cb.wait == 0 and cb.best == 2.0


def test_early_stopping_min_delta():
    values = [1.0, 0.95, 0.92, 0.91, 0.5]
    assert _drive(EarlyStopping(patience=1), values) == 5  # each is an improvement
    cb = EarlyStopping(patience=1, min_delta=-0.1)  # the sign is ignored, as in Keras
    assert cb.min_delta == 0.1
    assert _drive(cb, values) == 2  # 0.95 is not 0.1 better than 1.0
    assert cb.best == 1.0


def test_early_stopping_baseline():
    values = [1.0, 0.9, 0.95, 0.94, 0.93]
    # without a baseline the improvements reset the wait: stops at epoch 3
    assert _drive(EarlyStopping(patience=2), values) == 4
    # improving on the best but not on the baseline does not reset the wait
    cb = EarlyStopping(patience=2, baseline=0.5)
    assert _drive(cb, values) == 3
    assert cb.best == 0.9
    # beating the baseline resets it
    cb = EarlyStopping(patience=2, baseline=0.5)
    assert _drive(cb, [0.4, 0.45, 0.46, 0.47]) == 3 and cb.best == 0.4


@pytest.mark.parametrize(
    ("monitor", "mode", "expected_epochs"),
    [
        ("val_accuracy", "auto", 3),  # auto → max for acc names
        ("val_auc", "auto", 3),
        ("val_accuracy", "max", 3),
        ("val_accuracy", "min", 2),
        ("val_loss", "max", 3),
        ("val_loss", "auto", 2),
    ],
)
def test_early_stopping_mode(monitor, mode, expected_epochs):
    values = [0.5, 0.6, 0.55, 0.54, 0.7]
    cb = EarlyStopping(monitor=monitor, mode=mode, patience=0)
    assert _drive(cb, values, monitor=monitor) == expected_epochs


def test_early_stopping_unknown_mode_warns_and_uses_auto():
    with pytest.warns(UserWarning, match="mode 'maximum' is unknown"):
        cb = EarlyStopping(monitor="val_acc", mode="maximum", patience=0)
    assert cb.mode == "auto"
    assert _drive(cb, [0.5, 0.6, 0.55], monitor="val_acc") == 3


def test_early_stopping_start_from_epoch():
    values = [5.0, 6.0, 7.0, 4.0, 4.5, 3.0]
    assert _drive(EarlyStopping(patience=0), values) == 2
    cb = EarlyStopping(patience=0, start_from_epoch=3)
    assert _drive(cb, values) == 5
    assert cb.best == 4.0 and cb.best_epoch == 3


def test_early_stopping_missing_monitor_warns_with_available_keys():
    cb = EarlyStopping(monitor="val_loss", patience=0)
    model = _fake_model()
    cb.set_model(model)
    cb.on_train_begin()
    with pytest.warns(UserWarning, match=r"'val_loss'.*validation_data.*available keys: loss, mae"):
        cb.on_epoch_end(0, {"loss": 1.0, "mae": 0.5})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cb.on_epoch_end(1, {"loss": 2.0, "mae": 0.5})
    assert not model.stop_training


def test_early_stopping_instance_is_reusable():
    cb = EarlyStopping(patience=0)
    assert _drive(cb, [1.0, 2.0]) == 2
    assert _drive(cb, [10.0, 9.0, 8.0]) == 3  # best was reset by on_train_begin
    assert cb.stopped_epoch == 0


def test_early_stopping_rejects_bad_patience():
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)


def test_restore_best_weights_scripted():
    values = [1.0, 0.5, 0.7, 0.8, 0.9]
    weights = [{"d": {"w": np.full(2, float(i))}} for i in range(len(values))]
    model = _fake_model(params=weights[0])
    cb = EarlyStopping(patience=2, restore_best_weights=True)
    cb.set_model(model)
    cb.on_train_begin()
    for epoch, value in enumerate(values):
        model.params = weights[epoch]
        cb.on_epoch_end(epoch, {"val_loss": value})
        if model.stop_training:
            break
    assert epoch == 3
    cb.on_train_end()
    np.testing.assert_array_equal(model.params["d"]["w"], weights[1]["d"]["w"])


def test_restore_best_weights_also_without_early_stop():
    """Keras 3 restores the best weights whenever training ends, stopped or not."""
    weights = [{"w": np.full(2, float(i))} for i in range(3)]
    model = _fake_model(params=weights[0])
    cb = EarlyStopping(patience=5, restore_best_weights=True)
    cb.set_model(model)
    cb.on_train_begin()
    for epoch, value in enumerate([1.0, 0.2, 0.4]):
        model.params = weights[epoch]
        cb.on_epoch_end(epoch, {"val_loss": value})
    assert not model.stop_training
    cb.on_train_end()
    np.testing.assert_array_equal(model.params["w"], weights[1]["w"])


def test_restore_best_weights_when_no_epoch_ever_improves():
    """A NaN monitor never improves: the first monitored epoch's weights are kept."""
    weights = [{"w": np.full(2, float(i))} for i in range(3)]
    model = _fake_model(params=weights[0])
    cb = EarlyStopping(patience=2, restore_best_weights=True, start_from_epoch=1)
    cb.set_model(model)
    cb.on_train_begin()
    for epoch in range(3):
        model.params = weights[epoch]
        cb.on_epoch_end(epoch, {"val_loss": float("nan")})
        if model.stop_training:
            break
    assert epoch == 2 and cb.best_epoch == 1
    cb.on_train_end()
    np.testing.assert_array_equal(model.params["w"], weights[1]["w"])


# --- EarlyStopping: in fit ----------------------------------------------------------------


def test_early_stopping_stops_fit():
    model = _dense()
    # a min_delta no loss can beat: epoch 0 is the best, then 2 epochs of patience
    cb = EarlyStopping(monitor="loss", min_delta=1e9, patience=2)
    history = model.fit(X, Y, epochs=20, batch_size=8, verbose=0, callbacks=[cb])
    assert history.epoch == [0, 1, 2]
    assert cb.stopped_epoch == 2
    assert cb.best == history.history["loss"][0]


def test_early_stopping_on_val_loss_in_fit():
    model = _dense()
    cb = EarlyStopping(monitor="val_loss", patience=2)
    # validation targets of the opposite sign: the better the fit, the worse val_loss
    history = model.fit(
        X, Y, epochs=10, batch_size=8, verbose=0, validation_data=(X_VAL, -Y_VAL), callbacks=[cb]
    )
    val = history.history["val_loss"]
    assert val[0] < val[1] < val[2]  # epoch 0 stays the best
    assert history.epoch == [0, 1, 2] and cb.stopped_epoch == 2 and cb.best == val[0]


def test_restore_best_weights_in_fit_restores_exactly_the_best_epoch():
    model = _dense(optimizer=SGD(0.05))
    recorded = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: recorded.append(_snapshot(model)))
    # mode="max" on the training loss: the best epoch is the first (the loss falls),
    # so the restored weights differ from the last ones.
    stop = EarlyStopping(monitor="loss", mode="max", patience=2, restore_best_weights=True)
    history = model.fit(X, Y, epochs=10, batch_size=4, verbose=0, callbacks=[record, stop])
    losses = history.history["loss"]
    best = int(np.argmax(losses))
    assert len(losses) == 3 and best == stop.best_epoch == 0
    for got, want in zip(_leaves(model.params), _leaves(recorded[best]), strict=True):
        np.testing.assert_array_equal(got, want)
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(_leaves(model.params), _leaves(recorded[-1]), strict=True)
    )
    # the restored model predicts with the restored weights
    best_params = jax.tree.map(jax.numpy.asarray, recorded[best])
    np.testing.assert_allclose(model.predict(X), np.asarray(model.apply(best_params, X)), rtol=1e-6)


# --- TerminateOnNaN -----------------------------------------------------------------------

BIG_X = (np.random.default_rng(1).normal(size=(64, 3)) * 1e3).astype(np.float32)
BIG_Y = (np.random.default_rng(2).normal(size=(64, 1)) * 1e3).astype(np.float32)


def test_terminate_on_nan_stops_without_raising(capsys):
    model = _dense(optimizer=SGD(1e10))
    history = model.fit(
        BIG_X, BIG_Y, epochs=5, batch_size=8, verbose=0, callbacks=[TerminateOnNaN()]
    )
    assert TerminateOnNaN.terminate_on_nan is True
    assert len(history.epoch) < 5
    assert math.isnan(history.history["loss"][-1])
    assert all(np.isfinite(leaf).all() for leaf in _leaves(model.params))
    assert "invalid loss" in capsys.readouterr().out


def test_nan_loss_raises_without_terminate_on_nan():
    model = _dense(optimizer=SGD(1e10))
    with pytest.raises(FloatingPointError):
        model.fit(BIG_X, BIG_Y, epochs=5, batch_size=8, verbose=0)


def test_terminate_on_nan_with_other_callbacks_no_spurious_warning():
    model = _dense(optimizer=SGD(1e10))
    stop = EarlyStopping(monitor="val_loss", restore_best_weights=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(
            BIG_X,
            BIG_Y,
            epochs=5,
            batch_size=8,
            verbose=0,
            validation_split=0.25,
            callbacks=[TerminateOnNaN(), stop],
        )
    assert all(np.isfinite(leaf).all() for leaf in _leaves(model.params))


def test_terminate_on_nan_driven_directly():
    model = _fake_model()
    cb = TerminateOnNaN()
    cb.set_model(model)
    cb.on_epoch_end(0, {"loss": 1.0})
    assert not model.stop_training
    cb.on_epoch_end(1, {"loss": float("inf")})
    assert model.stop_training


# --- ReduceLROnPlateau --------------------------------------------------------------------


def _lr_trace(cb, values, lr=1.0, monitor="val_loss"):
    """Learning rate after each scripted epoch, and the rates written into the logs."""
    model = _fake_model(lr=lr)
    cb.set_model(model)
    cb.on_train_begin()
    after, logged = [], []
    for epoch, value in enumerate(values):
        logs = {"loss": 0.0, monitor: value}
        cb.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
        after.append(model.optimizer.learning_rate)
    return after, logged


def test_reduce_lr_after_patience():
    after, logged = _lr_trace(ReduceLROnPlateau(factor=0.5, patience=2), [1.0] * 7)
    assert after == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    assert logged == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]  # the rate used during the epoch


def test_reduce_lr_improvements_reset_the_wait():
    values = [1.0, 1.0, 0.5, 0.5, 0.2, 0.2, 0.2]
    after, _ = _lr_trace(ReduceLROnPlateau(factor=0.5, patience=2), values)
    assert after == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]


def test_reduce_lr_min_delta_and_mode():
    values = [1.0, 0.99995, 0.9999, 0.9998]  # better by less than min_delta=1e-4... twice
    after, _ = _lr_trace(ReduceLROnPlateau(factor=0.5, patience=2), values)
    assert after == [1.0, 1.0, 0.5, 0.5]
    values = [0.1, 0.2, 0.3, 0.3, 0.3]
    after, _ = _lr_trace(
        ReduceLROnPlateau("val_acc", factor=0.5, patience=1), values, monitor="val_acc"
    )
    assert after == [1.0, 1.0, 1.0, 0.5, 0.25]
    after, _ = _lr_trace(
        ReduceLROnPlateau("val_acc", factor=0.5, patience=1, mode="min"), values, monitor="val_acc"
    )
    assert after == [1.0, 0.5, 0.25, 0.125, 0.0625]


def test_reduce_lr_cooldown():
    after, _ = _lr_trace(ReduceLROnPlateau(factor=0.5, patience=2, cooldown=2), [1.0] * 8)
    assert after == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]


def test_reduce_lr_respects_min_lr():
    after, _ = _lr_trace(ReduceLROnPlateau(factor=0.5, patience=1, min_lr=0.3), [1.0] * 5)
    assert after == [1.0, 0.5, 0.3, 0.3, 0.3]


@pytest.mark.parametrize("factor", [1.0, 1.5, 0.0, -0.5, "0.5"])
def test_reduce_lr_rejects_factor(factor):
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(factor=factor)


def test_reduce_lr_missing_monitor_warns():
    cb = ReduceLROnPlateau(monitor="val_loss", patience=0)
    model = _fake_model()
    cb.set_model(model)
    cb.on_train_begin()
    logs = {"loss": 1.0}
    with pytest.warns(UserWarning, match="available keys: learning_rate, loss"):
        cb.on_epoch_end(0, logs)
    assert model.optimizer.learning_rate == 1.0 and logs["learning_rate"] == 1.0


# A Dense model trained with MAE towards far-away targets: the prediction stays below the
# target, so every full-batch gradient is the same (-mean(x) for the kernel, -1 for the bias)
# and each epoch moves the weights by exactly lr × that gradient.
CONST_X = np.abs(np.random.default_rng(3).normal(size=(8, 3))).astype(np.float32) + 0.5
CONST_Y = np.full((8, 1), 1e4, np.float32)


def _const_grad_fit(callbacks, lr=0.01, epochs=5):
    model = _dense(optimizer=SGD(lr), loss="mae")
    steps = []
    prev = [_snapshot(model)]

    def record(epoch, logs):
        now = _snapshot(model)
        steps.append(now[model.layers[0].name]["bias"] - prev[0][model.layers[0].name]["bias"])
        prev[0] = now

    history = model.fit(
        CONST_X,
        CONST_Y,
        epochs=epochs,
        batch_size=8,
        shuffle=False,
        verbose=0,
        callbacks=[*callbacks, LambdaCallback(on_epoch_end=record)],
    )
    return model, history, np.concatenate(steps)


def test_reduce_lr_changes_the_updates_without_recompiling():
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e9)
    model, history, steps = _const_grad_fit([cb], lr=0.01, epochs=5)
    # epoch 0 sets the best; every later epoch misses it and halves the rate at its end
    lrs = [0.01, 0.01, 0.005, 0.0025, 0.00125]
    np.testing.assert_allclose(history.history["learning_rate"], lrs, rtol=1e-6)
    np.testing.assert_allclose(steps, lrs, rtol=1e-4)  # bias gradient is -1: step = lr
    np.testing.assert_allclose(steps[2:] / steps[1:-1], 0.5, rtol=1e-4)
    assert model.optimizer.learning_rate == pytest.approx(0.000625)
    assert float(get_learning_rate(model.optimizer.state)) == pytest.approx(0.000625)
    assert model.trainer.train_epoch._cache_size() == 1


def test_reduce_lr_history_has_learning_rate_with_validation():
    model = _dense(optimizer=SGD(0.05))
    cb = ReduceLROnPlateau(factor=0.5, patience=1, min_delta=1e9)
    history = model.fit(
        X, Y, epochs=3, batch_size=8, verbose=0, validation_data=(X_VAL, Y_VAL), callbacks=[cb]
    )
    assert set(history.history) == {"loss", "val_loss", "learning_rate"}
    np.testing.assert_allclose(history.history["learning_rate"], [0.05, 0.05, 0.025], rtol=1e-6)


def test_lr_callbacks_refuse_plain_optax():
    model = _dense(optimizer=optax.sgd(0.1))
    before = _snapshot(model)
    for cb in (ReduceLROnPlateau(monitor="loss"), LearningRateScheduler(lambda e, lr: lr)):
        with pytest.raises(ValueError, match=r"rnnlab optimizer.*inject_hyperparams"):
            model.fit(X, Y, epochs=2, verbose=0, callbacks=[cb])
    for got, want in zip(_leaves(model.params), _leaves(before), strict=True):
        np.testing.assert_array_equal(got, want)  # refused before the first epoch


def test_lr_callbacks_work_with_injected_optax():
    model = _dense(optimizer=optax.inject_hyperparams(optax.sgd)(learning_rate=0.1))
    cb = LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    history = model.fit(X, Y, epochs=3, batch_size=8, verbose=0, callbacks=[cb])
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.05, 0.1 / 3], rtol=1e-6)
    assert float(get_learning_rate(model.optimizer.state)) == pytest.approx(0.1 / 3)


def test_lr_callbacks_refuse_an_optax_schedule():
    schedule = optax.exponential_decay(0.1, 10, 0.5)
    model = _dense(optimizer=optax.inject_hyperparams(optax.sgd)(learning_rate=schedule))
    with pytest.raises(ValueError, match="schedule"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[ReduceLROnPlateau()])


# --- LearningRateScheduler ----------------------------------------------------------------


def test_scheduler_sets_the_rate_every_epoch():
    model = _dense(optimizer=SGD(0.5))
    seen = []
    cb = LearningRateScheduler(lambda epoch, lr: 0.01 * 0.5**epoch)
    check = LambdaCallback(
        on_epoch_begin=lambda epoch, logs: seen.append(model.optimizer.learning_rate)
    )
    history = model.fit(X, Y, epochs=4, batch_size=8, verbose=0, callbacks=[cb, check])
    lrs = [0.01, 0.005, 0.0025, 0.00125]
    np.testing.assert_allclose(seen, lrs, rtol=1e-6)
    np.testing.assert_allclose(history.history["learning_rate"], lrs, rtol=1e-6)
    assert model.trainer.train_epoch._cache_size() == 1


def test_scheduler_rate_drives_the_updates():
    cb = LearningRateScheduler(lambda epoch, lr: [0.01, 0.02, 0.004][epoch])
    _, _, steps = _const_grad_fit([cb], lr=0.5, epochs=3)
    np.testing.assert_allclose(steps, [0.01, 0.02, 0.004], rtol=1e-4)


def test_scheduler_gets_the_current_rate_and_accepts_one_argument():
    calls = []

    def halve(epoch, lr):
        calls.append((epoch, lr))
        return lr / 2

    model = _fake_model(lr=1.0)
    cb = LearningRateScheduler(halve)
    cb.set_model(model)
    for epoch in range(3):
        cb.on_epoch_begin(epoch)
    assert calls == [(0, 1.0), (1, 0.5), (2, 0.25)]
    assert model.optimizer.learning_rate == 0.125

    cb = LearningRateScheduler(lambda epoch: 0.1 * (epoch + 1))
    cb.set_model(model)
    cb.on_epoch_begin(2)
    assert model.optimizer.learning_rate == pytest.approx(0.3)
    cb = LearningRateScheduler(lambda epoch, lr: np.float32(0.25))
    cb.set_model(model)
    cb.on_epoch_begin(0)
    assert model.optimizer.learning_rate == 0.25


@pytest.mark.parametrize("bad", ["0.1", None, [0.1], True, -0.1, 0.0, float("nan")])
def test_scheduler_rejects_a_non_number(bad):
    model = _fake_model(lr=1.0)
    cb = LearningRateScheduler(lambda epoch, lr: bad)
    cb.set_model(model)
    with pytest.raises(ValueError, match=r"schedule\(epoch=0, lr=1\) must return a positive"):
        cb.on_epoch_begin(0)
    assert model.optimizer.learning_rate == 1.0


def test_scheduler_requires_a_callable():
    with pytest.raises(TypeError, match="schedule must be a function"):
        LearningRateScheduler(0.1)


# --- CSVLogger ----------------------------------------------------------------------------


def _read_csv(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_csv_logger_writes_header_and_rows(tmp_path):
    path = tmp_path / "log.csv"
    model = _dense(metrics=["mae"])
    history = model.fit(
        X,
        Y,
        epochs=3,
        batch_size=8,
        verbose=0,
        validation_data=(X_VAL, Y_VAL),
        callbacks=[CSVLogger(path)],
    )
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert len(rows) == 4
    for epoch, row in enumerate(rows[1:]):
        assert row[0] == str(epoch)
        for key, value in zip(rows[0][1:], row[1:], strict=True):
            assert float(value) == history.history[key][epoch]  # exact: repr round-trips


def test_csv_logger_flushes_each_row(tmp_path):
    path = tmp_path / "log.csv"
    seen = []
    peek = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(len(_read_csv(path))))
    model = _dense()
    model.fit(X, Y, epochs=3, batch_size=8, verbose=0, callbacks=[CSVLogger(path), peek])
    assert seen == [2, 3, 4]


def test_csv_logger_append_and_overwrite(tmp_path):
    path = tmp_path / "log.csv"
    model = _dense()
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[CSVLogger(path)])
    h2 = model.fit(X, Y, epochs=3, verbose=0, callbacks=[CSVLogger(path, append=True)])
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "0", "1", "2"]
    assert [float(r[1]) for r in rows[3:]] == h2.history["loss"]
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[CSVLogger(path)])
    assert len(_read_csv(path)) == 2


def test_csv_logger_append_to_a_new_file_writes_the_header(tmp_path):
    path = tmp_path / "new.csv"
    _dense().fit(X, Y, epochs=1, verbose=0, callbacks=[CSVLogger(path, append=True)])
    assert _read_csv(path)[0] == ["epoch", "loss"]


def test_csv_logger_append_follows_the_existing_columns(tmp_path):
    path = tmp_path / "log.csv"
    model = _dense()
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[CSVLogger(path)])
    with pytest.warns(UserWarning, match="no column for"):
        model.fit(
            X,
            Y,
            epochs=1,
            verbose=0,
            validation_data=(X_VAL, Y_VAL),
            callbacks=[CSVLogger(path, append=True)],
        )
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "loss"] and all(len(r) == 2 for r in rows)


def test_csv_logger_separator_and_lr_column(tmp_path):
    path = tmp_path / "log.tsv"
    model = _dense(optimizer=SGD(0.05))
    cbs = [ReduceLROnPlateau(monitor="loss", patience=1, min_delta=1e9), CSVLogger(path, "\t")]
    history = model.fit(X, Y, epochs=2, verbose=0, callbacks=cbs)
    rows = _read_csv(path, "\t")
    assert rows[0] == ["epoch", "learning_rate", "loss"]
    assert [float(r[1]) for r in rows[1:]] == history.history["learning_rate"]


def test_csv_logger_missing_key_is_na(tmp_path):
    path = tmp_path / "log.csv"
    cb = CSVLogger(path)
    cb.set_model(_fake_model())
    cb.on_train_begin()
    cb.on_epoch_end(0, {"loss": 1.5, "val_loss": 2.0})
    cb.on_epoch_end(1, {"loss": float("nan")})
    cb.on_train_end()
    assert _read_csv(path) == [
        ["epoch", "loss", "val_loss"],
        ["0", "1.5", "2.0"],
        ["1", "nan", "NA"],
    ]


# --- LambdaCallback, hook counts, CallbackList --------------------------------------------


class Counter(Callback):
    def __init__(self):
        super().__init__()
        self.calls = {}

    def _count(self, name):
        self.calls[name] = self.calls.get(name, 0) + 1

    def on_train_begin(self, logs=None):
        self._count("train_begin")

    def on_train_end(self, logs=None):
        self._count("train_end")

    def on_epoch_begin(self, epoch, logs=None):
        self._count("epoch_begin")

    def on_epoch_end(self, epoch, logs=None):
        self._count("epoch_end")

    def on_train_batch_end(self, batch, logs=None):  # Keras's per-batch hook: never called
        self._count("batch_end")

    def on_batch_end(self, batch, logs=None):
        self._count("batch_end")


def test_hooks_run_once_per_epoch_not_per_batch():
    counter = Counter()
    x = np.random.default_rng(4).normal(size=(48, 4, 1)).astype(np.float32)
    y = x[:, -1]
    model = Sequential([SimpleRNN(2, input_shape=(None, 1)), Dense(1)], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[counter])  # 12 batches/epoch
    assert counter.calls == {"train_begin": 1, "epoch_begin": 3, "epoch_end": 3, "train_end": 1}


def test_lambda_callback_calls_the_functions():
    events = []
    cb = LambdaCallback(
        on_train_begin=lambda logs: events.append(("train_begin", logs)),
        on_epoch_begin=lambda epoch, logs: events.append(("epoch_begin", epoch)),
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: events.append(("train_end", logs)),
    )
    _dense().fit(X, Y, epochs=2, verbose=0, callbacks=[cb])
    assert events == [
        ("train_begin", None),
        ("epoch_begin", 0),
        ("epoch_end", 0, ["loss"]),
        ("epoch_begin", 1),
        ("epoch_end", 1, ["loss"]),
        ("train_end", None),
    ]


def test_lambda_callback_refuses_batch_hooks_and_unknown_arguments():
    with pytest.raises(ValueError, match="per-batch hooks are not supported"):
        LambdaCallback(on_batch_end=lambda batch, logs: None)
    with pytest.raises(TypeError, match="unexpected"):
        LambdaCallback(on_epoch_ending=print)
    with pytest.raises(TypeError, match="must be callable"):
        LambdaCallback(on_epoch_end=3)


def test_callback_list_runs_history_last():
    history, lr = History(), ReduceLROnPlateau()
    cbs = CallbackList([history, lr])
    assert cbs.callbacks == [lr, history]
    with pytest.raises(TypeError, match="Callback instances"):
        CallbackList([object()])
