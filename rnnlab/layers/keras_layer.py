"""The adapter that :func:`rnnlab.layers.custom.prepare_subclass` installs on a Keras-style
layer class: rnnlab's layer protocol (``build``, ``compute_output_shape``, ``init_params``,
``apply``, ``apply_train``, ``__call__``, ``params``) over the user's ``build``, ``call``
and ``compute_output_shape``, and Keras's ``add_weight`` and ``weights``.

The user's ``build`` and ``compute_output_shape`` are kept as ``_keras_build`` and
``_keras_compute_output_shape`` on the class that defined them; ``super().build(shape)``
inside a user's ``build`` runs the parent class's user ``build``, or nothing (Keras's
base ``build`` only marks the layer built).

Example:
    >>> import jax.numpy as jnp
    >>> from rnnlab.layers import Layer
    >>> class Twice(Layer):
    ...     def call(self, x):
    ...         return 2 * x
    >>> Twice()(jnp.ones((1, 2))).tolist(), Twice().compute_output_shape((None, 2))
    ([[2.0, 2.0]], (None, 2))
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from rnnlab import initializers
from rnnlab.layers import custom
from rnnlab.layers.binding import NOT_BOUND, Variable, bound_call
from rnnlab.utils import next_key

__all__ = ["adapt", "add_weight"]


def _adapter(fn: Any) -> Any:
    fn._keras_adapter = True
    return fn


def _make_build(owner: type) -> Any:
    @_adapter
    def build(self: Any, input_shape: Any) -> Any:
        """rnnlab's build: run the user's ``build``, trace ``call``, return the output shape."""
        if self.__dict__.get("_keras_building"):  # super().build(shape) in a user's build
            mro = type(self).__mro__
            for klass in mro[mro.index(owner) :]:
                if "_keras_build" in klass.__dict__:
                    return klass.__dict__["_keras_build"](self, input_shape)
            return None
        return custom.structural_build(self, input_shape)

    return build


@_adapter
def compute_output_shape(self: Any, input_shape: Any) -> Any:
    """The user's ``compute_output_shape`` when the class has one; else ``call`` traced."""
    shapes = custom._shape_map(tuple, input_shape)
    user = getattr(type(self), "_keras_compute_output_shape", None)
    if user is not None and not self.__dict__.get("_keras_computing"):
        self._keras_computing = True
        try:
            return custom._plain(user(self, custom._shape_map(custom.TensorShape, shapes)))
        finally:
            self._keras_computing = False
    if not self.__dict__.get("_keras_built"):
        return custom.structural_build(self, shapes)
    if shapes == self.input_shape:
        return self.output_shape
    cache = self.__dict__.setdefault("_keras_shape_cache", {})
    if repr(shapes) not in cache:
        cache[repr(shapes)] = _traced_shape(self, shapes)
    return cache[repr(shapes)]


def _traced_shape(layer: Any, shapes: Any) -> Any:
    # A built layer: trace its call on its own weights' shapes (sublayers stay as built).
    structs = {k: jax.ShapeDtypeStruct(jnp.shape(v), v.dtype) for k, v in layer.params.items()}
    outs = []
    for size in custom._PLACEHOLDER_SIZES:
        x = custom.placeholders(shapes, size)
        outs.append(
            jax.eval_shape(
                lambda p, a: bound_call(layer, p, (a,), {}, training=False, key=None)[0],
                structs,
                x,
            )
        )
    return jax.tree_util.tree_map(
        lambda a, b: tuple(u if u == v else None for u, v in zip(a.shape, b.shape, strict=True)),
        *outs,
    )


@_adapter
def compute_mask(self: Any, mask: Any, x: Any) -> Any:
    """rnnlab's ``compute_mask(mask, x)`` over the user's Keras ``compute_mask(inputs, mask)``."""
    return type(self)._keras_compute_mask(self, x, mask)


@_adapter
def check_input_shape(self: Any, shape: Any) -> None:
    """Once built: the same number of axes and the same known feature size."""
    built = self.input_shape
    if built is None or not custom._is_shape(built) or not custom._is_shape(shape):
        return
    from rnnlab.layers.base import format_shape

    if len(shape) != len(built) or (
        built[-1] is not None and shape[-1] is not None and shape[-1] != built[-1]
    ):
        raise ValueError(
            f"{self.describe()}: built for inputs of shape {format_shape(built)}, "
            f"got input of shape {format_shape(tuple(shape))}"
        )


@_adapter
def init_params(self: Any, key: jax.Array, input_shape: Any) -> dict[str, Any]:
    """Fresh weights (flat ``{path: array}``): see :func:`rnnlab.layers.custom.init_params`."""
    return custom.init_params(self, key, input_shape)


@_adapter
def apply(self: Any, params: Any, x: Any, *, training=False, key=None, mask=None) -> Any:
    """Pure forward pass: the user's ``call`` with its weights bound to ``params``."""
    return bound_call(self, params, (x,), {}, training=bool(training), key=key, mask=mask)[0]


@_adapter
def apply_train(self: Any, params: Any, x: Any, *, key=None, mask=None, sample_weight=None):
    """Training pass: ``(outputs, updates)`` (weights assigned in ``call``, e.g. statistics)."""
    return bound_call(self, params, (x,), {}, training=True, key=key, mask=mask)


@_adapter
def weight_order(self: Any, params: Any) -> tuple[str, ...]:
    """Keras's order of the weights (see :func:`rnnlab.layers.custom.weight_order`)."""
    return custom.weight_order(self, params)


@_adapter
def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:
    """Eager call on arrays (built on first use), or a functional call on symbolic tensors."""
    from rnnlab.layers import symbolic

    if not args:
        raise TypeError(f"{self.describe()}: called without inputs")
    out = custom.call_in_scope(self, args, kwargs)
    if out is not NOT_BOUND:
        return out
    if symbolic.has_symbolic(args):
        if len(args) != 1:
            raise TypeError(
                f"{self.describe()}: a functional call takes one input (a tensor, or a list "
                f"of tensors), got {len(args)} positional arguments"
            )
        return symbolic.symbolic_call(self, args[0], kwargs)
    training = kwargs.pop("training", None)
    mask = kwargs.pop("mask", None)
    args = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), args)
    if self.params is None:
        call_shapes = custom._array_shapes(args)
        custom.structural_build(self, call_shapes[0], call_shapes)
        self.params = self.init_params(next_key(), call_shapes[0])
    key = next_key() if training else None
    return bound_call(self, self.params, args, kwargs, training=bool(training), key=key, mask=mask)[
        0
    ]


def _get_params(self: Any) -> Any:
    return self.__dict__.get("_keras_params")


def _set_params(self: Any, value: Any) -> None:
    # The sublayers hold their part too, as in Keras (their get_weights, eager calls).
    self.__dict__["_keras_params"] = value
    for path, (sub, _) in self.__dict__.get("_keras_sublayers", {}).items():
        sub.params = None if value is None else custom.sub_params_of(self, value, path)


def _get_built(self: Any) -> bool:
    return bool(self.__dict__.get("_keras_built"))


def _set_built(self: Any, value: bool) -> None:
    pass  # Keras code sets self.built = True at the end of build; rnnlab's build records it


def _non_trainable(self: Any) -> tuple[str, ...]:
    return custom.non_trainable_names(self)


def _weights(kind: str) -> Any:
    def get(self: Any) -> list[Variable]:
        own = self.__dict__.get("_keras_variables", [])
        trainable = [v for v in own if v.trainable]
        frozen = [v for v in own if not v.trainable]
        subs = [sub for sub, _ in self.__dict__.get("_keras_sublayers", {}).values()]
        nested = [w for sub in subs if custom.is_keras_style(sub) for w in getattr(sub, kind)]
        return {"weights": trainable + frozen, "trainable_weights": trainable}.get(
            kind, frozen
        ) + nested

    get.__doc__ = f"Keras's ``{kind}``: the Variables of this layer and its custom sublayers."
    return property(get)


def add_weight(
    layer: Any,
    shape: Any = None,
    initializer: Any = None,
    dtype: Any = None,
    trainable: bool = True,
    name: str | None = None,
    **unsupported: Any,
) -> Variable:
    """Declare a weight of ``layer`` (Keras's ``add_weight``): see :meth:`Layer.add_weight`."""
    owner = layer.describe()
    given = sorted(k for k, v in unsupported.items() if v not in (None, True, "none", False))
    if given:
        raise ValueError(f"{owner}: add_weight does not support {', '.join(given)}")
    shape = () if shape is None else tuple(shape)
    if any(d is None or int(d) < 0 for d in shape):
        raise ValueError(
            f"{owner}: add_weight needs a fully known shape, got {shape} for {name or 'a weight'}"
        )
    if name is not None and (not isinstance(name, str) or "/" in name):
        raise ValueError(f"{owner}: add_weight's name must be a string without '/', got {name!r}")
    dtype = jnp.dtype(dtype or "float32")
    if initializer is None:
        initializer = "glorot_uniform" if jnp.issubdtype(dtype, jnp.floating) else "zeros"
    init = _initializer(initializer, owner)
    declared = layer.__dict__.setdefault("_keras_variables", [])
    base = name or "variable"
    path, n = base, 0
    while any(v.path == path for v in declared):
        n += 1
        path = f"{base}_{n}"
    var = Variable(layer, path, tuple(int(d) for d in shape), dtype, init, trainable, base)
    declared.append(var)
    return var


def _initializer(identifier: Any, owner: str) -> Any:
    """An rnnlab initializer ``(key, shape, dtype)``; a Keras-style callable ``(shape,
    dtype)`` (no key argument) is called as such."""
    import inspect

    init = initializers.get(identifier, owner=owner)
    try:
        first = next(iter(inspect.signature(init).parameters), "key")
    except (TypeError, ValueError):
        first = "key"
    if first in ("key", "rng", "prng_key"):
        return init
    return lambda key, shape, dtype: jnp.asarray(init(shape, dtype=dtype), dtype)


def adapt(cls: type) -> None:
    """Install the adapter on the Keras-style class ``cls`` (keeping what it defines)."""
    cls._keras_style = True
    own = cls.__dict__
    if "build" in own and not getattr(own["build"], "_keras_adapter", False):
        cls._keras_build = own["build"]
    cls.build = _make_build(cls)
    if "compute_output_shape" in own and not getattr(
        own["compute_output_shape"], "_keras_adapter", False
    ):
        cls._keras_compute_output_shape = own["compute_output_shape"]
    cls.compute_output_shape = compute_output_shape
    if "compute_mask" in own and not getattr(own["compute_mask"], "_keras_adapter", False):
        cls._keras_compute_mask = own["compute_mask"]
        cls.compute_mask = compute_mask
    installed = {
        "check_input_shape": check_input_shape,
        "init_params": init_params,
        "apply": apply,
        "apply_train": apply_train,
        "weight_order": weight_order,
        "__call__": __call__,
        "params": property(_get_params, _set_params),
        "non_trainable_names": property(_non_trainable),
        "built": property(_get_built, _set_built, doc="Whether the layer is built (Keras's)."),
        "weights": _weights("weights"),
        "trainable_weights": _weights("trainable_weights"),
        "non_trainable_weights": _weights("non_trainable_weights"),
    }
    for attr, value in installed.items():
        if attr not in own:
            setattr(cls, attr, value)
