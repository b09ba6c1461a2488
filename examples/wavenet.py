"""WaveNet: a stack of causal, dilated 1D convolutions, sequence to sequence, no recurrence.

Each Conv1D(20, kernel_size=2, padding="causal") looks at the current step and one
step ``dilation_rate`` back, never ahead. Doubling the dilation (1, 2, 4, 8) doubles
the span at each layer, so one block of four layers sees 16 steps and two blocks see
31, with only 8 small layers. A final Conv1D(10, 1) is a per-step Dense(10): the
model forecasts the next 10 values at every input step, like the seq2seq RNNs, and
is scored by the validation MSE of the last time step against the naive forecast.

    python examples/wavenet.py             # 10,000 series, 20 epochs
    python examples/wavenet.py --quick     # 500 series, 2 epochs
"""

from __future__ import annotations

import argparse

import rnnlab
from rnnlab.baselines import mse, naive_forecast
from rnnlab.data import seq2seq_datasets
from rnnlab.layers import Conv1D, Input
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

    model = Sequential(seed=args.seed)
    model.add(Input(shape=(None, 1)))
    for rate in (1, 2, 4, 8) * 2:
        model.add(Conv1D(20, 2, padding="causal", activation="relu", dilation_rate=rate))
    model.add(Conv1D(10, 1))  # (n, 50, 10)
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
    print(f"wavenet: val last-step MSE {val_mse:.4f} (naive {naive:.4f})")
    return {
        "name": "wavenet",
        "params": model.count_params(),
        "val_last_step_mse": val_mse,
        "naive_mse": naive,
        "history": history.history,
    }


if __name__ == "__main__":
    main()
