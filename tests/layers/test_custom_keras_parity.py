"""The same custom-layer and custom-cell source runs on rnnlab and on real Keras 3.15.1: the
same weight order and shapes, the same predictions and, after one epoch of SGD on the same
batches, the same weights.

The Keras side runs in a subprocess (JAX backend); skipped where Keras is not installed
(``pip install -e .[dev]`` brings it).
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import rnnlab

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("keras") is None, reason="Keras 3 is not installed"
)

#: Run as is with ``keras`` bound to rnnlab, then to Keras.
SOURCE = textwrap.dedent(
    """
    class LNSimpleRNNCell(keras.layers.Layer):
        def __init__(self, units, activation="tanh", **kwargs):
            super().__init__(**kwargs)
            self.state_size = units
            self.output_size = units
            self.simple_rnn_cell = keras.layers.SimpleRNNCell(units, activation=None)
            self.layer_norm = keras.layers.LayerNormalization()
            self.activation = keras.activations.get(activation)

        def call(self, inputs, states):
            outputs, new_states = self.simple_rnn_cell(inputs, states)
            norm_outputs = self.activation(self.layer_norm(outputs))
            return norm_outputs, [norm_outputs]

    class MyDense(keras.layers.Layer):
        def __init__(self, units, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.activation = keras.activations.get(activation)

        def build(self, batch_input_shape):
            self.kernel = self.add_weight(
                name="kernel", shape=[batch_input_shape[-1], self.units],
                initializer="glorot_normal")
            self.bias = self.add_weight(name="bias", shape=[self.units], initializer="zeros")

        def call(self, X):
            return self.activation(X @ self.kernel + self.bias)

        def compute_output_shape(self, batch_input_shape):
            return (*batch_input_shape[:-1], self.units)

    def make():
        return keras.Sequential([
            keras.layers.Input(shape=(None, 1)),
            keras.layers.RNN(LNSimpleRNNCell(6), return_sequences=True),
            keras.layers.RNN(keras.layers.StackedRNNCells(
                [keras.layers.LSTMCell(4), keras.layers.GRUCell(3)])),
            MyDense(2, activation="tanh"),
        ])

    class Sub(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.rnn = keras.layers.RNN(LNSimpleRNNCell(5))
            self.hidden = keras.layers.Dense(4, activation="relu")
            self.out = MyDense(2)

        def call(self, inputs, training=None):
            return self.out(self.hidden(self.rnn(inputs)))

    MAKERS = {"sequential": make, "subclassed": Sub}
    """
)

KERAS_SIDE = textwrap.dedent(
    """
    import json, os, sys
    os.environ["KERAS_BACKEND"] = "jax"
    import numpy as np, keras
    ns = {"keras": keras}
    exec(open(sys.argv[1]).read(), ns)
    facts = {}
    for name, make in ns["MAKERS"].items():
        data = np.load(f"{sys.argv[2]}/{name}.npz")
        model = make()
        model(data["x"][:1])  # Keras creates a custom cell's sublayer weights on the first call
        shapes = [list(w.shape) for w in model.get_weights()]
        model.set_weights([data[f"w{i}"] for i in range(len(shapes))])
        pred = model.predict(data["x"], verbose=0)
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        model.fit(data["x"], data["y"], epochs=1, batch_size=8, shuffle=False, verbose=0)
        np.savez(f"{sys.argv[2]}/{name}_keras.npz", pred=pred, *model.get_weights())
        facts[name] = {"shapes": shapes, "counts": [l.count_params() for l in model.layers]}
    print(json.dumps(facts))
    """
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """rnnlab's models from the source (their initial weights written for Keras), and the
    Keras side's facts; one subprocess for both models."""
    folder = tmp_path_factory.mktemp("parity")
    ns = {"keras": rnnlab}
    exec(SOURCE, ns)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 5, 1)).astype(np.float32)
    y = np.tanh(rng.normal(size=(16, 2))).astype(np.float32)
    models = {}
    for name, make in ns["MAKERS"].items():
        model = make()
        model(x[:1])
        weights = model.get_weights()
        np.savez(folder / f"{name}.npz", x=x, y=y, **{f"w{i}": w for i, w in enumerate(weights)})
        models[name] = model
    (folder / "source.py").write_text(SOURCE)
    run = subprocess.run(
        [sys.executable, "-c", KERAS_SIDE, str(folder / "source.py"), str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return folder, x, y, models, json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ["sequential", "subclassed"])
def test_same_source_same_weights_predictions_and_training_as_keras(runs, name):
    folder, x, y, models, facts = runs
    model = models[name]
    assert facts[name]["shapes"] == [list(w.shape) for w in model.get_weights()]
    assert facts[name]["counts"] == [layer.count_params() for layer in model.layers]
    keras_out = np.load(folder / f"{name}_keras.npz")
    np.testing.assert_allclose(model.predict(x), keras_out["pred"], rtol=1e-5, atol=1e-6)
    model.compile(optimizer=rnnlab.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, keras_out[f"arr_{i}"], rtol=1e-4, atol=1e-5)
