"""A built model used as a layer of another (rnnlab/models/as_layer.py): functional in
functional, functional in Sequential, Sequential in functional; the outer model predicts
what the parts compute, trains exactly as the same layers written flat, and its training
is the inner model's."""

import jax
import numpy as np
import pytest

import rnnlab as keras
from rnnlab import layers as L

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 6, 2)).astype(np.float32)
Y = RNG.normal(size=(16, 1)).astype(np.float32)


def encoder(name="enc"):
    inp = keras.Input((6, 2), name=f"{name}_in")
    h = L.GRU(4, return_sequences=True, name=f"{name}_gru")(inp)
    h = L.BatchNormalization(name=f"{name}_bn")(h)
    return keras.Model(inp, L.LSTM(3, name=f"{name}_lstm")(h), name=name)


def nested_and_flat():
    """The outer model holding ``enc``, and the same layers in one flat graph with the
    same initial weights."""
    keras.utils.set_random_seed(1)
    enc = encoder()
    x = keras.Input((6, 2), name="x")
    nested = keras.Model(x, L.Dense(1, name="head")(enc(x)), name="outer")
    x2 = keras.Input((6, 2), name="x2")
    h = L.GRU(4, return_sequences=True, name="gru")(x2)
    h = L.BatchNormalization(name="bn")(h)
    flat = keras.Model(x2, L.Dense(1, name="head2")(L.LSTM(3, name="lstm")(h)), name="flat")
    flat.set_weights(nested.get_weights())
    return enc, nested, flat


def test_the_outer_model_predicts_head_of_encoder(fresh_names):
    enc, nested, _ = nested_and_flat()
    head = nested.get_layer("head")
    kernel, bias = head.get_weights()
    want = np.asarray(enc.predict(X, verbose=0)) @ kernel + bias  # NumPy's Dense
    np.testing.assert_allclose(nested.predict(X, verbose=0), want, rtol=1e-5, atol=1e-6)
    assert [layer.name for layer in nested.layers] == ["x", "enc", "head"]
    assert nested.params["enc"].keys() == enc.params.keys()
    assert nested.count_params() == enc.count_params() + 4


def test_nested_trains_as_the_flat_model_and_trains_the_inner_one(fresh_names):
    enc, nested, flat = nested_and_flat()
    before = enc.get_weights()
    for model in (nested, flat):
        model.compile(optimizer="adam", loss="mse")
        model.key_stream = keras.utils.KeyStream(3)
        model.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    for a, b in zip(nested.get_weights(), flat.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # the encoder object holds the trained weights, its BatchNormalization statistics too
    after = enc.get_weights()
    assert not np.allclose(after[0], before[0])
    mean = enc.get_layer("enc_bn").params["moving_mean"]
    np.testing.assert_allclose(mean, flat.get_layer("bn").params["moving_mean"], rtol=1e-5)
    assert not np.allclose(mean, 0.0)


def test_a_frozen_inner_model_keeps_its_weights(fresh_names):
    enc, nested, _ = nested_and_flat()
    enc.trainable = False
    before, head = enc.get_weights(), nested.get_layer("head").get_weights()
    nested.compile(optimizer="adam", loss="mse")
    nested.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    kernels = [w for w in before if w.ndim == 2]
    for a, b in zip(before, enc.get_weights(), strict=True):
        if a.ndim == 2:  # kernels: frozen (BatchNormalization's statistics still move)
            np.testing.assert_array_equal(a, b)
    assert kernels and not np.allclose(head[0], nested.get_layer("head").get_weights()[0])
    labels = jax.tree.leaves(nested.trainable_labels()["enc"])
    assert set(labels) == {"freeze"}


def test_functional_inside_sequential_and_sequential_inside_functional(fresh_names):
    keras.utils.set_random_seed(2)
    enc = encoder()
    seq = keras.Sequential([enc, L.Dense(1, name="out")], name="seq")
    assert seq.input_shape == (None, 6, 2) and seq.output_shape == (None, 1)
    kernel, bias = seq.get_layer("out").get_weights()
    want = np.asarray(enc.predict(X, verbose=0)) @ kernel + bias
    np.testing.assert_allclose(seq.predict(X, verbose=0), want, rtol=1e-5, atol=1e-6)
    # the Sequential, in turn, called twice in a functional model: one set of weights
    a, b = keras.Input((6, 2), name="a"), keras.Input((6, 2), name="b")
    both = keras.Model([a, b], L.Subtract(name="diff")([seq(a), seq(b)]), name="siamese")
    assert [layer.name for layer in both.layers] == ["a", "b", "seq", "diff"]
    got = both.predict([X, X[::-1]], verbose=0)
    np.testing.assert_allclose(got, want - want[::-1], rtol=1e-4, atol=1e-5)
    lines = []
    both.summary(print_fn=lines.append)
    row = next(line for line in lines if line.startswith("seq"))
    assert row.split()[:3] == ["seq", "(Sequential)", "multiple"]
    assert f"Total params: {seq.count_params()}" in lines


@pytest.mark.parametrize("outer_kind", ["functional", "sequential"])
def test_a_mask_made_inside_flows_out_to_the_next_layers(fresh_names, outer_kind):
    # Masking inside the inner model; the outer LSTM must skip the padded steps: the same
    # output as the same layers in one flat Sequential
    x = X.copy()
    x[0, -2:], x[1, 3:] = 0.0, 0.0
    keras.utils.set_random_seed(4)
    inp = keras.Input((6, 2), name="inner_in")
    h = L.Dense(3, name="proj")(L.Masking(name="masking")(inp))
    inner = keras.Model(inp, h, name="inner")
    if outer_kind == "functional":
        z = keras.Input((6, 2), name="z")
        outer = keras.Model(z, L.LSTM(2, name="lstm")(inner(z)), name="outer")
    else:
        outer = keras.Sequential([inner, L.LSTM(2, name="lstm")], name="outer")
    flat = keras.Sequential(
        [keras.Input((6, 2)), L.Masking(), L.Dense(3, name="proj2"), L.LSTM(2, name="lstm2")]
    )
    flat.set_weights(outer.get_weights())
    got = outer.predict(x, verbose=0)
    np.testing.assert_allclose(got, flat.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    # and the padding mattered: without the mask the LSTM reads the zero steps
    unmasked = keras.Sequential([keras.Input((6, 2)), L.Dense(3), L.LSTM(2)])
    unmasked.set_weights(outer.get_weights())
    assert not np.allclose(got[:2], unmasked.predict(x, verbose=0)[:2], atol=1e-4)


def test_set_weights_reaches_the_inner_model(fresh_names):
    _, nested, _ = nested_and_flat()
    new = [np.full_like(w, 0.1 * i) for i, w in enumerate(nested.get_weights())]
    nested.set_weights(new)
    for a, b in zip(nested.get_weights(), new, strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.all(nested.get_layer("enc").get_layer("enc_gru").get_weights()[0] == 0.0)
    with pytest.raises(ValueError) as info:
        nested.set_weights(new[:-1])
    assert str(info.value) == f"set_weights: expected {len(new)} arrays, got {len(new) - 1}"


def test_bad_uses_are_named(fresh_names):
    enc = encoder()
    with pytest.raises(ValueError) as info:
        enc(keras.Input((6, 3), name="wide"))
    assert str(info.value) == "Model 'enc': called on shape (None, 6, 3), but it takes (None, 6, 2)"
    unbuilt = keras.Sequential([L.Dense(2)], name="unbuilt")
    with pytest.raises(ValueError) as info:
        unbuilt(keras.Input((3,)))
    assert str(info.value) == (
        "Sequential 'unbuilt' is used as a layer but is not built: give it an input shape "
        "(keras.Input, or input_shape= on its first layer) first"
    )
    a, b = keras.Input((2,), name="p"), keras.Input((2,), name="q")
    two = keras.Model([a, b], L.Add()([a, b]), name="two")
    with pytest.raises(ValueError) as info:
        keras.Sequential([two])
    assert str(info.value) == (
        "Model 'two' has several inputs or outputs; in a Sequential each layer takes one "
        "tensor and gives one: call it in a functional model instead"
    )


def test_nested_model_files_round_trip(fresh_names, tmp_path):
    # (Keras reads and writes the same files: tests/saving/test_functional_interop.py)
    _, nested, _ = nested_and_flat()
    nested.compile(optimizer="adam", loss="mse")
    nested.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    nested.save(tmp_path / "m.keras")
    nested.save_weights(tmp_path / "m.weights.h5")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert [type(layer).__name__ for layer in loaded.layers] == ["InputLayer", "Model", "Dense"]
    assert int(loaded.optimizer.iterations) == 2
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), nested.predict(X, verbose=0))
    _, fresh, _ = nested_and_flat()  # other weights, the same architecture
    fresh.load_weights(tmp_path / "m.weights.h5")
    for a, b in zip(fresh.get_weights(), nested.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_custom_layer_holding_a_model_keeps_its_frozen_weights_frozen(fresh_names):
    enc = encoder()

    class Wrap(keras.layers.Layer):
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner
            self.head = L.Dense(1, name="wrap_head")

        def call(self, x, training=None):
            return self.head(self.inner(x, training=training))

    model = keras.Sequential([keras.Input((6, 2)), Wrap(enc, name="wrap")])
    model.compile(optimizer="adam", loss="mse")
    labels = model.trainable_labels()["wrap"]
    frozen = sorted(name for name, label in labels.items() if label == "freeze")
    assert frozen == ["inner/enc_bn/moving_mean", "inner/enc_bn/moving_variance"]
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    # the statistics move by the layer's own update, the weights by the optimizer
    assert not np.allclose(enc.get_layer("enc_bn").params["moving_mean"], 0.0)
    np.testing.assert_allclose(
        model.predict(X, verbose=0),
        np.asarray(enc.predict(X, verbose=0)) @ model.layers[0].head.get_weights()[0]
        + model.layers[0].head.get_weights()[1],
        rtol=1e-5,
        atol=1e-6,
    )
