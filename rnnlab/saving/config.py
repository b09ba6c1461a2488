"""Keras 3 model configs (``config.json``) <-> rnnlab models and layers.

:func:`model_to_keras` writes exactly what Keras 3.15.1's ``serialize_keras_object``
writes for the same Sequential (keys in Keras's order, Keras's defaults for what rnnlab
does not have; ``shared_object_id`` left out, as readers ignore it).
:func:`model_from_keras` reads such a config (from Keras, from rnnlab, or the
``model_config`` of a legacy ``.h5``): every class is looked up in
:mod:`rnnlab.saving.registry` or ``custom_objects``, every layer is made before the model
is built, and a Keras setting that rnnlab cannot honour is refused by name.
``docs/keras-format.md`` shows each layer's config.

Example:
    >>> from rnnlab.models import Sequential
    >>> from rnnlab.layers import LSTM, Dense
    >>> m = Sequential([LSTM(4, input_shape=(None, 1)), Dense(1)], name="m")
    >>> config = model_to_keras(m)
    >>> [layer["class_name"] for layer in config["config"]["layers"]]
    ['InputLayer', 'LSTM', 'Dense']
    >>> model_from_keras(config).get_layer(index=1).get_config()["units"]
    1
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

from rnnlab import activations
from rnnlab import layers as L
from rnnlab.saving import objects as O
from rnnlab.saving.registry import CELLS, LAYERS, ConfigError, cell_class, layer_class, refuse_code

__all__ = [
    "ConfigError",
    "layer_from_keras",
    "layer_to_keras",
    "model_from_keras",
    "model_to_keras",
]

ARG, FIXED, IGNORE = (
    "arg",
    "fixed",
    "ignore",
)  # rnnlab argument / Keras-only, default only / dropped


def _regs(*names: str) -> list[tuple[str, str, Any]]:
    return [(f"{n}_regularizer", FIXED, None) for n in names]


def _cons(*names: str) -> list[tuple[str, str, Any]]:
    return [(f"{n}_constraint", FIXED, None) for n in names]


def _args(*names: str) -> list[tuple[str, str, Any]]:
    return [(n, ARG, None) for n in names]


_RNN = [("return_sequences", ARG, False), ("return_state", ARG, False),
        ("go_backwards", ARG, False), ("stateful", FIXED, False), ("unroll", ARG, False),
        ("zero_output_for_mask", ARG, False)]  # fmt: skip
_INITS3 = _args("use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer")
_RNN_TAIL = _regs("kernel", "recurrent", "bias", "activity") + _cons("kernel", "recurrent", "bias")
_CELL_TAIL = _regs("kernel", "recurrent", "bias") + _cons("kernel", "recurrent", "bias")
_NORM_TAIL = _regs("beta", "gamma") + _cons("beta", "gamma")

#: Each Keras layer's config keys after ``name, trainable, dtype``, in Keras's order.
SPECS: dict[str, list[tuple[str, str, Any]]] = {
    "SimpleRNN": _RNN + _args("units", "activation") + _INITS3 + _RNN_TAIL
    + _args("dropout", "recurrent_dropout"),
    "LSTM": _RNN + _args("units", "activation", "recurrent_activation") + _INITS3
    + _args("unit_forget_bias") + _RNN_TAIL + _args("dropout", "recurrent_dropout")
    + [("seed", IGNORE, None)],
    "GRU": _RNN + _args("units", "activation", "recurrent_activation") + _INITS3 + _RNN_TAIL
    + _args("dropout", "recurrent_dropout", "reset_after") + [("seed", IGNORE, None)],
    "RNN": _RNN + _args("cell"),
    "Conv1D": _args("filters", "kernel_size", "strides", "padding")  # noqa: RUF005
    + [("data_format", FIXED, "channels_last")] + _args("dilation_rate")
    + [("groups", FIXED, 1)]
    + _args("activation", "use_bias", "kernel_initializer", "bias_initializer")
    + _regs("kernel", "bias", "activity") + _cons("kernel", "bias"),
    "Dense": _args("units", "activation", "use_bias", "kernel_initializer", "bias_initializer")
    + _regs("kernel", "bias") + _cons("kernel", "bias") + [("quantization_config", FIXED, None)],
    "BatchNormalization": _args("axis", "momentum", "epsilon", "center", "scale",
                                "beta_initializer", "gamma_initializer",
                                "moving_mean_initializer", "moving_variance_initializer")
    + _NORM_TAIL + [("synchronized", FIXED, False), ("renorm", FIXED, False),
                    ("renorm_clipping", FIXED, None), ("renorm_momentum", IGNORE, 0.99)],
    "LayerNormalization": _args("axis", "epsilon", "center", "scale")  # noqa: RUF005
    + [("rms_scaling", FIXED, False)] + _args("beta_initializer", "gamma_initializer")
    + _NORM_TAIL,
    "Dropout": _args("rate", "seed", "noise_shape"),
    "RepeatVector": _args("n"),
    "Reshape": _args("target_shape"),
    "Flatten": _args("data_format"),
    "Masking": _args("mask_value"),
    "Activation": _args("activation"),
    "TimeDistributed": _args("layer"),
    "Bidirectional": _args("merge_mode", "layer", "backward_layer"),
    **{name: [] for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")},
    "Concatenate": _args("axis"),
    "Dot": _args("axes", "normalize"),
    "Embedding": _args("input_dim", "output_dim", "embeddings_initializer")  # noqa: RUF005
    + [("embeddings_regularizer", FIXED, None), ("activity_regularizer", FIXED, None),
       ("embeddings_constraint", FIXED, None)] + _args("mask_zero")
    + [("quantization_config", FIXED, None)],
    "Attention": _args("use_scale", "score_mode", "dropout", "seed"),
    "AdditiveAttention": _args("use_scale", "dropout", "seed"),
}  # fmt: skip
CELL_SPECS: dict[str, list[tuple[str, str, Any]]] = {
    "SimpleRNNCell": _args("units", "activation") + _INITS3 + _CELL_TAIL,
    "LSTMCell": _args("units", "activation", "recurrent_activation") + _INITS3
    + _args("unit_forget_bias") + _CELL_TAIL,
    "GRUCell": _args("units", "activation", "recurrent_activation") + _INITS3 + _CELL_TAIL
    + _args("reset_after"),
}  # fmt: skip
#: Layers whose Keras ``build`` is their own, so Keras writes a ``build_config``.
_BUILT = {"SimpleRNN", "LSTM", "GRU", "RNN", "Conv1D", "Dense", "BatchNormalization",
          "LayerNormalization", "RepeatVector", "Flatten", "TimeDistributed",
          "Bidirectional", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
          "Concatenate", "Dot", "Embedding", "Attention", "AdditiveAttention"}  # fmt: skip
_TUPLES = {"kernel_size", "strides", "dilation_rate", "target_shape", "noise_shape"}
#: Keys of old (tf.keras 2) configs that change nothing in rnnlab.
_LEGACY_KEYS = ("implementation", "batch_size")
_FLOATS = {"mask_value", "rate", "epsilon", "momentum", "dropout", "recurrent_dropout"}


# -- rnnlab -> Keras -------------------------------------------------------------------------
def _value_to_keras(layer: Any, key: str, value: Any, inner_of: str | None) -> Any:
    if key.endswith("_initializer"):
        return O.init_to_keras(value)
    if key in ("activation", "recurrent_activation"):
        return O.activation_to_keras(value)
    if key in _TUPLES:
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
    if key in _FLOATS:
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
    if name in _BUILT and layer.input_shape is not None:
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


# -- Keras -> rnnlab -------------------------------------------------------------------------
def _value_from_keras(key: str, value: Any, co: dict[str, Any], rnn_extra: dict) -> Any:
    if key.endswith("_initializer"):
        return O.init_from_keras(value, co)
    if key in ("activation", "recurrent_activation"):
        return O.activation_from_keras(value, co)
    if key in _TUPLES or key == "axis":
        return tuple(value) if isinstance(value, list) else value
    if key == "unroll":
        return True if value is True else 1
    if key in ("layer", "backward_layer"):
        return layer_from_keras(value, co)
    if key == "cell":
        cell, extra = cell_from_keras(value, co)
        rnn_extra.update(extra)
        return cell
    return value


def _check_dtype(value: Any, what: str) -> None:
    name = value.get("config", {}).get("name") if isinstance(value, dict) else value
    if name not in (None, "float32"):
        raise ConfigError(f"{what}: dtype {name!r}; rnnlab computes in float32 only")


def _kwargs_from_keras(
    spec: list[tuple[str, str, Any]], config: dict[str, Any], co: dict[str, Any], what: str
) -> dict[str, Any]:
    config = dict(config)
    config.pop("shared_object_id", None)
    _check_dtype(config.pop("dtype", None), what)
    kwargs: dict[str, Any] = {}
    for key in ("name", "trainable", "batch_input_shape", "input_shape"):
        if key in config:
            kwargs[key] = config.pop(key)
    extra: dict[str, Any] = {}
    for key, kind, default in spec:
        if key not in config:
            continue
        value = config.pop(key)
        if kind == ARG:
            kwargs["cell" if key == "cell" else key] = _value_from_keras(key, value, co, extra)
        elif kind == FIXED and value != default:
            raise ConfigError(f"{what}: {key}={value!r} is not supported by rnnlab")
    if config.pop("time_major", False) is not False:
        raise ConfigError(f"{what}: time_major=True is not supported by rnnlab")
    for key in _LEGACY_KEYS:
        config.pop(key, None)
    if config:
        warnings.warn(f"{what}: ignored unknown config keys {sorted(config)}", stacklevel=3)
    return {**kwargs, **extra}


def _from_custom(cls: type, config: Any, co: dict[str, Any], what: str) -> Any:
    config = _generic_from_keras(config or {}, co)
    try:
        return cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{what}: cannot be made from its config: {e}") from None


def _generic_from_keras(value: Any, co: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_generic_from_keras(v, co) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("class_name") == "function":
        return O.resolve_function(value, co, "function", activations.get)
    if "class_name" in value and "config" in value:
        return layer_from_keras(value, co)
    return {k: _generic_from_keras(v, co) for k, v in value.items()}


def cell_from_keras(config: Any, co: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """``(cell, RNN-layer kwargs)`` from Keras's cell config (its dropout goes to the layer).

    Example:
        >>> cell, extra = cell_from_keras({"class_name": "LSTMCell", "config": {"units": 2}}, {})
        >>> cell.units, extra
        (2, {})
    """
    name = _class_name(config, "RNN cell")
    cls = cell_class(name, co, config.get("registered_name"))
    if CELLS.get(name) is not cls:
        return _from_custom(cls, config.get("config"), co, f"RNN cell {name}"), {}
    inner = dict(config.get("config") or {})
    rates = {k: inner.pop(k, 0.0) for k in ("dropout", "recurrent_dropout")}
    extra = {k: v for k, v in rates.items() if v}
    inner.pop("seed", None)
    kwargs = _kwargs_from_keras(CELL_SPECS[name], inner, co, f"RNN cell {name}")
    kwargs.pop("name", None), kwargs.pop("trainable", None)
    try:
        return cls(**kwargs), extra
    except (TypeError, ValueError) as e:
        raise ConfigError(f"RNN cell {name}: {e}") from None


def _class_name(config: Any, what: str) -> str:
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ConfigError(
            f"{what}: expected a Keras object config with a class_name, got {config!r}"
        )
    return config["class_name"]


def layer_from_keras(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """An unbuilt rnnlab layer from Keras's config of one layer.

    Example:
        >>> layer_from_keras(layer_to_keras(L.Conv1D(3, 2, name="c"))).kernel_size
        2
    """
    co = custom_objects or {}
    name = _class_name(config, "layer")
    if name in ("Functional", "Sequential"):  # a model used as a layer, built
        try:
            return model_from_keras(config, co)
        except ConfigError as e:
            inner_name = (config.get("config") or {}).get("name", "?")
            raise ConfigError(f"the {name} model {inner_name!r} used as a layer: {e}") from None
    cls = layer_class(name, co, config.get("registered_name"))
    inner = config.get("config") or {}
    what = f"layer {inner.get('name', '?')!r} ({name})"
    if LAYERS.get(name) is not cls:
        return _from_custom(cls, inner, co, what)
    if name == "InputLayer":
        inner = dict(inner)
        _check_dtype(inner.pop("dtype", None), what)
        for key in ("sparse", "ragged", "optional"):
            if inner.pop(key, False):
                raise ConfigError(f"{what}: {key}=True is not supported by rnnlab")
        inner.pop("batch_size", None)
        try:
            return cls(**inner)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{what}: {e}") from None
    kwargs = _kwargs_from_keras(SPECS[name], inner, co, what)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{what}: {e}") from None


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


def compile_from_keras(config: Any, custom_objects: dict[str, Any]) -> dict[str, Any] | None:
    """``compile``'s keyword arguments from Keras's ``compile_config`` (or a legacy ``.h5``'s
    ``training_config``); ``None`` when there is nothing to compile with.

    Example:
        >>> compile_from_keras({"optimizer": "sgd", "loss": "mse"}, {})["loss"]
        'mse'
    """
    if not config:
        return None
    if not isinstance(config, dict):
        raise ConfigError(f"compile_config: expected a dict, got {config!r}")
    optimizer = config.get("optimizer", config.get("optimizer_config"))
    if optimizer is None or config.get("loss") is None:
        warnings.warn("the file's model was compiled without an optimizer or a loss: "
                      "returned uncompiled", stacklevel=3)  # fmt: skip
        return None
    for key in ("loss_weights", "weighted_metrics"):
        if config.get(key) not in (None, [], [1.0], 1.0):
            warnings.warn(f"compile_config: {key}={config[key]!r} ignored (rnnlab has none)",
                          stacklevel=3)  # fmt: skip
    return {"optimizer": O.optimizer_from_keras(optimizer, custom_objects),
            "loss": O.loss_from_keras(config["loss"], custom_objects),
            "metrics": O.metrics_from_keras(config.get("metrics"), custom_objects)}  # fmt: skip


def model_from_keras(
    config: Any,
    custom_objects: dict[str, Any] | None = None,
    compile_config: Any = None,
) -> Any:
    """A Sequential (or a functional ``Model``, :mod:`rnnlab.saving.functional_reader`)
    from Keras's model config, compiled from ``compile_config`` when given.

    Every class in the file is resolved and every layer and the optimizer made before the
    model is built, so a bad file fails before any weight exists.

    Example:
        >>> from rnnlab.models import Sequential
        >>> m = model_from_keras(model_to_keras(Sequential([L.Dense(2, input_shape=(3,))])))
        >>> m.output_shape
        (None, 2)
    """
    from rnnlab.models import Sequential

    co = custom_objects or {}
    refuse_code_anywhere(config)
    refuse_code_anywhere(compile_config)
    name = _class_name(config, "model")
    if name == "Functional" or (name == "Model" and "input_layers" in _model_inner(config)):
        from rnnlab.saving.functional_reader import functional_from_keras

        return functional_from_keras(config, co, compile_config)
    if name != "Sequential":
        refuse_code(name)
        raise ConfigError(
            f"the file holds a model of the class {name!r} (a subclassed model, or not a "
            "model): rnnlab loads Sequential and functional models from files; for a "
            f"subclassed model, build {name} in code and call its load_weights with the file"
        )
    inner = config.get("config")
    layer_configs = inner if isinstance(inner, list) else (inner or {}).get("layers")
    if not isinstance(layer_configs, list):
        raise ConfigError("the Sequential config has no list of layers")
    layers = [layer_from_keras(c, co) for c in layer_configs]
    compile_args = compile_from_keras(compile_config, co)
    inner = inner if isinstance(inner, dict) else {}
    model = Sequential(name=inner.get("name"))
    for layer in layers:
        model.add(layer)
    if not model.built:
        shape = inner.get("build_input_shape") or (config.get("build_config") or {}).get(
            "input_shape"
        )
        if shape:
            model.build(tuple(shape))
    if compile_args:
        model.compile(**compile_args)
    return model


def _model_inner(config: dict[str, Any]) -> dict[str, Any]:
    """A model config's ``config`` object (``{}`` when it is missing or not an object)."""
    inner = config.get("config")
    return inner if isinstance(inner, dict) else {}


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


def refuse_code_anywhere(config: Any) -> None:
    """Raise :class:`ConfigError` if any object in ``config`` is a ``Lambda`` or lambda.

    Example:
        >>> refuse_code_anywhere({"layers": [{"class_name": "Lambda", "config": {}}]})
        Traceback (most recent call last):
        ...
        rnnlab.saving.registry.ConfigError: the config names a Lambda layer, ...
    """
    stack = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("class_name"), str):
                refuse_code(item["class_name"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
