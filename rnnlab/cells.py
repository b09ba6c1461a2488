"""Recurrent cells as pure step functions: ``(params, carry, x) -> (carry, y)``.

A cell holds only configuration; its parameters are a plain dict of arrays
with Keras's names and layout (``kernel``, ``recurrent_kernel``, ``bias``).
For speed each step is split in two: :meth:`project` applies the input kernel
(it is independent of the carry, so :func:`rnnlab.recurrent_scan.scan` runs it
for all time steps at once, outside the loop) and :meth:`recur` does the rest.
Calling the cell does both, which is the plain pure step.

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

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnnlab import activations, fused, initializers
from rnnlab.linalg import matmul_last_axis

Params = dict[str, jax.Array]


def _fast_sigmoid(v: jax.Array) -> jax.Array:
    """``sigmoid(v)`` computed as ``(tanh(v / 2) + 1) / 2``: equal in exact arithmetic, cheaper."""
    return 0.5 * jnp.tanh(0.5 * v) + 0.5


def _lstm_gate_constants(units: int) -> tuple[jax.Array, jax.Array]:
    """Per-column scale and shift so that ``tanh(z * scale) * scale + shift`` gives
    sigmoid on the i, f, o gates and tanh on the candidate c: ``(4*units,)`` each."""
    is_candidate = jnp.arange(4 * units) // units == 2
    return jnp.where(is_candidate, 1.0, 0.5), jnp.where(is_candidate, 0.0, 0.5)


def _ones_on_forget_gate(bias: jax.Array, units: int) -> jax.Array:
    """``bias`` ``(4*units,)`` with the forget gate's block set to 1 (Keras's unit_forget_bias)."""
    forget = np.arange(4 * units) // units == 1
    if isinstance(bias, jax.core.Tracer):  # initializing inside jit/vmap
        return jnp.where(forget, 1.0, bias)
    # On the host: an eager .at[].set() would compile a scatter for every new shape.
    return jax.device_put(np.where(forget, 1.0, np.asarray(bias)).astype(bias.dtype))


@dataclass(frozen=True)
class _CellBase:
    units: int
    activation: Any = "tanh"
    use_bias: bool = True
    kernel_initializer: Any = "glorot_uniform"
    recurrent_initializer: Any = "orthogonal"
    bias_initializer: Any = "zeros"

    n_gates = 1

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

    def initial_carry(self, batch_size: int, dtype: Any = jnp.float32) -> Any:
        """Zero state: ``(batch_size, units)``."""
        return jnp.zeros((batch_size, self.units), dtype)

    def project(self, params: Params, x: jax.Array) -> jax.Array:
        """Input part of the step for any leading axes: ``(..., in) -> (..., gates*units)``."""
        xp = matmul_last_axis(x, params["kernel"])  # 2-D: faster gradient (rnnlab.linalg)
        if self.use_bias:
            bias = params["bias"]
            xp = xp + (bias[0] if bias.ndim == 2 else bias)
        return xp

    def recur(
        self, params: Params, carry: Any, xp: jax.Array, recurrent_mask: jax.Array | None = None
    ) -> tuple[Any, jax.Array]:
        """Carry-dependent part of the step, on projected input ``xp (batch, gates*units)``.

        ``recurrent_mask`` ``(batch, units)`` multiplies the previous output where it
        enters the recurrent kernel (recurrent dropout).
        """
        raise NotImplementedError

    def _default_activations(self) -> bool:
        recurrent = getattr(self, "recurrent_activation", None)
        return self.activation == "tanh" and recurrent == "sigmoid"

    def __call__(self, params: Params, carry: Any, x: jax.Array) -> tuple[Any, jax.Array]:
        """The pure step: ``(params, carry, x (batch, in)) -> (carry, y (batch, units))``."""
        return self.recur(params, carry, self.project(params, x))


@dataclass(frozen=True)
class SimpleRNNCell(_CellBase):
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
        h = carry if recurrent_mask is None else carry * recurrent_mask
        h = self._act()(xp + h @ params["recurrent_kernel"])
        return h, h

    def run_sequence(self, params: Params, carry: jax.Array, xp: jax.Array):
        """All steps at once with a hand-written backward pass (:mod:`rnnlab.fused`);
        ``None`` unless the activation is tanh."""
        if self.activation != "tanh":
            return None
        return fused.simple_rnn_sequence(params["recurrent_kernel"], xp, carry)


@dataclass(frozen=True)
class LSTMCell(_CellBase):
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
    n_gates = 4

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
        h, c = carry
        u = self.units
        if recurrent_mask is not None:
            h = h * recurrent_mask
        z = xp + h @ params["recurrent_kernel"]
        if self._default_activations():
            # One tanh pass over the whole gate vector: sigmoid(v) = (tanh(v/2) + 1) / 2.
            # On XLA's CPU backend this makes fewer, cheaper fusions than a sigmoid and
            # a tanh pass, in the forward and in the backward pass (see BENCHMARKS.md).
            scale, shift = _lstm_gate_constants(u)
            gates = jnp.tanh(z * scale) * scale + shift
            cand = gates
        else:
            gates = activations.get(self.recurrent_activation)(z)
            cand = self._act()(z)
        i, f, o = gates[:, :u], gates[:, u : 2 * u], gates[:, 3 * u :]
        c = f * c + i * cand[:, 2 * u : 3 * u]
        h = o * self._act()(c)
        return (h, c), h

    def run_sequence(self, params: Params, carry: Any, xp: jax.Array):
        """All steps at once with a hand-written backward pass (:mod:`rnnlab.fused`).

        ``xp`` is the projected input ``(time, batch, 4u)``; returns ``(hs, carry)``,
        or ``None`` when the activations are not the defaults.
        """
        if not self._default_activations():
            return None
        hs, h, c = fused.lstm_sequence(params["recurrent_kernel"], xp, *carry)
        return hs, (h, c)


@dataclass(frozen=True)
class GRUCell(_CellBase):
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
    n_gates = 3

    def init(self, key: jax.Array, input_dim: int) -> Params:
        """kernel ``(in, 3u)``, recurrent_kernel ``(u, 3u)``, bias ``(2, 3u)`` or ``(3u,)``."""
        params, k_bias = self._init_kernels(key, input_dim)
        if self.use_bias:
            shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
            params["bias"] = initializers.get(self.bias_initializer)(k_bias, shape)
        return params

    def recur(self, params: Params, carry: jax.Array, xp: jax.Array, recurrent_mask=None):
        h = carry
        hr = h if recurrent_mask is None else h * recurrent_mask
        u = self.units
        rec_act = (
            _fast_sigmoid
            if self._default_activations()
            else activations.get(self.recurrent_activation)
        )
        kernel = params["recurrent_kernel"]
        if self.reset_after:
            hp = hr @ kernel
            if self.use_bias:
                hp = hp + params["bias"][1]
            zr = rec_act(xp[:, : 2 * u] + hp[:, : 2 * u])
            z, r = zr[:, :u], zr[:, u:]
            cand = self._act()(xp[:, 2 * u :] + r * hp[:, 2 * u :])
        else:
            zr = rec_act(xp[:, : 2 * u] + hr @ kernel[:, : 2 * u])
            z, r = zr[:, :u], zr[:, u:]
            cand = self._act()(xp[:, 2 * u :] + (r * hr) @ kernel[:, 2 * u :])
        h = z * h + (1.0 - z) * cand
        return h, h

    def run_sequence(self, params: Params, carry: jax.Array, xp: jax.Array):
        """All steps at once with a hand-written backward pass (:mod:`rnnlab.fused`).

        ``xp`` is the projected input ``(time, batch, 3u)``; returns ``(hs, h)``, or
        ``None`` unless ``reset_after`` with the default activations.
        """
        if not (self.reset_after and self._default_activations()):
            return None
        kernel = params["recurrent_kernel"]
        bias = params["bias"][1] if self.use_bias else jnp.zeros(kernel.shape[1], kernel.dtype)
        hs, h = fused.gru_sequence(kernel, bias, xp, carry)
        return hs, h
