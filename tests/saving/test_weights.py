"""Keras 3 ``.weights.h5`` files: rnnlab <-> rnnlab, Keras -> rnnlab, rnnlab -> Keras.

The Keras side uses the real Keras 3.15.1 fixtures in ``tests/fixtures/keras``; that Keras
reads rnnlab's ``.weights.h5`` is checked in ``test_keras_interop.py`` (one Keras process).
"""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys

import h5py
import numpy as np
import pytest

import rnnlab as keras
from rnnlab import layers as L
from rnnlab import optimizers as O
from rnnlab.saving import atomic
from rnnlab.saving.errors import UnsafeFileError

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "keras"
U = 5
CHAPTER = ["basic_rnn", "stacked_rnn", "multistep_rnn", "lstm", "gru", "conv1d_gru"]


def build(name: str) -> keras.Sequential:
    """rnnlab's twin of each fixture model (``make_fixtures.py``)."""
    if name == "basic_rnn":
        return keras.Sequential([L.SimpleRNN(1, input_shape=[None, 1])])
    if name == "stacked_rnn":
        return keras.Sequential(
            [
                L.SimpleRNN(U, return_sequences=True, input_shape=[None, 1]),
                L.SimpleRNN(U, return_sequences=True),
                L.SimpleRNN(1),
            ]
        )
    if name == "multistep_rnn":
        return keras.Sequential(
            [
                L.SimpleRNN(U, return_sequences=True, input_shape=[None, 1]),
                L.SimpleRNN(U),
                L.Dense(10),
            ]
        )
    if name in ("lstm", "gru"):
        cls = L.LSTM if name == "lstm" else L.GRU
        return keras.Sequential(
            [
                cls(U, return_sequences=True, input_shape=[None, 1]),
                cls(U, return_sequences=True),
                L.TimeDistributed(L.Dense(10)),
            ]
        )
    if name == "conv1d_gru":
        return keras.Sequential(
            [
                L.Conv1D(
                    filters=U, kernel_size=4, strides=2, padding="valid", input_shape=[None, 1]
                ),
                L.GRU(U, return_sequences=True),
                L.GRU(U, return_sequences=True),
                L.TimeDistributed(L.Dense(10)),
            ]
        )
    if name == "toolbox":
        return keras.Sequential(
            [
                L.Masking(mask_value=0.0, input_shape=(12, 3)),
                L.Bidirectional(L.LSTM(4, return_sequences=True)),
                L.LayerNormalization(),
                L.BatchNormalization(),
                L.Dropout(0.1),
                L.GRU(4, reset_after=False, return_sequences=True),
                L.TimeDistributed(L.Dense(2)),
                L.Flatten(),
                L.Dense(6),
                L.Reshape((3, 2)),
                L.Activation("tanh"),
            ]
        )
    if name == "repeat":
        return keras.Sequential(
            [
                keras.Input(shape=(12, 1)),
                L.LSTM(8),
                L.RepeatVector(3),
                L.GRU(8, return_sequences=True),
                L.TimeDistributed(L.Dense(1)),
            ]
        )
    raise KeyError(name)


def datasets(path) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as f:
        f.visititems(
            lambda k, v: out.__setitem__(k, v[()]) if isinstance(v, h5py.Dataset) else None
        )
    return out


# -- Keras -> rnnlab ----------------------------------------------------------------------


@pytest.mark.parametrize("name", CHAPTER)
def test_keras_weights_file_predicts_as_keras(name):
    model = build(name)
    model.compile(optimizer=O.Adam(1e-3), loss="mse")
    model.load_weights(FIXTURES / f"{name}.weights.h5")
    x, y = np.load(FIXTURES / f"{name}_x.npy"), np.load(FIXTURES / f"{name}_y.npy")
    np.testing.assert_allclose(model.predict(x), y, atol=1e-5, rtol=0)
    assert int(model.optimizer.iterations) == 2  # the optimizer state came along
    assert model.optimizer.learning_rate == pytest.approx(1e-3)


@pytest.mark.parametrize("name", ["toolbox", "repeat"])
def test_keras_file_weights_predict_as_keras(name):
    # load_weights on a .keras zip reads its model.weights.h5 (BatchNormalization's moving
    # statistics, Bidirectional, TimeDistributed, GRU reset_after=False, ...).
    model = build(name)
    model.load_weights(FIXTURES / f"{name}.keras")
    x, y = np.load(FIXTURES / f"{name}_x.npy"), np.load(FIXTURES / f"{name}_y.npy")
    # Rows with masked steps are left to the next test: rnnlab's recurrent layers output
    # zeros at masked steps where Keras 3 (zero_output_for_mask=False) repeats the last
    # output -- a layer difference, not a weights one (every unmasked step matches).
    rows = ~(x == 0).all(-1).any(-1)
    np.testing.assert_allclose(model.predict(x)[rows], y[rows], atol=1e-5, rtol=0)


def test_toolbox_masked_rows_predict_as_keras():
    # Keras 3 repeats the previous output at masked steps (zero_output_for_mask=False).
    model = build("toolbox")
    model.load_weights(FIXTURES / "toolbox.keras")
    x, y = np.load(FIXTURES / "toolbox_x.npy"), np.load(FIXTURES / "toolbox_y.npy")
    np.testing.assert_allclose(model.predict(x), y, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", ["basic_rnn", "multistep_rnn", "lstm"])
def test_continue_training_from_keras_state(name):
    """One more epoch from Keras's state reaches Keras's ``_next.npz``: SimpleRNN models
    within 1e-5; LSTM/GRU within 2e-3, one Adam step (the gap is Adam's epsilon placement:
    Keras's effective epsilon is eps/sqrt(1-beta_2^t), 1.8e-6 at t=3, Optax's 1e-7, so
    weights with gradients near 1e-6 step differently; measured 1.2e-3 for lstm/gru)."""
    model = build(name)
    model.compile(optimizer=O.Adam(1e-3), loss="mse")
    model.load_weights(FIXTURES / f"{name}.weights.h5")
    train = np.load(FIXTURES / f"{name}_train.npz")
    model.fit(train["x"], train["y"], epochs=1, batch_size=16, shuffle=False, verbose=0)
    path = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / f"rnnlab-next-{os.getpid()}.weights.h5"
    model.save_weights(path)
    got, want = datasets(path), dict(np.load(FIXTURES / f"{name}_next.npz"))
    path.unlink()
    assert sorted(k for k in got if not k.startswith("rnnlab_")) == sorted(want)
    assert got["optimizer/vars/0"] == 4
    tol = 1e-5 if "rnn" in name else 2e-3
    for key in want:
        np.testing.assert_allclose(got[key], want[key], atol=tol, rtol=0, err_msg=key)


# -- rnnlab -> rnnlab ---------------------------------------------------------------------


def _fit(model, seed=0, epochs=1):
    rng = np.random.default_rng(seed)
    shape = model.input_shape[1:]
    x = rng.normal(size=(32, *[12 if d is None else d for d in shape])).astype(np.float32)
    y = rng.normal(size=model.predict(x).shape).astype(np.float32)
    model.fit(x, y, epochs=epochs, batch_size=16, shuffle=False, verbose=0)
    return x, y


def _bitwise(a, b):
    import jax

    la, ta = jax.tree.flatten(a)
    lb, tb = jax.tree.flatten(b)
    assert ta == tb
    for u, v in zip(la, lb, strict=True):
        assert np.asarray(u).tobytes() == np.asarray(v).tobytes()


@pytest.mark.parametrize("name", ["toolbox", "conv1d_gru", "multistep_rnn", "repeat"])
def test_round_trip_every_layer(name, tmp_path):
    model = build(name)
    model.compile(optimizer=O.RMSprop(1e-3), loss="mse")
    x, _ = _fit(model)
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    fresh = build(name)
    fresh.load_weights(path)
    for a, b in zip(model.get_weights(), fresh.get_weights(), strict=True):
        assert a.tobytes() == b.tobytes()
    assert model.predict(x).tobytes() == fresh.predict(x).tobytes()


def test_save_weights_requires_the_keras_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"^The filename must end in `\.weights\.h5`\. Received"):
        build("basic_rnn").save_weights(tmp_path / "w.h5")


def test_overwrite_false_refuses(tmp_path):
    path = tmp_path / "w.weights.h5"
    path.write_bytes(b"old")
    with pytest.raises(FileExistsError):
        build("basic_rnn").save_weights(path, overwrite=False)
    assert path.read_bytes() == b"old"


def test_layout_matches_keras_names(tmp_path):
    # Same dataset paths and shapes as Keras's own file for the same architecture.
    model = build("toolbox")
    model.compile(optimizer=O.RMSprop(1e-3), loss="mse")
    _fit(model)
    model.save_weights(tmp_path / "t.weights.h5")
    import io
    import zipfile

    with zipfile.ZipFile(FIXTURES / "toolbox.keras") as z:
        theirs = datasets(io.BytesIO(z.read("model.weights.h5")))
    ours = datasets(tmp_path / "t.weights.h5")
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}
    with h5py.File(tmp_path / "t.weights.h5") as f:
        assert f["layers/dense/vars"].attrs["name"] == model.layers[8].name
        assert f["layers/gru/cell/vars"].attrs["name"] == "gru_cell"
        assert f["optimizer/vars"].attrs["name"] == "rm_sprop"
        assert f["optimizer/vars/0"].dtype == np.int32


# -- errors ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lstm_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("w") / "w.weights.h5"
    keras.Sequential([L.LSTM(10, input_shape=(None, 1)), L.Dense(1)]).save_weights(path)
    return path


def test_architecture_mismatch_names_layer_and_shapes(lstm_file):
    model = keras.Sequential([L.LSTM(20, input_shape=(None, 1), name="lstm"), L.Dense(1)])
    with pytest.raises(ValueError) as err:
        model.load_weights(lstm_file)
    assert str(err.value) == (
        f"load_weights: layer 'lstm' (LSTM) weight 0 (kernel) has shape (1, 80) in the model "
        f"but (1, 40) in {str(lstm_file)!r}"
    )


def test_more_and_fewer_layers_are_named(lstm_file):
    more = keras.Sequential([L.LSTM(10, input_shape=(None, 1)), L.Dense(1), L.Dense(1)])
    with pytest.raises(
        ValueError,
        match=r"layer 'dense_\d+' \(Dense\) has 2 weights in the model "
        r"but none in .* \(no 'layers/dense_1/vars'\); the file has weights for "
        r"2 layers \(dense, lstm\), the model for 3",
    ):
        more.load_weights(lstm_file)
    fewer = keras.Sequential([L.LSTM(10, input_shape=(None, 1))])
    with pytest.raises(
        ValueError,
        match=r"has weights that model .* has no layer for .*: "
        r"layers/dense/vars",
    ):
        fewer.load_weights(lstm_file)


def test_failed_load_leaves_weights_unchanged(lstm_file):
    # The first layer fits the file, the second does not: nothing may change.
    model = keras.Sequential([L.LSTM(10, input_shape=(None, 1)), L.Dense(3)])
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"layer 'dense.*' \(Dense\) weight 0 \(kernel\)"):
        model.load_weights(lstm_file)
    for a, b in zip(before, model.get_weights(), strict=True):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize(
    "content, problem",
    [(b"", "empty file"), (b"not hdf5 at all", "not an HDF5 file"), (None, "truncated")],
)
def test_bad_files_raise_unsafe_file_error(lstm_file, tmp_path, content, problem):
    path = tmp_path / "bad.weights.h5"
    path.write_bytes(lstm_file.read_bytes()[:3000] if content is None else content)
    model = keras.Sequential([L.LSTM(10, input_shape=(None, 1)), L.Dense(1)])
    with pytest.raises(UnsafeFileError, match=problem) as err:
        model.load_weights(path)
    assert str(path) in str(err.value)


def test_injected_failure_mid_save_keeps_old_file(lstm_file, tmp_path, monkeypatch):
    path = tmp_path / "w.weights.h5"
    path.write_bytes(lstm_file.read_bytes())
    old = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full (injected)")

    monkeypatch.setattr(atomic.os, "replace", boom)
    model = keras.Sequential([L.LSTM(3, input_shape=(None, 1))])
    with pytest.raises(OSError, match="injected"):
        model.save_weights(path)
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["w.weights.h5"]


_KILL_SCRIPT = """
import os, sys, time
import rnnlab as keras
from rnnlab import layers as L
from rnnlab.saving import atomic
real_fsync = atomic.os.fsync
def slow_fsync(fd):  # the new bytes are in the temporary file, not yet renamed
    print("writing", flush=True)
    time.sleep(60)
atomic.os.fsync = slow_fsync
model = keras.Sequential([L.LSTM(256, input_shape=(None, 64)), L.Dense(512)])  # ~2 MB
model.save_weights(sys.argv[1])
"""


def test_sigkill_mid_save_keeps_old_file(lstm_file, tmp_path):
    path = tmp_path / "w.weights.h5"
    path.write_bytes(lstm_file.read_bytes())
    old = path.read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "writing"
        temps = [p for p in tmp_path.iterdir() if atomic.is_temp_name(p.name)]
        assert temps and temps[0].stat().st_size > 1_000_000  # killed mid-write indeed
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert path.read_bytes() == old
    model = keras.Sequential([L.LSTM(10, input_shape=(None, 1)), L.Dense(1)])
    model.load_weights(path)  # still a good file
