"""Many models at once: which cell forecasts 10 steps best, over several seeds?

Trains the chapter's 10-step forecaster (two recurrent layers of 20 units and a
Dense(10)) with SimpleRNN, LSTM and GRU cells, each from several seeds, all with
one :func:`rnnlab.parallel.fit_many` call: on a CPU, each model's small steps run
on one core, so training models side by side uses the machine the way one model
cannot. Prints each cell's validation MSE over the seeds (mean, min, max)
against the naive forecast, and the time all the training took.

    python examples/many_models.py                 # 10,000 series, 20 epochs, 2 seeds
    python examples/many_models.py --seeds 3       # 9 models
    python examples/many_models.py --quick         # 500 series, 2 epochs
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import rnnlab
from rnnlab.baselines import mse, naive_forecast
from rnnlab.callbacks import LambdaCallback
from rnnlab.data import chapter_datasets
from rnnlab.layers import GRU, LSTM, Dense, SimpleRNN
from rnnlab.models import Sequential
from rnnlab.parallel import FitJob, fit_many

CELLS = {"simple_rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 series and 2 epochs")
    parser.add_argument("--epochs", type=int, help="training epochs (default 20, 2 with --quick)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the data; models use seed+k")
    parser.add_argument("--seeds", type=int, default=2, help="models per cell (default 2)")
    parser.add_argument("--workers", type=int, help="models trained at once (default: cores + 1)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=2)
    return parser.parse_args(argv)


def build(cell: type, seed: int) -> Sequential:
    """Two recurrent layers of 20 units and a Dense(10): (n, 50, 1) -> (n, 10)."""
    model = Sequential(
        [cell(20, return_sequences=True, input_shape=(None, 1)), cell(20), Dense(10)], seed=seed
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def main(argv=None) -> dict:
    args = parse_args(argv)
    epochs = args.epochs or (2 if args.quick else 20)
    rnnlab.utils.clear_session()
    # x: (n, 50, 1); y: (n, 10), the next ten values.
    _, multi = chapter_datasets(seed=args.seed, n_series=500 if args.quick else 10_000)

    names, jobs = [], []
    for cell_name, cell in CELLS.items():
        for k in range(args.seeds):
            name = f"{cell_name} seed {args.seed + k}"
            # fit_many needs verbose=0 (models share the terminal): report from a callback.
            report = LambdaCallback(
                on_epoch_end=lambda epoch, logs, name=name: print(
                    f"[{name}] epoch {epoch + 1}/{epochs} val_loss {logs['val_loss']:.4f}"
                )
            )
            fit_kwargs = {
                "epochs": epochs,
                "validation_data": (multi.x_val, multi.y_val),
                "callbacks": [report] if args.verbose else [],
            }
            names.append((cell_name, name))
            jobs.append(
                FitJob(build(cell, args.seed + k), multi.x_train, multi.y_train, fit_kwargs)
            )

    start = time.perf_counter()
    fit_many(jobs, workers=args.workers)
    wall = time.perf_counter() - start

    naive = mse(multi.y_val, naive_forecast(multi.x_val, horizon=10))
    per_cell: dict[str, list[float]] = {c: [] for c in CELLS}
    for (cell_name, _), job in zip(names, jobs, strict=True):
        per_cell[cell_name].append(mse(multi.y_val, job.model.predict(multi.x_val)))
    summary = {c: (float(np.mean(v)), min(v), max(v)) for c, v in per_cell.items()}
    for cell_name, (mean, low, high) in summary.items():
        print(
            f"{cell_name}: val MSE {mean:.4f} over {args.seeds} seed(s) "
            f"(min {low:.4f}, max {high:.4f}; naive {naive:.4f})"
        )
    print(f"{len(jobs)} models trained in {wall:.1f} s")
    return {"val_mse": summary, "naive_mse": naive, "wall_seconds": wall, "n_models": len(jobs)}


if __name__ == "__main__":
    main()
