"""Encoder–decoder with states: the encoder's final ``[h, c]`` start the decoder.

The chapter's fourth kind of RNN as it is usually written with Keras's functional API
— which a stack of layers cannot express. The encoder LSTM(32) reads the 50 observed
steps and returns its states (``return_state=True``); the decoder LSTM(32) starts from
them (``initial_state=[h, c]``) and reads, at each of the 10 output steps, the previous
value: in training the true one (teacher forcing: the last observed value, then the
targets shifted by one), in forecasting its own previous output, one step at a time,
through an encoder model and a one-step decoder model that share the trained layers.
Scored by the validation MSE over the 10 forecast values, against the naive forecast.

    python examples/encoder_decoder_states.py          # 10,000 series, 10 epochs
    python examples/encoder_decoder_states.py --quick  # 500 series, 2 epochs
"""

from __future__ import annotations

import argparse

import numpy as np

import rnnlab as keras
from rnnlab.baselines import mse, naive_forecast
from rnnlab.data import chapter_datasets

HORIZON = 10
UNITS = 32


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 series and 2 epochs")
    parser.add_argument("--epochs", type=int, help="training epochs (default 10, 2 with --quick)")
    parser.add_argument("--n-series", type=int, help="series (default 10,000, 500 with --quick)")
    parser.add_argument("--seed", type=int, default=42, help="seed of data, weights and shuffling")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=2)
    return parser.parse_args(argv)


def build() -> tuple[keras.Model, keras.Model, keras.Model]:
    """``(training model, encoder, one-step decoder)``, the last two sharing its layers."""
    history = keras.Input(shape=(None, 1), name="history")
    previous = keras.Input(shape=(None, 1), name="previous")
    _, h, c = keras.layers.LSTM(UNITS, return_state=True, name="encoder")(history)
    decoder = keras.layers.LSTM(UNITS, return_sequences=True, return_state=True, name="decoder")
    head = keras.layers.Dense(1, name="head")
    steps, _, _ = decoder(previous, initial_state=[h, c])
    training = keras.Model([history, previous], head(steps), name="encoder_decoder")

    encoder = keras.Model(history, [h, c], name="encode")
    h_in = keras.Input(shape=(UNITS,), name="h")
    c_in = keras.Input(shape=(UNITS,), name="c")
    step, h_out, c_out = decoder(previous, initial_state=[h_in, c_in])
    one_step = keras.Model([previous, h_in, c_in], [head(step), h_out, c_out], name="decode")
    return training, encoder, one_step


def teacher_inputs(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The decoder's inputs in training: the last observed value, then ``y`` shifted by one."""
    return np.concatenate([x[:, -1:], y[:, :-1]], axis=1)


def forecast(encoder: keras.Model, one_step: keras.Model, x: np.ndarray) -> np.ndarray:
    """``(n, HORIZON, 1)``: each step's output fed back as the next step's input."""
    h, c = encoder.predict(x, verbose=0)
    value, outputs = x[:, -1:], []
    for _ in range(HORIZON):
        value, h, c = one_step.predict([value, h, c], verbose=0)
        outputs.append(value)
    return np.concatenate(outputs, axis=1)


def main(argv=None) -> dict:
    args = parse_args(argv)
    epochs = args.epochs or (2 if args.quick else 10)
    keras.utils.set_random_seed(args.seed)
    keras.utils.clear_session()
    n_series = args.n_series or (500 if args.quick else 10_000)
    _, multi = chapter_datasets(seed=args.seed, n_series=n_series)
    y_train, y_val = multi.y_train[..., None], multi.y_val[..., None]

    model, encoder, one_step = build()
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(
        [multi.x_train, teacher_inputs(multi.x_train, y_train)],
        y_train,
        epochs=epochs,
        validation_data=([multi.x_val, teacher_inputs(multi.x_val, y_val)], y_val),
        verbose=args.verbose,
    )
    val_mse = mse(y_val, forecast(encoder, one_step, multi.x_val))
    naive = mse(multi.y_val, naive_forecast(multi.x_val, horizon=HORIZON))
    print(f"encoder_decoder_states: val 10-step MSE {val_mse:.4f} (naive {naive:.4f})")
    return {
        "name": "encoder_decoder_states",
        "val_mse": val_mse,
        "naive_mse": naive,
        "history": history.history,
    }


if __name__ == "__main__":
    main()
