"""Conv1D + GRU sequence-to-sequence: shorten the sequence with a strided 1D convolution.

A Conv1D(20, kernel_size=4, strides=2, padding="valid") slides 20 kernels of 4 steps
over the series two steps at a time: 50 input steps become (50 - 4) // 2 + 1 = 24,
and each output step summarises 4 inputs. Two GRU(20) layers then work on the
shorter sequence and a Dense(10) forecasts 10 values at every remaining step.

Output step ``j`` sees inputs ``2j .. 2j + 3``, so its target is the forecast made at
input step ``2j + 3``: the targets are ``Y[:, 3::2]`` (steps 3, 5, …, 49 — 24 of them),
and the last one is still the forecast from step 49. Scored, as in Géron's notebook,
by the validation MSE of the last time step, against the naive forecast.

    python examples/conv1d_gru_seq2seq.py             # 10,000 series, 20 epochs
    python examples/conv1d_gru_seq2seq.py --quick     # 500 series, 2 epochs
"""

from __future__ import annotations

import argparse

import rnnlab
from rnnlab.baselines import mse, naive_forecast
from rnnlab.data import seq2seq_datasets
from rnnlab.layers import GRU, Conv1D, Dense
from rnnlab.metrics import mean_squared_error
from rnnlab.models import Sequential


def last_time_step_mse(y_true, y_pred):
    """MSE of the last time step's 10-value forecast, the one that matters at inference."""
    return mean_squared_error(y_true[:, -1], y_pred[:, -1])


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
    # Align the targets with the convolution's output steps: (n, 50, 10) -> (n, 24, 10).
    y_train, y_val = data.y_train[:, 3::2], data.y_val[:, 3::2]

    model = Sequential(
        [
            Conv1D(20, kernel_size=4, strides=2, padding="valid", input_shape=(None, 1)),
            GRU(20, return_sequences=True),
            GRU(20, return_sequences=True),
            Dense(10),  # on a 3-D input Dense acts at every step, like TimeDistributed(Dense(10))
        ],
        seed=args.seed,
    )
    model.compile(optimizer="adam", loss="mse", metrics=[last_time_step_mse])
    history = model.fit(
        data.x_train,
        y_train,
        epochs=epochs,
        validation_data=(data.x_val, y_val),
        verbose=args.verbose,
    )

    val_mse = history.history["val_last_time_step_mse"][-1]
    naive = mse(data.y_val[:, -1], naive_forecast(data.x_val, horizon=10))
    print(f"conv1d_gru_seq2seq: val last-step MSE {val_mse:.4f} (naive {naive:.4f})")
    return {
        "name": "conv1d_gru_seq2seq",
        "val_last_step_mse": val_mse,
        "naive_mse": naive,
        "history": history.history,
    }


if __name__ == "__main__":
    main()
