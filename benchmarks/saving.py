"""Model files and backups: ``python -m benchmarks.saving``.

The chapter's LSTM (2×LSTM(20) + TimeDistributed(Dense(10)), Adam, batch 32, the
chapter's 7,000 training series of 50 steps) measured in one interpreter:

- ``save_s`` / ``load_s``: ``model.save("lstm.keras")`` and ``load_model`` of the trained
  model (median of ``--repeats``, after one warm-up of each);
- ``fit_s`` with and without ``BackupAndRestore(save_freq="epoch")``, the two
  alternating over ``--repeats`` runs of ``--epochs`` epochs (after one compiling fit),
  and the overhead as a ratio of the medians.

Writes ``<out>/saving-latest.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import generate_time_series, median


def _model(keras):
    model = keras.models.Sequential(
        [
            keras.layers.LSTM(20, return_sequences=True, input_shape=[None, 1]),
            keras.layers.LSTM(20, return_sequences=True),
            keras.layers.TimeDistributed(keras.layers.Dense(10)),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m benchmarks.saving", description=__doc__)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--n-series", type=int, default=10_000)
    p.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = p.parse_args(argv)

    import rnnlab as keras

    rng = np.random.default_rng(42)
    series = generate_time_series(rng, args.n_series, 60)
    n_train = int(0.7 * args.n_series)
    x = series[:n_train, :50]
    y = np.stack([series[:n_train, i + 1 : i + 11, 0] for i in range(50)], axis=1)
    keras.utils.set_random_seed(0)
    model = _model(keras)
    model.fit(x, y, epochs=1, verbose=0)  # compiles
    folder = Path(tempfile.mkdtemp(prefix="rnnlab-bench-saving-"))
    path = folder / "lstm.keras"
    saves, loads = [], []
    for i in range(args.repeats + 1):
        start = time.perf_counter()
        model.save(path)
        mid = time.perf_counter()
        keras.models.load_model(path)
        end = time.perf_counter()
        if i:  # the first of each is a warm-up (imports h5py, first zip)
            saves.append(mid - start)
            loads.append(end - mid)
    plain, backed = [], []
    for i in range(args.repeats):
        for with_backup in (False, True) if i % 2 == 0 else (True, False):
            callbacks = [keras.callbacks.BackupAndRestore(folder / f"b{i}")] if with_backup else []
            start = time.perf_counter()
            model.fit(x, y, epochs=args.epochs, verbose=0, callbacks=callbacks)
            (backed if with_backup else plain).append(time.perf_counter() - start)
    result = {
        "save_s": median(saves),
        "load_s": median(loads),
        "file_bytes": path.stat().st_size,
        "fit_s": median(plain),
        "fit_with_backup_s": median(backed),
        "backup_overhead": median(backed) / median(plain) - 1.0,
        "runs": {"save": saves, "load": loads, "fit": plain, "fit_with_backup": backed},
        "epochs": args.epochs,
        "n_train": n_train,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "saving-latest.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"chapter LSTM, {n_train} series: file {result['file_bytes'] / 1024:.0f} KiB")
    print(f"  save {result['save_s'] * 1000:.1f} ms, load {result['load_s'] * 1000:.1f} ms")
    print(
        f"  fit {args.epochs} epochs: {result['fit_s']:.2f} s, with BackupAndRestore "
        f"{result['fit_with_backup_s']:.2f} s ({result['backup_overhead']:+.1%})"
    )
    return result


if __name__ == "__main__":
    main()
