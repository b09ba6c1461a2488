"""Keras 3 JSON for the small objects of a model: initializers, activations, functions,
optimizers, losses and metrics (both ways).

Keras's forms, from ``keras/src/saving/serialization_lib.py``: a built-in object is
``{"module", "class_name", "config", "registered_name": null}``; an activation inside a
layer config is its name; a plain function is ``{"module": <its module>, "class_name":
"function", "config": <name>, "registered_name": <name>}`` and comes back only through
``custom_objects`` (nothing is imported from the module the file names).

Example:
    >>> init_to_keras("orthogonal")["config"]
    {'seed': None, 'gain': 1.0}
    >>> init_from_keras(init_to_keras("zeros"), {})
    'zeros'
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from rnnlab import activations, initializers, losses, optimizers
from rnnlab.saving.registry import INITIALIZERS, LOSS_CLASSES, ConfigError, optimizer_class

__all__ = [
    "POLICY",
    "activation_from_keras",
    "activation_to_keras",
    "function_to_keras",
    "init_from_keras",
    "init_to_keras",
    "loss_from_keras",
    "loss_to_keras",
    "metrics_from_keras",
    "metrics_to_keras",
    "optimizer_from_keras",
    "optimizer_to_keras",
    "resolve_function",
]

#: The float32 dtype policy every layer config carries.
POLICY = {
    "module": "keras",
    "class_name": "DTypePolicy",
    "config": {"name": "float32"},
    "registered_name": None,
}

_VARIANCE_SCALING = {"seed": None, "input_axes": None, "output_axes": None}
_INIT_CONFIGS = {
    "GlorotUniform": _VARIANCE_SCALING,
    "GlorotNormal": _VARIANCE_SCALING,
    "HeUniform": _VARIANCE_SCALING,
    "Orthogonal": {"seed": None, "gain": 1.0},
    "Zeros": {},
    "Ones": {},
    "RandomUniform": {"seed": None, "minval": -0.05, "maxval": 0.05},
    "RandomNormal": {"seed": None, "mean": 0.0, "stddev": 0.05},
}
_INIT_CLASS = {name: cls for cls, name in INITIALIZERS.items()}


def function_to_keras(fn: Any, what: str) -> dict[str, Any]:
    """Keras's config for a plain Python function (loaded back via ``custom_objects``).

    Example:
        >>> def my_loss(y_true, y_pred): ...
        >>> function_to_keras(my_loss, "loss")["registered_name"]
        'my_loss'
    """
    name = getattr(fn, "__name__", None)
    if not isinstance(fn, types.FunctionType) or name in (None, "<lambda>"):
        raise ConfigError(
            f"cannot save {what} {fn!r}: only named functions (def ...) and rnnlab's own "
            "objects can be saved; a lambda would have to be saved as code, which rnnlab "
            "never writes or runs"
        )
    return {"module": fn.__module__, "class_name": "function", "config": name,
            "registered_name": name}  # fmt: skip


def resolve_function(config: Any, custom_objects: dict[str, Any], what: str, table: Any) -> Any:
    """The function a ``{"class_name": "function", ...}`` config (or a name) stands for:
    ``custom_objects`` first, then ``table(name)`` (rnnlab's own by Keras name).

    Example:
        >>> resolve_function("tanh", {}, "activation", activations.get).__name__
        'tanh'
    """
    if isinstance(config, dict):
        names = [config.get("config"), config.get("registered_name")]
        module = config.get("module") or ""
    else:
        names, module = [config], "keras"
    for name in names:
        if isinstance(name, str) and name in custom_objects:
            return custom_objects[name]
    name = names[0]
    if not isinstance(name, str):
        raise ConfigError(f"{what}: expected a function name, got {config!r}")
    if module == "builtins" or module == "keras" or module.startswith("keras."):
        try:
            return table(name)
        except ValueError:
            pass
    raise ConfigError(
        f"{what}: the file names the function {name!r} (module {module!r}), which is not "
        f"one of rnnlab's; pass it when loading: custom_objects={{{name!r}: {name}}}"
    )


# -- initializers and activations -----------------------------------------------------------
def init_to_keras(value: Any) -> dict[str, Any]:
    """Keras's config for an rnnlab initializer (a name or one of rnnlab's functions).

    Example:
        >>> init_to_keras("glorot_uniform")["class_name"]
        'GlorotUniform'
    """
    name = value if isinstance(value, str) and value in _INIT_CLASS else None
    if name is None:  # a function, or another spelling ("random_uniform") of a known one
        fn = initializers.get(value) if isinstance(value, str) else value
        name = next((n for n in _INIT_CLASS if initializers.get(n) is fn), None)
        value = fn
    if name is None:
        return function_to_keras(value, "initializer")
    cls = _INIT_CLASS[name]
    return {"module": "keras.initializers", "class_name": cls,
            "config": dict(_INIT_CONFIGS[cls]), "registered_name": None}  # fmt: skip


def init_from_keras(config: Any, custom_objects: dict[str, Any]) -> Any:
    """An rnnlab initializer (its name, or a custom callable) from Keras's config.

    Example:
        >>> init_from_keras({"class_name": "Orthogonal", "config": {"gain": 1.0}}, {})
        'orthogonal'
    """
    if isinstance(config, str):  # old configs name the initializer
        return resolve_function(config, custom_objects, "initializer", initializers.get)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ConfigError(f"initializer: expected a Keras initializer config, got {config!r}")
    name = config["class_name"]
    if name == "function":
        return resolve_function(config, custom_objects, "initializer", initializers.get)
    if name in custom_objects:
        cls = custom_objects[name]
        inner = config.get("config") or {}
        return cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)
    if name not in INITIALIZERS:
        raise ConfigError(
            f"unknown initializer class {name!r}: rnnlab has {', '.join(sorted(INITIALIZERS))}"
        )
    inner = config.get("config") or {}
    gain = inner.get("gain", 1.0)
    if gain != 1.0:
        raise ConfigError(f"initializer Orthogonal: rnnlab has gain 1.0 only, got {gain!r}")
    fixed = {k: v for k, v in _INIT_CONFIGS.get(name, {}).items() if k != "seed"}
    other = {k: inner[k] for k in fixed if k in inner and inner[k] != fixed[k]}
    if other:  # rnnlab's random_uniform / random_normal have Keras's default ranges only
        raise ConfigError(f"initializer {name}: rnnlab has {fixed} only, got {other}")
    return INITIALIZERS[name]


def activation_to_keras(value: Any) -> Any:
    """The Keras name of an activation (``None`` -> ``"linear"``), or a custom function's config.

    Example:
        >>> activation_to_keras(None), activation_to_keras(activations.get("relu"))
        ('linear', 'relu')
    """
    if value is None:
        return "linear"
    if isinstance(value, str):
        return value
    name = activations.name_of(value)
    try:
        if activations.get(name) is value:
            return name
    except ValueError:
        pass
    return function_to_keras(value, "activation")


def activation_from_keras(config: Any, custom_objects: dict[str, Any]) -> Any:
    """An rnnlab activation (name or callable) from a layer config's value.

    Example:
        >>> activation_from_keras("tanh", {})
        'tanh'
    """
    if isinstance(config, str) and config not in custom_objects:
        activations.get(config, owner="activation")  # a clear error for an unknown name
        return config
    return resolve_function(config, custom_objects, "activation", activations.get)


# -- optimizers ---------------------------------------------------------------------------
_OPT_BASE: dict[str, Any] = {
    "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
    "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
    "loss_scale_factor": None, "gradient_accumulation_steps": None,
}  # fmt: skip
_OPT_OWN: dict[str, tuple[str, ...]] = {
    "Adam": ("beta_1", "beta_2", "epsilon", "amsgrad"),
    "AdamW": ("beta_1", "beta_2", "epsilon", "amsgrad"),
    "Adamax": ("beta_1", "beta_2", "epsilon"),
    "Nadam": ("beta_1", "beta_2", "epsilon"),
    "SGD": ("momentum", "nesterov"),
    "RMSprop": ("rho", "momentum", "epsilon", "centered"),
    "Adagrad": ("initial_accumulator_value", "epsilon"),
}
#: tf.keras 2 optimizer keys that carry nothing when at these values.
_LEGACY_OPT = {"decay": 0.0, "is_legacy_optimizer": None, "jit_compile": None}


def _plain(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    return value


def optimizer_to_keras(opt: Any) -> dict[str, Any] | None:
    """Keras's config of an rnnlab optimizer; ``None`` for a raw Optax one (no Keras twin).

    The learning rate is the current one as float32, as Keras writes its variable.

    Example:
        >>> optimizer_to_keras(optimizers.SGD(0.01, momentum=0.9))["config"]["momentum"]
        0.9
    """
    if isinstance(opt, optimizers.OptaxOptimizer):
        return None
    cls_name = next((k for k, (c, _) in _opt_table().items() if type(opt) is c), None)
    if cls_name is None:  # a user's Optimizer subclass: saved by name, loaded via custom_objects
        config = {k: _plain(v) for k, v in opt.get_config().items()}
        name = type(opt).__name__
        return {"module": type(opt).__module__, "class_name": name, "config": config,
                "registered_name": name}  # fmt: skip
    config: dict[str, Any] = {"name": _opt_table()[cls_name][1]}
    config["learning_rate"] = float(np.float32(opt.learning_rate))
    config.update(_OPT_BASE)
    if cls_name == "AdamW":
        config["weight_decay"] = float(opt.weight_decay)
    config.update({k: _plain(getattr(opt, k)) for k in _OPT_OWN[cls_name]})
    return {"module": "keras.optimizers", "class_name": cls_name, "config": config,
            "registered_name": None}  # fmt: skip


def _opt_table() -> dict[str, tuple[type, str]]:
    from rnnlab.saving.registry import OPTIMIZERS

    return OPTIMIZERS


def optimizer_from_keras(config: Any, custom_objects: dict[str, Any]) -> optimizers.Optimizer:
    """An rnnlab optimizer from Keras's config (``compile_config.optimizer``, or a legacy
    ``optimizer_config``); refuses settings rnnlab's optimizers do not have.

    Example:
        >>> optimizer_from_keras(optimizer_to_keras(optimizers.Adam(0.002)), {}).learning_rate
        0.0020000000949949026
    """
    if isinstance(config, str):
        return optimizers.get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ConfigError(f"optimizer: expected a Keras optimizer config, got {config!r}")
    cls, _ = optimizer_class(config["class_name"], custom_objects)
    inner = dict(config.get("config") or {})
    if config["class_name"] in custom_objects:
        return cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)
    name = config["class_name"].removeprefix("Custom>")
    what = f"optimizer {name}"
    inner.pop("name", None)
    if "lr" in inner:
        inner.setdefault("learning_rate", inner.pop("lr"))
    lr = inner.pop("learning_rate", None)
    if lr is not None and not isinstance(lr, int | float):
        raise ConfigError(
            f"{what}: the learning rate is a schedule ({lr!r}); rnnlab's optimizers take a "
            "number: load with compile=False and compile again"
        )
    kwargs: dict[str, Any] = {} if lr is None else {"learning_rate": float(lr)}
    for key, default in {**_OPT_BASE, **_LEGACY_OPT}.items():
        value = inner.pop(key, default)
        if key == "weight_decay" and name == "AdamW":
            kwargs[key] = float(value) if value is not None else 0.004
        elif value != default and not (key in _LEGACY_OPT and not value):
            raise ConfigError(
                f"{what}: {key}={value!r} has no rnnlab equivalent (rnnlab's optimizers have "
                "no clipping, EMA, loss scaling, gradient accumulation or weight decay except "
                "AdamW's); load with compile=False to get the model without its optimizer"
            )
    unknown = sorted(set(inner) - set(_OPT_OWN[name]))
    if unknown:
        raise ConfigError(f"{what}: unknown settings {unknown} for rnnlab's {name}")
    try:
        return cls(**kwargs, **inner)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{what}: {e}") from None


# -- losses and metrics ---------------------------------------------------------------------
_LOSS_NAMES = ("mse", "mae", "mape", "msle", "huber")


def _loss_name(fn: Any) -> str | None:
    # Keras keeps the spelling given to compile; rnnlab keeps the function, so the short
    # name (what ``compile(loss="mse")`` users write) stands for it.
    for name in (*_LOSS_NAMES, losses.name_of(fn)):
        try:
            if losses.get(name) is fn:
                return name
        except ValueError:
            pass
    return None


def loss_to_keras(fn: Any) -> Any:
    """Keras's value for a compiled loss: its name, ``Huber`` with its delta, or a function.

    Example:
        >>> loss_to_keras(losses.get("mse")), loss_to_keras(losses.Huber(0.5))["config"]["delta"]
        ('mse', 0.5)
    """
    if isinstance(fn, losses.Huber):
        return {"module": "keras.losses", "class_name": "Huber",
                "config": {"name": "huber_loss", "reduction": "sum_over_batch_size",
                           "delta": fn.delta}, "registered_name": None}  # fmt: skip
    name = _loss_name(fn)
    if name is not None:
        return name
    if isinstance(fn, types.FunctionType):
        return function_to_keras(fn, "loss")
    if hasattr(fn, "get_config"):  # a loss class of the user's, loaded via custom_objects
        cls = type(fn).__name__
        return {"module": type(fn).__module__, "class_name": cls,
                "config": fn.get_config(), "registered_name": cls}  # fmt: skip
    return function_to_keras(fn, "loss")


def loss_from_keras(config: Any, custom_objects: dict[str, Any], what: str = "loss") -> Any:
    """The rnnlab loss (name or callable) for Keras's compiled ``loss`` value.

    Example:
        >>> loss_from_keras("mse", {})
        'mse'
        >>> loss_from_keras({"class_name": "Huber", "config": {"delta": 2.0}}, {}).delta
        2.0
    """
    if isinstance(config, str):
        if config in custom_objects:
            return custom_objects[config]
        losses.get(config, owner=what, kind=what)
        return config
    if isinstance(config, dict) and config.get("class_name") != "function":
        name = config.get("class_name")
        inner = config.get("config") or {}
        if name in custom_objects:
            cls = custom_objects[name]
            return cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)
        if name == "Huber":
            return losses.Huber(float(inner.get("delta", 1.0)))
        if name in LOSS_CLASSES:
            return LOSS_CLASSES[name]
        raise ConfigError(
            f"{what}: unknown class {name!r}: rnnlab has {', '.join(sorted(LOSS_CLASSES))}; "
            f"for your own, pass custom_objects={{{name!r}: {name}}}"
        )
    return resolve_function(config, custom_objects, what, lambda n: losses.get(n, kind=what))


def metrics_to_keras(names: list[str], fns: list[Any]) -> list[Any] | None:
    """Keras's ``metrics`` value: names as given at compile, functions by config.

    Example:
        >>> metrics_to_keras(["mae"], [losses.get("mae")])
        ['mae']
    """
    if not names:
        return None
    out: list[Any] = []
    for name, fn in zip(names, fns, strict=True):
        try:
            known = losses.get(name) is fn
        except ValueError:
            known = False
        out.append(name if known else loss_to_keras(fn))
    return out


def metrics_from_keras(config: Any, custom_objects: dict[str, Any]) -> list[Any]:
    """``compile(metrics=...)``'s list from Keras's ``metrics`` value (``None`` -> ``[]``).

    Example:
        >>> metrics_from_keras(["mae"], {})
        ['mae']
    """
    if config is None:
        return []
    if not isinstance(config, list):
        config = [config]
    return [loss_from_keras(m, custom_objects, "metric") for m in config]
