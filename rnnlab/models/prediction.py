"""``predict``: a model's jitted forward pass over padded chunks of its input.

Chunks of one size (a power-of-two bucket, or ``batch_size``), the last padded, and for
models whose layers all honour masks a time axis left-padded to a multiple of 16 steps:
repeated calls, and the growing sequences of iterative forecasting, reuse one compiled
function. Under a :class:`~rnnlab.distribution.DataParallel` distribution each chunk is
split over this process's devices. A mixin of every model (through
:class:`rnnlab.models.engine.TrainingMixin`), with no fields of its own.

Example:
    >>> import numpy as np
    >>> from rnnlab.layers import Dense
    >>> from rnnlab.models import Sequential
    >>> Sequential([Dense(1, input_shape=(2,))]).predict(np.ones((3, 2))).shape
    (3, 1)
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from rnnlab import distribution, training
from rnnlab.distribution import feed as dist_feed
from rnnlab.training import structured
from rnnlab.validation import as_float_array, positive_int

__all__ = ["PredictionMixin"]


class PredictionMixin:
    """``predict`` for models with ``predict_fn``, ``params``, ``check_x`` (and, with
    several inputs or outputs, ``input_names``, ``check_inputs`` and a graph)."""

    def _time_padding(self, x: np.ndarray) -> int:
        """Steps to left-pad ``x`` with so its length falls in a bucket of 16 (0 if unsafe).

        Left padding with a mask is exact only when every layer honours masks
        (recurrent, Dense, …): masked steps leave an RNN's state untouched. It lets
        iterative forecasting (append a prediction, predict again) reuse one
        compiled function per 16 lengths instead of compiling for each length.
        """
        if x.ndim != 3 or self.input_shape is None or self.input_shape[1] is not None:
            return 0
        if not all(layer.supports_masking for layer in self.layers):
            return 0
        if any(getattr(layer, "go_backwards", False) for layer in self.layers):
            return 0  # outputs come in processing order: the padding would lead
        return -x.shape[1] % 16

    def predict(self, x: Any, batch_size: int | None = None, verbose: int = 0) -> Any:
        """Forward pass in inference mode; returns a NumPy array (for a model of several
        outputs, a list or dict of them in its output structure; ``x`` as for :meth:`fit`).

        Inputs are processed in chunks of ``batch_size`` samples (an automatic size
        when ``None``), the last chunk padded, so calls with same-shaped input —
        and with any number of samples up to the chunk size's power-of-two bucket —
        reuse one compiled function. For models whose layers all honour masks, the
        time axis is also left-padded (masked) to a multiple of 16 steps, so growing
        sequences in iterative forecasting do not recompile at every call. With a
        :class:`~rnnlab.distribution.DataParallel` distribution set, each chunk is split
        over this process's devices of it (the chunk rounded up to a multiple of their
        count); across hosts every process predicts its own ``x``.

        Example:
            >>> from rnnlab.layers import Dense
            >>> from rnnlab.models import Sequential
            >>> Sequential([Dense(1, input_shape=(2,))]).predict(np.ones((3, 2))).shape
            (3, 1)
        """
        in_names = getattr(self, "input_names", None)
        if in_names is not None and (len(in_names) > 1 or self.structured_outputs):
            return self._predict_structured(x, batch_size)
        if in_names is not None:  # a functional model may name its one input
            x = structured.flat_arrays(x, in_names, "input", "x", "predict")[0][0]
        x = as_float_array(x, "x", "predict")
        self.check_x(x, "x", "predict")
        n = x.shape[0]
        chunk, params, put = self._prediction_chunks(n, x, batch_size)
        steps, lead = (x.shape[1], self._time_padding(x)) if x.ndim == 3 else (0, 0)
        mask = None
        if lead:
            x = np.concatenate([np.zeros((n, lead, x.shape[2]), np.float32), x], axis=1)
            mask = np.broadcast_to(np.arange(lead + steps) >= lead, (chunk, lead + steps))
        outputs = []
        for start in range(0, n, chunk):
            part = x[start : start + chunk]
            real = part.shape[0]
            if real < chunk:
                pad = np.zeros((chunk - real, *part.shape[1:]), np.float32)
                part = np.concatenate([part, pad])
            if put is not None:
                part, mask = put(part), None if mask is None else put(mask)
            out = np.asarray(self.predict_fn(params, part, mask))[:real]
            if lead and out.ndim == 3 and out.shape[1] == lead + steps:
                out = out[:, lead:]  # drop the padded steps of sequence outputs
            outputs.append(out)
        return np.concatenate(outputs)

    def _prediction_chunks(
        self, n: int, first: np.ndarray, batch_size: int | None
    ) -> tuple[int, Any, Any]:
        """``(chunk, params, put)`` for predicting ``n`` samples whose first input is
        ``first``: the chunk size (the default for the shape, or ``batch_size``), and under
        a distribution the params and the function that places each chunk on the devices."""
        if batch_size is None:
            chunk = training.default_chunk(n, first.shape[1] if first.ndim > 2 else None)
        else:
            chunk = positive_int(batch_size, "batch_size", "predict")
        dp = distribution.distribution()
        if dp is None:
            return chunk, self.params, None
        return _split_prediction(dp, chunk, self.params)

    def _predict_structured(self, x: Any, batch_size: int | None) -> Any:
        """:meth:`predict` of a model of several inputs or outputs: the same padded
        chunks (every input cut alike; no time padding), the outputs in the model's
        output structure (a list or a dict of NumPy arrays)."""
        xs, args = structured.flat_arrays(x, self.input_names, "input", "x", "predict")
        n = structured.same_lengths(xs, args, "predict")
        self.check_inputs(xs, args, "predict")
        chunk, params, put = self._prediction_chunks(n, xs[0], batch_size)
        flat = structured.predict_chunks(self.predict_fn, params, xs, chunk, put)
        return jax.tree_util.tree_unflatten(self._plan.output_structure, flat)


def _split_prediction(dp: distribution.DataParallel, chunk: int, params: Any) -> tuple[Any, ...]:
    """``(chunk, params, put)`` for a prediction over this process's devices of ``dp``:
    the chunk rounded up to a multiple of their count, the weights replicated on them,
    ``put(a)`` splitting an array's first axis over them."""
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    local = [d for d in dp.devices if d.process_index == jax.process_index()]
    if not local:
        raise ValueError(f"predict: this process owns none of the devices of {dp!r}")
    mesh = Mesh(np.array(local, dtype=object), ("batch",))
    chunk = -(-chunk // len(local)) * len(local)
    params = jax.device_put(dist_feed.local_copy(params), NamedSharding(mesh, P()))
    split = NamedSharding(mesh, P("batch"))
    return chunk, params, lambda a: jax.device_put(np.asarray(a), split)
