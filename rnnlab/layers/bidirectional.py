"""``Bidirectional``: a recurrent layer run forwards and a copy of it backwards, merged.

Example:
    >>> from rnnlab.models import Sequential
    >>> from rnnlab.layers import LSTM
    >>> m = Sequential([Bidirectional(LSTM(20), input_shape=(None, 1))])
    >>> m.output_shape, m.count_params()
    ((None, 40), 3520)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnnlab.layers.base import Layer, Params, Shape, adopt_input_shape, format_shape
from rnnlab.layers.recurrent import RNN

__all__ = ["MERGE_MODES", "Bidirectional"]

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _removeprefix(name: str, prefix: str) -> str:
    return name[len(prefix) :] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Run a recurrent layer forwards and a copy of it backwards, and merge the outputs.

    The forward copy is named ``forward_<name>`` and the backward copy (``go_backwards``
    flipped) ``backward_<name>``, as in Keras; both start from fresh weights. With
    ``return_sequences`` the backward outputs are flipped back to the input's time
    order before merging, so step ``t`` of the output sees the whole sequence.
    Masks go to both directions (the backward layer reads them reversed with the
    sequence). Parameters ``{"forward": ..., "backward": ...}``; ``get_weights``
    gives the forward weights, then the backward ones.

    Args:
        layer: a recurrent layer (:class:`~rnnlab.layers.RNN`, e.g. ``LSTM(20)``).
        merge_mode: ``"concat"`` (units doubled), ``"sum"``, ``"mul"``, ``"ave"``, or
            ``None`` (called directly it returns ``[forward, backward]``; not usable
            inside a Sequential).
        backward_layer: optional recurrent layer to use for the backward direction;
            it must have the opposite ``go_backwards`` and the same
            ``return_sequences``/``return_state``.

    Shapes: ``(batch, time, features)`` → ``(batch, 2*units)`` for ``"concat"``
    (``(batch, time, 2*units)`` with ``return_sequences``), ``units`` otherwise.

    Example:
        >>> from rnnlab.models import Sequential
        >>> from rnnlab.layers import LSTM
        >>> m = Sequential([Bidirectional(LSTM(20), input_shape=(None, 1))])
        >>> m.output_shape, m.count_params()
        ((None, 40), 3520)
    """

    supports_masking = True

    def __init__(
        self,
        layer: RNN,
        merge_mode: str | None = "concat",
        backward_layer: RNN | None = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(layer, Layer):
            adopt_input_shape(layer, kwargs)
        super().__init__(**kwargs)
        owner = self.describe()
        if not isinstance(layer, RNN):
            what = layer.describe() if isinstance(layer, Layer) else repr(layer)
            raise ValueError(
                f"{owner}: layer must be a recurrent layer (an RNN such as LSTM(20), GRU(20) "
                f"or SimpleRNN(20)), got {what}"
            )
        if merge_mode not in MERGE_MODES:
            valid = ", ".join(repr(m) for m in MERGE_MODES)
            raise ValueError(f"{owner}: unknown merge_mode {merge_mode!r}; expected one of {valid}")
        self.merge_mode = merge_mode
        forward = layer.clone(
            name="forward_" + _removeprefix(layer.name, "forward_"), input_shape=None
        )
        if backward_layer is None:
            backward = layer.clone(
                name="backward_" + _removeprefix(layer.name, "backward_"),
                go_backwards=not layer.go_backwards,
                input_shape=None,
            )
        else:
            if not isinstance(backward_layer, RNN):
                what = (
                    backward_layer.describe()
                    if isinstance(backward_layer, Layer)
                    else repr(backward_layer)
                )
                raise ValueError(f"{owner}: backward_layer must be a recurrent layer, got {what}")
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError(
                    f"{owner}: layer and backward_layer must have different go_backwards, "
                    f"both have go_backwards={layer.go_backwards}"
                )
            for attr in ("return_sequences", "return_state"):
                if getattr(backward_layer, attr) != getattr(layer, attr):
                    raise ValueError(
                        f"{owner}: layer and backward_layer must have the same {attr}, got "
                        f"{getattr(layer, attr)} and {getattr(backward_layer, attr)}"
                    )
            backward = backward_layer
        if merge_mode in ("sum", "mul", "ave") and forward.units != backward.units:
            raise ValueError(
                f"{owner}: merge_mode={merge_mode!r} needs both directions to have the same "
                f"units, got {forward.units} and {backward.units}"
            )
        # As Keras: with return_sequences the merged output is zero at masked steps,
        # whatever the wrapped layer's own zero_output_for_mask.
        for direction in (forward, backward):
            direction.zero_output_for_mask = direction.return_sequences
        self.forward_layer = forward
        self.backward_layer = backward
        self.return_sequences = forward.return_sequences
        self.return_state = forward.return_state
        self.trainable = self.trainable and layer.trainable

    @property
    def single_output_error(self) -> str | None:
        """Why a Sequential cannot pass this layer's output on (``merge_mode=None``), or None."""
        if self.merge_mode is None:
            return (
                f"{self.describe()}: merge_mode=None gives two outputs, which a Sequential "
                "cannot pass on; use merge_mode='concat', 'sum', 'mul' or 'ave'"
            )
        return None

    @property
    def go_backwards(self) -> bool:
        """Whether the outputs come in reversed time order: only when the wrapped layer
        itself had ``go_backwards=True`` (then both merged halves are reversed, as in Keras)."""
        return self.forward_layer.go_backwards

    # -- shapes -------------------------------------------------------------------------
    def check_input_shape(self, shape: Shape) -> None:
        self.forward_layer.check_input_shape(shape)
        self.backward_layer.check_input_shape(shape)

    def build(self, input_shape: Shape) -> Shape:
        self.check_input_shape(input_shape)
        self.forward_layer.build(input_shape)
        self.backward_layer.build(input_shape)
        return super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        f = self.forward_layer.compute_output_shape(input_shape)
        if self.merge_mode == "concat":
            b = self.backward_layer.compute_output_shape(input_shape)
            return (*f[:-1], f[-1] + b[-1])
        return f

    def compute_mask(self, mask: jax.Array | None, x: jax.Array) -> jax.Array | None:
        return mask if self.return_sequences else None

    # -- parameters ---------------------------------------------------------------------
    @property
    def params(self) -> Params | None:
        """``{"forward": ..., "backward": ...}``: the two directions' weights."""
        if self.forward_layer.params is None or self.backward_layer.params is None:
            return None
        return {"forward": self.forward_layer.params, "backward": self.backward_layer.params}

    @params.setter
    def params(self, value: Params | None) -> None:
        self.forward_layer.params = None if value is None else value["forward"]
        self.backward_layer.params = None if value is None else value["backward"]

    def init_params(self, key: jax.Array, input_shape: Shape) -> Params:
        k_forward, k_backward = jax.random.split(key)
        return {
            "forward": self.forward_layer.init_params(k_forward, input_shape),
            "backward": self.backward_layer.init_params(k_backward, input_shape),
        }

    def get_weights(self) -> list[np.ndarray]:
        """Forward weights then backward weights, each in Keras order."""
        return self.forward_layer.get_weights() + self.backward_layer.get_weights()

    def count_params(self) -> int:
        return self.forward_layer.count_params() + self.backward_layer.count_params()

    def count_trainable_params(self) -> int:
        if not self.trainable:
            return 0
        return (
            self.forward_layer.count_trainable_params()
            + self.backward_layer.count_trainable_params()
        )

    def params_with_weights(self, weights: Sequence[Any]) -> Params:
        """Forward weights then backward weights (:meth:`get_weights` order), checked."""
        weights = list(weights)
        n_forward = len(self.forward_layer.get_weights())
        n_backward = len(self.backward_layer.get_weights())
        if len(weights) != n_forward + n_backward:
            raise ValueError(
                f"set_weights: {self.describe()} expects {n_forward + n_backward} weight "
                f"arrays, got {len(weights)}"
            )
        return {
            "forward": self.forward_layer.params_with_weights(weights[:n_forward]),
            "backward": self.backward_layer.params_with_weights(weights[n_forward:]),
        }

    # -- forward pass -------------------------------------------------------------------
    @staticmethod
    def _keys(key: jax.Array | None) -> tuple[jax.Array | None, jax.Array | None]:
        if key is None:
            return None, None
        return jax.random.fold_in(key, 0), jax.random.fold_in(key, 1)

    def _merge(self, y: jax.Array, y_rev: jax.Array) -> Any:
        if self.return_sequences:
            y_rev = jnp.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            return jnp.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "mul":
            return y * y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2.0
        return y, y_rev

    def rematerialized(self, forward: Any) -> Any:
        """``forward`` unchanged when its recurrent layers rematerialize themselves
        (created in a :class:`~rnnlab.RematScope` that applies to them), else as
        :class:`Layer` does."""
        if self.forward_layer.remat_applies() or self.backward_layer.remat_applies():
            return forward
        return super().rematerialized(forward)

    def apply(self, params: Params, x: jax.Array, *, training=False, key=None, mask=None):
        """``(batch, time, features)`` → merged outputs (see the class docstring)."""
        k_forward, k_backward = self._keys(key)
        y = self.forward_layer.apply(
            params["forward"], x, training=training, key=k_forward, mask=mask
        )
        y_rev = self.backward_layer.apply(
            params["backward"], x, training=training, key=k_backward, mask=mask
        )
        return self._merge(y, y_rev)

    def apply_with_state(
        self,
        params: Params,
        x: jax.Array,
        initial_state: Any = None,
        *,
        training: bool = False,
        key: jax.Array | None = None,
        mask: jax.Array | None = None,
    ) -> tuple[Any, list[jax.Array]]:
        """``(merged output, [*forward states, *backward states])``; ``initial_state``
        is that list (the first half for the forward layer), or ``None`` for zeros."""
        states_f = states_b = None
        if initial_state is not None:
            initial_state = list(initial_state)
            half = len(initial_state) // 2
            states_f = _as_carry(initial_state[:half])
            states_b = _as_carry(initial_state[half:])
        k_forward, k_backward = self._keys(key)
        run = dict(training=training, mask=mask)
        y, carry_f = self.forward_layer._run(params["forward"], x, states_f, key=k_forward, **run)
        y_rev, carry_b = self.backward_layer._run(
            params["backward"], x, states_b, key=k_backward, **run
        )
        return self._merge(y, y_rev), _as_list(carry_f) + _as_list(carry_b)

    # -- calls in a functional model: initial_state=, return_state, merge_mode=None -------
    node_kwargs = ("mask", "training", "initial_state")

    def node_output_shapes(self, input_shape: Any, kwargs: dict[str, Any]) -> list[Shape]:
        """``[output]`` (``[forward, backward]`` with ``merge_mode=None``), then with
        ``return_state`` the forward layer's states and the backward layer's."""
        super().node_output_shapes(input_shape, kwargs)  # checks the keyword names
        f = self.forward_layer.compute_output_shape(input_shape)
        if self.merge_mode is None:
            outs = [f, self.backward_layer.compute_output_shape(input_shape)]
        else:
            outs = [self.compute_output_shape(input_shape)]
        states = self.forward_layer.state_shapes(input_shape[0]) + (
            self.backward_layer.state_shapes(input_shape[0])
        )
        given = kwargs.get("initial_state")
        if given is not None and (
            len(given) != len(states)
            or any(tuple(g)[1:] != s[1:] for g, s in zip(given, states, strict=False))
        ):
            raise ValueError(
                f"{self.describe()}: initial_state must be {len(states)} tensors "
                "(the forward layer's states, then the backward layer's) of shapes "
                f"{', '.join(format_shape(s) for s in states)}, got {len(given)}"
            )
        return outs + states if self.return_state else outs

    def node_apply(self, params, x, kwargs, *, training, key, mask, sample_weight):
        initial_state = kwargs.get("initial_state")
        if initial_state is None and not self.return_state and self.merge_mode is not None:
            run = dict(training=training, key=key, mask=mask, sample_weight=sample_weight)
            return super().node_apply(params, x, kwargs, **run)
        y, states = self.apply_with_state(
            params, x, initial_state, training=training, key=key, mask=mask
        )
        out = list(y) if self.merge_mode is None else [y]
        if self.return_state:
            out = out + states
        return (out if len(out) > 1 else out[0]), {}

    def __call__(
        self, x: Any, *, training: bool = False, initial_state: Any = None, **kwargs: Any
    ) -> Any:
        """Eager call; returns ``[output, *states]`` with ``return_state`` (Keras's order:
        forward states then backward ones) and ``[forward, backward]`` with ``merge_mode=None``."""
        from rnnlab.layers import symbolic

        if symbolic.has_symbolic(x):
            return symbolic.symbolic_call(self, x, {**kwargs, "initial_state": initial_state})
        if self.return_state or initial_state is not None:
            x = self._prepare_call(x)  # builds on first use, before self.params is read
            y, states = self.apply_with_state(self.params, x, initial_state)
        else:
            y = super().__call__(x, training=training, **kwargs)
        out = list(y) if self.merge_mode is None else [y]
        if self.return_state:
            return out + states
        return out if self.merge_mode is None else y


def _as_list(carry: Any) -> list[jax.Array]:
    return list(carry) if isinstance(carry, tuple | list) else [carry]


def _as_carry(states: list[Any]) -> Any:
    states = [jnp.asarray(s, jnp.float32) for s in states]
    return tuple(states) if len(states) > 1 else states[0]
