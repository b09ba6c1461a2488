"""ModelCheckpoint: file names from epoch and logs, best-only saving, weights only, save_freq."""

import numpy as np
import pytest

from rnnlab.callbacks import LambdaCallback, ModelCheckpoint
from rnnlab.layers import Dense, SimpleRNN
from rnnlab.models import Sequential, load_model

X = np.random.default_rng(0).normal(size=(32, 4, 1)).astype(np.float32)
Y = X[:, -1] * 0.5


def _model():
    model = Sequential([SimpleRNN(3, input_shape=(None, 1)), Dense(1)], seed=0)
    model.compile(optimizer="adam", loss="mse")
    return model


def test_file_names_hold_the_epoch_and_logs_and_each_file_is_that_epochs_model(tmp_path):
    model = _model()
    seen = {}
    record = LambdaCallback(on_epoch_end=lambda e, logs: seen.update({e: model.get_weights()}))
    cb = ModelCheckpoint(tmp_path / "m-{epoch:02d}-{loss:.3f}.keras", save_best_only=False)
    history = model.fit(X, Y, epochs=3, batch_size=8, verbose=0, callbacks=[record, cb])
    names = sorted(p.name for p in tmp_path.iterdir())
    expected = [f"m-{e + 1:02d}-{loss:.3f}.keras" for e, loss in enumerate(history.history["loss"])]
    assert names == expected
    second = load_model(tmp_path / expected[1])
    for got, want in zip(second.get_weights(), seen[1], strict=True):
        np.testing.assert_array_equal(got, want)


def test_save_best_only_keeps_the_best_epoch(tmp_path):
    model = _model()
    values = iter([0.5, 0.3, 0.4, 0.2, 0.6])  # scripted monitor: best at epochs 1, 2 and 4

    def score(epoch, logs):
        logs["score"] = next(values)

    saved = []
    cb = ModelCheckpoint(
        tmp_path / "best.weights.h5", monitor="score", save_best_only=True, save_weights_only=True
    )
    note = LambdaCallback(
        on_epoch_end=lambda e, logs: saved.append((tmp_path / "best.weights.h5").stat().st_mtime_ns)
    )
    model.fit(
        X,
        Y,
        epochs=5,
        batch_size=8,
        verbose=0,
        callbacks=[LambdaCallback(on_epoch_end=score), cb, note],
    )
    assert cb.best == 0.2
    changes = [i for i in range(1, 5) if saved[i] != saved[i - 1]]
    assert changes == [1, 3]  # rewritten at epochs 2 and 4 (0-based 1 and 3) only


def test_save_freq_in_batches_saves_at_the_end_of_the_epoch_that_reaches_it(tmp_path):
    model = _model()
    cb = ModelCheckpoint(tmp_path / "e{epoch}.keras", save_freq=6)  # 4 batches an epoch
    model.fit(X, Y, epochs=5, batch_size=8, verbose=0, callbacks=[cb])
    # batches seen: 4, 8, 12, 16, 20 -> multiples of 6 passed in epochs 2, 3 and 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e2.keras", "e3.keras", "e5.keras"]


def test_the_suffix_must_match_what_is_saved():
    with pytest.raises(
        ValueError,
        match=r"with save_weights_only=True the filepath must end in '\.weights\.h5', got 'w\.h5'",
    ):
        ModelCheckpoint("w.h5", save_weights_only=True)
    with pytest.raises(
        ValueError, match=r"save_weights_only=False the filepath must end in '\.keras'"
    ):
        ModelCheckpoint("m.h5")


def test_a_file_name_key_missing_from_the_logs_is_named(tmp_path):
    model = _model()
    cb = ModelCheckpoint(tmp_path / "m-{val_loss:.2f}.keras")
    with pytest.raises(
        KeyError, match=r"names 'val_loss', which is not in the epoch logs \(available: loss\)"
    ):
        model.fit(X, Y, epochs=1, batch_size=8, verbose=0, callbacks=[cb])
