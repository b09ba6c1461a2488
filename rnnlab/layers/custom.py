"""Keras-style custom layers: subclass :class:`~rnnlab.layers.Layer` the Keras 3 way.

A subclass that defines ``call`` (and not rnnlab's ``apply``) is Keras-style:
``__init__``, ``build(input_shape)`` creating weights with ``self.add_weight(...)``,
``call(inputs, training=None, mask=None)``, ``compute_output_shape`` optional (inferred
by tracing ``call`` with ``jax.eval_shape`` when absent), ``get_config``. When the class
is created, :func:`prepare_subclass` maps rnnlab's layer protocol onto it:

- ``build(shape)`` (rnnlab's: check, record, return the output shape) runs the user's
  ``build`` — whose ``add_weight`` calls only declare weights — then traces ``call`` once
  on placeholders, which builds the sublayers it calls (layers held in attributes, as
  Keras tracks them) and gives the output shape;
- ``init_params(key, shape)`` draws every declared weight from ``key`` (purely) and the
  sublayers' weights under their attribute names: one flat dict,
  ``{"kernel": ..., "norm/gamma": ...}``, in which ``get_weights`` lists Keras's order
  (own trainable, own non-trainable, then each sublayer's);
- ``apply(params, x, training, key, mask)`` is :func:`~rnnlab.layers.binding.bound_call`:
  the user's ``call`` over those values, traced into rnnlab's compiled training step.

Example:
    >>> import numpy as np
    >>> import rnnlab as keras
    >>> class MyDense(keras.layers.Layer):
    ...     def __init__(self, units, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.units = units
    ...     def build(self, input_shape):
    ...         self.kernel = self.add_weight(name="kernel", shape=[input_shape[-1], self.units])
    ...         self.bias = self.add_weight(name="bias", shape=[self.units], initializer="zeros")
    ...     def call(self, X):
    ...         return X @ self.kernel + self.bias
    >>> model = keras.models.Sequential([MyDense(3, input_shape=(4,))])
    >>> model.output_shape, model.count_params()
    ((None, 3), 15)
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from rnnlab.layers import binding
from rnnlab.layers.binding import NOT_BOUND, TensorShape, bound_call, flatten, rebuild

__all__ = ["call_in_scope", "is_keras_style", "prepare_subclass"]

#: Sizes that stand in for unknown axes when ``call`` is traced for shapes: two different
#: ones, so an output axis that follows an unknown input axis comes out unknown.
_PLACEHOLDER_SIZES = (5, 7)


def is_keras_style(layer_or_class: Any) -> bool:
    """Whether a layer (or layer class) is Keras-style (defines ``call``, not ``apply``)."""
    cls = layer_or_class if isinstance(layer_or_class, type) else type(layer_or_class)
    return bool(getattr(cls, "_keras_style", False))


def _is_shape(value: Any) -> bool:
    return isinstance(value, tuple | list) and all(d is None or isinstance(d, int) for d in value)


def _shape_map(fn: Any, shapes: Any) -> Any:
    """``fn`` over every shape (a tuple/list of ints and None) in a structure of shapes."""
    if _is_shape(shapes):
        return fn(tuple(shapes))
    if isinstance(shapes, dict):
        return {k: _shape_map(fn, v) for k, v in shapes.items()}
    return [_shape_map(fn, s) for s in shapes]


def placeholders(shapes: Any, size: int) -> Any:
    """``ShapeDtypeStruct`` placeholders for a structure of shapes, ``size`` for unknown axes."""

    def struct(shape: tuple) -> jax.ShapeDtypeStruct:
        return jax.ShapeDtypeStruct(tuple(size if d is None else d for d in shape), "float32")

    return _shape_map(struct, shapes)


def _array_shapes(args: Any) -> Any:
    """The structure of arrays ``args`` as shapes with an unknown batch axis."""
    return jax.tree_util.tree_map(lambda a: (None, *jnp.shape(a)[1:]), args)


# -- rnnlab's protocol over a Keras-style layer --------------------------------------------


def structural_build(layer: Any, input_shape: Any, call_shapes: Any = None) -> Any:
    """Run ``layer``'s own ``build`` (declaring weights), then trace its ``call`` on
    ``call_shapes`` (the positional arguments' shapes; ``(input_shape,)`` by default) to
    build the sublayers it calls and find the output shape; record and return it."""
    shapes = _shape_map(tuple, input_shape)
    call_shapes = (shapes,) if call_shapes is None else tuple(call_shapes)
    layer.check_input_shape(shapes)
    declared = layer.__dict__.setdefault("_keras_variables", [])
    before_build = layer.__dict__.setdefault("_keras_n_init_variables", len(declared))
    del declared[before_build:]  # a new build declares its weights again
    user_build = getattr(type(layer), "_keras_build", None)
    if user_build is not None:
        layer._keras_building = True
        try:
            user_build(layer, _shape_map(TensorShape, shapes))
        except Exception as error:  # the user's traceback stays; the note names the layer
            error.add_note(f"raised in the build of {layer.describe()} for inputs {shapes}")
            raise
        finally:
            layer._keras_building = False
    layer.input_shape = shapes
    layer._keras_call_shapes = call_shapes
    layer._keras_sublayers = {}
    inferred = trace_call(layer, call_shapes)
    user_shape = getattr(type(layer), "_keras_compute_output_shape", None)
    layer.output_shape = _plain(user_shape(layer, _shape_map(TensorShape, shapes))) if (
        user_shape is not None
    ) else inferred  # fmt: skip
    layer._keras_built = True
    return layer.output_shape


def _plain(shape: Any) -> Any:
    """A user's ``compute_output_shape`` result as tuples (lists and TensorShapes too)."""
    return _shape_map(tuple, shape)


def trace_call(layer: Any, call_shapes: tuple[Any, ...]) -> Any:
    """Trace ``layer.call`` abstractly on ``call_shapes`` (placeholder sizes for unknown
    axes, placeholder weights), building the sublayers it calls; return its output
    shape(s), ``None`` on axes that follow an unknown input axis."""
    own = {
        v.path: jax.ShapeDtypeStruct(v.shape, v.dtype) for v in layer.__dict__["_keras_variables"]
    }
    results, registries = [], []
    for size in _PLACEHOLDER_SIZES:
        layer._keras_sublayers = {}
        structs = placeholders(list(call_shapes), size)

        def run(p: Any, a: Any) -> Any:
            return bound_call(layer, p, tuple(a), {}, training=False, key=None, tracing=True)[0]

        results.append(jax.eval_shape(run, own, structs))
        registries.append(layer._keras_sublayers)
    # Sublayers were built on placeholder sizes: build them again with unknown axes unknown.
    for path, (sub, shapes_a) in registries[1].items():
        shapes_b = registries[0].get(path, (None, shapes_a))[1]
        merged = jax.tree_util.tree_map(
            lambda a, b: None if a != b else a, shapes_a, shapes_b, is_leaf=lambda v: v is None
        )
        _build_sublayer(sub, merged)
        layer._keras_sublayers[path] = (sub, merged)
    layer._keras_sub_templates = {
        path: _sub_template(sub, shapes) for path, (sub, shapes) in layer._keras_sublayers.items()
    }
    return jax.tree_util.tree_map(
        lambda a, b: tuple(x if x == y else None for x, y in zip(a.shape, b.shape, strict=True)),
        *results,
    )


def _build_sublayer(sub: Any, call_shapes: tuple[Any, ...]) -> None:
    if is_keras_style(sub):
        structural_build(sub, call_shapes[0], call_shapes)
    else:
        sub.build(call_shapes[0])


def init_params(layer: Any, key: jax.Array, input_shape: Any) -> dict[str, Any]:
    """Fresh weights of a Keras-style layer, built (structurally) first if needed: each
    declared weight from its initializer, each sublayer's from its ``init_params``."""
    shapes = _shape_map(tuple, input_shape)
    if not layer.__dict__.get("_keras_built") or shapes != layer.input_shape:
        recorded = layer.__dict__.get("_keras_call_shapes") or (shapes,)
        structural_build(layer, shapes, (shapes, *recorded[1:]))
    params: dict[str, Any] = {}
    for i, v in enumerate(layer._keras_variables):
        params[v.path] = v.initializer(jax.random.fold_in(key, i), v.shape, v.dtype)
    for j, (path, (sub, call_shapes)) in enumerate(layer._keras_sublayers.items()):
        sub_params = sub.init_params(jax.random.fold_in(key, 1_000_003 + j), call_shapes[0])
        params.update(flatten(sub_params, path))
    return params


def weight_order(layer: Any, params: dict[str, Any]) -> tuple[str, ...]:
    """Keras's order: own trainable weights, own non-trainable ones, then each sublayer's
    in its own order (sublayers in attribute order)."""
    declared = layer.__dict__.get("_keras_variables", [])
    names = [v.path for v in declared if v.trainable] + [
        v.path for v in declared if not v.trainable
    ]
    for path, (sub, _) in layer.__dict__.get("_keras_sublayers", {}).items():
        sub_params = sub_params_of(layer, params, path)
        if all(not isinstance(v, dict) for v in sub_params.values()):
            names += [f"{path}/{n}" for n in sub.weight_order(sub_params)]
        else:  # a wrapper's nested params (Bidirectional): forward before backward, as Keras
            first = [k for k in ("forward", "backward") if k in sub_params]
            for part in [*first, *sorted(set(sub_params) - set(first))]:
                inner = getattr(sub, f"{part}_layer", None)  # Bidirectional's two RNNs
                order = inner.weight_order(sub_params[part]) if inner else sub_params[part]
                names += [f"{path}/{part}/{n}" for n in order]
    return tuple(n for n in names if n in params) + tuple(n for n in params if n not in names)


def non_trainable_names(layer: Any) -> tuple[str, ...]:
    """The flat names of the weights gradients do not update: own ``trainable=False``
    weights, and the non-trainable weights of sublayers (all of a frozen sublayer's)."""
    names = [v.path for v in layer.__dict__.get("_keras_variables", []) if not v.trainable]
    templates = layer.__dict__.get("_keras_sub_templates", {})
    for path, (sub, _) in layer.__dict__.get("_keras_sublayers", {}).items():
        sub_names = tuple(flatten(templates.get(path, {})))
        frozen = sub_names if not sub.trainable else sub.non_trainable_names
        names += [f"{path}/{n}" for n in sub_names if n in frozen]
    return tuple(names)


def _sub_template(sub: Any, call_shapes: tuple[Any, ...]) -> Any:
    """A built sublayer's params as shapes (none drawn), kept at build time: the
    structure its flat entries are rebuilt into, and its weight names (the optimizer's
    trainable/frozen split asks for them often)."""
    return jax.eval_shape(lambda k: sub.init_params(k, call_shapes[0]), jax.random.key(0))


def sub_params_of(layer: Any, flat: dict[str, Any], path: str, partial: bool = False) -> Any:
    """Sublayer ``path``'s params, out of ``layer``'s flat params, in their own structure."""
    return rebuild(layer._keras_sub_templates[path], flat, path, partial)


# -- sublayer calls inside a bound call ----------------------------------------------------


def call_in_scope(layer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """If ``layer`` is a tracked sublayer of the bound call in progress, call it on its
    bound weights (a key derived from the call's, the call's ``training`` unless given)
    and return its outputs; else :data:`~rnnlab.layers.binding.NOT_BOUND`."""
    scope = binding.current_scope()
    if scope is None or id(layer) not in scope.sublayers:
        return NOT_BOUND
    path = scope.sublayers[id(layer)]
    kwargs = dict(kwargs)
    training = kwargs.pop("training", None)
    training = scope.training if training is None else bool(training)
    mask = kwargs.pop("mask", None)
    key = binding.sublayer_key(scope, path, training)
    if scope.tracing:
        call_shapes = _array_shapes(args)
        _build_sublayer(layer, call_shapes)
        scope.layer._keras_sublayers[path] = (layer, call_shapes)
        structs = jax.eval_shape(lambda k: layer.init_params(k, call_shapes[0]), jax.random.key(0))
        params = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), structs)
    elif path in scope.layer.__dict__.get("_keras_sublayers", {}):
        params = sub_params_of(scope.layer, scope.params, path)
    else:
        raise ValueError(
            f"{scope.layer.describe()}: its sublayer {layer.describe()} (self.{path}) was not "
            "called when the layer was built, so it has no weights; call every sublayer on "
            "every path through call()"
        )
    out, updates = _run_sublayer(layer, params, args, kwargs, training, key, mask, scope.tracing)
    scope.updates.update(flatten(updates, path))
    return out


def _run_sublayer(layer, params, args, kwargs, training, key, mask, tracing):
    if is_keras_style(layer):
        return bound_call(
            layer, flatten(params), args, kwargs, training=training, key=key, mask=mask,
            tracing=tracing,
        )  # fmt: skip
    if hasattr(layer, "step_call"):  # rnnlab.layers.keras_cells: call(inputs, states)
        return layer.step_call(params, *args, **kwargs), {}
    if len(args) != 1:
        raise TypeError(
            f"{layer.describe()}: called with {len(args)} positional arguments inside a "
            "custom layer's call; it takes one input (a tensor or a list of tensors)"
        )
    unknown = sorted(set(kwargs) - set(layer.node_kwargs))
    if unknown:
        raise TypeError(
            f"{layer.describe()}: called with unexpected keyword argument {unknown[0]!r}; "
            f"it takes {', '.join(layer.node_kwargs)}"
        )
    x = jax.tree_util.tree_map(jnp.asarray, args[0])
    layer_mask = mask if layer.supports_masking else None
    return layer.node_apply(
        params, x, kwargs, training=training, key=key, mask=layer_mask, sample_weight=None
    )


def scoped(call: Any) -> Any:
    """``__call__`` of a layer class, first giving :func:`call_in_scope` the call (so a
    built-in layer held by a custom layer runs on its bound weights inside the call)."""
    if getattr(call, "_rnnlab_scoped", False):
        return call

    @functools.wraps(call)
    def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:
        if binding.current_scope() is not None:
            out = call_in_scope(self, args, kwargs)
            if out is not NOT_BOUND:
                return out
        return call(self, *args, **kwargs)

    __call__._rnnlab_scoped = True  # type: ignore[attr-defined]
    return __call__


def prepare_subclass(cls: type) -> None:
    """Called for every new Layer subclass: its own ``__call__`` (if any) is
    :func:`scoped`; a Keras-style class gets the adapter (:mod:`rnnlab.layers.keras_layer`)."""
    if "__call__" in cls.__dict__:
        cls.__call__ = scoped(cls.__dict__["__call__"])
    from rnnlab.layers.base import Layer

    mine = [k for k in cls.__mro__ if k is not Layer and k is not object]
    own_apply = any(
        "apply" in k.__dict__ and not getattr(k.__dict__["apply"], "_keras_adapter", False)
        for k in mine
    )
    defines_call = any("call" in k.__dict__ for k in mine)
    if defines_call and not own_apply:
        from rnnlab.layers.keras_layer import adapt

        adapt(cls)
