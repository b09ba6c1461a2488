"""BackupAndRestore: a run killed with SIGKILL and started again ends as if never stopped."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rnnlab.callbacks import BackupAndRestore, EarlyStopping, ReduceLROnPlateau
from rnnlab.callbacks.backup_file import BackupError, read_backup, write_backup
from rnnlab.layers import GRU, Dense, Dropout
from rnnlab.models import Sequential
from rnnlab.utils import clear_session

# The training script a user would run (and run again after a crash). With KILL_AT set
# and no marker file yet, it kills itself with SIGKILL as that epoch begins.
SCRIPT = textwrap.dedent(
    """
    import json, os, signal, sys
    from pathlib import Path
    import numpy as np
    import rnnlab as keras

    out, backup, kill_at = Path(sys.argv[1]), sys.argv[2], int(os.environ.get("KILL_AT", -1))
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 6, 1)).astype("float32")
    y = (x[:, -1] * 0.5 + 0.1).astype("float32")
    model = keras.models.Sequential([
        keras.layers.GRU(6, return_sequences=True, dropout=0.2, input_shape=(None, 1)),
        keras.layers.Dropout(0.25),
        keras.layers.LSTM(4),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")

    def maybe_die(epoch, logs):
        marker = out / "killed"
        if epoch == kill_at and not marker.exists():
            marker.write_text("once")
            os.kill(os.getpid(), signal.SIGKILL)

    history = model.fit(
        x, y, batch_size=8, epochs=8, verbose=0, validation_split=0.25,
        callbacks=[
            keras.callbacks.LambdaCallback(on_epoch_begin=maybe_die),
            keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1,
                                              min_delta=1e9),
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=50,
                                          restore_best_weights=True),
            keras.callbacks.BackupAndRestore(backup),
        ],
    )
    np.savez(out / "weights.npz", *model.get_weights())
    (out / "history.json").write_text(json.dumps({"history": history.history,
                                                  "epoch": history.epoch}))
    """
)


def _run(folder: Path, backup: Path, kill_at: int | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    if kill_at is not None:
        env["KILL_AT"] = str(kill_at)
    script = folder / "train.py"
    script.write_text(SCRIPT)
    return subprocess.run(
        [sys.executable, str(script), str(folder), str(backup)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _results(folder: Path):
    weights = np.load(folder / "weights.npz")
    return [weights[k] for k in sorted(weights, key=lambda k: int(k.split("_")[1]))], json.loads(
        (folder / "history.json").read_text()
    )


def test_a_killed_run_started_again_ends_bit_identical(tmp_path):
    whole, crashed = tmp_path / "whole", tmp_path / "crashed"
    whole.mkdir()
    crashed.mkdir()
    done = _run(whole, whole / "backup", kill_at=None)
    assert done.returncode == 0, done.stderr
    killed = _run(crashed, crashed / "backup", kill_at=4)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not (crashed / "weights.npz").exists()
    backups = sorted(p.name for p in (crashed / "backup").iterdir())
    assert backups == ["backup-000003.npz", "backup-000004.npz"]  # the two newest kept
    again = _run(crashed, crashed / "backup", kill_at=4)
    assert again.returncode == 0, again.stderr
    (w_whole, h_whole), (w_again, h_again) = _results(whole), _results(crashed)
    assert h_again == h_whole  # every epoch's loss, val_loss and learning rate, bit for bit
    assert h_whole["history"]["learning_rate"][0] > h_whole["history"]["learning_rate"][-1]
    for a, b in zip(w_again, w_whole, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not (crashed / "backup").exists()  # deleted once training ended normally


X = np.random.default_rng(1).normal(size=(32, 5, 1)).astype(np.float32)
Y = X[:, -1] * 0.3


def _model(seed=0):
    clear_session()
    model = Sequential([GRU(4, input_shape=(None, 1)), Dropout(0.2), Dense(1)], seed=seed)
    model.compile(optimizer="adam", loss="mse")
    return model


def test_a_cut_short_backup_is_skipped_for_the_one_before(tmp_path):
    model = _model()
    cb = BackupAndRestore(tmp_path, delete_checkpoint=False)
    model.fit(X, Y, epochs=3, batch_size=8, verbose=0, callbacks=[cb])
    newest, older = cb.backups()
    assert (newest.name, older.name) == ("backup-000003.npz", "backup-000002.npz")
    newest.write_bytes(newest.read_bytes()[:-200])  # a write that never finished
    other = _model()
    restore = BackupAndRestore(tmp_path, delete_checkpoint=False)
    with pytest.warns(UserWarning, match=r"skipping .*backup-000003\.npz"):
        history = other.fit(X, Y, epochs=4, batch_size=8, verbose=0, callbacks=[restore])
    assert restore.restored_epoch == 2
    assert history.epoch == [0, 1, 2, 3]  # two restored from the backup, two trained


def test_a_backup_of_another_model_is_refused(tmp_path):
    model = _model()
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "backup.npz"
    write_backup(path, model.train_state, [])
    bigger = Sequential([GRU(5, input_shape=(None, 1)), Dense(1)], seed=0)
    bigger.compile(optimizer="adam", loss="mse")
    bigger.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    # the Dense kernel is the second leaf: (4, 1) saved, (5, 1) in the bigger model
    with pytest.raises(
        BackupError, match=r"state array 1 is float32\[4, 1\] in the backup but float32\[5, 1\]"
    ):
        read_backup(path, like=bigger.train_state)


def test_callback_states_travel_with_the_backup(tmp_path):
    model = _model()
    stop = EarlyStopping(monitor="loss", patience=5, restore_best_weights=True)
    reduce = ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5, min_delta=1e9)
    model.fit(X, Y, epochs=3, batch_size=8, verbose=0, callbacks=[stop, reduce])
    path = tmp_path / "b.npz"
    write_backup(path, model.train_state, [stop.get_state(), reduce.get_state()])
    _, (stop_state, reduce_state) = read_backup(path, like=model.train_state)
    assert stop_state["best"] == stop.best and stop_state["wait"] == stop.wait
    for layer, weights in stop.best_weights.items():
        for name, value in weights.items():
            np.testing.assert_array_equal(stop_state["best_weights"][layer][name], value)
    assert reduce_state == reduce.get_state()


def test_save_freq_must_be_epoch_or_a_positive_integer():
    with pytest.raises(ValueError, match=r"save_freq must be a positive integer, got 0"):
        BackupAndRestore("b", save_freq=0)
