"""Subclassed models (issue 14, item 8): ``class M(keras.Model)`` with layers as attributes
and ``call``, built on first call or fit, against real Keras 3.15.1's files
(``tests/fixtures/keras/functional/sub_dense*``) and the equivalent Sequential."""

import io
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import rnnlab as keras

FIXTURES = Path(__file__).parents[1] / "fixtures" / "keras" / "functional"


class SubDense(keras.Model):
    """The fixture's model, as its generator wrote it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(4, activation="relu")
        self.out = keras.layers.Dense(1)

    def call(self, inputs, training=None):
        return self.out(self.hidden(inputs))


class Recurrent(keras.Model):
    """An LSTM, dropout that depends on ``training``, and a head."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.lstm = keras.layers.LSTM(units)
        self.drop = keras.layers.Dropout(0.5)
        self.head = keras.layers.Dense(1)

    def call(self, inputs, training=None):
        return self.head(self.drop(self.lstm(inputs), training=training))


def _keras_trained_weights():
    """SubDense's weights after Keras's one epoch, from its .keras file: self.hidden under
    ``hidden/vars``, self.out under ``layers/dense_1/vars`` (Keras's attribute walk)."""
    with zipfile.ZipFile(FIXTURES / "sub_dense.keras") as archive:
        data = archive.read("model.weights.h5")
    with h5py.File(io.BytesIO(data), "r") as f:
        return [
            np.asarray(f[f"{group}/vars/{i}"])
            for group in ("hidden", "layers/dense_1")
            for i in (0, 1)
        ]


def test_forward_pass_equals_keras_on_its_trained_weights(fresh_names):
    model = SubDense()
    x = np.load(FIXTURES / "sub_x.npy")
    model(x)  # built on the first call
    model.set_weights(_keras_trained_weights())
    np.testing.assert_allclose(model.predict(x), np.load(FIXTURES / "sub_dense_y.npy"), atol=1e-6)


def test_summary_before_and_after_the_first_call(fresh_names):
    model = SubDense()
    assert model.name == "sub_dense"
    lines = []
    model.summary(print_fn=lines.append)
    unbuilt = [line for line in lines if line.startswith("dense")]
    # Keras 3's rows are "dense (Dense) | ? | 0 (unbuilt)" (sub_dense.summary_unbuilt.txt)
    assert [line.split() for line in unbuilt] == [
        ["dense", "(Dense)", "?", "unbuilt"],
        ["dense_1", "(Dense)", "?", "unbuilt"],
    ]
    train = np.load(FIXTURES / "sub_train.npz")
    model.compile(optimizer="adam", loss="mse")
    model.fit(train["x"], train["y"], epochs=1, batch_size=16, verbose=0)
    lines = []
    model.summary(print_fn=lines.append)
    rows = [line.split() for line in lines if line.startswith("dense")]
    assert rows == [
        ["dense", "(Dense)", "(None,", "4)", "52"],
        ["dense_1", "(Dense)", "(None,", "1)", "5"],
    ]
    assert "Total params: 57" in lines and model.count_params() == 57
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]


def test_trains_like_the_same_sequential():
    train = np.load(FIXTURES / "sub_train.npz")
    sub = SubDense(seed=0)
    sub.build((None, 12))
    seq = keras.Sequential(
        [keras.layers.Dense(4, activation="relu", input_shape=(12,)), keras.layers.Dense(1)]
    )
    seq.set_weights(sub.get_weights())
    initial = sub.get_weights()
    for model in (sub, seq):
        model.compile(optimizer="adam", loss="mse")
        model.key_stream = keras.utils.KeyStream(5)
        history = model.fit(train["x"], train["y"], epochs=4, batch_size=8, verbose=0)
        assert history.history["loss"][-1] < history.history["loss"][0]
    for a, b in zip(sub.get_weights(), seq.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert not np.allclose(sub.get_weights()[0], initial[0])
    np.testing.assert_allclose(
        sub.evaluate(train["x"], train["y"], verbose=0),
        seq.evaluate(train["x"], train["y"], verbose=0),
        rtol=1e-6,
    )


def test_training_flag_reaches_the_layers_and_predict_is_the_pure_apply():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6, 1)).astype(np.float32)
    y = x.sum(axis=1)
    model = Recurrent(5, seed=1)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 3
    assert model.input_shape == (None, None, 1)  # any sequence length
    np.testing.assert_allclose(model.predict(x), model.apply(model.params, x), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(model.predict(x), model.predict(x))  # no dropout in inference
    train_a = model.apply(model.params, x, training=True, key=keras.utils.KeyStream(0).next())
    assert not np.allclose(train_a, model.predict(x))  # dropout in training
    assert model.predict(x[:, :3]).shape == (32, 1)


def test_save_weights_round_trip_and_whole_model_files_refused(tmp_path):
    model = SubDense()
    model(np.ones((2, 12), np.float32))
    before = model.get_weights()
    model.save_weights(tmp_path / "sub.weights.h5")
    model.set_weights([np.zeros_like(w) for w in before])
    model.load_weights(tmp_path / "sub.weights.h5")
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(NotImplementedError) as info:
        model.save(tmp_path / "sub.keras")
    assert str(info.value) == (
        f"SubDense '{model.name}': saving a whole subclassed model is not supported; use "
        "save_weights(...) and rebuild the model in code"
    )


def test_model_without_inputs_or_call_is_a_clear_error():
    with pytest.raises(TypeError) as info:
        keras.Model()
    assert str(info.value) == (
        "Model: give inputs and outputs (keras.Model(inputs, outputs)), or subclass "
        "keras.Model with a call(inputs, training=None) method"
    )


def test_custom_cells_and_layers_inside_a_subclassed_model():
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "layers"))
    from test_custom_cells import LNSimpleRNNCell
    from test_custom_layers import NormDense

    class Encoder(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.rnn = keras.layers.RNN(LNSimpleRNNCell(8))
            self.head = NormDense(2)

        def call(self, inputs, training=None):
            return self.head(self.rnn(inputs))

    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 7, 1)).astype(np.float32)
    y = np.stack([x.sum((1, 2)), x.max((1, 2))], axis=1).astype(np.float32)
    model = Encoder(seed=0)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=4, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    # LN cell: 8*(1+8+1) + 16; NormDense(2) on 8 features: 8 + 1 + 16 + 18
    assert model.count_params() == 96 + 43
    assert sum(layer.count_trainable_params() for layer in model.layers) == 96 + 42
    assert sorted(model.params["rnn"]) == [
        "layer_norm/beta",
        "layer_norm/gamma",
        "simple_rnn_cell/bias",
        "simple_rnn_cell/kernel",
        "simple_rnn_cell/recurrent_kernel",
    ]


class SubWalk(keras.Model):
    """The fixture generator's SubWalk: layers assigned in another order than call uses
    them, attributes sorting before and after ``layers``, a private one, a list, a dict and
    a layer never called."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.zz = keras.layers.Dense(3)
        self._private = keras.layers.Dense(3)
        self.alpha = keras.layers.Dense(3, activation="tanh")
        self.blocks = [keras.layers.Dense(3), keras.layers.Dense(2)]
        self.mapping = {"b": keras.layers.Dense(2), "a": keras.layers.Dense(2)}
        self.spare = keras.layers.Dense(5)  # never called
        self.encoder = keras.layers.GRU(4)
        self.zed = keras.layers.Dense(1)

    def call(self, inputs, training=None):
        h = self.alpha(self._private(self.zz(self.encoder(inputs))))
        for block in self.blocks:
            h = block(h)
        return self.zed(self.mapping["a"](self.mapping["b"](h)))


def _h5_listing(path):
    """The fixture generator's h5_listing (path, shape, dtype, group attrs), rnnlab's own
    exact-optimizer group left out."""
    lines = []

    def visit(name, obj):
        if name.startswith("rnnlab_optax"):
            return
        if isinstance(obj, h5py.Dataset):
            lines.append(f"{name}  dataset shape={list(obj.shape)} dtype={obj.dtype}")
        else:
            attrs = {k: str(v) for k, v in obj.attrs.items()}
            lines.append(f"{name}/  group" + (f" attrs={attrs}" if attrs else ""))

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return lines


def test_keras_weights_file_of_a_subclassed_model_loads_and_is_written_alike(fresh_names, tmp_path):
    # Keras saves a subclassed model's layers by its attribute walk (alpha/, blocks/dense,
    # encoder/cell, layers/dense_5 ...) and their variables in assignment order
    keras_file = FIXTURES / "sub_walk.weights.h5"
    x = np.load(FIXTURES / "sub_walk_x.npy")
    model = SubWalk()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.zeros((4, 1), np.float32), epochs=1, verbose=0)  # an optimizer state
    assert [layer.name for layer in model.layers] == [
        f"dense{s}" for s in ("", "_1", "_2", "_3", "_4", "_5", "_6")
    ] + ["gru", "dense_8"]  # Keras's order, without the never-called dense_7
    model.load_weights(keras_file)
    np.testing.assert_allclose(model.predict(x), np.load(FIXTURES / "sub_walk_y.npy"), atol=1e-6)
    assert int(model.optimizer.iterations) == 2  # Keras's one epoch of two steps
    ours = tmp_path / "ours.weights.h5"
    model.save_weights(ours)
    want = (FIXTURES / "sub_walk.weights_h5paths.txt").read_text().splitlines()
    assert _h5_listing(ours) == want
    with h5py.File(ours, "r") as a, h5py.File(keras_file, "r") as b:
        for line in want:
            path = line.split("  ")[0]
            if "dataset" in line:
                np.testing.assert_allclose(a[path][()], b[path][()], rtol=1e-6, err_msg=path)


class SubEncoder(keras.Model):
    """The fixture generator's SubEncoder: a subclassed model used as a layer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.gru = keras.layers.GRU(4, return_sequences=True)
        self.norm = keras.layers.BatchNormalization()
        self.lstm = keras.layers.LSTM(3)

    def call(self, inputs, training=None):
        return self.lstm(self.norm(self.gru(inputs), training=training))


class SubNested(keras.Model):
    """The fixture generator's SubNested: a subclassed model and a Sequential as layers."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = SubEncoder(name="encoder")
        self.head = keras.Sequential(
            [keras.layers.Dense(2, activation="tanh"), keras.layers.Dense(1)], name="head"
        )

    def call(self, inputs, training=None):
        return self.head(self.encoder(inputs, training=training))


def test_models_inside_a_subclassed_model_train_and_load_keras_weights(fresh_names, tmp_path):
    keras_file = FIXTURES / "sub_nested.weights.h5"
    x = np.load(FIXTURES / "sub_nested_x.npy")
    model = SubNested()
    model.compile(optimizer="adam", loss="mse")
    before = model(x)  # built on the first call, the inner models with it
    assert [layer.name for layer in model.layers] == ["encoder", "head"]
    inner = model.encoder.get_weights()
    model.fit(x, np.ones((4, 1), np.float32), epochs=2, batch_size=2, verbose=0)
    # training the outer model trains the inner ones (BatchNormalization statistics too)
    assert not np.allclose(model.encoder.get_weights()[0], inner[0])
    assert not np.allclose(model.encoder.norm.params["moving_mean"], 0.0)
    assert not np.allclose(model.predict(x), before)
    model.load_weights(keras_file)
    np.testing.assert_allclose(model.predict(x), np.load(FIXTURES / "sub_nested_y.npy"), atol=1e-6)
    assert int(model.optimizer.iterations) == 2  # Keras's Adam state came with the weights
    ours = tmp_path / "ours.weights.h5"
    model.save_weights(ours)
    want = (FIXTURES / "sub_nested.weights_h5paths.txt").read_text().splitlines()
    assert _h5_listing(ours) == want


class _Stray(keras.Model):
    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.find = lambda: inner  # reached through a function: not tracked

    def call(self, inputs, training=None):
        return self.find()(inputs)


def test_a_model_called_inside_a_call_without_being_tracked_is_named():
    class Inner(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(1)

        def call(self, inputs, training=None):
            return self.dense(inputs)

    inner = Inner(name="inner")
    with pytest.raises(TypeError) as info:
        _Stray(inner, name="stray")(np.ones((2, 3), np.float32))
    assert str(info.value) == (
        "Inner 'inner': called inside the call of _Stray 'stray' without being one of its "
        "attributes; assign it in __init__ (self.name = ...) so it is tracked as a sublayer"
    )
