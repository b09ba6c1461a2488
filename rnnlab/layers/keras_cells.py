"""Keras's cell layers, ``StackedRNNCells``, and the adapter that lets :class:`~rnnlab.layers.RNN`
run a Keras-style cell.

A Keras-style cell is a :class:`~rnnlab.layers.Layer` subclass with ``state_size`` (an
integer, or a list: one entry per state), ``output_size`` (optional), ``call(inputs,
states) -> (output, new_states)`` (``states`` always a list) and optionally
``get_initial_state(batch_size)``. :func:`as_cell` turns one into rnnlab's pure
:class:`~rnnlab.core.cells.Cell` (:class:`KerasCell`), so the one scan wrapper runs every
cell. ``SimpleRNNCell``, ``LSTMCell`` and ``GRUCell`` here are layers over rnnlab's
built-in cells (Keras's weights: kernel, recurrent_kernel, bias): callable inside a custom
cell as ``out, new_states = self.cell(inputs, states)``, and given to ``RNN`` directly
they *are* the built-in cell (the fast, fused path).

Example:
    >>> import numpy as np
    >>> from rnnlab.layers import RNN
    >>> RNN(LSTMCell(8), return_sequences=True)(np.ones((2, 5, 3), np.float32)).shape
    (2, 5, 8)
"""

from __future__ import annotations

import copy
from typing import Any

import jax
import jax.numpy as jnp

from rnnlab.core import cells as core
from rnnlab.layers import custom
from rnnlab.layers.base import Layer, Params, Shape, format_shape
from rnnlab.layers.binding import bound_call
from rnnlab.utils import next_key
from rnnlab.validation import positive_int

__all__ = ["GRUCell", "KerasCell", "LSTMCell", "SimpleRNNCell", "StackedRNNCells", "as_cell"]


class _CellLayer(Layer):
    """A Keras cell layer over an rnnlab built-in cell (``self.cell``)."""

    weight_names = ("kernel", "recurrent_kernel", "bias")
    core_type: type = core.SimpleRNNCell

    def __init__(self, units: int, **kwargs: Any) -> None:
        cell_args = {
            k: kwargs.pop(k) for k in list(kwargs) if k in self.core_type.__dataclass_fields__
        }
        super().__init__(**kwargs)
        self.units = positive_int(units, "units", self.describe())
        self.cell = self.core_type(self.units, **cell_args)
        self.output_size = self.units

    @property
    def state_size(self) -> int | list[int]:
        """``units`` (one state), or ``[units, units]`` for the LSTM's ``[h, c]``."""
        return self.units

    def check_input_shape(self, shape: Shape) -> None:
        self._expect_ndim(shape, 2, "(batch, features)")
        self._expect_features(shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], self.units)

    def init_params(self, key: jax.Array, input_shape: Shape) -> Params:
        return self.cell.init(key, input_shape[-1])

    def get_initial_state(self, batch_size: int | None = None) -> list[jax.Array]:
        """Zero states, one ``(batch_size, units)`` array per state."""
        carry = self.cell.initial_carry(batch_size)
        return list(carry) if isinstance(carry, tuple) else [carry]

    def step_call(self, params: Params, inputs: Any, states: Any, **kwargs: Any) -> Any:
        """``(output, new_states)``: one step of the built-in cell (Keras 3's signature)."""
        kwargs.pop("training", None)
        if kwargs:
            raise TypeError(f"{self.describe()}: unexpected arguments {sorted(kwargs)}")
        listed = isinstance(states, list | tuple)
        given = list(states) if listed else [states]
        want = len(self.get_initial_state(1))
        if len(given) != want:
            raise ValueError(
                f"{self.describe()}: expected {want} state(s) of shape (batch, {self.units}), "
                f"got {len(given)}"
            )
        carry = tuple(jnp.asarray(s) for s in given) if want > 1 else jnp.asarray(given[0])
        carry, y = self.cell(params, carry, jnp.asarray(inputs))
        new = list(carry) if isinstance(carry, tuple) else [carry]
        return y, (new if listed or want > 1 else new[0])

    def __call__(self, inputs: Any, states: Any, training: bool | None = None) -> Any:
        """One step on arrays ``inputs (batch, features)``: ``(output, new_states)``."""
        inputs = jnp.asarray(inputs, jnp.float32)
        if self.params is None:
            shape = (None, *inputs.shape[1:])
            self.build(shape)
            self.params = self.init_params(next_key(), shape)
        return self.step_call(self.params, inputs, states)


class SimpleRNNCell(_CellLayer):
    """Keras's ``SimpleRNNCell(units, activation="tanh", use_bias=True, ...)``.

    Example:
        >>> import numpy as np
        >>> out, states = SimpleRNNCell(4)(np.ones((2, 3)), [np.zeros((2, 4))])
        >>> out.shape, len(states)
        ((2, 4), 1)
    """

    core_type = core.SimpleRNNCell


class LSTMCell(_CellLayer):
    """Keras's ``LSTMCell(units, ...)``: states ``[h, c]``.

    Example:
        >>> import numpy as np
        >>> out, (h, c) = LSTMCell(4)(np.ones((2, 3)), [np.zeros((2, 4)), np.zeros((2, 4))])
        >>> out.shape, c.shape
        ((2, 4), (2, 4))
    """

    core_type = core.LSTMCell

    @property
    def state_size(self) -> list[int]:
        return [self.units, self.units]


class GRUCell(_CellLayer):
    """Keras's ``GRUCell(units, reset_after=True, ...)``.

    Example:
        >>> GRUCell(4).state_size
        4
    """

    core_type = core.GRUCell


class StackedRNNCells(Layer):
    """Keras's ``StackedRNNCells(cells)``: the cells in one step, each feeding the next.

    ``state_size`` is the list of the cells' ``state_size``; the states come as a list
    with one entry per cell (a tensor, or a list for a cell of several states).

    Example:
        >>> import numpy as np
        >>> from rnnlab.layers import RNN
        >>> rnn = RNN(StackedRNNCells([LSTMCell(4), SimpleRNNCell(2)]))
        >>> rnn(np.ones((3, 5, 1), np.float32)).shape
        (3, 2)
    """

    def __init__(self, cells: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        cells = list(cells)
        for cell in cells:
            if getattr(cell, "state_size", None) is None:
                raise ValueError(
                    f"{self.describe()}: every cell needs a state_size attribute; {cell!r} has none"
                )
        self.cells = cells

    @property
    def state_size(self) -> list[Any]:
        """One entry per cell."""
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        """The last cell's output size."""
        return _output_size(self.cells[-1])

    def get_initial_state(self, batch_size: int | None = None) -> list[Any]:
        """Each cell's initial state (its own ``get_initial_state`` when it has one)."""
        out = []
        for cell in self.cells:
            states = _initial_states(cell, batch_size)
            out.append(states[0] if isinstance(cell.state_size, int) else states)
        return out

    def call(self, inputs: Any, states: Any) -> tuple[Any, list[Any]]:
        new_states = []
        for cell, state in zip(self.cells, states, strict=True):
            listed = isinstance(state, list | tuple)
            inputs, new = cell(inputs, list(state) if listed else [state])
            if not listed and isinstance(new, list | tuple) and len(new) == 1:
                new = new[0]
            new_states.append(new)
        return inputs, new_states


def _output_size(cell: Any) -> int:
    size = getattr(cell, "output_size", None)
    if size is not None:
        return int(size)
    state = cell.state_size
    return int(state if isinstance(state, int) else jax.tree_util.tree_leaves(state)[0])


def _initial_states(cell: Any, batch_size: int | None) -> list[Any]:
    make = getattr(cell, "get_initial_state", None)
    if make is not None:
        states = make(batch_size=batch_size)
        return list(states) if isinstance(states, list | tuple) else [states]
    sizes = [cell.state_size] if isinstance(cell.state_size, int) else list(cell.state_size)
    return [
        jax.tree_util.tree_map(lambda s: jnp.zeros((batch_size, s), jnp.float32), s) for s in sizes
    ]


class KerasCell:
    """A Keras-style cell layer as rnnlab's pure :class:`~rnnlab.core.cells.Cell`.

    The carry is the cell's states flattened (one array, or a tuple); each step rebuilds
    the Keras list of states (nested as ``state_size`` is), runs the cell's ``call`` with
    its weights bound to the step's params, and checks what it returns.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> cell = KerasCell(StackedRNNCells([SimpleRNNCell(3)]))
        >>> params = cell.init(jax.random.key(0), 2)
        >>> carry, y = cell(params, cell.initial_carry(4), jnp.ones((4, 2)))
        >>> y.shape, sorted(params)
        ((4, 3), ['cells/0/bias', 'cells/0/kernel', 'cells/0/recurrent_kernel'])
    """

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        state_size = getattr(layer, "state_size", None)
        if state_size is None:
            raise ValueError(
                f"RNN: cell {layer.describe()} has no state_size; a Keras-style cell needs "
                "state_size (an integer, or a list of integers, one per state) and "
                "call(inputs, states) -> (output, new_states)"
            )
        self.state_size = state_size
        self.sizes = [int(s) for s in jax.tree_util.tree_leaves(state_size)]
        self.units = _output_size(layer)
        self.training = False
        self.key: jax.Array | None = None

    def for_call(self, training: bool, key: jax.Array | None) -> KerasCell:
        """This cell for one run of the layer: ``call`` gets ``training`` (when it takes
        it) and sublayers keys derived from ``key`` — the same at every step, so a Dropout
        inside the cell drops the same units all along a sequence, as Keras's recurrent
        dropout does."""
        run = copy.copy(self)
        run.training, run.key = bool(training), key if training else None
        return run

    @property
    def non_trainable_names(self) -> tuple[str, ...]:
        """The cell layer's ``trainable=False`` weights (flat names)."""
        return custom.non_trainable_names(self.layer)

    def weight_order(self, params: Params) -> tuple[str, ...]:
        """Keras's order of the cell layer's weights (declared, then its sublayers')."""
        return custom.weight_order(self.layer, params)

    def _states(self, flat: list[Any]) -> list[Any]:
        """The flat states in Keras's (possibly nested) list structure of ``state_size``."""
        it = iter(flat)
        if isinstance(self.state_size, int):
            return [next(it)]
        return [
            next(it) if isinstance(s, int) else [next(it) for _ in jax.tree_util.tree_leaves(s)]
            for s in self.state_size
        ]

    def init(self, key: jax.Array, input_dim: int) -> Params:
        """Build the cell for ``input_dim`` features (its ``call`` traced once, its return
        checked) and draw its weights: a flat dict (sublayers' under their attributes)."""
        shape = (None, int(input_dim))
        states = self._states([(None, s) for s in self.sizes])
        out = custom.structural_build(self.layer, shape, (shape, states))
        self._check_returned(out)
        return self.layer.init_params(key, shape)

    def _check_returned(self, out: Any) -> None:
        leaves = jax.tree_util.tree_leaves(out, is_leaf=custom._is_shape)
        ok = isinstance(out, tuple | list) and len(out) == 2 and custom._is_shape(out[0])
        if ok:
            states = jax.tree_util.tree_leaves(out[1], is_leaf=custom._is_shape)
            ok = len(states) == len(self.sizes) and all(
                custom._is_shape(s) and len(s) == 2 and s[1] == n
                for s, n in zip(states, self.sizes, strict=True)
            )
        if not ok:
            if custom._is_shape(out):
                got = f"one tensor of shape {format_shape(out)}"
            else:
                got = f"{len(leaves)} tensors of shapes " + ", ".join(map(format_shape, leaves))
            want = ", ".join(f"(None, {n})" for n in self.sizes)
            raise ValueError(
                f"{self.layer.describe()}: call(inputs, states) must return (output, "
                f"new_states) with new_states matching state_size {self.state_size!r} "
                f"({want}); it returned {got}"
            )

    def initial_carry(self, batch_size: int, dtype: Any = jnp.float32) -> Any:
        """The cell's ``get_initial_state(batch_size)`` (zeros without one), flattened."""
        if getattr(self.layer, "get_initial_state", None) is not None:
            states = self.layer.get_initial_state(batch_size=batch_size)
            states = list(states) if isinstance(states, list | tuple) else [states]
        else:
            states = [jnp.zeros((batch_size, s), dtype) for s in self.sizes]
        flat = [jnp.asarray(s, dtype) for s in jax.tree_util.tree_leaves(states)]
        return tuple(flat) if len(flat) > 1 else flat[0]

    def __call__(self, params: Params, carry: Any, x: jax.Array) -> tuple[Any, jax.Array]:
        """The pure step: ``(params, carry, x (batch, in)) -> (carry, y (batch, units))``."""
        flat = list(carry) if isinstance(carry, tuple) else [carry]
        args = (x, self._states(flat))
        (y, new), _ = bound_call(self.layer, params, args, {}, training=self.training, key=self.key)
        new_flat = jax.tree_util.tree_leaves(new)
        return (tuple(new_flat) if len(new_flat) > 1 else new_flat[0]), y


def as_cell(cell: Any) -> Any:
    """What :class:`~rnnlab.layers.RNN` runs for ``cell``: a Keras cell layer's built-in
    cell, a Keras-style cell as :class:`KerasCell`, a list as ``StackedRNNCells``; any
    other object unchanged (a pure cell, checked by ``RNN``)."""
    if isinstance(cell, list | tuple):
        cell = StackedRNNCells(cell)
    if isinstance(cell, _CellLayer):
        return cell.cell
    if isinstance(cell, Layer):
        return KerasCell(cell)
    return cell
