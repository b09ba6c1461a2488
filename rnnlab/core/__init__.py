"""The pure-JAX core: cells, the scan that runs them, hand-written backward passes, remat.

- :mod:`rnnlab.core.cells`: recurrent cells as pure steps ``(params, carry, x) -> (carry, y)``
  and the typed cell contract (:class:`~rnnlab.core.cells.Cell`).
- :mod:`rnnlab.core.scan`: one scan wrapper that runs any cell over a sequence.
- :mod:`rnnlab.core.fused`: the built-in cells' sequences with hand-written backward passes.
- :mod:`rnnlab.core.remat`: Keras's ``RematScope`` and ``remat`` (checkpointing).
- :mod:`rnnlab.core.linalg`: matrix products in the 2-D form XLA's CPU backend runs fastest.

Nothing here knows about layers, models or training.
"""
