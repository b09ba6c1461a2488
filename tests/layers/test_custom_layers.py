"""Keras-style custom layers (issue 14, item 6): ``keras.layers.Layer`` subclasses with
``build``/``add_weight``/``call`` work eagerly, in Sequential and functional models, train
like the built-in layers (same weights, same compiled work), and fail clearly."""

import traceback

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rnnlab as keras


class MyDense(keras.layers.Layer):
    """The brief's MyDense, as Keras code writes it."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, batch_input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=[batch_input_shape[-1], self.units], initializer="glorot_normal"
        )
        self.bias = self.add_weight(name="bias", shape=[self.units], initializer="zeros")
        super().build(batch_input_shape)
        self.built = True  # older Keras code does this

    def call(self, X):
        return self.activation(X @ self.kernel + self.bias)

    def compute_output_shape(self, batch_input_shape):
        return batch_input_shape[:-1] + [self.units]  # noqa: RUF005 (as Keras code writes it)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
        }


class NormDense(keras.layers.Layer):
    """Own weights, a trainable=False weight and two tracked sublayers; no
    compute_output_shape (inferred by tracing)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.norm = keras.layers.LayerNormalization()
        self.dense = keras.layers.Dense(units)

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
        self.offset = self.add_weight(shape=(), initializer="zeros", trainable=False, name="offset")

    def call(self, x, training=None):
        return self.dense(self.norm(x) * self.scale) + self.offset


def _data(n=64, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    y = np.tanh(x @ rng.normal(size=(features, 1))).astype(np.float32)
    return x, y


def test_eager_call_equals_numpy_and_weights_are_variables():
    layer = MyDense(3, activation="relu", name="mine")
    x = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)
    y = np.asarray(layer(x))
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(y, np.maximum(x @ kernel + bias, 0.0), rtol=1e-6)
    assert layer.kernel.shape == (4, 3) and layer.kernel.name == "kernel"
    np.testing.assert_array_equal(layer.kernel.numpy(), kernel)
    assert [v.name for v in layer.weights] == ["kernel", "bias"]
    assert layer.count_params() == 15
    layer.set_weights([np.ones((4, 3)), np.zeros(3)])
    np.testing.assert_allclose(np.asarray(layer(x)), np.maximum(x.sum(1, keepdims=True), 0) + 0 * y)


def test_mydense_trains_to_the_same_weights_as_dense():
    x, y = _data()
    built_in = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(4,))])
    built_in.add(keras.layers.Dense(1))
    custom = keras.Sequential([MyDense(8, activation="relu", input_shape=(4,)), MyDense(1)])
    custom.set_weights(built_in.get_weights())
    initial = custom.get_weights()
    for model in (built_in, custom):
        model.compile(optimizer="adam", loss="mse")
        model.key_stream = keras.utils.KeyStream(7)  # the same shuffles
        model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    for a, b in zip(built_in.get_weights(), custom.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(custom.get_weights()[0], initial[0])  # it did train
    # the Variables read the trained weights
    np.testing.assert_array_equal(custom.layers[0].kernel.numpy(), custom.get_weights()[0])


def test_custom_layer_compiles_to_the_same_work_as_the_built_in():
    """No per-step Python: the jitted gradient of a MyDense model costs what Dense's does."""
    x, y = _data(32)
    built_in = keras.Sequential([keras.layers.Dense(8, input_shape=(4,)), keras.layers.Dense(1)])
    custom = keras.Sequential([MyDense(8, input_shape=(4,)), MyDense(1)])

    def flops(model):
        def loss(p):
            return jnp.mean((model.apply(p, x) - y) ** 2)

        return jax.jit(jax.grad(loss)).lower(model.params).compile().cost_analysis()["flops"]

    assert flops(custom) == flops(built_in)


def test_call_is_traced_once_per_compile_not_per_epoch():
    traces = []

    class Counted(MyDense):
        def call(self, X):
            traces.append(1)
            return super().call(X)

    x, y = _data(32)
    counts = []
    for epochs in (1, 4):
        model = keras.Sequential([Counted(1, input_shape=(4,))])
        model.compile(optimizer="sgd", loss="mse")
        before = len(traces)
        model.fit(x, y, epochs=epochs, batch_size=8, verbose=0)
        counts.append(len(traces) - before)
    assert counts[0] == counts[1]  # more epochs, no more traces


def test_sublayers_are_tracked_counted_ordered_and_trained():
    x, y = _data(features=3)
    layer = NormDense(1, name="nd")
    model = keras.Sequential([layer], seed=0)
    model.build((None, 3))
    # own: scale (3) + offset (1, frozen); norm: 3 + 3; dense: 3*1 + 1
    assert model.count_params() == 3 + 1 + 6 + 4
    assert layer.count_trainable_params() == 3 + 6 + 4
    assert list(model.params["nd"]) == [
        "scale",
        "offset",
        "norm/gamma",
        "norm/beta",
        "dense/kernel",
        "dense/bias",
    ]
    assert [w.shape for w in layer.get_weights()] == [(3,), (), (3,), (3,), (3, 1), (1,)]
    lines = []
    model.summary(print_fn=lines.append)
    assert any(
        line.startswith("nd (NormDense)") and line.rstrip().endswith(" 14") for line in lines
    )
    assert "Non-trainable params: 1" in lines
    before = {k: np.asarray(v) for k, v in model.params["nd"].items()}
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    after = model.params["nd"]
    for name in ("scale", "norm/gamma", "norm/beta", "dense/kernel", "dense/bias"):
        assert not np.allclose(before[name], after[name]), name
    np.testing.assert_array_equal(before["offset"], after["offset"])  # trainable=False
    # the sublayers hold their part of the weights, as in Keras
    np.testing.assert_array_equal(layer.dense.get_weights()[0], after["dense/kernel"])


def test_gradient_of_apply_matches_finite_differences(x64):
    layer = NormDense(2)
    x = np.random.default_rng(3).normal(size=(4, 3))
    params = jax.tree_util.tree_map(
        lambda v: jnp.asarray(np.random.default_rng(4).normal(size=v.shape)),
        layer.init_params(jax.random.key(0), (None, 3)),
    )

    def loss(p):
        return jnp.sum(jnp.sin(layer.apply(p, jnp.asarray(x))))

    grads = jax.grad(loss)(params)
    eps = 1e-6
    for name, value in params.items():
        flat = np.asarray(value, np.float64).ravel()
        numeric = np.empty_like(flat)
        for i in range(flat.size):
            up, down = flat.copy(), flat.copy()
            up[i] += eps
            down[i] -= eps
            shape = np.shape(value)
            numeric[i] = (
                loss({**params, name: jnp.asarray(up.reshape(shape))})
                - loss({**params, name: jnp.asarray(down.reshape(shape))})
            ) / (2 * eps)
        np.testing.assert_allclose(np.ravel(grads[name]), numeric, rtol=1e-6, atol=1e-8)


def test_output_shape_inferred_by_tracing_and_functional_model():
    layer = NormDense(5)
    assert layer.build((None, None, 3)) == (None, None, 5)
    inputs = keras.Input(shape=(4,))
    hidden = MyDense(6, activation="relu")(inputs)
    assert hidden.shape == (None, 6)
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    x, y = _data(32)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_allclose(model.predict(x, verbose=0), model.apply(model.params, x), rtol=1e-5)


def test_sublayer_keys_come_from_the_call_key_and_training_flows_down():
    class Noisy(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.drop = keras.layers.Dropout(0.5)

        def call(self, x):
            return self.drop(x), self.drop(x)

    layer = Noisy()
    x = jnp.ones((4, 50))
    params = layer.init_params(jax.random.key(0), (None, 50))
    (a, b), _ = layer.apply_train(params, x, key=jax.random.key(1))
    (a2, _), _ = layer.apply_train(params, x, key=jax.random.key(1))
    (a3, _), _ = layer.apply_train(params, x, key=jax.random.key(2))
    np.testing.assert_array_equal(a, a2)  # same key, same mask: no global state
    assert not np.array_equal(a, b) and not np.array_equal(a, a3)
    out = layer.apply(params, x)  # inference: Dropout is the identity
    np.testing.assert_array_equal(out[0], x)


def test_assign_in_call_is_an_update_of_a_non_trainable_weight():
    class Counter(keras.layers.Layer):
        def build(self, input_shape):
            self.steps = self.add_weight(shape=(), initializer="zeros", trainable=False)
            self.w = self.add_weight(shape=(input_shape[-1], 1))

        def call(self, x, training=None):
            if training:
                self.steps.assign(self.steps + 1.0)
            return x @ self.w

    x, y = _data(32)
    model = keras.Sequential([Counter(name="c", input_shape=(4,))])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert float(model.params["c"]["variable"]) == 3 * 4  # one per training step


def test_two_level_subclass_build_chain_and_config_round_trip():
    class Wider(MyDense):
        def build(self, batch_input_shape):
            super().build(batch_input_shape)
            self.extra = self.add_weight(name="extra", shape=[self.units], initializer="ones")

        def call(self, X):
            return super().call(X) * self.extra

    layer = Wider(3, name="w")
    assert not layer.built
    assert layer(np.ones((2, 4), np.float32)).shape == (2, 3)
    assert layer.built
    assert [v.name for v in layer.weights] == ["kernel", "bias", "extra"]
    config = layer.get_config()
    assert config["units"] == 3 and config["name"] == "w"
    assert config["activation"] == "linear"
    clone = Wider.from_config({**config, "name": "w2"})
    assert clone.units == 3 and clone.name == "w2"
    relu = MyDense.from_config(MyDense(2, activation="relu").get_config())
    assert relu.get_config()["activation"] == "relu"
    x = -np.ones((1, 3), np.float32)
    y = relu(x)  # built on this first call
    kernel, bias = relu.get_weights()
    np.testing.assert_allclose(y, np.maximum(x @ kernel + bias, 0), rtol=1e-6)


def test_a_failing_call_keeps_the_users_traceback_with_a_note():
    class Broken(keras.layers.Layer):
        def call(self, x):
            return x @ jnp.ones((7, 2))  # wrong inner size

    with pytest.raises(TypeError) as info:
        Broken(name="broken")(np.ones((2, 3), np.float32))
    assert "raised in the call of Broken 'broken'" in info.value.__notes__
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert "call" in frames  # the user's own frame is kept


def test_a_build_that_creates_no_weights_gets_a_clear_error():
    class Forgot(keras.layers.Layer):
        def build(self, input_shape):
            pass

        def call(self, x):
            return x @ self.kernel

    with pytest.raises(AttributeError) as info:
        keras.Sequential([Forgot(name="forgot", input_shape=(3,))])
    assert str(info.value) == (
        "Forgot 'forgot': call reads self.kernel, which does not exist: build() did not "
        "create it; create it there, e.g. self.kernel = self.add_weight(shape=..., "
        "name='kernel')"
    )


def test_masks_reach_call_and_a_keras_compute_mask_passes_them_on():
    seen = []

    class Doubled(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, x, mask=None):
            seen.append(mask is not None)
            return 2.0 * x

        def compute_mask(self, inputs, mask=None):  # Keras's argument order
            return mask

    lstm = keras.layers.LSTM(3)
    model = keras.Sequential([keras.layers.Masking(0.0, input_shape=(None, 1)), Doubled(), lstm])
    x = np.zeros((2, 6, 1), np.float32)
    x[:, :4, 0] = np.arange(1, 9).reshape(2, 4)  # the last two steps are padding
    y = model.predict(x)
    assert seen[-1]  # the compiled predict's trace got the mask (shape tracing had none)
    np.testing.assert_allclose(y, lstm(2.0 * x[:, :4]), rtol=1e-5, atol=1e-6)


def test_a_frozen_sublayer_is_not_trained():
    x, y = _data(32, features=3)
    layer = NormDense(1, name="frozen_norm")
    model = keras.Sequential([layer])
    model.build((None, 3))
    layer.norm.trainable = False
    assert layer.count_trainable_params() == 3 + 4  # scale, dense
    before = {k: np.asarray(v) for k, v in model.params["frozen_norm"].items()}
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    after = model.params["frozen_norm"]
    np.testing.assert_array_equal(before["norm/gamma"], after["norm/gamma"])
    assert not np.allclose(before["dense/kernel"], after["dense/kernel"])


def test_custom_layers_nest_and_lists_of_sublayers_are_tracked():
    class Outer(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = NormDense(3)
            self.blocks = [MyDense(3), MyDense(3)]

        def call(self, x):
            h = self.inner(x)
            for block in self.blocks:
                h = h + block(h)
            return h

    outer = Outer(name="outer")
    model = keras.Sequential([outer])
    model.build((None, 5))
    assert list(model.params["outer"]) == [
        "inner/scale",
        "inner/offset",
        "inner/norm/gamma",
        "inner/norm/beta",
        "inner/dense/kernel",
        "inner/dense/bias",
        "blocks/0/kernel",
        "blocks/0/bias",
        "blocks/1/kernel",
        "blocks/1/bias",
    ]
    assert model.count_params() == (5 + 1 + 10 + 18) + 2 * 12
    x = np.random.default_rng(2).normal(size=(4, 5)).astype(np.float32)
    p = {k: np.asarray(v) for k, v in model.params["outer"].items()}
    z = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    z = z * p["inner/norm/gamma"] + p["inner/norm/beta"]
    h = (z * p["inner/scale"]) @ p["inner/dense/kernel"] + p["inner/dense/bias"] + p["inner/offset"]
    for i in (0, 1):
        h = h + h @ p[f"blocks/{i}/kernel"] + p[f"blocks/{i}/bias"]
    np.testing.assert_allclose(model.predict(x), h, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"add_weight's name must be a string without '/'"):
        outer.add_weight(shape=(1,), name="a/b")


class GatedActivationUnit(keras.layers.Layer):
    """Notebook 15's WaveNet gate, as written there."""

    def __init__(self, activation="tanh", **kwargs):
        super().__init__(**kwargs)
        self.activation = keras.activations.get(activation)

    def call(self, inputs):
        n_filters = inputs.shape[-1] // 2
        linear_output = self.activation(inputs[..., :n_filters])
        gate = keras.activations.sigmoid(inputs[..., n_filters:])
        return self.activation(linear_output) * gate


def test_weightless_gate_and_several_outputs_in_a_functional_model():
    class Split(keras.layers.Layer):
        def call(self, x):
            return x[..., :2], jnp.tanh(x[..., 2:])

    inputs = keras.Input(shape=(None, 1))
    z = keras.layers.Conv1D(8, 2, padding="causal")(inputs)
    gated = GatedActivationUnit()(z)
    assert gated.shape == (None, None, 4)
    head, tail = Split()(gated)
    assert (head.shape, tail.shape) == ((None, None, 2), (None, None, 2))
    out = keras.layers.Conv1D(1, 1)(keras.layers.Concatenate()([head, tail]))
    model = keras.Model(inputs, out)
    assert model.count_params() == 8 * 2 + 8 + 4 + 1
    x = np.random.default_rng(5).normal(size=(16, 10, 1)).astype(np.float32)
    conv = model.layers[1]
    a = np.asarray(conv.apply(conv.params, jnp.asarray(x)))
    expected = np.tanh(np.tanh(a[..., :4])) / (1 + np.exp(-a[..., 4:]))
    inner = keras.Model(inputs, gated)
    np.testing.assert_allclose(inner.predict(x), expected, rtol=1e-5, atol=1e-6)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, x, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_a_bidirectional_sublayer_keeps_keras_weight_order_after_training():
    class BiEncoder(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.bi = keras.layers.Bidirectional(keras.layers.GRU(3))

        def call(self, x):
            return self.bi(x)

    layer = BiEncoder(name="enc")
    model = keras.Sequential([layer, keras.layers.Dense(1)])
    model.build((None, None, 2))
    order = [w.shape for w in layer.get_weights()]
    assert order == [(2, 9), (3, 9), (2, 9)] * 2  # forward then backward, Keras's layout
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 4, 2)).astype(np.float32)
    model.fit(x, x[:, -1, :1], epochs=1, verbose=0)
    names = layer.weight_order(model.params["enc"])
    assert names[:3] == ("bi/forward/kernel", "bi/forward/recurrent_kernel", "bi/forward/bias")
    assert [w.shape for w in layer.get_weights()] == order


def test_a_failing_build_keeps_its_traceback_with_a_note():
    class BadBuild(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], None))

        def call(self, x):
            return x @ self.w

    with pytest.raises(ValueError) as info:
        BadBuild(name="bad")(np.ones((2, 3), np.float32))
    assert str(info.value) == (
        "BadBuild 'bad': add_weight needs a fully known shape, got (3, None) for a weight"
    )
    assert info.value.__notes__ == ["raised in the build of BadBuild 'bad' for inputs (None, 3)"]


def test_a_model_with_custom_layers_saves_and_loads_with_custom_objects(tmp_path):
    model = keras.Sequential([MyDense(4, activation="relu", input_shape=(3,)), NormDense(1)])
    x = np.random.default_rng(6).normal(size=(5, 3)).astype(np.float32)
    model.save(tmp_path / "custom.keras")
    loaded = keras.models.load_model(
        tmp_path / "custom.keras", custom_objects={"MyDense": MyDense, "NormDense": NormDense}
    )
    assert [type(layer).__name__ for layer in loaded.layers] == ["MyDense", "NormDense"]
    assert loaded.layers[0].get_config()["activation"] == "relu"
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)


def test_a_custom_layers_frozen_weight_stays_frozen_inside_time_distributed(fresh_names):
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
            self.offset = self.add_weight(
                shape=(input_shape[-1],), initializer="zeros", trainable=False, name="offset"
            )

        def call(self, x):
            return x * self.w + self.offset

    td = keras.layers.TimeDistributed(Scale(name="scale"))
    model = keras.Sequential([keras.Input((5, 3)), td])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    assert model.trainable_labels()[td.name] == {"w": "train", "offset": "freeze"}
    x, y = np.ones((4, 5, 3), np.float32), np.full((4, 5, 3), 3.0, np.float32)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    w, offset = model.get_weights()
    # one SGD step on mse, the mean over the 3 features: d/dw_f = 2 (w_f - 3) / 3 = -4/3
    np.testing.assert_allclose(w, 1.0 + 0.1 * 4 / 3, rtol=1e-6)
    np.testing.assert_array_equal(offset, 0.0)
