"""Layers with Keras's names, arguments, weight layout and parameter counts.

Example:
    >>> from rnnlab.layers import SimpleRNN, Dense, LSTM, GRU, Conv1D
    >>> from rnnlab.layers import Bidirectional, TimeDistributed, Masking, Dropout
"""

from rnnlab.layers.attention import AdditiveAttention, Attention
from rnnlab.layers.base import Layer
from rnnlab.layers.bidirectional import Bidirectional
from rnnlab.layers.conv import Conv1D
from rnnlab.layers.core import (
    Activation,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    RepeatVector,
    Reshape,
)
from rnnlab.layers.dense import Dense
from rnnlab.layers.embedding import Embedding
from rnnlab.layers.keras_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from rnnlab.layers.lambda_layer import Lambda
from rnnlab.layers.masking import Masking
from rnnlab.layers.merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
)
from rnnlab.layers.normalization import BatchNormalization, LayerNormalization
from rnnlab.layers.recurrent import GRU, LSTM, RNN, SimpleRNN
from rnnlab.layers.time_distributed import TimeDistributed

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Activation",
    "Add",
    "AdditiveAttention",
    "Attention",
    "Average",
    "BatchNormalization",
    "Bidirectional",
    "Concatenate",
    "Conv1D",
    "Dense",
    "Dot",
    "Dropout",
    "Embedding",
    "Flatten",
    "GRUCell",
    "Input",
    "InputLayer",
    "LSTMCell",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "Masking",
    "Maximum",
    "Minimum",
    "Multiply",
    "RepeatVector",
    "Reshape",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "Subtract",
    "TimeDistributed",
]
