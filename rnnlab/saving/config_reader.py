"""Keras 3 model configs (``config.json``) -> rnnlab models and layers.

:func:`model_from_keras` reads a config written by Keras, by rnnlab
(:mod:`rnnlab.saving.config`), or the ``model_config`` of a legacy ``.h5``: every class
is looked up in :mod:`rnnlab.saving.registry` or ``custom_objects``, every layer is made
before the model is built, and a Keras setting that rnnlab cannot honour is refused by
name.

Example:
    >>> from rnnlab.models import Sequential
    >>> from rnnlab.layers import LSTM, Dense
    >>> from rnnlab.saving.config import model_to_keras
    >>> m = Sequential([LSTM(4, input_shape=(None, 1)), Dense(1)], name="m")
    >>> model_from_keras(model_to_keras(m)).get_layer(index=1).get_config()["units"]
    1
"""

from __future__ import annotations

import warnings
from typing import Any

from rnnlab import activations
from rnnlab.saving import objects as O
from rnnlab.saving.config_specs import (
    ARG,
    CELL_SPECS,
    FIXED,
    LEGACY_KEYS,
    SPECS,
    TUPLES,
)
from rnnlab.saving.registry import CELLS, LAYERS, ConfigError, cell_class, layer_class, refuse_code

__all__ = [
    "ConfigError",
    "cell_from_keras",
    "compile_from_keras",
    "layer_from_keras",
    "model_from_keras",
    "refuse_code_anywhere",
]


# -- Keras -> rnnlab -------------------------------------------------------------------------
def _value_from_keras(key: str, value: Any, co: dict[str, Any], rnn_extra: dict) -> Any:
    if key.endswith("_initializer"):
        return O.init_from_keras(value, co)
    if key in ("activation", "recurrent_activation"):
        return O.activation_from_keras(value, co)
    if key in TUPLES or key == "axis":
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
    for key in LEGACY_KEYS:
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
        >>> from rnnlab import layers as L
        >>> from rnnlab.saving.config import layer_to_keras
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
        >>> from rnnlab import layers as L
        >>> from rnnlab.saving.config import model_to_keras
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
