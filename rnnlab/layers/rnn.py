"""The :class:`RNN` layer, which runs any cell over the time axis (also called with
``initial_state=`` or ``return_state``, directly or in a functional model).

Input ``(batch, time, features)``; output ``(batch, units)`` for the last step,
or ``(batch, time, units)`` with ``return_sequences=True``. With
``return_state=True`` the layer returns ``[output, *states]`` when called
directly (inside a :class:`~rnnlab.models.Sequential` only the output flows on).

The fast path: with ``fused="auto"`` (the default) a built-in cell with its default
activations (tanh, and sigmoid for the gates; ``reset_after=True`` for the GRU)
runs the whole sequence with a hand-written backward pass (:mod:`rnnlab.core.fused`),
as Keras 3's ``use_cudnn="auto"`` picks cuDNN. A mask, or recurrent dropout in
training, falls back to the plain per-step loop. ``fused=True`` requires the fast
path (``ValueError`` with the reason otherwise), ``fused=False`` never takes it;
:meth:`RNN.fused_path` tells which one runs.
"""

from __future__ import annotations

from typing import Any

import jax

from rnnlab.core.cells import ProjectedCell, contract_problems
from rnnlab.core.fused import reason_unavailable
from rnnlab.core.remat import segment_length
from rnnlab.core.scan import scan
from rnnlab.layers.base import Layer, Params, Shape, format_shape
from rnnlab.layers.keras_cells import KerasCell, as_cell

__all__ = ["RNN"]


class RNN(Layer):
    """Run a cell over the time axis (one ``lax.scan``).

    Args:
        cell: a :class:`rnnlab.core.cells.Cell`: ``units`` (the size of ``y``),
            ``init(key, input_dim) -> params``, ``initial_carry(batch_size, dtype)`` and
            a pure step ``cell(params, carry, x) -> (carry, y)``; ``TypeError`` otherwise.
            Or Keras's: a cell layer (``keras.layers.LSTMCell(8)``: the built-in cell), a
            Keras-style cell (a Layer with ``state_size`` and ``call(inputs, states)``),
            a list of cells (``StackedRNNCells``); see :mod:`rnnlab.layers.keras_cells`.
        return_sequences: output every step ``(batch, time, units)`` instead of the last.
        return_state: when called directly, also return the final carry.
        go_backwards: read the sequence from its last step to its first.
        unroll: time steps per loop iteration; an integer ≥ 1 (``True`` unrolls fully).
        dropout: fraction of input features dropped in training (one mask per
            sequence, shared by all steps, as Keras does).
        recurrent_dropout: fraction of the previous output dropped where it enters
            the recurrent kernel, in training (a :class:`~rnnlab.core.cells.ProjectedCell`).
        fused: ``"auto"`` (use the hand-written backward pass of :mod:`rnnlab.core.fused`
            when it can run), ``True`` (require it: ``ValueError`` naming the reason
            when it cannot, e.g. a non-default activation, ``reset_after=False``,
            recurrent dropout, or a mask at call time) or ``False`` (never). Results
            agree to rounding either way; see :meth:`fused_path`.
        zero_output_for_mask: with ``return_sequences``, output zeros at masked steps
            instead of repeating the previous output (Keras's argument and default).

    Masks: a ``(batch, time)`` mask (from :class:`~rnnlab.layers.Masking`) makes
    masked steps leave the state unchanged and repeat the previous output, as Keras 3
    does; with ``return_sequences`` the mask
    flows on to the next layer and to the loss.

    Example:
        >>> import numpy as np
        >>> from rnnlab.core.cells import SimpleRNNCell
        >>> RNN(SimpleRNNCell(4), return_sequences=True)(np.ones((2, 7, 3), np.float32)).shape
        (2, 7, 4)
    """

    weight_names = ("kernel", "recurrent_kernel", "bias")

    def __init__(
        self,
        cell: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        unroll: int | bool = 1,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        fused: bool | str = "auto",
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        cell = as_cell(cell)  # a Keras cell layer, Keras-style cell or list: a pure Cell
        problems = contract_problems(cell)
        if problems:
            raise TypeError(
                f"{self.describe()}: cell {cell!r} has {', '.join(problems)}; a cell needs "
                "units, init, initial_carry and __call__ (see rnnlab.core.cells.Cell)"
            )
        self.cell = cell
        self.units = cell.units
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.unroll = unroll
        self.dropout = _rate(dropout, "dropout", self.describe())
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout", self.describe())
        if self.recurrent_dropout and not isinstance(cell, ProjectedCell):
            raise ValueError(
                f"{self.describe()}: recurrent_dropout needs a cell with a "
                "recur(params, carry, xp, recurrent_mask) method"
            )
        if fused is not True and fused is not False and fused != "auto":
            raise ValueError(
                f"{self.describe()}: fused must be True, False or 'auto', got {fused!r}"
            )
        self.fused = fused
        self.zero_output_for_mask = bool(zero_output_for_mask)
        if fused is True:
            self._require_fused(recurrent_dropout=bool(self.recurrent_dropout))

    def fused_path(self, masked: bool = False, training: bool = False) -> bool:
        """Whether :meth:`apply` runs the hand-written backward pass (:mod:`rnnlab.core.fused`).

        ``masked``: the input comes with a mask; ``training``: a training call with
        a dropout key (recurrent dropout, when set, then needs the per-step loop).

        Example:
            >>> from rnnlab.layers import LSTM
            >>> LSTM(4).fused_path(), LSTM(4).fused_path(masked=True)
            (True, False)
            >>> LSTM(4, activation="relu").fused_path(), LSTM(4, fused=False).fused_path()
            (False, False)
        """
        if self.fused is False:
            return False
        recurrent_dropout = training and bool(self.recurrent_dropout)
        return (
            reason_unavailable(self.cell, masked=masked, recurrent_dropout=recurrent_dropout)
            is None
        )

    def _require_fused(self, *, masked: bool = False, recurrent_dropout: bool = False) -> None:
        reason = reason_unavailable(self.cell, masked=masked, recurrent_dropout=recurrent_dropout)
        if reason is not None:
            raise ValueError(
                f"{self.describe()}: fused=True, but the hand-written backward pass cannot "
                f"run: {reason}; pass fused='auto' to fall back to the plain loop"
            )

    supports_masking = True

    @property
    def non_trainable_names(self) -> tuple[str, ...]:  # type: ignore[override]
        """The cell's weights that gradients leave alone (a Keras-style cell's
        ``trainable=False`` weights; none for the built-in cells)."""
        return tuple(getattr(self.cell, "non_trainable_names", ()))

    def compute_mask(self, mask, x):
        return mask if self.return_sequences else None

    def check_input_shape(self, shape: Shape) -> None:
        self._expect_ndim(shape, 3, "(batch, time, features)")
        if shape[-1] is None:
            raise ValueError(f"{self.describe()}: the features axis must be known, got None")
        self._expect_features(shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if self.return_sequences:
            return (input_shape[0], input_shape[1], self.units)
        return (input_shape[0], self.units)

    def init_params(self, key: jax.Array, input_shape: Shape) -> Params:
        return self.cell.init(key, input_shape[-1])

    def weight_order(self, params: Params) -> tuple[str, ...]:
        """Names of ``params`` in Keras order: the cell's own order when it has one (a
        Keras-style cell: its weights as declared — not the dict's order, which training
        sorts); else kernel, recurrent_kernel, bias, then any other weights of a custom
        cell in the order of the cell's dict.

        Example:
            >>> from rnnlab.core.cells import SimpleRNNCell
            >>> params = {"gamma": 0, "recurrent_kernel": 0, "kernel": 0, "beta": 0}
            >>> RNN(SimpleRNNCell(2)).weight_order(params)
            ('kernel', 'recurrent_kernel', 'gamma', 'beta')
        """
        if isinstance(self.cell, KerasCell):
            return self.cell.weight_order(params)
        known = tuple(n for n in RNN.weight_names if n in params)
        return known + tuple(n for n in params if n not in known)

    def _run(self, params, x, initial_state=None, *, training=False, key=None, mask=None):
        unroll = x.shape[1] if self.unroll is True else max(int(self.unroll), 1)
        recurrent_mask = None
        if training and key is not None and (self.dropout or self.recurrent_dropout):
            k_in, k_rec = jax.random.split(key)
            if self.dropout:
                keep = jax.random.bernoulli(k_in, 1.0 - self.dropout, (x.shape[0], x.shape[-1]))
                x = x * (keep / (1.0 - self.dropout))[:, None, :]
            if self.recurrent_dropout:
                rate = self.recurrent_dropout
                keep = jax.random.bernoulli(k_rec, 1.0 - rate, (x.shape[0], self.units))
                recurrent_mask = keep / (1.0 - rate)
        if self.fused is True:  # a mask is only known now
            self._require_fused(masked=mask is not None)
        # In training under a RematScope: checkpoint the time loop in ~√T segments.
        segment = None
        if training and self.remat_applies():
            segment = segment_length(x.shape[1])
        cell = self.cell
        if isinstance(cell, KerasCell):  # a Keras-style cell's call may take training
            cell = cell.for_call(training, None if key is None else jax.random.fold_in(key, 2))
        return scan(
            cell,
            params,
            x,
            initial_carry=initial_state,
            return_sequences=self.return_sequences,
            go_backwards=self.go_backwards,
            unroll=unroll,
            mask=mask,
            recurrent_mask=recurrent_mask,
            remat_segment=segment,
            fused=self.fused,
            zero_output_for_mask=self.zero_output_for_mask,
        )

    def rematerialized(self, forward: Any) -> Any:
        """``forward`` unchanged: :meth:`apply` itself checkpoints the time loop in
        segments of ⌈√T⌉ steps when the layer's :class:`~rnnlab.RematScope` applies."""
        return forward

    def apply(self, params: Params, x: jax.Array, *, training=False, key=None, mask=None):
        """``(batch, time, features)`` → ``(batch, units)`` or ``(batch, time, units)``."""
        return self._run(params, x, training=training, key=key, mask=mask)[0]

    def apply_with_state(self, params: Params, x: jax.Array, initial_state: Any = None):
        """Return ``(output, final_carry)``; start from ``initial_state`` when given."""
        return self._run(params, x, initial_state)

    # -- calls in a functional model: initial_state=, return_state ------------------------
    node_kwargs = ("mask", "training", "initial_state")

    def state_shapes(self, batch: int | None = None) -> list[Shape]:
        """Shapes of the states (``[h]``, or ``[h, c]`` for an LSTM), in Keras's order."""
        carry = jax.eval_shape(lambda: self.cell.initial_carry(1, jax.numpy.float32))
        return [(batch, *leaf.shape[1:]) for leaf in jax.tree_util.tree_leaves(carry)]

    def node_output_shapes(self, input_shape: Any, kwargs: dict[str, Any]) -> list[Shape]:
        """``[output]``, or ``[output, *states]`` with ``return_state``; checks that an
        ``initial_state`` has one ``(batch, units)`` tensor per state."""
        outs = super().node_output_shapes(input_shape, kwargs)
        states = self.state_shapes(input_shape[0])
        given = kwargs.get("initial_state")
        if given is not None:
            given = list(given) if isinstance(given, list | tuple) else [given]
            if len(given) != len(states) or any(
                tuple(g)[1:] != s[1:] for g, s in zip(given, states, strict=False)
            ):
                want = ", ".join(format_shape(s) for s in states)
                got = ", ".join(format_shape(tuple(g)) for g in given)
                raise ValueError(
                    f"{self.describe()}: initial_state must be {len(states)} tensor(s) of "
                    f"shape {want}, got {len(given)}: {got}"
                )
        return outs + states if self.return_state else outs

    def node_apply(self, params, x, kwargs, *, training, key, mask, sample_weight):
        initial_state = kwargs.get("initial_state")
        if initial_state is None and not self.return_state:
            run = dict(training=training, key=key, mask=mask, sample_weight=sample_weight)
            return super().node_apply(params, x, kwargs, **run)
        if initial_state is not None:
            initial_state = _as_carry(initial_state)
        y, carry = self._run(params, x, initial_state, training=training, key=key, mask=mask)
        if not self.return_state:
            return y, {}
        return [y, *jax.tree_util.tree_leaves(carry)], {}

    def __call__(self, x: Any, *, training: bool = False, initial_state: Any = None, **kwargs):
        from rnnlab.layers import symbolic

        if symbolic.has_symbolic(x):
            if symbolic.is_symbolic(initial_state):  # one state tensor: as a list of one
                initial_state = [initial_state]
            kwargs = {**kwargs, "initial_state": initial_state}
            return symbolic.symbolic_call(self, x, kwargs)
        if not self.return_state and initial_state is None:
            return super().__call__(x, training=training, **kwargs)
        # One run that also returns the final state (not a second pass over the sequence).
        x = self._prepare_call(x)  # builds on first use, before self.params is read
        if initial_state is not None:
            initial_state = _as_carry(initial_state)
        y, carry = self.apply_with_state(self.params, x, initial_state)
        if not self.return_state:
            return y
        states = list(carry) if isinstance(carry, tuple) else [carry]
        return [y, *states]


def _as_carry(states: Any) -> Any:
    """``[h]``, ``h`` or ``[h, c]`` as a cell's carry (an array, or a tuple of them)."""
    states = list(states) if isinstance(states, list | tuple) else [states]
    states = [jax.numpy.asarray(s) for s in states]
    # keep a float dtype as it comes (float64 under enable_x64); ints and bools to float32
    states = [
        s if jax.numpy.issubdtype(s.dtype, jax.numpy.floating) else s.astype("float32")
        for s in states
    ]
    return tuple(states) if len(states) > 1 else states[0]


def _rate(value: Any, arg: str, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value < 1.0:
        raise ValueError(f"{owner}: {arg} must be a number in [0, 1), got {value!r}")
    return float(value)
