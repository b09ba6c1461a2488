"""Encoder–decoder RNN: encode 50 steps into one vector, decode it into the next 10 values.

The chapter's kind "encoder–decoder": a sequence-to-vector encoder followed by a
vector-to-sequence decoder. The encoder LSTM(20) reads the 50 observed steps and
keeps only its last output, a 20-value summary of the series; RepeatVector(10)
hands that summary to the decoder LSTM(20) at each of 10 output steps, and
TimeDistributed(Dense(1)) reads one forecast value per step: ``(n, 10, 1)``.
Scored by the validation MSE over the 10 forecast values, against the naive
forecast (last value repeated).

    python examples/encoder_decoder.py             # 10,000 series, 20 epochs
    python examples/encoder_decoder.py --quick     # 500 series, 2 epochs
"""

from __future__ import annotations

import argparse

import rnnlab
from rnnlab.baselines import mse, naive_forecast
from rnnlab.data import chapter_datasets
from rnnlab.layers import LSTM, Dense, RepeatVector, TimeDistributed
from rnnlab.models import Sequential

HORIZON = 10


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

    # The 10-step data set: x (n, 50, 1), y (n, 10) -> (n, 10, 1), one value per decoder step.
    _, multi = chapter_datasets(seed=args.seed, n_series=500 if args.quick else 10_000)
    y_train, y_val = multi.y_train[..., None], multi.y_val[..., None]

    model = Sequential(
        [
            LSTM(20, input_shape=(None, 1)),  # encoder (seq2vec): (n, 20)
            RepeatVector(HORIZON),  # (n, 10, 20)
            LSTM(20, return_sequences=True),  # decoder (vec2seq): (n, 10, 20)
            TimeDistributed(Dense(1)),  # (n, 10, 1)
        ],
        seed=args.seed,
    )
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(
        multi.x_train,
        y_train,
        epochs=epochs,
        validation_data=(multi.x_val, y_val),
        verbose=args.verbose,
    )

    val_mse = mse(y_val, model.predict(multi.x_val))
    naive = mse(multi.y_val, naive_forecast(multi.x_val, horizon=HORIZON))
    print(f"encoder_decoder_lstm: val 10-step MSE {val_mse:.4f} (naive {naive:.4f})")
    return {
        "name": "encoder_decoder_lstm",
        "val_mse": val_mse,
        "naive_mse": naive,
        "history": history.history,
    }


if __name__ == "__main__":
    main()
