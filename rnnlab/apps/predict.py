"""``rnnlab predict MODEL.keras INPUT``: predictions of a saved model, printed or written.

The model is read with :func:`rnnlab.models.load_model` (a ``.keras`` file written by
rnnlab or by Keras, or a legacy ``.h5``): nothing in it is executed. The input is
one of:

- ``.npy``: an array of samples shaped as the model's input, ``(n, time, features)``
  (one sample without its batch axis, ``(time, features)``, is accepted too);
- ``.csv``: one sample per row, its values in time order (for several features,
  ``t0f0, t0f1, …, t1f0, …``); a header row of names is skipped.

Predictions go to standard output as CSV, or to ``--out`` (``.csv`` or ``.npy``,
written atomically). Outputs with a time axis are flattened per sample the same way.

Example:
    $ rnnlab predict reports/chapter/models/lstm.keras series.npy --out forecast.csv
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["configure", "read_input", "run", "write_output"]


class PredictError(Exception):
    """A problem with the command's files, reported as one line and exit status 2."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Options of ``rnnlab predict``."""
    parser.description = "Predict with a saved model (.keras or legacy .h5)."
    parser.add_argument("model", type=Path, help="the model file (.keras or .h5)")
    parser.add_argument("input", type=Path, help="the inputs: .npy array or .csv rows")
    parser.add_argument(
        "--out", type=Path, help="write predictions here (.csv or .npy) instead of printing"
    )
    parser.add_argument("--batch-size", type=int, default=None, help="samples per compiled call")


def read_input(path: Path, input_shape: tuple[int | None, ...]) -> np.ndarray:
    """The samples in ``path`` as float32, shaped for a model whose input is ``input_shape``.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "x.csv"; _ = p.write_text("a,b,c\\n1,2,3\\n")
        >>> read_input(p, (None, None, 1)).shape
        (1, 3, 1)
    """
    if not path.is_file():
        raise PredictError(f"input file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            x = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise PredictError(f"{path}: not a numeric .npy array ({exc})") from None
        if x.ndim == len(input_shape) - 1:
            x = x[None]  # one sample without its batch axis
    elif suffix == ".csv":
        x = _read_csv(path)
        if len(input_shape) == 3:
            features = input_shape[-1] or 1
            if x.shape[1] % features:
                raise PredictError(
                    f"{path}: rows have {x.shape[1]} values, not a multiple of the model's "
                    f"{features} features"
                )
            x = x.reshape(x.shape[0], -1, features)
    else:
        raise PredictError(f"input must be a .npy or .csv file, got {str(path)!r}")
    if x.ndim != len(input_shape):
        raise PredictError(
            f"{path}: the model takes inputs of shape {tuple(input_shape)}, the file holds "
            f"an array of shape {x.shape}"
        )
    return x.astype(np.float32)


def _read_csv(path: Path) -> np.ndarray:
    lines = [(n, r) for n, r in enumerate(csv.reader(io.StringIO(path.read_text())), 1) if r]
    if lines and not _numeric(lines[0][1]):
        lines = lines[1:]  # a header
    if not lines:
        raise PredictError(f"{path}: no rows of numbers")
    if len({len(r) for _, r in lines}) != 1:
        raise PredictError(f"{path}: rows have different numbers of values")
    for n, row in lines:
        if not _numeric(row):
            raise PredictError(f"{path}: line {n} holds a value that is not a number")
    rows = [r for _, r in lines]
    return np.asarray(rows, dtype=np.float64)


def _numeric(row: list[str]) -> bool:
    try:
        [float(v) for v in row]
    except ValueError:
        return False
    return True


def write_output(y: np.ndarray, out: Path | None) -> None:
    """Predictions as CSV on standard output, or into ``out`` (``.csv``/``.npy``, atomically)."""
    from rnnlab.saving.atomic import atomic_write

    flat = y.reshape(y.shape[0], -1)
    if out is None:
        np.savetxt(sys.stdout, flat, delimiter=",", fmt="%.8g")
        return
    if out.suffix.lower() not in (".csv", ".npy"):
        raise PredictError(f"--out must end in .csv or .npy, got {str(out)!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out) as f:
        if out.suffix.lower() == ".npy":
            np.save(f, y)
        else:
            np.savetxt(f, flat, delimiter=",", fmt="%.8g")


def run(args: argparse.Namespace) -> int:
    """Load, read, predict, write; 0 on success, 2 with a one-line message on bad input."""
    from rnnlab.models import load_model

    try:
        if not args.model.is_file():
            raise PredictError(f"model file {str(args.model)!r} does not exist")
        try:
            model: Any = load_model(args.model, compile=False)
        except (ValueError, KeyError) as exc:
            raise PredictError(f"cannot load the model: {exc}") from None
        x = read_input(args.input, model.input_shape)
        try:
            y = model.predict(x, batch_size=args.batch_size)
        except ValueError as exc:
            raise PredictError(str(exc)) from None
        write_output(np.asarray(y), args.out)
    except PredictError as exc:
        print(f"rnnlab predict: error: {exc}", file=sys.stderr)
        return 2
    return 0
