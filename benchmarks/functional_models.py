"""The models of ``benchmarks.functional``, written once in Keras 3's API.

Each builder takes the framework module — ``rnnlab`` (imported as ``keras``) or Keras 3
itself — so rnnlab and Keras run the very same code. They follow Hands-On ML's
notebook 15, the best-known extension of the chapter:

- ``wavenet``: the functional WaveNet — causal dilated ``Conv1D``s (rates 1, 2, 4, 8),
  each gated as ``tanh(a[..., :n]) * sigmoid(a[..., n:])`` with ``keras.activations`` and
  tensor slicing, residual ``Add``s, the skips summed and passed through ``relu``;
- ``wavenet_gau``: the same with the gate as the notebook's custom
  ``GatedActivationUnit`` layer (a ``keras.layers.Layer`` subclass);
- ``ln_rnn``: two ``RNN(LNSimpleRNNCell(20))`` layers — the notebook's layer-normalized
  cell, a ``Layer`` subclass using ``SimpleRNNCell`` and ``LayerNormalization`` — and a
  ``TimeDistributed(Dense(10))``;
- ``ln_rnn_jax`` (rnnlab only): the same network with the LN cell written as a pure-JAX
  rnnlab cell, the JAX users' face — what a custom Keras-style cell must not be slower than.

All are sequence-to-sequence: at every step, the next 10 values.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

N_FILTERS = 16
RATES = (1, 2, 4, 8)
UNITS = 20


def wavenet(keras: ModuleType, gate_layer: bool = False) -> Any:
    """The gated, residual WaveNet; the gate by ops (default) or a custom layer."""
    gau = _gated_activation_unit(keras) if gate_layer else None
    inputs = keras.Input(shape=(None, 1))
    z = keras.layers.Conv1D(N_FILTERS, kernel_size=2, padding="causal")(inputs)
    skips = []
    for rate in RATES:
        a = keras.layers.Conv1D(2 * N_FILTERS, kernel_size=2, padding="causal", dilation_rate=rate)(
            z
        )
        if gau is None:
            gated = keras.activations.tanh(a[..., :N_FILTERS]) * keras.activations.sigmoid(
                a[..., N_FILTERS:]
            )
        else:
            gated = gau()(a)
        skip = keras.layers.Conv1D(N_FILTERS, kernel_size=1)(gated)
        z = keras.layers.Add()([z, skip])
        skips.append(skip)
    h = keras.activations.relu(keras.layers.Add()(skips))
    h = keras.layers.Conv1D(N_FILTERS, kernel_size=1, activation="relu")(h)
    outputs = keras.layers.Conv1D(10, kernel_size=1)(h)
    return keras.Model(inputs, outputs)


def _gated_activation_unit(keras: ModuleType) -> type:
    class GatedActivationUnit(keras.layers.Layer):
        def __init__(self, activation: Any = "tanh", **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.activation = keras.activations.get(activation)

        def call(self, inputs: Any) -> Any:
            n_filters = inputs.shape[-1] // 2
            linear_output = self.activation(inputs[..., :n_filters])
            gate = keras.activations.sigmoid(inputs[..., n_filters:])
            return linear_output * gate

    return GatedActivationUnit


def ln_rnn(keras: ModuleType) -> Any:
    """Notebook 15's layer-normalized SimpleRNN, as a custom Keras cell."""

    class LNSimpleRNNCell(keras.layers.Layer):
        def __init__(self, units: int, activation: Any = "tanh", **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.state_size = units
            self.output_size = units
            self.simple_rnn_cell = keras.layers.SimpleRNNCell(units, activation=None)
            self.layer_norm = keras.layers.LayerNormalization()
            self.activation = keras.activations.get(activation)

        def call(self, inputs: Any, states: Any) -> Any:
            outputs, _new_states = self.simple_rnn_cell(inputs, states)
            norm_outputs = self.activation(self.layer_norm(outputs))
            return norm_outputs, [norm_outputs]

    return keras.models.Sequential(
        [
            keras.Input(shape=(None, 1)),
            keras.layers.RNN(LNSimpleRNNCell(UNITS), return_sequences=True),
            keras.layers.RNN(LNSimpleRNNCell(UNITS), return_sequences=True),
            keras.layers.TimeDistributed(keras.layers.Dense(10)),
        ]
    )


def ln_rnn_jax(keras: ModuleType) -> Any:
    """The same network, its cell a pure-JAX rnnlab cell (rnnlab only)."""
    import jax
    import jax.numpy as jnp

    from rnnlab.initializers import glorot_uniform, orthogonal

    class LNCell:
        """``h = tanh(LN(x @ W + h @ U + b))``: the LN cell as a pure step."""

        def __init__(self, units: int) -> None:
            self.units = units

        def init(self, key: jax.Array, input_dim: int) -> dict[str, jax.Array]:
            k1, k2 = jax.random.split(key)
            return {
                "kernel": glorot_uniform(k1, (input_dim, self.units)),
                "recurrent_kernel": orthogonal(k2, (self.units, self.units)),
                "bias": jnp.zeros((self.units,)),
                "gamma": jnp.ones((self.units,)),
                "beta": jnp.zeros((self.units,)),
            }

        def initial_carry(self, batch_size: int, dtype: Any = jnp.float32) -> jax.Array:
            return jnp.zeros((batch_size, self.units), dtype)

        def __call__(self, params: Any, h: jax.Array, x: jax.Array) -> Any:
            z = x @ params["kernel"] + h @ params["recurrent_kernel"] + params["bias"]
            mean = z.mean(-1, keepdims=True)
            var = ((z - mean) ** 2).mean(-1, keepdims=True)
            h = jnp.tanh((z - mean) / jnp.sqrt(var + 1e-3) * params["gamma"] + params["beta"])
            return h, h

    return keras.models.Sequential(
        [
            keras.Input(shape=(None, 1)),
            keras.layers.RNN(LNCell(UNITS), return_sequences=True),
            keras.layers.RNN(LNCell(UNITS), return_sequences=True),
            keras.layers.TimeDistributed(keras.layers.Dense(10)),
        ]
    )


BUILDERS = {
    "wavenet": wavenet,
    "wavenet_gau": lambda keras: wavenet(keras, gate_layer=True),
    "ln_rnn": ln_rnn,
    "ln_rnn_jax": ln_rnn_jax,
}
#: Models only rnnlab runs (its other faces, for the "no slower than built-in" check).
RNNLAB_ONLY = {"ln_rnn_jax"}
