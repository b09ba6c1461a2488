"""Recurrent cells as pure step functions: ``(params, carry, x) -> (carry, y)``.

A cell holds only configuration; its parameters are a plain dict of arrays
with Keras's names and layout (``kernel``, ``recurrent_kernel``, ``bias``).
For speed each step is split in two: :meth:`project` applies the input kernel
(it is independent of the carry, so :func:`rnnlab.core.scan.scan` runs it
for all time steps at once, outside the loop) and :meth:`recur` does the rest.
Calling the cell does both, which is the plain pure step.

The contract any cell meets is the :class:`Cell` protocol; :class:`ProjectedCell`
adds the split form. The built-in cells derive from :class:`BuiltinCell`. Their
step arithmetic is written once, in the step functions below
(:func:`simple_rnn_step`, :func:`lstm_step`, :func:`gru_gates`): ``recur`` and the
forward loops of :mod:`rnnlab.core.fused` both call them.

Shapes: ``x`` is ``(batch, input_dim)``; the carry is ``(batch, units)`` —
a pair ``(h, c)`` for the LSTM; ``y`` is ``(batch, units)``.

Example:
    >>> import jax, jax.numpy as jnp
    >>> cell = LSTMCell(20)
    >>> params = cell.init(jax.random.key(0), input_dim=1)
    >>> carry = cell.initial_carry(batch_size=32)
    >>> carry, y = cell(params, carry, jnp.ones((32, 1)))
    >>> y.shape
    (32, 20)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import jax
import jax.numpy as jnp
import numpy as np

from rnnlab import activations, initializers
from rnnlab.core.linalg import matmul_last_axis

Params = dict[str, jax.Array]
Carry = Any  # an array or a pytree of arrays, each (batch, units)


# --- the contract ----------------------------------------------------------------------------


@runtime_checkable
class Cell(Protocol):
    """What :func:`rnnlab.core.scan.scan` and :class:`rnnlab.layers.RNN` need of a cell.

    ``units`` is the size of ``y``; ``init(key, input_dim)`` returns the parameter
    pytree; ``initial_carry(batch_size, dtype)`` the starting state (``dtype`` may be
    left out of a custom cell's signature); calling the cell is the pure step
    ``(params, carry, x (batch, in)) -> (carry, y (batch, units))``.

    Example:
        >>> isinstance(LSTMCell(4), Cell), isinstance(object(), Cell)
        (True, False)
    """

    units: int

    def init(self, key: jax.Array, input_dim: int) -> Any: ...

    def initial_carry(self, batch_size: int, dtype: Any = jnp.float32) -> Carry: ...

    def __call__(self, params: Any, carry: Carry, x: jax.Array) -> tuple[Carry, jax.Array]: ...


@runtime_checkable
class ProjectedCell(Cell, Protocol):
    """A :class:`Cell` whose step is split in two (all built-in cells are).

    ``project(params, x)`` is the carry-independent input part for any leading axes,
    ``(..., in) -> (..., features)``: :func:`rnnlab.core.scan.scan` runs it for
    all time steps at once, outside the loop. ``recur(params, carry, xp,
    recurrent_mask=None)`` is the rest; ``recurrent_mask`` ``(batch, units)``
    multiplies the previous output where it enters the recurrent kernel
    (recurrent dropout). ``cell(params, carry, x)`` must equal
    ``recur(params, carry, project(params, x))``.

    Example:
        >>> isinstance(GRUCell(4), ProjectedCell)
        True
    """

    def project(self, params: Any, x: jax.Array) -> jax.Array: ...

    def recur(
        self, params: Any, carry: Carry, xp: jax.Array, recurrent_mask: jax.Array | None = None
    ) -> tuple[Carry, jax.Array]: ...


_CONTRACT = (
    ("units", "units attribute"),
    ("init", "init(key, input_dim) method"),
    ("initial_carry", "initial_carry(batch_size, dtype) method"),
)


def contract_problems(cell: Any) -> list[str]:
    """What ``cell`` lacks of the :class:`Cell` contract, as ``"no …"`` phrases (empty: none).

    Example:
        >>> class NoCarry:
        ...     units = 3
        ...     def init(self, key, input_dim): return {}
        >>> contract_problems(NoCarry())
        ['no initial_carry(batch_size, dtype) method', 'no __call__(params, carry, x) step']
        >>> contract_problems(SimpleRNNCell(3))
        []
    """
    problems = [f"no {what}" for attr, what in _CONTRACT if not hasattr(cell, attr)]
    if not callable(cell):
        problems.append("no __call__(params, carry, x) step")
    return problems


# --- the step arithmetic, written once -------------------------------------------------------

_TANH: tuple[Callable, ...] = (jnp.tanh, jax.lax.tanh)
_SIGMOID: tuple[Callable, ...] = (jax.nn.sigmoid, jax.lax.logistic)


def is_tanh(activation: Any) -> bool:
    """Whether ``activation`` (a Keras name or a function) resolves to tanh itself.

    The resolved function is compared, not the name: ``"tanh"``, ``jnp.tanh`` and
    ``jax.lax.tanh`` are tanh; a wrapper such as ``lambda v: jnp.tanh(v)`` is not.

    Example:
        >>> is_tanh("tanh"), is_tanh(jnp.tanh), is_tanh("relu"), is_tanh(lambda v: jnp.tanh(v))
        (True, True, False, False)
    """
    return activations.get(activation) in _TANH


def is_sigmoid(activation: Any) -> bool:
    """Whether ``activation`` resolves to the logistic sigmoid (``"sigmoid"``, ``jax.nn.sigmoid``).

    Example:
        >>> is_sigmoid("sigmoid"), is_sigmoid(jax.nn.sigmoid), is_sigmoid("hard_sigmoid")
        (True, True, False)
    """
    return activations.get(activation) in _SIGMOID


def fast_sigmoid(v: jax.Array) -> jax.Array:
    """``sigmoid(v)`` computed as ``tanh(v / 2) / 2 + 1/2`` (any shape).

    Equal in exact arithmetic and cheaper on XLA's CPU backend: fewer, cheaper
    fusions in the forward and the backward pass (BENCHMARKS.md).

    Example:
        >>> float(fast_sigmoid(jnp.array(0.0)))
        0.5
    """
    return 0.5 * jnp.tanh(0.5 * v) + 0.5


def lstm_gate_constants(units: int, dtype: Any = jnp.float32) -> tuple[jax.Array, jax.Array]:
    """``(scale, shift)``, each ``(4*units,)``, so that ``tanh(z * scale) * scale + shift``
    is sigmoid (as :func:`fast_sigmoid`) on the i, f, o gates and tanh on the candidate c.

    Example:
        >>> [v.tolist() for v in lstm_gate_constants(1)]
        [[0.5, 0.5, 1.0, 0.5], [0.5, 0.5, 0.0, 0.5]]
    """
    is_candidate = jnp.arange(4 * units) // units == 2
    scale = jnp.where(is_candidate, 1.0, 0.5).astype(dtype)
    return scale, jnp.where(is_candidate, 0.0, 0.5).astype(dtype)


def simple_rnn_step(
    recurrent_kernel: jax.Array, h: jax.Array, xp: jax.Array, activation: Callable = jnp.tanh
) -> jax.Array:
    """The SimpleRNN step ``activation(xp + h @ U)``.

    ``U (u, u)``, ``h (batch, u)``, ``xp (batch, u)`` → ``(batch, u)``.

    Example:
        >>> simple_rnn_step(jnp.eye(2), jnp.ones((1, 2)), jnp.zeros((1, 2))).shape
        (1, 2)
    """
    return activation(xp + h @ recurrent_kernel)


def lstm_combine(i, f, g, o, c, activation: Callable = jnp.tanh):
    """The LSTM state update on gate blocks ``(batch, u)``: ``(h', c')``.

    ``c' = f * c + i * g`` and ``h' = o * activation(c')``.

    Example:
        >>> one = jnp.ones((1, 2))
        >>> [float(v[0, 0]) for v in lstm_combine(one, one, one, one, 0 * one, lambda v: v)]
        [1.0, 1.0]
    """
    c = f * c + i * g
    return o * activation(c), c


def lstm_step(recurrent_kernel, carry, xp, scale, shift):
    """The LSTM step with sigmoid gates and tanh: ``((h', c'), a)``.

    ``recurrent_kernel (u, 4u)``, carry ``(h, c)`` each ``(batch, u)``, projected
    input ``xp (batch, 4u)``, ``scale, shift`` from :func:`lstm_gate_constants`;
    ``a (batch, 4u)`` holds the gate activations i, f, g, o (the residuals that
    :mod:`rnnlab.core.fused`'s backward pass keeps).

    Example:
        >>> z = jnp.zeros((1, 1))
        >>> (h, c), a = lstm_step(jnp.zeros((1, 4)), (z, z), jnp.zeros((1, 4)),
        ...                       *lstm_gate_constants(1))
        >>> a.tolist()
        [[0.5, 0.5, 0.0, 0.5]]
    """
    h, c = carry
    u = h.shape[-1]
    a = jnp.tanh((xp + h @ recurrent_kernel) * scale) * scale + shift
    h, c = lstm_combine(a[:, :u], a[:, u : 2 * u], a[:, 2 * u : 3 * u], a[:, 3 * u :], c)
    return (h, c), a


def gru_gates(hp, xp, activation: Callable = jnp.tanh, recurrent_activation=fast_sigmoid):
    """The GRU's gates with ``reset_after=True``: ``(zr, n, hn)``.

    ``hp = h @ U + b_rec`` and ``xp`` are ``(batch, 3u)`` (blocks z, r, h).
    ``zr (batch, 2u)`` is the update and reset gates, ``hn = hp[:, 2u:]`` the
    recurrent part of the candidate, ``n = activation(xp_h + r * hn)`` the
    candidate, each ``(batch, u)``. The new state is ``z * h + (1 - z) * n``.

    Example:
        >>> zr, n, hn = gru_gates(jnp.zeros((1, 3)), jnp.zeros((1, 3)))
        >>> zr.tolist(), n.tolist()
        ([[0.5, 0.5]], [[0.0]])
    """
    u = xp.shape[-1] // 3
    zr = recurrent_activation(xp[:, : 2 * u] + hp[:, : 2 * u])
    hn = hp[:, 2 * u :]
    return zr, activation(xp[:, 2 * u :] + zr[:, u:] * hn), hn


def _ones_on_forget_gate(bias: jax.Array, units: int) -> jax.Array:
    """``bias`` ``(4*units,)`` with the forget gate's block set to 1 (Keras's unit_forget_bias)."""
    forget = np.arange(4 * units) // units == 1
    if isinstance(bias, jax.core.Tracer):  # initializing inside jit/vmap
        return jnp.where(forget, 1.0, bias)
    # On the host: an eager .at[].set() would compile a scatter for every new shape.
    return jax.device_put(np.where(forget, 1.0, np.asarray(bias)).astype(bias.dtype))


# --- the built-in cells ----------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltinCell:
    """Base of the built-in cells: Keras's arguments, ``init``'s kernels, the split step.

    A :class:`ProjectedCell`. Subclasses give ``n_gates``, ``init`` and ``recur``.
    Args as Keras's: ``units``, ``activation`` (name or function), ``use_bias`` and
    the three initializers (names or functions).

    Example:
        >>> issubclass(LSTMCell, BuiltinCell), LSTMCell.n_gates
        (True, 4)
    """

    units: int
    activation: Any = "tanh"
    use_bias: bool = True
    kernel_initializer: Any = "glorot_uniform"
    recurrent_initializer: Any = "orthogonal"
    bias_initializer: Any = "zeros"

    n_gates: ClassVar[int] = 1

    def _act(self) -> activations.Activation:
        return activations.get(self.activation, owner=type(self).__name__)

    def _init_kernels(self, key: jax.Array, input_dim: int) -> tuple[Params, jax.Array]:
        k_kernel, k_rec, k_bias = jax.random.split(key, 3)
        width = self.n_gates * self.units
        kernel_init = initializers.get(self.kernel_initializer)
        rec_init = initializers.get(self.recurrent_initializer)
        params = {
            "kernel": kernel_init(k_kernel, (input_dim, width)),
            "recurrent_kernel": rec_init(k_rec, (self.units, width)),
        }
        return params, k_bias

    def init(self, key: jax.Array, input_dim: int) -> Params:
        """Parameters for inputs of ``input_dim`` features (shapes in each subclass)."""
        raise NotImplementedError

    def initial_carry(self, batch_size: int, dtype: Any = jnp.float32) -> Carry:
        """Zero state: ``(batch_size, units)``."""
        return jnp.zeros((batch_size, self.units), dtype)

    def project(self, params: Params, x: jax.Array) -> jax.Array:
        """Input part of the step for any leading axes: ``(..., in) -> (..., gates*units)``."""
        xp = matmul_last_axis(x, params["kernel"])  # 2-D: faster gradient (rnnlab.core.linalg)
        if self.use_bias:
            bias = params["bias"]
            xp = xp + (bias[0] if bias.ndim == 2 else bias)
        return xp

    def recur(
        self, params: Params, carry: Carry, xp: jax.Array, recurrent_mask: jax.Array | None = None
    ) -> tuple[Carry, jax.Array]:
        """Carry-dependent part of the step, on projected input ``xp (batch, gates*units)``.

        ``recurrent_mask`` ``(batch, units)`` multiplies the previous output where it
        enters the recurrent kernel (recurrent dropout).
        """
        raise NotImplementedError

    def default_activations(self) -> bool:
        """Whether ``activation`` is tanh and ``recurrent_activation`` (if any) is sigmoid,
        by the resolved function (:func:`is_tanh`, :func:`is_sigmoid`), not by name.

        Example:
            >>> LSTMCell(2, activation=jnp.tanh).default_activations()
            True
            >>> GRUCell(2, recurrent_activation="hard_sigmoid").default_activations()
            False
        """
        recurrent = getattr(self, "recurrent_activation", "sigmoid")
        return is_tanh(self.activation) and is_sigmoid(recurrent)

    def __call__(self, params: Params, carry: Carry, x: jax.Array) -> tuple[Carry, jax.Array]:
        """The pure step: ``(params, carry, x (batch, in)) -> (carry, y (batch, units))``."""
        return self.recur(params, carry, self.project(params, x))


@dataclass(frozen=True)
class SimpleRNNCell(BuiltinCell):
    """Fully connected recurrence: ``h' = act(x @ W + h @ U + b)``; ``y = h'``.

    Example:
        >>> cell = SimpleRNNCell(1)
        >>> sorted(cell.init(jax.random.key(0), 1))
        ['bias', 'kernel', 'recurrent_kernel']
    """

    def init(self, key: jax.Array, input_dim: int) -> Params:
        """kernel ``(in, units)``, recurrent_kernel ``(units, units)``, bias ``(units,)``."""
        params, k_bias = self._init_kernels(key, input_dim)
        if self.use_bias:
            params["bias"] = initializers.get(self.bias_initializer)(k_bias, (self.units,))
        return params

    def recur(self, params: Params, carry: jax.Array, xp: jax.Array, recurrent_mask=None):
        """``h' = act(xp + h @ U)`` (:func:`simple_rnn_step`): ``(h', h')``."""
        h = carry if recurrent_mask is None else carry * recurrent_mask
        h = simple_rnn_step(params["recurrent_kernel"], h, xp, self._act())
        return h, h


@dataclass(frozen=True)
class LSTMCell(BuiltinCell):
    """Long short-term memory with Keras's gate order i, f, c, o.

    ``z = x @ W + h @ U + b``; ``i, f, o = σ(z_i), σ(z_f), σ(z_o)``; ``g = tanh(z_c)``;
    ``c' = f * c + i * g``; ``h' = o * tanh(c')``. Carry ``(h, c)``.
    With ``unit_forget_bias`` the forget-gate bias starts at 1, as in Keras.

    Example:
        >>> p = LSTMCell(20).init(jax.random.key(0), 1)
        >>> p["kernel"].shape, p["bias"].shape
        ((1, 80), (80,))
    """

    recurrent_activation: Any = "sigmoid"
    unit_forget_bias: bool = True
    n_gates: ClassVar[int] = 4

    def init(self, key: jax.Array, input_dim: int) -> Params:
        """kernel ``(in, 4u)``, recurrent_kernel ``(u, 4u)``, bias ``(4u,)``."""
        params, k_bias = self._init_kernels(key, input_dim)
        if self.use_bias:
            u = self.units
            bias = initializers.get(self.bias_initializer)(k_bias, (4 * u,))
            if self.unit_forget_bias:
                bias = _ones_on_forget_gate(bias, u)
            params["bias"] = bias
        return params

    def initial_carry(
        self, batch_size: int, dtype: Any = jnp.float32
    ) -> tuple[jax.Array, jax.Array]:
        """``(h, c)``, each ``(batch_size, units)`` zeros."""
        zeros = jnp.zeros((batch_size, self.units), dtype)
        return zeros, zeros

    def recur(self, params: Params, carry: tuple[jax.Array, jax.Array], xp, recurrent_mask=None):
        """One step on ``xp (batch, 4u)``: ``((h', c'), h')`` (:func:`lstm_step`)."""
        h, c = carry
        if recurrent_mask is not None:
            h = h * recurrent_mask
        kernel = params["recurrent_kernel"]
        if self.default_activations():
            # One tanh pass over the whole gate vector: sigmoid(v) = (tanh(v/2) + 1) / 2.
            (h, c), _ = lstm_step(kernel, (h, c), xp, *lstm_gate_constants(self.units, xp.dtype))
            return (h, c), h
        u = self.units
        z = xp + h @ kernel
        gates = activations.get(self.recurrent_activation)(z)
        cand = self._act()(z)
        i, f, o = gates[:, :u], gates[:, u : 2 * u], gates[:, 3 * u :]
        h, c = lstm_combine(i, f, cand[:, 2 * u : 3 * u], o, c, self._act())
        return (h, c), h


@dataclass(frozen=True)
class GRUCell(BuiltinCell):
    """Gated recurrent unit, Keras layout: gates z (update), r (reset), h (candidate).

    ``reset_after=True`` (Keras's default): ``ĥ = tanh(x W_h + b_h + r * (h U_h + b'_h))``
    with separate input and recurrent biases, bias shape ``(2, 3u)``.
    ``reset_after=False``: ``ĥ = tanh(x W_h + (r * h) U_h + b_h)``, bias ``(3u,)``.
    Then ``h' = z * h + (1 - z) * ĥ``.

    Example:
        >>> GRUCell(20).init(jax.random.key(0), 1)["bias"].shape
        (2, 60)
    """

    recurrent_activation: Any = "sigmoid"
    reset_after: bool = True
    n_gates: ClassVar[int] = 3

    def init(self, key: jax.Array, input_dim: int) -> Params:
        """kernel ``(in, 3u)``, recurrent_kernel ``(u, 3u)``, bias ``(2, 3u)`` or ``(3u,)``."""
        params, k_bias = self._init_kernels(key, input_dim)
        if self.use_bias:
            shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
            params["bias"] = initializers.get(self.bias_initializer)(k_bias, shape)
        return params

    def recur(self, params: Params, carry: jax.Array, xp: jax.Array, recurrent_mask=None):
        """One step on ``xp (batch, 3u)``: ``(h', h')`` (:func:`gru_gates` when ``reset_after``)."""
        h = carry
        hr = h if recurrent_mask is None else h * recurrent_mask
        u = self.units
        rec_act = (
            fast_sigmoid
            if self.default_activations()
            else activations.get(self.recurrent_activation)
        )
        kernel = params["recurrent_kernel"]
        if self.reset_after:
            hp = hr @ kernel
            if self.use_bias:
                hp = hp + params["bias"][1]
            zr, cand, _ = gru_gates(hp, xp, self._act(), rec_act)
            z = zr[:, :u]
        else:
            zr = rec_act(xp[:, : 2 * u] + hr @ kernel[:, : 2 * u])
            z, r = zr[:, :u], zr[:, u:]
            cand = self._act()(xp[:, 2 * u :] + (r * hr) @ kernel[:, 2 * u :])
        # rnnlab.core.fused's forward writes this as n + z * (h - n), one product less;
        # tests/test_cell_paths.py checks the two agree to 1e-12 in float64.
        h = z * h + (1.0 - z) * cand
        return h, h
