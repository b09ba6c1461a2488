"""``model.save_weights`` / ``model.load_weights``: the files, as Keras 3 names and reads them.

``save_weights`` writes a ``.weights.h5`` (Keras 3's layout, optimizer state included once
the model has trained) all at once through :func:`rnnlab.saving.atomic.atomic_write`: a
crash mid-write leaves the previous file as it was. ``load_weights`` looks at the content,
not the name: a ``.keras`` zip (its ``model.weights.h5``), a Keras 3 weights file, or a
legacy ``.h5`` (tf.keras 2 or Keras 3's legacy format, weights matched by position).

Example:
    >>> import pathlib, tempfile
    >>> from rnnlab.models import Sequential
    >>> from rnnlab.layers import Dense
    >>> m = Sequential([Dense(1, input_shape=(2,))])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "d.weights.h5"
    >>> save_weights(m, path)
    >>> load_weights(m, path)
"""

from __future__ import annotations

import io
import os
from typing import Any

import h5py

from rnnlab.saving import legacy_h5
from rnnlab.saving.atomic import atomic_write
from rnnlab.saving.errors import UnsafeFileError
from rnnlab.saving.safe_h5 import open_h5
from rnnlab.saving.safe_zip import open_zip
from rnnlab.saving.weights import read_weights, write_weights

__all__ = ["load_weights", "save_weights"]

PathLike = str | os.PathLike[str]
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def save_weights(model: Any, filepath: PathLike, overwrite: bool = True) -> None:
    """Write ``model``'s weights (and optimizer state) as a Keras 3 ``.weights.h5``.

    Raises:
        ValueError: the name does not end in ``.weights.h5`` (as in Keras 3).
        FileExistsError: ``overwrite=False`` and the file exists.

    Example:
        >>> from rnnlab.models import Sequential
        >>> from rnnlab.layers import Dense
        >>> save_weights(Sequential([Dense(1, input_shape=(2,))]), "w.h5")
        Traceback (most recent call last):
        ...
        ValueError: The filename must end in `.weights.h5`. Received: filepath=w.h5
    """
    filepath_str = os.fspath(filepath)
    if not filepath_str.endswith(".weights.h5"):
        raise ValueError(
            f"The filename must end in `.weights.h5`. Received: filepath={filepath_str}"
        )
    if not overwrite and os.path.exists(filepath_str):
        raise FileExistsError(
            f"save_weights: {filepath_str!r} exists and overwrite=False; pass overwrite=True "
            "to replace it"
        )
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        write_weights(h5, model, include_optimizer=True)
    with atomic_write(filepath_str, "wb" if overwrite else "xb") as f:
        f.write(buffer.getbuffer())


def _kind(path: str) -> str:
    """``"zip"``, ``"legacy"`` or ``"weights"`` from the file's content."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except FileNotFoundError:
        raise UnsafeFileError(path, None, "no such file") from None
    except OSError as e:
        raise UnsafeFileError(path, None, f"cannot be read: {e}") from None
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    with open_h5(path) as h5:  # refuses empty, truncated and foreign files
        attrs = h5.attrs()
        top = {e.path for e in h5.entries if e.path and "/" not in e.path}
    if "model_weights" in top or any(k.startswith("layer_names") for k in attrs):
        return "legacy"
    return "weights"


def load_weights(model: Any, filepath: PathLike) -> None:
    """Read weights into ``model`` from a ``.weights.h5``, a ``.keras`` or a legacy ``.h5``.

    The optimizer state comes too (Keras 3 files) when the model is compiled. Every
    count and shape is checked before any weight changes.

    Raises:
        UnsafeFileError: missing, empty, truncated, foreign or unsafe file.
        ValueError: weights of another architecture (names the first layer that differs).

    Example:
        >>> from rnnlab.models import Sequential
        >>> from rnnlab.layers import Dense
        >>> load_weights(Sequential([Dense(1, input_shape=(2,))]), "missing.weights.h5")
        Traceback (most recent call last):
        ...
        rnnlab.saving.errors.UnsafeFileError: missing.weights.h5: no such file
    """
    path = os.fspath(filepath)
    kind = _kind(path)
    if kind == "zip":
        with open_zip(path) as zf:
            if "model.weights.h5" not in zf.names():
                other = [n for n in zf.names() if n.startswith("model.weights")]
                problem = (
                    f"holds {other[0]}, which rnnlab does not read (save it with "
                    "weights_format='h5')"
                    if other
                    else "is a zip without model.weights.h5 (not a .keras model file)"
                )
                raise UnsafeFileError(path, None, problem)
            data = zf.read("model.weights.h5")
        read_weights(data, model, name=path, include_optimizer=True)
    elif kind == "legacy":
        legacy_h5.read_legacy_weights(path, model)
    else:
        read_weights(path, model, name=path, include_optimizer=True)
