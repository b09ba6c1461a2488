"""Recurrent layers: one :class:`RNN` layer runs any cell; SimpleRNN, LSTM and
GRU are RNN with a built-in cell and Keras's arguments.

This module gathers them under their long-standing import path
(``from rnnlab.layers.recurrent import LSTM``): :class:`RNN`, its arguments, masks,
the fused path and the ``initial_state=`` / ``return_state`` calls are in
:mod:`rnnlab.layers.rnn`; SimpleRNN, LSTM and GRU in :mod:`rnnlab.layers.builtin_rnns`.
The private helpers that moved there are re-exported too (the ``name as name`` imports).

Example:
    >>> import numpy as np
    >>> GRU(3)(np.ones((2, 5, 1), np.float32)).shape
    (2, 3)
"""

from __future__ import annotations

from rnnlab.layers.builtin_rnns import GRU, LSTM, SimpleRNN
from rnnlab.layers.builtin_rnns import _cell_kwargs as _cell_kwargs
from rnnlab.layers.builtin_rnns import _name_layer as _name_layer
from rnnlab.layers.rnn import RNN
from rnnlab.layers.rnn import _as_carry as _as_carry
from rnnlab.layers.rnn import _rate as _rate

__all__ = ["GRU", "LSTM", "RNN", "SimpleRNN"]
