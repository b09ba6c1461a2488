"""Whole-model files: Keras 3's ``.keras`` zip (written and read) and legacy ``.h5`` (read).

A ``.keras`` file is a zip of three stored members, in Keras's order: ``metadata.json``
(``keras_version`` 3.15.1, ``date_saved``, and ``rnnlab_version``: Keras never reads this
member, so the extra key is harmless), ``config.json`` (:mod:`rnnlab.saving.config`) and
``model.weights.h5`` (:mod:`rnnlab.saving.weights`). Writes go through
:func:`rnnlab.saving.atomic.atomic_write`; reads through
:mod:`rnnlab.saving.safe_zip` / :mod:`rnnlab.saving.safe_h5`. Which reader runs is
decided by the file's first bytes (zip or HDF5), not only by its name.

Example:
    >>> import pathlib, tempfile
    >>> from rnnlab.models import Sequential
    >>> from rnnlab.layers import Dense
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "m.keras"
    >>> m = Sequential([Dense(2, input_shape=(3,))])
    >>> save_model(m, path)
    >>> load_model(path).output_shape
    (None, 2)
"""

from __future__ import annotations

import datetime
import io
import json
import os
import warnings
import zipfile
from typing import Any

from rnnlab.saving.atomic import atomic_write
from rnnlab.saving.config import ConfigError, compile_to_keras, model_to_keras
from rnnlab.saving.config_reader import model_from_keras
from rnnlab.saving.errors import UnsafeFileError
from rnnlab.saving.safe_zip import open_zip

__all__ = ["KERAS_VERSION", "load_model", "save_model"]

PathLike = str | os.PathLike[str]

#: The Keras version whose format rnnlab writes (``metadata.json``'s ``keras_version``).
KERAS_VERSION = "3.15.1"
_CONFIG, _METADATA, _WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _weights_bytes(model: Any, include_optimizer: bool) -> bytes:
    import h5py

    from rnnlab.saving.weights import write_weights

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        write_weights(h5, model, include_optimizer=include_optimizer)
    return buffer.getvalue()


def save_model(model: Any, filepath: PathLike, overwrite: bool = True) -> None:
    """Write ``model`` (config, weights, optimizer state) as a Keras 3 ``.keras`` file.

    The file is replaced all at once: if anything fails, an existing file keeps its old
    bytes. A model compiled with a raw Optax transformation (which has no Keras form) is
    saved without optimizer, loss and optimizer state, with a warning, as tf.keras did
    for TensorFlow-native optimizers; it loads uncompiled.

    Raises:
        ValueError: the name does not end in ``.keras``, or the model is not built.
        FileExistsError: ``overwrite=False`` and the file exists.

    Example:
        >>> import pathlib, tempfile
        >>> from rnnlab.models import Sequential
        >>> from rnnlab.layers import LSTM
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "lstm.keras"
        >>> save_model(Sequential([LSTM(3, input_shape=(None, 1))]), path)
        >>> sorted(zipfile.ZipFile(path).namelist())
        ['config.json', 'metadata.json', 'model.weights.h5']
    """
    path = os.fspath(filepath)
    if not path.endswith(".keras"):
        hint = (
            "; rnnlab writes legacy .h5 model files no more (it reads them), and weights "
            "alone go to a .weights.h5 file with model.save_weights"
            if path.endswith((".h5", ".hdf5"))
            else ""
        )
        raise ValueError(f"save: {path!r}: the file name must end in .keras{hint}")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"save: {path!r} exists and overwrite=False")
    compile_config = compile_to_keras(model)
    if compile_config is None:
        warnings.warn(
            f"save: {path}: the model's optimizer is a raw Optax transformation, which has "
            "no Keras equivalent; saved without optimizer, loss and optimizer state (the "
            "model loads uncompiled: compile it again after loading)",
            stacklevel=2,
        )
    config = json.dumps(model_to_keras(model, compile_config))
    weights = _weights_bytes(model, include_optimizer=bool(compile_config))
    metadata = json.dumps(
        {
            "keras_version": KERAS_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
            "rnnlab_version": _rnnlab_version(),
        }
    )
    mode = "wb" if overwrite else "xb"
    with atomic_write(path, mode) as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
        with zf.open(_METADATA, "w") as member:
            member.write(metadata.encode())
        with zf.open(_CONFIG, "w") as member:
            member.write(config.encode())
        zf.writestr(_WEIGHTS, weights)


def _rnnlab_version() -> str:
    import rnnlab

    return rnnlab.__version__


def _sniff(path: str) -> str:
    """``"zip"``, ``"hdf5"`` or ``"other"`` from the file's first bytes (errors for a missing
    or empty file are left to the readers, which name them)."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return "other"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(_HDF5_SIGNATURE):
        return "hdf5"
    return "other"


def load_model(
    filepath: PathLike,
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """Read a model from a ``.keras`` file (Keras 3's or rnnlab's) or a legacy ``.h5``.

    Nothing in the file is executed, whatever ``safe_mode`` says: the config is JSON,
    its classes come from rnnlab's allowlist and ``custom_objects`` only, and ``Lambda``
    layers are refused. ``compile``: also compile with the file's optimizer and loss
    and restore the optimizer state.

    Raises:
        UnsafeFileError: (a ``ValueError``) a missing, empty, truncated, corrupt or foreign
            file, or a config rnnlab refuses; the message names the file.

    Example:
        >>> load_model("chapter_lstm.keras")  # doctest: +SKIP
    """
    del safe_mode  # rnnlab is always safe: there is no unsafe mode to turn on
    path = os.fspath(filepath)
    kind = _sniff(path)
    if kind == "hdf5" or (kind == "other" and path.endswith((".h5", ".hdf5"))):
        return _load_legacy(path, custom_objects or {}, compile)
    with open_zip(path) as zf:
        names = zf.names()
        if _CONFIG not in names:
            raise UnsafeFileError(
                path, None, "no config.json: not a Keras model file (a .keras file is a zip "
                "of metadata.json, config.json and model.weights.h5)"
            )  # fmt: skip
        config = zf.read_json(_CONFIG)
        if _WEIGHTS not in names:
            npz = " (weights_format='npz' is not supported: save with .h5 weights)"
            raise UnsafeFileError(
                path, None,
                f"no model.weights.h5{npz if 'model.weights.npz' in names else ''}",
            )  # fmt: skip
        model = _from_config(path, _CONFIG, config, custom_objects, compile)
        weights = zf.read(_WEIGHTS)
    from rnnlab.saving.weights import read_weights

    read_weights(
        weights,
        model,
        name=f"{path}: {_WEIGHTS}",
        include_optimizer=compile and model.trainer is not None,
    )
    return model


def _from_config(
    path: str, inner: str, config: Any, custom_objects: Any, compile: bool, training: Any = None
) -> Any:
    if not isinstance(config, dict):
        raise UnsafeFileError(path, inner, "not a Keras model config (expected a JSON object)")
    compile_config = (training or config.get("compile_config")) if compile else None
    try:
        return model_from_keras(config, custom_objects, compile_config)
    except ConfigError as e:
        raise UnsafeFileError(path, inner, str(e)) from None


def _load_legacy(path: str, custom_objects: dict[str, Any], compile: bool) -> Any:
    from rnnlab.saving.legacy_h5 import read_legacy_model_config, read_legacy_weights
    from rnnlab.saving.safe_h5 import read_attrs

    attrs = read_attrs(path)
    if "model_config" not in attrs:
        raise UnsafeFileError(
            path, None, "no model_config: an HDF5 weights file, not a whole model; build the "
            "model and call model.load_weights on it"
        )  # fmt: skip
    config = read_legacy_model_config(path)
    training = None
    if compile and attrs.get("training_config"):
        try:
            training = json.loads(attrs["training_config"])
        except (TypeError, ValueError) as e:
            raise UnsafeFileError(path, "training_config", f"not valid JSON: {e}") from None
    model = _from_config(path, "model_config", config, custom_objects, compile, training)
    read_legacy_weights(path, model)
    return model
