"""Operations: what ``keras.ops`` records when it is given symbolic tensors.

In Keras 3 an op on a :class:`~rnnlab.layers.symbolic.KerasTensor` (``keras.ops.tanh(t)``,
``a * b``, ``x[..., :4]``) does not compute anything: it creates an *operation* — a
parameterless, layer-like object (``tanh (Tanh)``, ``get_item (GetItem)`` in ``summary()``)
— and records a :class:`~rnnlab.layers.symbolic.Node` for it, as a layer call does. Here an
:class:`Operation` is a weightless :class:`~rnnlab.layers.Layer`, so the functional graph
(:mod:`rnnlab.models.graph`) runs it like any layer, inside the compiled training step.

Each Keras operation class (``GetItem``, ``Multiply``, ``Sigmoid``...) is a subclass made
by :func:`define`. What a saver needs to write Keras's ``config.json`` is on each instance:

- ``is_operation`` (class attribute, ``True``): an op, not a layer — it has no weights and
  no HDF5 group, and Keras lists it in ``model.operations``, not ``model.layers``;
- ``keras_module`` / ``keras_class``: e.g. ``"keras.src.ops.numpy"`` / ``"GetItem"``
  (``registered_name`` is the class name too);
- :meth:`Operation.get_config`: ``{"name": ..., **op_config}`` — Keras's ``config``, the
  op's own arguments in Keras's order (``{"name": "concatenate", "axis": -1}``);
  :meth:`Operation.keras_config` gives the whole entry (module, class, config,
  ``registered_name``) but ``name`` and ``inbound_nodes``;
- ``call_args`` / ``call_kwargs``: the call's arguments as Keras records them in the
  node's ``args`` / ``kwargs``: KerasTensors in place, constants inline (``(t, 0.5)``;
  ``([h, z],)`` for concatenate; ``(t, (Ellipsis, slice(None, 4, None)))`` for
  ``t[..., :4]``). An operation is called once, so it has exactly one node.

:data:`REGISTRY` maps ``(keras_module, keras_class)`` to the class, and
``cls(**config)(*args)`` replays a recorded call (what a loader does).

Shapes are inferred by tracing the jax computation with :func:`jax.eval_shape`; unknown
(``None``) axes are traced at two placeholder sizes and come out ``None`` where the
result depends on them.

Example:
    >>> import rnnlab as keras
    >>> x = keras.Input(shape=(None, 8))
    >>> g = keras.ops.tanh(x[..., :4])
    >>> op = g.node.layer
    >>> g.shape, op.keras_class, op.keras_module, list(op.get_config())
    ((None, None, 4), 'Tanh', 'keras.src.ops.numpy', ['name'])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from rnnlab.layers.base import Layer, Params, Shape, format_shape
from rnnlab.layers.symbolic import KerasTensor, Node, has_symbolic, is_symbolic

__all__ = ["REGISTRY", "Operation", "call_op", "define"]

#: Sizes an unknown axis is traced at; an output axis that differs between the two is None.
_PLACEHOLDERS = (7919, 7927)

#: ``(keras_module, class_name) -> Operation subclass``, for loaders.
REGISTRY: dict[tuple[str, str], type[Operation]] = {}


class Operation(Layer):
    """A parameterless node of a functional graph, made by an op on symbolic tensors.

    Subclasses (made by :func:`define`) set ``keras_module``, ``impl`` — the jax
    computation, called as ``impl(*call_args, **call_kwargs, **op_config)`` — and
    ``config_defaults``, the op's own arguments with their defaults in Keras's order.

    Example:
        >>> from rnnlab.ops.numpy import Multiply
        >>> Multiply()(2.0, 3.0)  # on values it just computes
        Array(6., dtype=float32, weak_type=True)
    """

    is_operation: ClassVar[bool] = True
    keras_module: ClassVar[str] = ""
    config_defaults: ClassVar[dict[str, Any]] = {}
    impl: ClassVar[Callable[..., Any]]

    def __init__(self, *, name: str | None = None, **config: Any) -> None:
        unknown = sorted(set(config) - set(self.config_defaults))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}: unexpected argument {unknown[0]!r}; it takes "
                f"{', '.join(self.config_defaults) or 'only name'}"
            )
        super().__init__(name=name)
        self.op_config: dict[str, Any] = {**self.config_defaults, **config}
        self.params: Params = {}
        self.call_args: tuple[Any, ...] = ()
        self.call_kwargs: dict[str, Any] = {}

    @property
    def keras_class(self) -> str:
        """Keras's class name, e.g. ``"GetItem"``."""
        return type(self).__name__

    def get_config(self) -> dict[str, Any]:
        """Keras's config of this operation: its name, then its own arguments."""
        return {"name": self.name, **self.op_config}

    def keras_config(self) -> dict[str, Any]:
        """This operation's entry in Keras's functional config, without ``name`` and
        ``inbound_nodes`` (its one node's ``args`` are :attr:`call_args`, as given).

        Example:
            >>> from rnnlab.ops.numpy import Concatenate
            >>> Concatenate(axis=-1, name="c").keras_config()["config"]
            {'name': 'c', 'axis': -1}
        """
        return {
            "module": self.keras_module,
            "class_name": self.keras_class,
            "config": self.get_config(),
            "registered_name": self.keras_class,
        }

    def compute(self, *args: Any, **kwargs: Any) -> Any:
        """The op on arrays (eager or traced)."""
        return type(self).impl(*args, **kwargs, **self.op_config)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """On values: the result. On symbolic tensors: record this op's node and return
        its output KerasTensor (a list for several, e.g. ``split``)."""
        if not has_symbolic((args, kwargs)):
            return self.compute(*_as_jax(args), **kwargs)
        if self.call_args or self.call_kwargs:
            raise ValueError(f"{self.describe()} was already called; an operation has one node")
        return self._record(args, kwargs)

    # -- the symbolic call ------------------------------------------------------------------
    def _record(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        leaves, self._treedef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=is_symbolic)
        self._slots = [i for i, v in enumerate(leaves) if is_symbolic(v)]
        tensors: list[KerasTensor] = [leaves[i] for i in self._slots]
        self._leaves = [None if is_symbolic(v) else v for v in leaves]
        self._dtypes = [t.dtype for t in tensors]
        self.call_args, self.call_kwargs = args, kwargs
        node_args: Any = tensors[0] if len(tensors) == 1 else list(tensors)
        shapes = [t.shape for t in tensors]
        outs, dtypes = self._infer(shapes, tensors)
        self.input_shape = shapes[0] if len(shapes) == 1 else shapes
        self.output_shape = outs[0] if len(outs) == 1 else outs
        node = Node(self, node_args, {})
        node.outputs = [
            KerasTensor(s, dtype=d, node=node, index=i)
            for i, (s, d) in enumerate(zip(outs, dtypes, strict=True))
        ]
        self._multiple = self._multiple_outputs
        return node.outputs if self._multiple else node.outputs[0]

    def _bound(self, *arrays: Any) -> Any:
        leaves = list(self._leaves)
        for i, a in zip(self._slots, arrays, strict=True):
            leaves[i] = a
        args, kwargs = jax.tree_util.tree_unflatten(self._treedef, leaves)
        return self.compute(*args, **kwargs)

    def _trace(self, shapes: list[Shape], fill: int) -> Any:
        specs = [
            jax.ShapeDtypeStruct(tuple(fill if d is None else d for d in s), dt)
            for s, dt in zip(shapes, self._dtypes, strict=True)
        ]
        return jax.eval_shape(self._bound, *specs)

    def _infer(
        self, shapes: list[Shape], tensors: list[KerasTensor] | None = None
    ) -> tuple[list[Shape], list[str]]:
        """Output shapes and dtypes for inputs of ``shapes`` (``None``: unknown)."""
        unknown = any(d is None for s in shapes for d in s)
        try:
            first = self._trace(shapes, _PLACEHOLDERS[0])
            second = self._trace(shapes, _PLACEHOLDERS[1]) if unknown else first
        except Exception as e:  # jax's shape errors are TypeError/ValueError and kin
            what = ", ".join(t.describe() for t in tensors or []) or ", ".join(
                format_shape(s) for s in shapes
            )
            reason = str(e).strip().split("\n")[0]
            for p in _PLACEHOLDERS:
                reason = reason.replace(str(p), "None")
            raise ValueError(f"{self.describe()}: cannot be applied to {what}: {reason}") from None
        self._multiple_outputs = isinstance(first, list | tuple)
        a, b = jax.tree_util.tree_leaves(first), jax.tree_util.tree_leaves(second)
        outs = [
            tuple(d1 if d1 == d2 else None for d1, d2 in zip(x.shape, y.shape, strict=True))
            for x, y in zip(a, b, strict=True)
        ]
        return outs, [str(x.dtype) for x in a]

    # -- the graph's interface (see rnnlab.layers.base.Layer) --------------------------------
    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape(s) for concrete input shapes given as the node's args are
        (one shape, or a list of shapes)."""
        shapes = [input_shape] if len(self._slots) == 1 else list(input_shape)
        key = tuple(tuple(s) for s in shapes)
        # remembered per input shapes: fit checks the graph's shapes on every call, and a
        # trace per operation cost 1.1 s of a 1.6 s five-fit loop of a small WaveNet
        memo = self.__dict__.setdefault("_shape_memo", {})
        if key not in memo:
            memo[key] = self._infer(list(key))[0]
        outs = memo[key]
        return outs if self._multiple else outs[0]

    def node_apply(
        self,
        params: Params,
        x: Any,
        kwargs: dict[str, Any],
        *,
        training: bool,
        key: jax.Array | None,
        mask: Any,
        sample_weight: jax.Array | None,
    ) -> tuple[Any, Params]:
        """The op on the node's input arrays: ``(outputs, {})``."""
        arrays = [x] if len(self._slots) == 1 else list(x)
        out = self._bound(*arrays)
        return (list(out) if self._multiple else out), {}

    def apply(self, params: Params, x: Any, *, training=False, key=None, mask=None) -> Any:
        """The op on its input array(s), as :meth:`node_apply` without the updates."""
        return self.node_apply(
            params, x, {}, training=training, key=key, mask=mask, sample_weight=None
        )[0]


def define(
    class_name: str, keras_module: str, impl: Callable[..., Any], where: str, **defaults: Any
) -> type[Operation]:
    """Make (and register) the :class:`Operation` subclass ``class_name``.

    Args:
        class_name: Keras's class name (``"GetItem"``); also the summary's type column and,
            snake-cased, the base of the op's automatic names (``get_item``, ``get_item_1``).
        keras_module: Keras's module for the config (``"keras.src.ops.numpy"``).
        impl: the jax computation ``impl(*call_args, **call_kwargs, **config)``.
        where: the Python module the class is shown in (``__name__`` of the caller).
        defaults: the op's own arguments and their defaults, in Keras's order.

    Example:
        >>> import jax.numpy as jnp
        >>> Twice = define("Twice", "example", lambda x, k: k * x, __name__, k=2.0)
        >>> Twice()(jnp.ones(2)).tolist(), Twice(k=3.0).get_config()["k"]
        ([2.0, 2.0], 3.0)
    """
    cls = type(
        class_name,
        (Operation,),
        {
            "keras_module": keras_module,
            "impl": staticmethod(impl),
            "config_defaults": dict(defaults),
            "__module__": where,
            "__doc__": f"Keras's ``{class_name}`` operation ({keras_module}).",
        },
    )
    REGISTRY[(keras_module, class_name)] = cls
    return cls


def call_op(cls: type[Operation], *args: Any, **config: Any) -> Any:
    """``cls``'s op on ``args``: computed at once on arrays and traced values (no object
    made, no name used), recorded as a new operation when any argument is symbolic.

    Example:
        >>> from rnnlab.ops.numpy import Add
        >>> call_op(Add, 1.0, 2.0)
        Array(3., dtype=float32, weak_type=True)
    """
    if has_symbolic(args):
        return cls(**config)(*args)
    return cls.impl(*_as_jax(args), **config)


def _as_jax(args: Any) -> Any:
    # NumPy arrays become jax arrays (some jnp functions hand NumPy input back as NumPy);
    # Python numbers stay as they are, so they keep jax's weak types.
    return jax.tree_util.tree_map(
        lambda v: jnp.asarray(v) if isinstance(v, np.ndarray) else v, args
    )
