"""SimpleRNN, LSTM and GRU: the :class:`~rnnlab.layers.rnn.RNN` layer with a built-in
cell (:mod:`rnnlab.core.cells`) and Keras's arguments.

Every argument is checked when the layer is made (a typo in an activation or
initializer name fails then, not mid-training), and errors name the layer.

Example:
    >>> import numpy as np
    >>> LSTM(4, return_sequences=True)(np.ones((2, 7, 3), np.float32)).shape
    (2, 7, 4)
"""

from __future__ import annotations

from typing import Any

from rnnlab import activations, initializers
from rnnlab.core.cells import GRUCell, LSTMCell, SimpleRNNCell
from rnnlab.layers.base import Layer
from rnnlab.layers.rnn import RNN
from rnnlab.utils import unique_name
from rnnlab.validation import positive_int

__all__ = ["GRU", "LSTM", "SimpleRNN"]


def _name_layer(layer: Layer, kwargs: dict[str, Any]) -> str:
    # Name the layer before validating the cell's arguments, so errors name it.
    kwargs["name"] = kwargs.get("name") or unique_name(type(layer).__name__)
    return f"{type(layer).__name__} '{kwargs['name']}'"


def _cell_kwargs(
    owner: str,
    activation: Any,
    kernel_initializer: Any,
    recurrent_initializer: Any,
    bias_initializer: Any,
) -> dict[str, Any]:
    # Resolve names now so a typo fails when the layer is created, not mid-training.
    activations.get(activation, owner=owner)
    for init in (kernel_initializer, recurrent_initializer, bias_initializer):
        initializers.get(init, owner=owner)
    return {
        "activation": activation,
        "kernel_initializer": kernel_initializer,
        "recurrent_initializer": recurrent_initializer,
        "bias_initializer": bias_initializer,
    }


class SimpleRNN(RNN):
    """Keras's ``SimpleRNN``: ``h_t = activation(x_t W + h_{t-1} U + b)``.

    Parameters: ``units * (features + units + 1)`` (3 for ``SimpleRNN(1)`` on one feature).

    Example:
        >>> from rnnlab.models import Sequential
        >>> Sequential([SimpleRNN(20, input_shape=(None, 1))]).count_params()
        440
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        unroll: int | bool = 1,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        fused: bool | str = "auto",
        **kwargs: Any,
    ) -> None:
        owner = _name_layer(self, kwargs)
        cell = SimpleRNNCell(
            positive_int(units, "units", owner),
            use_bias=use_bias,
            **_cell_kwargs(
                owner, activation, kernel_initializer, recurrent_initializer, bias_initializer
            ),
        )
        super().__init__(
            cell,
            return_sequences,
            return_state,
            go_backwards,
            unroll,
            dropout,
            recurrent_dropout,
            fused,
            **kwargs,
        )


class LSTM(RNN):
    """Keras's ``LSTM`` (gates i, f, c, o; one bias of ``4*units``; forget bias 1).

    Parameters: ``4 * units * (features + units + 1)`` (12 for ``LSTM(1)``).

    Example:
        >>> from rnnlab.models import Sequential
        >>> Sequential([LSTM(20, input_shape=(None, 1))]).count_params()
        1760
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        unroll: int | bool = 1,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        fused: bool | str = "auto",
        **kwargs: Any,
    ) -> None:
        owner = _name_layer(self, kwargs)
        activations.get(recurrent_activation, owner=owner)
        cell = LSTMCell(
            positive_int(units, "units", owner),
            use_bias=use_bias,
            recurrent_activation=recurrent_activation,
            unit_forget_bias=unit_forget_bias,
            **_cell_kwargs(
                owner, activation, kernel_initializer, recurrent_initializer, bias_initializer
            ),
        )
        super().__init__(
            cell,
            return_sequences,
            return_state,
            go_backwards,
            unroll,
            dropout,
            recurrent_dropout,
            fused,
            **kwargs,
        )


class GRU(RNN):
    """Keras's ``GRU`` (gates z, r, h); ``reset_after=True`` by default.

    Parameters: ``3 * units * (features + units + 2)`` with ``reset_after=True``
    (separate input and recurrent biases; 12 for ``GRU(1)``), one bias less per
    gate with ``reset_after=False``.

    Example:
        >>> from rnnlab.models import Sequential
        >>> Sequential([GRU(20, input_shape=(None, 1))]).count_params()
        1380
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        reset_after: bool = True,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        unroll: int | bool = 1,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        fused: bool | str = "auto",
        **kwargs: Any,
    ) -> None:
        owner = _name_layer(self, kwargs)
        activations.get(recurrent_activation, owner=owner)
        cell = GRUCell(
            positive_int(units, "units", owner),
            use_bias=use_bias,
            recurrent_activation=recurrent_activation,
            reset_after=reset_after,
            **_cell_kwargs(
                owner, activation, kernel_initializer, recurrent_initializer, bias_initializer
            ),
        )
        super().__init__(
            cell,
            return_sequences,
            return_state,
            go_backwards,
            unroll,
            dropout,
            recurrent_dropout,
            fused,
            **kwargs,
        )
