"""Sequence-to-vector RNN: read 50 steps, forecast the next value (the chapter's stacked RNN).

The chapter's kind "sequence-to-vector": two stacked SimpleRNN(20) layers read the
whole series; the first passes on every step (``return_sequences=True``), the second
only its last output, and a Dense(1) turns that vector into the one-step forecast.
The model has 440 + 820 + 21 = 1,281 parameters, as in the chapter. It is scored
by its validation MSE against the naive forecast (the last observed value).

    python examples/sequence_to_vector.py             # 10,000 series, 20 epochs
    python examples/sequence_to_vector.py --quick     # 500 series, 2 epochs
"""

from __future__ import annotations

import argparse

import rnnlab
from rnnlab.baselines import mse, naive_forecast
from rnnlab.data import chapter_datasets
from rnnlab.layers import Dense, SimpleRNN
from rnnlab.models import Sequential


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

    # x: (n, 50, 1); y: (n, 1), the value at step 51.
    single, _ = chapter_datasets(seed=args.seed, n_series=500 if args.quick else 10_000)

    model = Sequential(
        [
            SimpleRNN(20, return_sequences=True, input_shape=(None, 1)),  # (n, 50, 20)
            SimpleRNN(20),  # last step only: (n, 20)
            Dense(1),  # (n, 1)
        ],
        seed=args.seed,
    )
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(
        single.x_train,
        single.y_train,
        epochs=epochs,
        validation_data=(single.x_val, single.y_val),
        verbose=args.verbose,
    )

    val_mse = mse(single.y_val, model.predict(single.x_val))
    naive = mse(single.y_val, naive_forecast(single.x_val))
    print(f"seq2vec_stacked_rnn: val MSE {val_mse:.4f} (naive {naive:.4f})")
    return {
        "name": "seq2vec_stacked_rnn",
        "params": model.count_params(),
        "val_mse": val_mse,
        "naive_mse": naive,
        "history": history.history,
    }


if __name__ == "__main__":
    main()
