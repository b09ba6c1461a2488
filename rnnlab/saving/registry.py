"""The allowlist: which class names a model file may name, and what each becomes in rnnlab.

Loading resolves every ``class_name`` in a config through this module (and the user's
``custom_objects``) and nothing else: no import by module path, no ``eval``, no pickle.
A name that is not here and not in ``custom_objects`` is refused with a message naming
it and listing what rnnlab has.

Example:
    >>> from rnnlab.saving.registry import layer_class
    >>> layer_class("LSTM", {}).__name__
    'LSTM'
    >>> layer_class("Lambda", {})
    Traceback (most recent call last):
    ...
    rnnlab.saving.registry.ConfigError: the config names a Lambda layer, which holds ...
"""

from __future__ import annotations

from typing import Any

from rnnlab import layers, optimizers
from rnnlab.core import cells

__all__ = [
    "CELLS",
    "INITIALIZERS",
    "LAYERS",
    "LOSS_CLASSES",
    "OPTIMIZERS",
    "ConfigError",
    "cell_class",
    "layer_class",
    "optimizer_class",
]


class ConfigError(ValueError):
    """A model config that rnnlab refuses: an unknown or unsafe class, or a bad value."""


#: Keras layer class name -> rnnlab layer class (``module`` ``keras.layers``).
LAYERS: dict[str, type] = {
    name: getattr(layers, name)
    for name in (
        "Activation",
        "Add",
        "AdditiveAttention",
        "Attention",
        "Average",
        "BatchNormalization",
        "Bidirectional",
        "Concatenate",
        "Dot",
        "Conv1D",
        "Dense",
        "Dropout",
        "Embedding",
        "Flatten",
        "GRU",
        "InputLayer",
        "LSTM",
        "LayerNormalization",
        "Masking",
        "Maximum",
        "Minimum",
        "Multiply",
        "RNN",
        "RepeatVector",
        "Reshape",
        "SimpleRNN",
        "Subtract",
        "TimeDistributed",
    )
}

#: Keras cell class name -> rnnlab cell class (inside ``RNN(cell)``).
CELLS: dict[str, type] = {
    "SimpleRNNCell": cells.SimpleRNNCell,
    "LSTMCell": cells.LSTMCell,
    "GRUCell": cells.GRUCell,
}

#: Keras initializer class name <-> rnnlab initializer name.
INITIALIZERS: dict[str, str] = {
    "GlorotUniform": "glorot_uniform",
    "GlorotNormal": "glorot_normal",
    "HeUniform": "he_uniform",
    "Orthogonal": "orthogonal",
    "Zeros": "zeros",
    "Ones": "ones",
    "RandomUniform": "uniform",
    "RandomNormal": "normal",
}

#: Keras optimizer class name -> (rnnlab class, Keras's ``name`` for it).
OPTIMIZERS: dict[str, tuple[type, str]] = {
    "Adam": (optimizers.Adam, "adam"),
    "AdamW": (optimizers.AdamW, "adam_w"),
    "Adamax": (optimizers.Adamax, "adamax"),
    "Nadam": (optimizers.Nadam, "nadam"),
    "SGD": (optimizers.SGD, "sgd"),
    "RMSprop": (optimizers.RMSprop, "rm_sprop"),
    "Adagrad": (optimizers.Adagrad, "adagrad"),
}

#: Keras loss classes -> rnnlab loss names (``Huber`` keeps its ``delta``).
LOSS_CLASSES: dict[str, str] = {
    "MeanSquaredError": "mean_squared_error",
    "MeanAbsoluteError": "mean_absolute_error",
    "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
    "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error",
    "Huber": "huber",
}

_CODE_LAYERS = ("Lambda", "TFOpLambda", "SlicingOpLambda", "__lambda__")


def _custom(name: str, registered: Any, custom_objects: dict[str, Any]) -> Any:
    for key in (name, registered):
        if isinstance(key, str) and key in custom_objects:
            return custom_objects[key]
    return None


def _unknown(kind: str, name: str, known: list[str]) -> ConfigError:
    return ConfigError(
        f"unknown {kind} class {name!r}: rnnlab has {', '.join(sorted(known))}; "
        f"for a class of your own, pass custom_objects={{{name!r}: {name}}}"
    )


def refuse_code(name: str) -> None:
    """Raise :class:`ConfigError` for a class name that stands for Python code (``Lambda``).

    Example:
        >>> refuse_code("Dense") is None
        True
    """
    if name in _CODE_LAYERS:
        what = "a Python lambda" if name == "__lambda__" else f"a {name} layer"
        raise ConfigError(
            f"the config names {what}, which holds Python code; rnnlab never runs code "
            "from a model file (not even with safe_mode=False): rebuild the model with a "
            "named layer class and pass it in custom_objects"
        )


def layer_class(name: str, custom_objects: dict[str, Any], registered: Any = None) -> type:
    """The class for a layer config's ``class_name``: ``custom_objects`` first, then rnnlab's.

    Example:
        >>> layer_class("Dense", {}).__name__
        'Dense'
    """
    found = _custom(name, registered, custom_objects)
    if found is not None:
        return found
    refuse_code(name)
    if name in LAYERS and registered in (None, name):
        return LAYERS[name]
    if name == "Model":  # (nested Functional and Sequential entries never get here)
        raise ConfigError(
            "a Model used as a layer that is neither Functional nor Sequential (a "
            "subclassed model): rnnlab cannot load it from a file; build it in code"
        )
    raise _unknown("layer", name if registered in (None, name) else str(registered), list(LAYERS))


def cell_class(name: str, custom_objects: dict[str, Any], registered: Any = None) -> type:
    """The class for the ``cell`` of an ``RNN`` layer config.

    Example:
        >>> cell_class("LSTMCell", {}).__name__
        'LSTMCell'
    """
    found = _custom(name, registered, custom_objects)
    if found is not None:
        return found
    refuse_code(name)
    if name in CELLS and registered in (None, name):
        return CELLS[name]
    raise ConfigError(
        f"RNN cell class {name!r} is not one of rnnlab's ({', '.join(sorted(CELLS))}); "
        f"a custom cell needs custom_objects={{{name!r}: {name}}} when loading"
    )


def optimizer_class(name: str, custom_objects: dict[str, Any]) -> tuple[type, str]:
    """``(rnnlab class, Keras name)`` for an optimizer config's ``class_name``.

    Example:
        >>> optimizer_class("RMSprop", {})[1]
        'rm_sprop'
    """
    found = custom_objects.get(name)
    if found is not None:
        return found, name.lower()
    name = name.removeprefix("Custom>")  # tf.keras 2.11+ legacy files
    if name in OPTIMIZERS:
        return OPTIMIZERS[name]
    raise _unknown("optimizer", name, list(OPTIMIZERS))
