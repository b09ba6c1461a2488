"""Weights of Keras-style layers, and their binding to traced values during a call.

A Keras-style layer (:mod:`rnnlab.layers.custom`) creates its weights with
``self.add_weight(...)``, which returns a :class:`Variable`: a named, shaped slot whose
value lives in the layer's ``params`` dict (``{path: array}``), not in the object. While
the layer's ``call`` runs inside :func:`bound_call` — under ``jax.jit`` or ``jax.grad``,
over parameter values it is given — the layer's trainable-weight attributes hold those
values themselves (real JAX arrays or tracers, so ``x @ self.kernel``,
``jnp.tanh(self.kernel)`` and every ``jax.numpy`` function work) and its sublayers called
inside ``call`` use their part of the same values and a key derived from the call's key.
This is what Keras 3 does on JAX with its ``StatelessScope``: the call is a pure function
of ``(params, inputs, key)``, traced once into the compiled training step.

Non-trainable weights stay :class:`Variable` objects inside ``call`` so that
``self.count.assign(self.count + 1)`` works: its operators and ``.value`` read the bound
value, ``assign`` records the new one, returned as an update (as BatchNormalization's
moving statistics are). Pass ``.value`` to ``jax.numpy`` functions (a JAX array is
needed there; JAX no longer converts objects through ``__jax_array__`` while tracing).

Example:
    >>> import jax.numpy as jnp
    >>> from rnnlab.layers import Layer
    >>> class Scale(Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
    ...     def call(self, x):
    ...         return x * self.w
    >>> layer = Scale()
    >>> layer(jnp.ones((2, 3))).tolist(), layer.w.shape
    ([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], (3,))
"""

from __future__ import annotations

import inspect
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import jax

from rnnlab.layers.variables import TensorShape, Variable, _unwrap, scope_stack

__all__ = ["NOT_BOUND", "TensorShape", "Variable", "bound_call", "flatten", "rebuild"]

#: What :func:`call_in_scope` returns for a layer that is not a sublayer of the call in progress.
NOT_BOUND = object()

# -- nested params <-> a layer's flat params ---------------------------------------------------


def flatten(params: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as one flat dict with ``/``-joined keys.

    Example:
        >>> flatten({"kernel": 1, "fw": {"bias": 2}}, "cell")
        {'cell/kernel': 1, 'cell/fw/bias': 2}
    """
    out: dict[str, Any] = {}
    for key, value in params.items():
        path = f"{prefix}/{key}" if prefix else key
        if isinstance(value, dict):
            out.update(flatten(value, path))
        else:
            out[path] = value
    return out


def rebuild(template: Any, flat: dict[str, Any], prefix: str, partial: bool = False) -> Any:
    """The entries of ``flat`` under ``prefix`` in the structure of ``template`` (a
    sublayer's params, or their shapes): the inverse of :func:`flatten`, exact even when
    the sublayer's own keys hold ``/``. ``partial``: skip what ``flat`` lacks (updates).

    Example:
        >>> rebuild({"kernel": 0, "fw": {"bias": 0}}, {"c/kernel": 1, "c/fw/bias": 2}, "c")
        {'kernel': 1, 'fw': {'bias': 2}}
        >>> rebuild({"a/b": 0}, {"c/a/b": 1, "w": 3}, "c")
        {'a/b': 1}
    """
    out: dict[str, Any] = {}
    for key, value in template.items():
        path = f"{prefix}/{key}"
        if isinstance(value, dict):
            inner = rebuild(value, flat, path, partial)
            if inner or not partial:
                out[key] = inner
        elif path in flat or not partial:
            out[key] = flat[path]
    return out


# -- the binding scope ---------------------------------------------------------------------


@dataclass
class _Scope:
    """One bound call in progress: its layer, the (flat) values of its weights, and what
    its sublayer calls need. ``tracing``: the call runs on placeholder values to discover
    and build the sublayers (see :func:`rnnlab.layers.custom.trace_call`)."""

    layer: Any
    params: dict[str, Any]
    training: bool
    key: jax.Array | None
    tracing: bool
    updates: dict[str, Any] = field(default_factory=dict)
    calls: Counter = field(default_factory=Counter)
    sublayers: dict[int, str] = field(default_factory=dict)


def tracked_sublayers(layer: Any) -> dict[str, Any]:
    """``{path: sublayer}`` for the layers held in ``layer``'s attributes (directly, or in
    lists, tuples and dicts), in assignment order — Keras's tracking of sublayers (models
    used as layers among them)."""
    found: dict[str, Any] = {}
    for attr, value in vars(layer).items():
        if attr.startswith("_keras") or attr == "_init_args":
            continue
        if is_sublayer(value) and value is not layer:
            found[attr] = value
        elif isinstance(value, list | tuple):
            found.update({f"{attr}/{i}": v for i, v in enumerate(value) if is_sublayer(v)})
        elif isinstance(value, dict):
            found.update({f"{attr}/{k}": v for k, v in value.items() if is_sublayer(v)})
    return found


def is_sublayer(value: Any) -> bool:
    """A layer, or a model used as a layer (rnnlab.models.as_layer)."""
    from rnnlab.layers.base import Layer

    return isinstance(value, Layer) or bool(getattr(value, "is_model_layer", False))


def _accepted(call: Any) -> frozenset[str]:
    params = inspect.signature(call).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return frozenset({"training", "mask"})
    return frozenset(p.name for p in params)


def _swap_in(layer: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Put the bound arrays of ``layer``'s trainable weights in place of their Variables;
    return the attributes to restore."""
    saved: dict[str, Any] = {}
    for attr, value in list(vars(layer).items()):
        if isinstance(value, Variable) and value.trainable and value.owner is layer:
            saved[attr] = value
            setattr(layer, attr, params[value.path])
        elif isinstance(value, list | tuple) and any(isinstance(v, Variable) for v in value):
            saved[attr] = value
            bound = [
                params[v.path] if isinstance(v, Variable) and v.trainable else v for v in value
            ]
            setattr(layer, attr, type(value)(bound) if isinstance(value, tuple) else bound)
    return saved


def bound_call(
    layer: Any,
    params: dict[str, Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    training: bool,
    key: jax.Array | None,
    mask: Any = None,
    tracing: bool = False,
) -> tuple[Any, dict[str, Any]]:
    """Run a Keras-style ``layer.call(*args, **kwargs)`` with its weights bound to
    ``params`` (flat, ``{path: array}``): ``(outputs, updates)``, ``updates`` holding the
    new values of weights assigned during the call. ``training``/``mask`` are passed only
    if ``call`` takes them. A failing call keeps its traceback, with a note naming the
    layer; a missing weight attribute gets an error saying to create it in ``build``."""
    scope = _Scope(layer, dict(params), bool(training), key, tracing)
    scope.sublayers = {id(sub): path for path, sub in tracked_sublayers(layer).items()}
    accepted = _accepted(layer.call)
    kwargs = dict(kwargs)
    if "training" in accepted:
        kwargs.setdefault("training", bool(training))
    if mask is not None and "mask" in accepted:
        kwargs.setdefault("mask", mask)
    stack = scope_stack()
    stack.append(scope)
    saved = _swap_in(layer, scope.params)
    try:
        out = layer.call(*args, **kwargs)
    except AttributeError as error:
        name = getattr(error, "name", None)
        if getattr(error, "obj", None) is layer and name and not hasattr(type(layer), name):
            raise AttributeError(
                f"{layer.describe()}: call reads self.{name}, which does not exist: build() "
                f"did not create it; create it there, e.g. self.{name} = "
                f"self.add_weight(shape=..., name={name!r})"
            ) from error
        error.add_note(f"raised in the call of {layer.describe()}")
        raise
    except Exception as error:
        error.add_note(f"raised in the call of {layer.describe()}")
        raise
    finally:
        for attr, value in saved.items():
            setattr(layer, attr, value)
        stack.pop()
    out = jax.tree_util.tree_map(_unwrap, out, is_leaf=lambda v: isinstance(v, Variable))
    return out, scope.updates


def current_scope() -> _Scope | None:
    """The innermost bound call in progress, or None."""
    stack = scope_stack()
    return stack[-1] if stack else None


def sublayer_key(scope: _Scope, path: str, training: bool) -> jax.Array | None:
    """The key of the ``n``-th call of sublayer ``path`` inside ``scope``'s call (None when
    not training): derived from the call's key, never from global state."""
    n = scope.calls[path]
    scope.calls[path] += 1
    if scope.key is None or not training:
        return None
    return jax.random.fold_in(jax.random.fold_in(scope.key, zlib.crc32(path.encode())), n)
