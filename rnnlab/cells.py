"""The pure-JAX cells, at the path the README documents; they live in :mod:`rnnlab.core.cells`."""

from rnnlab.core.cells import (
    BuiltinCell,
    Cell,
    GRUCell,
    LSTMCell,
    ProjectedCell,
    SimpleRNNCell,
)

__all__ = ["BuiltinCell", "Cell", "GRUCell", "LSTMCell", "ProjectedCell", "SimpleRNNCell"]
