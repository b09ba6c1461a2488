"""Vector-to-sequence RNN: from one small vector per series, generate the next 10 values.

The chapter's kind "vector-to-sequence": the input is not a sequence but a single
vector — here the last 5 observed values of each series, as 5 features, shape
``(n, 5)``. RepeatVector(10) feeds that same vector to a GRU at each of 10 output
steps; the GRU's state carries the generated trajectory and TimeDistributed(Dense(1))
reads one value per step, giving ``(n, 10, 1)``. Scored by the validation MSE over
the 10 forecast values, against the naive forecast (last value repeated).

    python examples/vector_to_sequence.py                 # 10,000 series, 20 epochs
    python examples/vector_to_sequence.py --features 10   # a vector of the last 10 values
    python examples/vector_to_sequence.py --quick         # 500 series, 2 epochs
"""

from __future__ import annotations

import argparse

import rnnlab
from rnnlab.baselines import mse, naive_forecast
from rnnlab.data import chapter_datasets
from rnnlab.layers import GRU, Dense, Input, RepeatVector, TimeDistributed
from rnnlab.models import Sequential

HORIZON = 10


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 series and 2 epochs")
    parser.add_argument("--epochs", type=int, help="training epochs (default 20, 2 with --quick)")
    parser.add_argument("--seed", type=int, default=42, help="seed of data, weights and shuffling")
    parser.add_argument("--features", type=int, default=5, help="last values in the input vector")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=2)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    epochs = args.epochs or (2 if args.quick else 20)
    rnnlab.utils.set_random_seed(args.seed)
    rnnlab.utils.clear_session()

    # The 10-step data set: x (n, 50, 1), y (n, 10). Keep only a vector of the last values.
    _, multi = chapter_datasets(seed=args.seed, n_series=500 if args.quick else 10_000)
    v_train = multi.x_train[:, -args.features :, 0]  # (n, features)
    v_val = multi.x_val[:, -args.features :, 0]
    y_train, y_val = multi.y_train[..., None], multi.y_val[..., None]  # (n, 10, 1)

    model = Sequential(
        [
            Input(shape=(args.features,)),
            RepeatVector(HORIZON),  # (n, 10, features): the same vector at every output step
            GRU(20, return_sequences=True),  # (n, 10, 20)
            TimeDistributed(Dense(1)),  # (n, 10, 1)
        ],
        seed=args.seed,
    )
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(
        v_train, y_train, epochs=epochs, validation_data=(v_val, y_val), verbose=args.verbose
    )

    val_mse = mse(y_val, model.predict(v_val))
    naive = mse(multi.y_val, naive_forecast(multi.x_val, horizon=HORIZON))
    print(f"vec2seq_gru: val 10-step MSE {val_mse:.4f} (naive {naive:.4f})")
    return {
        "name": "vec2seq_gru",
        "val_mse": val_mse,
        "naive_mse": naive,
        "history": history.history,
    }


if __name__ == "__main__":
    main()
