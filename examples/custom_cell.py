"""A custom recurrent cell: a layer-normalized SimpleRNN, written as a pure JAX step.

Any object with ``units``, ``init(key, input_dim) -> params``,
``initial_carry(batch_size, dtype)`` and a pure step ``cell(params, carry, x) ->
(carry, y)`` can be wrapped in ``rnnlab.layers.RNN`` and trained like a built-in layer.
This one is Géron's ``LNSimpleRNNCell`` (Hands-On ML, ch. 15): the SimpleRNN update
with layer normalization before the activation,

    h_t = tanh(layer_norm(x_t @ W + h_{t-1} @ U + b))   (layer_norm with gain gamma, shift beta)

Two of them and a TimeDistributed(Dense(10)) make a sequence-to-sequence model,
trained on the seq2seq targets and scored by the validation MSE of the last time step.

    python examples/custom_cell.py             # 10,000 series, 20 epochs
    python examples/custom_cell.py --quick     # 500 series, 2 epochs
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import jax
import jax.numpy as jnp

import rnnlab
from rnnlab.baselines import mse, naive_forecast
from rnnlab.data import seq2seq_datasets
from rnnlab.layers import RNN, Dense, TimeDistributed
from rnnlab.metrics import mean_squared_error
from rnnlab.models import Sequential


@dataclass(frozen=True)
class LNSimpleRNNCell:
    """``h' = tanh(layer_norm(x @ W + h @ U + b))``; carry and output are ``(batch, units)``."""

    units: int
    epsilon: float = 1e-3  # Keras's LayerNormalization default

    def init(self, key, input_dim):
        k_kernel, k_rec = jax.random.split(key)
        glorot, orthogonal = jax.nn.initializers.glorot_uniform(), jax.nn.initializers.orthogonal()
        return {
            "kernel": glorot(k_kernel, (input_dim, self.units)),
            "recurrent_kernel": orthogonal(k_rec, (self.units, self.units)),
            "bias": jnp.zeros((self.units,)),
            "gamma": jnp.ones((self.units,)),  # layer norm gain
            "beta": jnp.zeros((self.units,)),  # layer norm shift
        }

    def initial_carry(self, batch_size, dtype=jnp.float32):
        return jnp.zeros((batch_size, self.units), dtype)

    def __call__(self, params, carry, x):
        z = x @ params["kernel"] + carry @ params["recurrent_kernel"] + params["bias"]
        mean = jnp.mean(z, axis=-1, keepdims=True)
        var = jnp.var(z, axis=-1, keepdims=True)
        z = (z - mean) * jax.lax.rsqrt(var + self.epsilon) * params["gamma"] + params["beta"]
        h = jnp.tanh(z)
        return h, h  # (new carry, output)


def last_time_step_mse(y_true, y_pred):
    """MSE of the last time step's 10-value forecast, the one that matters at inference."""
    return mean_squared_error(y_true[:, -1], y_pred[:, -1])


def build_model(seed: int) -> Sequential:
    return Sequential(
        [
            RNN(LNSimpleRNNCell(20), return_sequences=True, input_shape=(None, 1)),
            RNN(LNSimpleRNNCell(20), return_sequences=True),
            TimeDistributed(Dense(10)),
        ],
        seed=seed,
    )


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 series and 2 epochs")
    parser.add_argument("--epochs", type=int, help="training epochs (default 20, 2 with --quick)")
    parser.add_argument("--seed", type=int, default=42, help="seed of data, weights and shuffling")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=2)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    epochs = args.epochs or (2 if args.quick else 20)
    rnnlab.utils.set_random_seed(args.seed)
    rnnlab.utils.clear_session()

    data = seq2seq_datasets(seed=args.seed, n_series=500 if args.quick else 10_000)
    model = build_model(args.seed)
    n_params = sum(w.size for w in jax.tree.leaves(model.params))  # 480 + 860 + 210 = 1,550
    print(f"parameters: {n_params:,}")
    model.compile(optimizer="adam", loss="mse", metrics=[last_time_step_mse])
    history = model.fit(
        data.x_train,
        data.y_train,
        epochs=epochs,
        validation_data=(data.x_val, data.y_val),
        verbose=args.verbose,
    )

    val_mse = history.history["val_last_time_step_mse"][-1]
    naive = mse(data.y_val[:, -1], naive_forecast(data.x_val, horizon=10))
    print(f"ln_simple_rnn_seq2seq: val last-step MSE {val_mse:.4f} (naive {naive:.4f})")
    return {
        "name": "ln_simple_rnn_seq2seq",
        "params": n_params,
        "val_last_step_mse": val_mse,
        "naive_mse": naive,
        "history": history.history,
    }


if __name__ == "__main__":
    main()
