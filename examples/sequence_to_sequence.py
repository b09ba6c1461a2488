"""Sequence-to-sequence RNN: forecast the next 10 values at every one of the 50 input steps.

The chapter's kind "sequence-to-sequence" (Géron, Hands-On ML, ch. 15): the model
outputs a 10-value forecast at *every* time step, so each step gets a training
signal, not only the last. Targets come from :func:`rnnlab.data.seq2seq_datasets`:
``Y[:, t, k]`` is the value ``k + 1`` steps after step ``t``. Only the last step's
forecast is the real 10-step-ahead prediction, so the score is the MSE of the last
time step (``last_time_step_mse``), against the naive forecast (last value repeated).

    python examples/sequence_to_sequence.py                 # 2 x SimpleRNN(20), Adam(0.01)
    python examples/sequence_to_sequence.py --cell lstm     # 2 x LSTM(20), Adam()
    python examples/sequence_to_sequence.py --cell gru      # 2 x GRU(20), Adam()
    python examples/sequence_to_sequence.py --quick         # 500 series, 2 epochs
"""

from __future__ import annotations

import argparse

import rnnlab
from rnnlab.baselines import mse, naive_forecast
from rnnlab.data import seq2seq_datasets
from rnnlab.layers import GRU, LSTM, Dense, SimpleRNN, TimeDistributed
from rnnlab.metrics import mean_squared_error
from rnnlab.models import Sequential
from rnnlab.optimizers import Adam

CELLS = {"simple_rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}
# Learning rates of the recipe: Géron's seq2seq SimpleRNN uses Adam(0.01), LSTM/GRU the default.
LEARNING_RATES = {"simple_rnn": 0.01, "lstm": 0.001, "gru": 0.001}


def last_time_step_mse(y_true, y_pred):
    """MSE of the last time step's 10-value forecast, the one that matters at inference."""
    return mean_squared_error(y_true[:, -1], y_pred[:, -1])


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 series and 2 epochs")
    parser.add_argument("--epochs", type=int, help="training epochs (default 20, 2 with --quick)")
    parser.add_argument("--seed", type=int, default=42, help="seed of data, weights and shuffling")
    parser.add_argument("--cell", choices=sorted(CELLS), default="simple_rnn")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=2)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    epochs = args.epochs or (2 if args.quick else 20)
    rnnlab.utils.set_random_seed(args.seed)
    rnnlab.utils.clear_session()

    # x: (n, 50, 1); y: (n, 50, 10), split 7,000 / 2,000 / 1,000 at the defaults.
    data = seq2seq_datasets(seed=args.seed, n_series=500 if args.quick else 10_000)

    layer = CELLS[args.cell]
    model = Sequential(
        [
            layer(20, return_sequences=True, input_shape=(None, 1)),
            layer(20, return_sequences=True),
            TimeDistributed(Dense(10)),  # the same Dense(10) at every step: (n, 50, 10)
        ],
        seed=args.seed,
    )
    model.compile(
        optimizer=Adam(learning_rate=LEARNING_RATES[args.cell]),
        loss="mse",
        metrics=[last_time_step_mse],
    )
    history = model.fit(
        data.x_train,
        data.y_train,
        epochs=epochs,
        validation_data=(data.x_val, data.y_val),
        verbose=args.verbose,
    )

    val_mse = history.history["val_last_time_step_mse"][-1]
    naive = mse(data.y_val[:, -1], naive_forecast(data.x_val, horizon=10))
    name = f"seq2seq_{args.cell}"
    print(f"{name}: val last-step MSE {val_mse:.4f} (naive {naive:.4f})")
    return {
        "name": name,
        "val_last_step_mse": val_mse,
        "naive_mse": naive,
        "history": history.history,
    }


if __name__ == "__main__":
    main()
