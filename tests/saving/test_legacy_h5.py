"""Legacy HDF5 files: Keras 3's legacy ``.h5`` fixtures and a tf.keras-2-style file."""

from __future__ import annotations

import pathlib

import h5py
import numpy as np
import pytest

import rnnlab as keras
from rnnlab import layers as L
from rnnlab.saving.errors import UnsafeFileError
from rnnlab.saving.legacy_h5 import read_legacy_model_config, read_legacy_weights

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "keras"


def test_keras3_legacy_basic_rnn_predicts_as_keras():
    model = keras.Sequential([L.SimpleRNN(1, input_shape=[None, 1])])
    model.load_weights(FIXTURES / "basic_rnn.h5")  # dispatched by content
    x, y = np.load(FIXTURES / "basic_rnn_x.npy"), np.load(FIXTURES / "basic_rnn_y.npy")
    np.testing.assert_allclose(model.predict(x), y, atol=1e-5, rtol=0)


def test_keras3_legacy_toolbox_weights_equal_the_keras_file():
    def toolbox():
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

    a, b = toolbox(), toolbox()
    read_legacy_weights(FIXTURES / "toolbox.h5", a)
    b.load_weights(FIXTURES / "toolbox.keras")
    for u, v in zip(a.get_weights(), b.get_weights(), strict=True):
        assert u.tobytes() == v.tobytes()


def test_model_config():
    config = read_legacy_model_config(FIXTURES / "toolbox.h5")
    assert config["class_name"] == "Sequential"
    names = [layer["class_name"] for layer in config["config"]["layers"]]
    assert names[:3] == ["InputLayer", "Masking", "Bidirectional"]


def _tf2_file(path, lstm_kernel_shape=(1, 16)):
    """The tf.keras 2.x layout: ``:0`` suffixes, bytes attributes, ``lstm_cell`` sub-paths,
    a weightless layer, ``layer_names`` split in two (``layer_names0``/``layer_names1``)."""
    rng = np.random.default_rng(0)
    weights = {
        "lstm": [
            ("lstm/lstm_cell/kernel:0", lstm_kernel_shape),
            ("lstm/lstm_cell/recurrent_kernel:0", (4, 16)),
            ("lstm/lstm_cell/bias:0", (16,)),
        ],
        "dropout": [],
        "dense": [("dense/kernel:0", (4, 1)), ("dense/bias:0", (1,))],
    }
    values = []
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.15.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = b'{"class_name": "Sequential", "config": {"layers": []}}'
        g = f.create_group("model_weights")
        g.attrs["layer_names0"] = [b"lstm", b"dropout"]
        g.attrs["layer_names1"] = [b"dense"]
        for layer, ws in weights.items():
            lg = g.create_group(layer)
            for wname, shape in ws:
                value = rng.normal(size=shape).astype(np.float32)
                lg[wname] = value
                values.append(value)
            lg.attrs["weight_names"] = [w.encode() for w, _ in ws]
    return values


def _tf2_model():
    return keras.Sequential(
        [L.LSTM(4, input_shape=(None, 1), name="lstm"), L.Dropout(0.1), L.Dense(1, name="dense")]
    )


def test_tf_keras_2_file(tmp_path):
    values = _tf2_file(tmp_path / "w.h5")
    model = _tf2_model()
    model.load_weights(tmp_path / "w.h5")
    for u, v in zip(model.get_weights(), values, strict=True):
        assert u.tobytes() == v.tobytes()


def test_tf_keras_2_weights_only_file_at_root(tmp_path):
    model = _tf2_model()
    with h5py.File(tmp_path / "w.h5", "w") as f:
        f.attrs["layer_names"] = [b"dense_7"]
        f["dense_7/dense_7/kernel:0"] = np.ones((4, 1), np.float32)
        f["dense_7/dense_7/bias:0"] = np.ones((1,), np.float32)
        f["dense_7"].attrs["weight_names"] = [b"dense_7/kernel:0", b"dense_7/bias:0"]
    with pytest.raises(
        ValueError,
        match=r"layer count mismatch: .* has 2 layers with weights "
        r"\(lstm \(LSTM\), dense \(Dense\)\) but .* has 1 \(dense_7\)",
    ):
        model.load_weights(tmp_path / "w.h5")
    dense = keras.Sequential([L.Dense(1, input_shape=(4,))])
    dense.load_weights(tmp_path / "w.h5")
    assert dense.get_weights()[0].tolist() == [[1.0]] * 4


def test_shape_mismatch_changes_nothing(tmp_path):
    _tf2_file(tmp_path / "w.h5", lstm_kernel_shape=(2, 16))
    model = _tf2_model()
    before = model.get_weights()
    with pytest.raises(ValueError) as err:
        model.load_weights(tmp_path / "w.h5")
    assert str(err.value) == (
        f"load_weights: layer 'lstm' (LSTM) weight 0 (kernel) has shape (1, 16) in the model "
        f"but (2, 16) in {str(tmp_path / 'w.h5')!r} ('lstm/lstm_cell/kernel:0')"
    )
    for u, v in zip(before, model.get_weights(), strict=True):
        assert u.tobytes() == v.tobytes()


def test_external_link_refused(tmp_path):
    _tf2_file(tmp_path / "other.h5")
    with h5py.File(tmp_path / "w.h5", "w") as f:
        f.attrs["layer_names"] = [b"dense"]
        f["dense"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/model_weights/dense")
    with pytest.raises(UnsafeFileError, match="external link"):
        _tf2_model().load_weights(tmp_path / "w.h5")
    with pytest.raises(UnsafeFileError, match="no model_config"):
        read_legacy_model_config(FIXTURES / "basic_rnn.weights.h5")
