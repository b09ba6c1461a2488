"""Layers with Keras's names, arguments, weight layout and parameter counts.

Example:
    >>> from rnnlab.layers import SimpleRNN, Dense, LSTM, GRU, Conv1D
"""

from rnnlab.layers.base import Layer
from rnnlab.layers.conv import Conv1D
from rnnlab.layers.dense import Dense
from rnnlab.layers.recurrent import GRU, LSTM, RNN, SimpleRNN

__all__ = ["GRU", "LSTM", "RNN", "Conv1D", "Dense", "Layer", "SimpleRNN"]
