"""Saving and loading models in Keras's own file formats, safely.

Public functions (each imports its module on first use, so ``import rnnlab`` stays light):

- :func:`save_model` / :func:`load_model`: the whole model — config, weights, optimizer
  state — as a Keras 3 ``.keras`` zip (also read: legacy ``.h5`` whole-model files).
- :func:`save_weights` / :func:`load_weights`: weights only, Keras 3's ``.weights.h5``
  layout (also read: weights inside a ``.keras`` and legacy ``.h5`` weights).

Building blocks, each in its own module:

- :mod:`rnnlab.saving.atomic`: replace a file all at once (``atomic_write``).
- :mod:`rnnlab.saving.safe_h5`: read an untrusted HDF5 file (``read_arrays``).
- :mod:`rnnlab.saving.safe_zip`: read an untrusted ``.keras`` zip (``SafeZip``).
- :mod:`rnnlab.saving.errors`: the one error class for bad files, ``UnsafeFileError``.

Loading never runs code from a file: configs are JSON, classes come from an allowlist
of rnnlab's own (plus ``custom_objects``), and there is no pickle anywhere.
``docs/keras-format.md`` describes the formats.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["load_model", "load_weights", "save_model", "save_weights"]

PathLike = str | os.PathLike[str]


def save_model(model: Any, filepath: PathLike, overwrite: bool = True) -> None:
    """Write ``model`` as a Keras 3 ``.keras`` file (atomically). See ``Sequential.save``."""
    from rnnlab.saving.keras_file import save_model as save

    save(model, filepath, overwrite=overwrite)


def load_model(
    filepath: PathLike,
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """Read a model from a ``.keras`` or legacy ``.h5`` file. See ``rnnlab.models.load_model``."""
    from rnnlab.saving.keras_file import load_model as load

    return load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_weights(model: Any, filepath: PathLike, overwrite: bool = True) -> None:
    """Write ``model``'s weights as a Keras 3 ``.weights.h5`` file (atomically)."""
    from rnnlab.saving.weights_file import save_weights as save

    save(model, filepath, overwrite=overwrite)


def load_weights(model: Any, filepath: PathLike) -> None:
    """Read weights into ``model`` from ``.weights.h5``, ``.keras`` or legacy ``.h5``."""
    from rnnlab.saving.weights_file import load_weights as load

    load(model, filepath)
