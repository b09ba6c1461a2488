"""Symbolic tensors, and the nodes that calling layers on them records (Keras's functional API).

``keras.Input(shape)`` returns a :class:`KerasTensor`: a shape and a dtype, no values.
Calling a layer on KerasTensors (or on lists or dicts of them) builds the layer for their
shapes at once — its weights are drawn then, as in Keras — and records a :class:`Node`:
the layer, the structure of its inputs and the KerasTensors it outputs. A layer called
twice has two nodes and one set of weights. :mod:`rnnlab.models.graph` turns the nodes
between a model's inputs and outputs into its forward pass.

Example:
    >>> import rnnlab as keras
    >>> x = keras.Input(shape=(None, 1), name="series")
    >>> h = keras.layers.LSTM(5)(x)
    >>> h.shape, h.node.layer.name.startswith("lstm"), h.node.inputs[0] is x
    ((None, 5), True, True)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import jax

from rnnlab.layers.base import Layer, Shape, format_shape
from rnnlab.utils import next_key

__all__ = ["KerasTensor", "Node", "has_symbolic", "is_symbolic", "output_shapes", "symbolic_call"]

_serial = itertools.count()


class KerasTensor:
    """The symbolic value of a functional model: its shape (batch axis first, ``None``
    where unknown) and dtype; ``node`` is the call that produces it (``index``: which of
    that call's outputs).

    Example:
        >>> from rnnlab.layers import Input
        >>> t = Input(shape=(12, 3)); t.shape, t.ndim, t.dtype
        ((None, 12, 3), 3, 'float32')
    """

    def __init__(
        self, shape: Shape, dtype: str = "float32", node: Node | None = None, index: int = 0
    ) -> None:
        self.shape: Shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.index = index

    @property
    def ndim(self) -> int:
        """Number of axes, the batch axis included."""
        return len(self.shape)

    @property
    def name(self) -> str:
        """The producing layer's name (with the output's index when it has several)."""
        if self.node is None:
            return "keras_tensor"
        layer = self.node.layer.name
        return layer if len(self.node.outputs) == 1 else f"{layer}_{self.index}"

    def describe(self) -> str:
        """``"KerasTensor (None, 5) from 'lstm'"``, for error messages."""
        where = f" from {self.name!r}" if self.node is not None else ""
        return f"KerasTensor {format_shape(self.shape)}{where}"

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __bool__(self) -> bool:
        raise TypeError(
            f"{self.describe()} has no value: it cannot be used as a Python bool (an `if` "
            "or `and` on a symbolic tensor); use keras.ops.where or a layer instead"
        )

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"{self.describe()} is symbolic: it has no values to convert to an array. "
            "Build a keras.Model(inputs, outputs) and call it on data instead"
        )

    # Operators record keras.ops operations (rnnlab.ops), as Keras 3's KerasTensor does:
    # `a * b`, `t * 0.5`, `x[..., :4]`. `==` stays identity (tensors are dict keys), as in
    # Keras; compare with keras.ops.equal / not_equal.
    __array_ufunc__ = None  # NumPy defers to the reflected operator: `np.float32(2) * t`

    def _op(self, name: str, *args: Any) -> KerasTensor:
        from rnnlab.ops import numpy as ops_numpy

        return getattr(ops_numpy, name)(*args)

    def __add__(self, other: Any) -> KerasTensor:
        return self._op("add", self, other)

    def __radd__(self, other: Any) -> KerasTensor:
        return self._op("add", other, self)

    def __sub__(self, other: Any) -> KerasTensor:
        return self._op("subtract", self, other)

    def __rsub__(self, other: Any) -> KerasTensor:
        return self._op("subtract", other, self)

    def __mul__(self, other: Any) -> KerasTensor:
        return self._op("multiply", self, other)

    def __rmul__(self, other: Any) -> KerasTensor:
        return self._op("multiply", other, self)

    def __truediv__(self, other: Any) -> KerasTensor:
        return self._op("true_divide", self, other)

    def __rtruediv__(self, other: Any) -> KerasTensor:
        return self._op("true_divide", other, self)

    def __floordiv__(self, other: Any) -> KerasTensor:
        return self._op("floor_divide", self, other)

    def __rfloordiv__(self, other: Any) -> KerasTensor:
        return self._op("floor_divide", other, self)

    def __mod__(self, other: Any) -> KerasTensor:
        return self._op("mod", self, other)

    def __rmod__(self, other: Any) -> KerasTensor:
        return self._op("mod", other, self)

    def __pow__(self, other: Any) -> KerasTensor:
        return self._op("power", self, other)

    def __rpow__(self, other: Any) -> KerasTensor:
        return self._op("power", other, self)

    def __matmul__(self, other: Any) -> KerasTensor:
        return self._op("matmul", self, other)

    def __rmatmul__(self, other: Any) -> KerasTensor:
        return self._op("matmul", other, self)

    def __neg__(self) -> KerasTensor:
        return self._op("negative", self)

    def __abs__(self) -> KerasTensor:
        return self._op("absolute", self)

    def __lt__(self, other: Any) -> KerasTensor:
        return self._op("less", self, other)

    def __le__(self, other: Any) -> KerasTensor:
        return self._op("less_equal", self, other)

    def __gt__(self, other: Any) -> KerasTensor:
        return self._op("greater", self, other)

    def __ge__(self, other: Any) -> KerasTensor:
        return self._op("greater_equal", self, other)

    def __getitem__(self, key: Any) -> KerasTensor:
        return self._op("get_item", self, key)

    def __iter__(self) -> Any:
        # Without this, Python would iterate through __getitem__(0), (1), ... and make
        # one operation per index (`list(t)`, `a, b = t`, a layer wanting a list).
        raise TypeError(
            f"{self.describe()} cannot be iterated or unpacked: it is one symbolic tensor; "
            "pass a list of tensors where a list is expected, or use keras.ops.split"
        )


@dataclass(eq=False)
class Node:
    """One call of ``layer`` on symbolic inputs.

    ``args`` is the call's input structure as given (a KerasTensor, or a list, tuple or
    dict of them); ``kwargs`` the call's keyword arguments (``initial_state=[h, c]``,
    ``mask=m``: KerasTensors or structures of them, and plain values); ``outputs`` the
    KerasTensors it returned; ``serial`` orders nodes by creation (the order ties are
    broken in when a graph is sorted).
    """

    layer: Layer
    args: Any
    kwargs: dict[str, Any] = field(default_factory=dict)
    outputs: list[KerasTensor] = field(default_factory=list)
    serial: int = field(default_factory=lambda: next(_serial))

    @property
    def inputs(self) -> list[KerasTensor]:
        """The symbolic inputs — of ``args``, then of ``kwargs`` — flattened in order."""
        leaves = jax.tree_util.tree_leaves((self.args, self.kwargs), is_leaf=is_symbolic)
        return [t for t in leaves if is_symbolic(t)]

    @property
    def is_input(self) -> bool:
        """Whether this node is an ``Input``'s (it has no inputs)."""
        return bool(getattr(self.layer, "is_input_layer", False))


def is_symbolic(x: Any) -> bool:
    """Whether ``x`` is a :class:`KerasTensor`."""
    return isinstance(x, KerasTensor)


def has_symbolic(x: Any) -> bool:
    """Whether any leaf of the structure ``x`` is a :class:`KerasTensor`."""
    return any(is_symbolic(t) for t in jax.tree_util.tree_leaves(x, is_leaf=is_symbolic))


def _shapes(args: Any) -> Any:
    return jax.tree_util.tree_map(
        lambda t: t.shape if is_symbolic(t) else t, args, is_leaf=is_symbolic
    )


def output_shapes(out: Any) -> list[Shape]:
    """``compute_output_shape``'s result as a list of shapes (one per output).

    Example:
        >>> output_shapes((None, 3)), output_shapes([(None, 3), (None, 4)])
        ([(None, 3)], [(None, 3), (None, 4)])
    """
    if isinstance(out, list) or (isinstance(out, tuple) and out and isinstance(out[0], tuple)):
        return [tuple(s) for s in out]
    return [tuple(out)]


def symbolic_call(
    layer: Layer, args: Any, kwargs: dict[str, Any] | None = None
) -> KerasTensor | list[KerasTensor]:
    """Call ``layer`` on symbolic ``args`` (and ``kwargs``, e.g. ``initial_state``):
    build it for their shapes when new (drawing its weights from the global key stream,
    as Keras does), check them when built, record the :class:`Node` and return its
    output tensor(s) (a list when the call has several, e.g. ``return_state=True``)."""
    kwargs = {k: v for k, v in (kwargs or {}).items() if v is not None}
    for name, value in kwargs.items():
        leaves = jax.tree_util.tree_leaves(value, is_leaf=is_symbolic)
        if name in ("initial_state", "mask") and not all(is_symbolic(t) for t in leaves):
            raise TypeError(
                f"{layer.describe()}: {name}= in a functional model must be symbolic "
                "tensors (from keras.Input or another layer), got "
                f"{', '.join(sorted({type(t).__name__ for t in leaves if not is_symbolic(t)}))}"
            )
    leaves = jax.tree_util.tree_leaves(args, is_leaf=is_symbolic)
    if not all(is_symbolic(t) for t in leaves):
        kinds = sorted({type(t).__name__ for t in leaves if not is_symbolic(t)})
        raise TypeError(
            f"{layer.describe()}: called on a mix of symbolic tensors and values "
            f"({', '.join(kinds)}); in a functional model every input of a layer must come "
            "from keras.Input or another layer"
        )
    shapes = _shapes(args)
    if layer.params is None:
        layer.build(shapes)
        layer.params = layer.init_params(next_key(), shapes)
    else:
        layer.check_input_shape(shapes)
    outs = layer.node_output_shapes(shapes, _shapes(kwargs))
    node = Node(layer, args, kwargs)
    node.outputs = [KerasTensor(s, node=node, index=i) for i, s in enumerate(outs)]
    return node.outputs[0] if len(node.outputs) == 1 else list(node.outputs)
