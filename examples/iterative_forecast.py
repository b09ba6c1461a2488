"""Iterative forecasting: predict one step, append it to the input, repeat 10 times.

A one-step model (the chapter's stacked SimpleRNN, sequence-to-vector) can forecast
further ahead by feeding its own predictions back: predict step 51, append it, predict
step 52 from the 51 steps, and so on. Errors compound, so this is usually worse than
a model trained for 10 steps, but it needs no new training.

The input grows from 50 to 59 steps. ``predict`` left-pads the time axis (masked) to a
multiple of 16 steps when every layer honours masks, so all ten calls run one compiled
function: the script checks that ``predict`` compiled once. Scored by the validation
MSE over the 10 forecast values, against the naive forecast (last value repeated).

    python examples/iterative_forecast.py             # 10,000 series, 20 epochs
    python examples/iterative_forecast.py --quick     # 500 series, 2 epochs
"""

from __future__ import annotations

import argparse

import numpy as np

import rnnlab
from rnnlab.baselines import mse, naive_forecast
from rnnlab.data import chapter_datasets
from rnnlab.layers import Dense, SimpleRNN
from rnnlab.models import Sequential

HORIZON = 10


def forecast(model: Sequential, x: np.ndarray, horizon: int) -> np.ndarray:
    """``horizon`` values after ``x`` (n, time, 1), one at a time: returns (n, horizon)."""
    for _ in range(horizon):
        next_value = model.predict(x)  # (n, 1)
        x = np.concatenate([x, next_value[:, np.newaxis, :]], axis=1)
    return x[:, -horizon:, 0]


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

    # Train on the one-step data set, forecast on the 10-step one (x (n, 50, 1), y (n, 10)).
    single, multi = chapter_datasets(seed=args.seed, n_series=500 if args.quick else 10_000)
    model = Sequential(
        [
            SimpleRNN(20, return_sequences=True, input_shape=(None, 1)),
            SimpleRNN(20),
            Dense(1),
        ],
        seed=args.seed,
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(
        single.x_train,
        single.y_train,
        epochs=epochs,
        validation_data=(single.x_val, single.y_val),
        verbose=args.verbose,
    )

    y_pred = forecast(model, multi.x_val, HORIZON)  # input lengths 50, 51, ..., 59
    compilations = model.predict_fn._cache_size()  # jax.jit's count of compiled versions
    print(f"predict compiled {compilations} time(s) for {HORIZON} growing inputs")
    if compilations != 1:
        raise RuntimeError(f"predict recompiled: {compilations} compiled versions, expected 1")

    val_mse = mse(multi.y_val, y_pred)
    naive = mse(multi.y_val, naive_forecast(multi.x_val, horizon=HORIZON))
    print(f"iterative_forecast: val 10-step MSE {val_mse:.4f} (naive {naive:.4f})")
    return {
        "name": "iterative_forecast",
        "val_mse": val_mse,
        "naive_mse": naive,
        "predict_compilations": compilations,
    }


if __name__ == "__main__":
    main()
