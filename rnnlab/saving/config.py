"""rnnlab models and layers -> Keras 3 model configs (``config.json``).

:func:`model_to_keras` writes exactly what Keras 3.15.1's ``serialize_keras_object``
writes for the same Sequential (keys in Keras's order, Keras's defaults for what rnnlab
does not have; ``shared_object_id`` left out, as readers ignore it); the functional
``Model``'s graph is :mod:`rnnlab.saving.functional_config`'s. Reading them back is
:mod:`rnnlab.saving.config_reader`; each layer's keys are in
:mod:`rnnlab.saving.config_specs`, and ``docs/keras-format.md`` shows each config.

Example:
    >>> from rnnlab.models import Sequential
    >>> from rnnlab.layers import LSTM, Dense
    >>> m = Sequential([LSTM(4, input_shape=(None, 1)), Dense(1)], name="m")
    >>> config = model_to_keras(m)
    >>> [layer["class_name"] for layer in config["config"]["layers"]]
    ['InputLayer', 'LSTM', 'Dense']
"""

from __future__ import annotations

import dataclasses
from typing import Any

from rnnlab import layers as L
from rnnlab.saving import objects as O
from rnnlab.saving.config_specs import ARG, BUILT, CELL_SPECS, FLOATS, SPECS, TUPLES
from rnnlab.saving.registry import CELLS, LAYERS, ConfigError

__all__ = [
    "ConfigError",
    "cell_to_keras",
    "compile_to_keras",
    "layer_to_keras",
    "model_to_keras",
    "refuse_unsaveable",
]


# -- rnnlab -> Keras -------------------------------------------------------------------------
def _value_to_keras(layer: Any, key: str, value: Any, inner_of: str | None) -> Any:
    if key.endswith("_initializer"):
        return O.init_to_keras(value)
    if key in ("activation", "recurrent_activation"):
        return O.activation_to_keras(value)
    if key in TUPLES:
        return None if value is None else [value] if isinstance(value, int) else list(value)
    if key == "axis" and isinstance(layer, L.LayerNormalization):
        return list(layer.axis)
    if key == "unroll":
        return value is True
    if key == "data_format":
        return value or "channels_last"
    if key == "zero_output_for_mask":  # Keras forces it to return_sequences in Bidirectional
        return bool(getattr(layer, key, inner_of == "Bidirectional"))
    if key == "layer":
        return layer_to_keras(getattr(layer, "forward_layer", None) or layer.layer, type(layer))
    if key == "backward_layer":
        return layer_to_keras(layer.backward_layer, type(layer))
    if key == "cell":
        return cell_to_keras(layer.cell, layer)
    if key in FLOATS:
        return float(value)
    if key == "padding":
        return value.lower()
    return O._plain(value)


def _generic_to_keras(value: Any, what: str) -> Any:
    """A custom object's config value as JSON (numbers, strings, lists, layers, functions)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_generic_to_keras(v, what) for v in value]
    if isinstance(value, dict):
        return {str(k): _generic_to_keras(v, what) for k, v in value.items()}
    if isinstance(value, L.Layer):
        return layer_to_keras(value)
    if callable(value):
        return O.function_to_keras(value, what)
    plain = O._plain(value)
    if plain is not value:
        return plain
    raise ConfigError(f"{what}: cannot save the value {value!r} in a JSON config")


def _custom_to_keras(obj: Any, what: str) -> dict[str, Any]:
    cls = type(obj).__name__
    if hasattr(obj, "get_config"):
        config = obj.get_config()
    elif dataclasses.is_dataclass(obj):
        config = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    else:
        raise ConfigError(
            f"cannot save {what} {cls}: it has no get_config(); give it one that returns "
            "its constructor arguments (and load with custom_objects={...})"
        )
    config = _generic_to_keras(config, f"{what} {cls}")
    return {"module": type(obj).__module__, "class_name": cls, "config": config,
            "registered_name": cls}  # fmt: skip


def cell_to_keras(cell: Any, rnn: Any) -> dict[str, Any]:
    """Keras's config of an ``RNN`` layer's cell (rnnlab's cells as Keras's, others by name).

    Example:
        >>> from rnnlab.core.cells import GRUCell
        >>> cell_to_keras(GRUCell(3), L.RNN(GRUCell(3)))["config"]["reset_after"]
        True
    """
    name = type(cell).__name__
    if CELLS.get(name) is not type(cell):
        return _custom_to_keras(cell, "RNN cell")
    snake = {"SimpleRNNCell": "simple_rnn_cell", "LSTMCell": "lstm_cell", "GRUCell": "gru_cell"}
    config: dict[str, Any] = {"name": snake[name], "trainable": True, "dtype": O.POLICY}
    for key, kind, default in CELL_SPECS[name]:
        config[key] = (
            _value_to_keras(cell, key, getattr(cell, key), None) if kind == ARG else default
        )
    config.update(dropout=rnn.dropout, recurrent_dropout=rnn.recurrent_dropout, seed=None)
    return {"module": "keras.layers", "class_name": name, "config": config, "registered_name": None}


def layer_to_keras(layer: Any, inner_of: type | None = None) -> dict[str, Any]:
    """Keras's config of one rnnlab layer (with ``build_config`` once built, as Keras does).

    Example:
        >>> layer_to_keras(L.Dense(2, name="d"))["config"]["activation"]
        'linear'
    """
    if getattr(layer, "is_model_layer", False):  # a model used as a layer: its own config
        entry = model_to_keras(layer)
        entry["compile_config"] = {}
        return entry
    name = type(layer).__name__
    refuse_unsaveable(layer)
    if LAYERS.get(name) is not type(layer) or name == "InputLayer":
        return _custom_to_keras(layer, "layer")
    given = layer.get_config()
    config: dict[str, Any] = {"name": layer.name, "trainable": layer.trainable, "dtype": O.POLICY}
    outer = inner_of.__name__ if inner_of else None
    for key, kind, default in SPECS[name]:
        if kind == ARG:
            config[key] = _value_to_keras(layer, key, given.get(key, default), outer)
        else:
            config[key] = _value_to_keras(layer, key, default, outer)
    out = {"module": "keras.layers", "class_name": name, "config": config, "registered_name": None}
    if name in BUILT and layer.input_shape is not None:
        out["build_config"] = {"input_shape": list(layer.input_shape)}
    return out


def model_to_keras(model: Any, compile_config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Keras's ``config.json`` object for a built Sequential (``compile_config`` as given).

    Example:
        >>> from rnnlab.models import Sequential
        >>> model_to_keras(Sequential([L.Dense(1, input_shape=(3,))]))["build_config"]
        {'input_shape': [None, 3]}
    """
    model.built_params("save")
    if getattr(model, "_plan", None) is not None:  # a functional Model
        from rnnlab.saving.functional_config import functional_to_keras

        return functional_to_keras(model, compile_config)
    shape = list(model.input_shape)
    input_layer = {"module": "keras.layers", "class_name": "InputLayer",
                   "config": {"batch_shape": shape, "dtype": "float32", "sparse": False,
                              "ragged": False, "name": "input_layer", "optional": False},
                   "registered_name": None}  # fmt: skip
    config = {"name": model.name, "trainable": True, "dtype": O.POLICY,
              "layers": [input_layer] + [layer_to_keras(x) for x in model.layers],
              "build_input_shape": shape}  # fmt: skip
    return {"module": "keras", "class_name": "Sequential", "config": config,
            "registered_name": None, "build_config": {"input_shape": shape},
            "compile_config": compile_config or {}}  # fmt: skip


def compile_to_keras(model: Any) -> dict[str, Any] | None:
    """Keras's ``compile_config`` of a model: ``{}`` when not compiled, ``None`` when its
    optimizer has no Keras form (a raw Optax transformation).

    Example:
        >>> from rnnlab.models import Sequential
        >>> m = Sequential([L.Dense(1, input_shape=(2,))]); m.compile("adam", "mae")
        >>> compile_to_keras(m)["loss"]
        'mae'
    """
    trainer = model.trainer
    if trainer is None:
        return {}
    optimizer = O.optimizer_to_keras(trainer.optimizer)
    if optimizer is None:
        return None
    if getattr(trainer, "outputs", None) is not None:  # several outputs: as compile got them
        given = trainer.compile_args
        loss = _per_output_to_keras(given["loss"], O.loss_to_keras)
        weights = _per_output_to_keras(given["loss_weights"], O._plain)
        metrics = _per_output_to_keras(given["metrics"], O.loss_to_keras)
    else:
        loss, weights = O.loss_to_keras(trainer.loss_fn), None
        metrics = O.metrics_to_keras(trainer.metric_names, trainer.metric_fns)
    return {"optimizer": optimizer, "loss": loss, "loss_weights": weights, "metrics": metrics,
            "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1,
            "jit_compile": True}  # fmt: skip


def _per_output_to_keras(value: Any, leaf: Any) -> Any:
    """Per-output ``compile`` arguments in the structure given (dicts, lists), names as
    spelled (Keras keeps ``"mse"``), other leaves through ``leaf``."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {k: _per_output_to_keras(v, leaf) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_per_output_to_keras(v, leaf) for v in value]
    return leaf(value)


def refuse_unsaveable(layer: Any) -> None:
    """Raise :class:`ConfigError` for a layer that holds Python code (``Lambda``, or any
    layer whose ``saveable`` is False): Keras's safe mode refuses to load such a file, and
    rnnlab never writes code into one. Checked before anything is written.

    Example:
        >>> refuse_unsaveable(L.Dense(1)) is None
        True
    """
    if getattr(layer, "saveable", True) is False or type(layer).__name__ == "Lambda":
        raise ConfigError(
            f"cannot save the {type(layer).__name__} layer {layer.name!r}: it holds Python "
            "code, which Keras's safe mode refuses to load and rnnlab never writes into a "
            "file; write it as a Layer subclass with get_config() (loaded with "
            "custom_objects), or save the weights only with save_weights"
        )
