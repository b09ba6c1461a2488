"""Models: :class:`Sequential` (a stack of layers), :class:`Model` (a functional graph of
layers) and :func:`load_model`.

- :mod:`rnnlab.models.sequential`: the model, its weights and its pure forward pass.
- :mod:`rnnlab.models.engine`: compile / fit / evaluate / predict (a mixin over the trainer).
- :mod:`rnnlab.models.summary`: Keras's ``summary()`` table.

Example:
    >>> from rnnlab.models import Sequential
    >>> from rnnlab.layers import Dense
    >>> Sequential([Dense(1, input_shape=(3,))]).count_params()
    4
"""

from rnnlab.models.functional import Model
from rnnlab.models.sequential import Sequential, forward_layers, load_model

__all__ = ["Model", "Sequential", "forward_layers", "load_model"]
