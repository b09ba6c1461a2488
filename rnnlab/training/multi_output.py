"""``compile`` for models of several outputs: a loss, a weight and metrics per output.

:func:`compile_outputs` turns Keras's per-output ``compile`` arguments into what the
compiled epoch already knows how to run — one per-sample loss function and a list of
named per-sample metric functions — so a multi-output model trains in the same single
compiled, pure step as a single-output one:

- the loss is ``Σ_i weight_i × mean_i(loss_i)``, computed per sample as
  ``Σ_i weight_i × loss_i`` averaged over each output's non-batch axes (each output's
  Keras ``sum_over_batch_size`` mean), times the sample weight when one is given;
- when more than one output has a loss, ``<output>_loss`` reports each output's loss
  *unweighted* (as Keras does); metrics are ``<output>_<metric>``, not sample-weighted
  (Keras's ``metrics``, not ``weighted_metrics``);
- an output with a time-step mask (an RNN's sequence after ``Masking`` or
  ``Embedding(mask_zero=True)``) has its loss and metrics averaged over its unmasked
  steps only, as Keras 3 does: its losses ``Σ loss·sw·mask / Σ mask`` per batch (then
  averaged over the batches, weighted by their samples), its metrics over all the
  epoch's unmasked steps; the other outputs keep their plain means (:class:`Reduced`).

Names come in the order of Keras 3's ``evaluate()`` list: the per-output losses (in
the ``loss`` dict's order, otherwise the output order), then the metrics sorted by
name; History's keys are sorted as Keras-on-JAX sorts its logs.

Targets reach these functions as a list in the model's output order, or as
:class:`Weighted` ``(targets, sample_weight)`` when ``fit`` was given sample weights (one
``(n,)`` array for every output, or a list of them, one per output).

Example:
    >>> import jax.numpy as jnp
    >>> spec = compile_outputs(["one", "ten"], {"one": "mse", "ten": "mae"},
    ...                        {"one": 1.0, "ten": 0.5}, {"one": ["mae"]})
    >>> spec.metric_names
    ['one_loss', 'ten_loss', 'one_mae']
    >>> y = [jnp.zeros((2, 1)), jnp.zeros((2, 10))]
    >>> pred = {"one": jnp.ones((2, 1)), "ten": jnp.ones((2, 10))}
    >>> spec.loss_fn(y, pred).tolist()  # 1.0 * 1 + 0.5 * 1 per sample
    [1.5, 1.5]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from rnnlab import losses
from rnnlab.metrics import get as get_metric
from rnnlab.training.epoch import weighted_sums
from rnnlab.validation import is_number

__all__ = [
    "OutputSpec",
    "Reduced",
    "Weighted",
    "compile_one_output",
    "compile_outputs",
    "sample_weighted",
    "scaled",
    "targets_only",
    "unweighted",
]

PerSample = Callable[[Any, Any], jax.Array]


class Weighted(NamedTuple):
    """Targets with their sample weights — ``(n,)``, or a list of them, one per output —:
    the ``y`` of a sample-weighted fit."""

    y: Any
    sample_weight: Any


def targets_only(y: Any) -> Any:
    """The targets of ``y``, without the sample weights of a :class:`Weighted`."""
    return y.y if isinstance(y, Weighted) else y


def _times_weight(values: jax.Array, y: Any, output: int | None = None) -> jax.Array:
    """``values`` ``(batch, ...)`` scaled by ``y``'s sample weights, when it has them:
    the one array of weights, or (weights given per output, a list) output ``output``'s."""
    if not isinstance(y, Weighted):
        return values
    sw = y.sample_weight
    if isinstance(sw, list):
        if output is None:
            return values
        sw = sw[output]
    values = jnp.asarray(values)
    return values * sw.reshape((-1,) + (1,) * (values.ndim - 1))


def sample_weighted(loss_fn: PerSample) -> PerSample:
    """``loss_fn`` taking :class:`Weighted` targets too (its values times the weights);
    plain targets go through unchanged (the same traced computation)."""
    if getattr(loss_fn, "takes_weighted", False):
        return loss_fn

    def weighted(y: Any, pred: Any) -> jax.Array:
        return _times_weight(loss_fn(targets_only(y), pred), y)

    weighted.takes_weighted = True  # type: ignore[attr-defined]
    return weighted


def scaled(loss_fn: PerSample, weight: float) -> PerSample:
    """``weight × loss_fn`` (a one-output model's ``loss_weights``); ``loss_fn`` itself
    when the weight is 1."""
    if weight == 1.0:
        return loss_fn

    def weighted_loss(y: Any, pred: Any) -> jax.Array:
        return weight * loss_fn(y, pred)

    return weighted_loss


def unweighted(metric_fn: PerSample) -> PerSample:
    """``metric_fn`` ignoring sample weights (Keras's ``metrics`` are not weighted)."""
    if getattr(metric_fn, "takes_weighted", False):
        return metric_fn

    def plain(y: Any, pred: Any) -> jax.Array:
        return metric_fn(targets_only(y), pred)

    plain.takes_weighted = True  # type: ignore[attr-defined]
    return plain


class Reduced:
    """A loss or metric of one output (or the total) of a multi-output model, in both of
    the compiled epoch's forms: per sample, ``fn(y, pred) -> (batch,)`` (no masks), and
    ``masked_sums(y, pred, batch_weight, masks) -> (sum, weight)`` when some output has
    a time-step mask (``masks``: one per output, ``None`` where unmasked), each output's
    mask counting within that output's mean only. Both take :class:`Weighted` targets
    (sample weights are applied here, not again by the trainer)."""

    takes_weighted = True

    def __init__(self, per_sample: PerSample, masked_sums: Callable[..., Any]) -> None:
        self.per_sample = per_sample
        self.masked_sums = masked_sums

    def __call__(self, y: Any, pred: Any) -> jax.Array:
        return self.per_sample(y, pred)


def _per_sample(values: jax.Array) -> jax.Array:
    """Mean over every axis but the batch axis: ``(batch, ...)`` → ``(batch,)``."""
    values = jnp.asarray(values)
    return values if values.ndim == 1 else jnp.mean(values.reshape(values.shape[0], -1), axis=1)


@dataclass(frozen=True)
class OutputSpec:
    """The compiled per-output losses and metrics of a multi-output model.

    Attributes:
        output_names: the outputs, in the model's (flat) output order.
        losses: per output, its loss function or ``None`` (no loss for that output).
        loss_weights: per output, the weight of its loss in the total.
        loss_order: indices of the outputs with a loss, in the order they are reported.
        metrics: per output, ``[(name, fn), ...]`` (names without the output prefix).
    """

    output_names: list[str]
    losses: list[PerSample | None]
    loss_weights: list[float]
    loss_order: list[int]
    metrics: list[list[tuple[str, PerSample]]] = field(default_factory=list)

    @property
    def loss_fn(self) -> Reduced:
        """Total loss per sample ``(batch,)``: ``Σ_i weight_i × loss_i`` (sample-weighted);
        with per-output masks, ``Σ_i weight_i × (masked mean of loss_i)`` per batch."""
        return Reduced(self._total_per_sample, self._total_sums)

    def _total_per_sample(self, y: Any, pred: Any) -> jax.Array:
        ys, preds = targets_only(y), jax.tree_util.tree_leaves(pred)
        per_output = isinstance(y, Weighted) and isinstance(y.sample_weight, list)
        total = 0.0
        for i in self.loss_order:
            value = _per_sample(self.losses[i](ys[i], preds[i]))
            if per_output:
                value = _times_weight(value, y, i)
            total = total + self.loss_weights[i] * value
        return total if per_output else _times_weight(total, y)

    def _total_sums(
        self, y: Any, pred: Any, batch_weight: jax.Array, masks: list[Any]
    ) -> tuple[jax.Array, jax.Array]:
        # Keras's rule: each output's loss is its own masked mean, Σ l·sw·m / Σ m; the
        # total is a mean per batch, weighted by the batch's real samples in the epoch.
        total = 0.0
        for i in self.loss_order:
            value_sum, count = self._output_loss_sums(i, y, pred, batch_weight, masks)
            total = total + self.loss_weights[i] * value_sum / jnp.maximum(count, 1e-12)
        n = jnp.sum(batch_weight)
        return total * n, n

    def _output_loss_sums(
        self, i: int, y: Any, pred: Any, batch_weight: jax.Array, masks: list[Any]
    ) -> tuple[jax.Array, jax.Array]:
        value = self.losses[i](targets_only(y)[i], jax.tree_util.tree_leaves(pred)[i])
        return weighted_sums(_times_weight(value, y, i), batch_weight, masks[i])

    @property
    def reported(self) -> list[tuple[str, PerSample]]:
        """``(name, fn)`` of every reported value besides ``loss``, in evaluate's order."""
        out: list[tuple[str, PerSample]] = []
        if len(self.loss_order) > 1:  # Keras reports per-output losses only then
            out += [(f"{self.output_names[i]}_loss", self._output_loss(i)) for i in self.loss_order]
        named: list[tuple[str, PerSample]] = []
        seen: dict[str, int] = {}
        for i, pairs in enumerate(self.metrics):
            for name, fn in pairs:
                # One output (in a list or dict of one): no prefix, as Keras names them.
                full = f"{self.output_names[i]}_{name}" if len(self.output_names) > 1 else name
                if full in seen:  # Keras's rule for a repeated name: a counter suffix
                    seen[full] += 1
                    full = f"{full}_{seen[full] - 1}"
                else:
                    seen[full] = 1
                named.append((full, self._output_metric(i, fn)))
        return out + sorted(named, key=lambda pair: pair[0])

    @property
    def metric_names(self) -> list[str]:
        """Names of :attr:`reported`, the keys besides ``loss`` in History and evaluate."""
        return [name for name, _ in self.reported]

    @property
    def metric_fns(self) -> list[PerSample]:
        """Functions of :attr:`reported`."""
        return [fn for _, fn in self.reported]

    def _output_loss(self, i: int) -> PerSample:
        def output_loss(y: Any, pred: Any) -> jax.Array:
            value = self.losses[i](targets_only(y)[i], jax.tree_util.tree_leaves(pred)[i])
            return _times_weight(_per_sample(value), y, i)

        def sums(y: Any, pred: Any, batch_weight: jax.Array, masks: list[Any]):
            # a loss is a mean per batch (as the total), a metric one over the epoch
            value_sum, count = self._output_loss_sums(i, y, pred, batch_weight, masks)
            n = jnp.sum(batch_weight)
            return value_sum / jnp.maximum(count, 1e-12) * n, n

        return Reduced(output_loss, sums)

    def _output_metric(self, i: int, fn: PerSample) -> PerSample:
        def output_metric(y: Any, pred: Any) -> jax.Array:
            return fn(targets_only(y)[i], jax.tree_util.tree_leaves(pred)[i])

        def sums(y: Any, pred: Any, batch_weight: jax.Array, masks: list[Any]):
            return weighted_sums(output_metric(y, pred), batch_weight, masks[i])

        return Reduced(output_metric, sums)


def _per_output(value: Any, names: list[str], arg: str, empty: Any) -> list[Any]:
    """``value`` given per output — a list in output order or a dict keyed by output
    name (missing names get ``empty``) — as one entry per output."""
    if isinstance(value, dict):
        for key in value:
            if key not in names:
                raise ValueError(
                    f"compile: {arg} has the key {key!r}, which names no output of the "
                    f"model; its outputs are {names}"
                )
        return [value.get(name, empty) for name in names]
    if len(value) != len(names):
        raise ValueError(
            f"compile: {arg} is a list of {len(value)} for a model of {len(names)} outputs "
            f"{names}; give one entry per output, in that order, or a dict keyed by output name"
        )
    return list(value)


def _metric_list(entry: Any) -> list[tuple[str, PerSample]]:
    if entry is None:
        return []
    entries = entry if isinstance(entry, list | tuple) else [entry]
    return [get_metric(m) for m in entries]


def compile_outputs(
    output_names: Sequence[str], loss: Any, loss_weights: Any = None, metrics: Any = None
) -> OutputSpec:
    """Resolve ``compile``'s ``loss``/``loss_weights``/``metrics`` for several outputs.

    ``loss``: one loss (every output), a list in output order or a dict keyed by output
    name (an output left out, or ``None``, has no loss). ``loss_weights``: a number
    (every output), a list or a dict (a weight for every output with a loss, as Keras
    requires). ``metrics``: a list with
    one entry per output or a dict keyed by output name, each entry a metric or a list of
    them (a flat list of metrics for several outputs is refused, as Keras does).
    """
    names = list(output_names)
    if isinstance(loss, list | tuple | dict):
        loss_list = _per_output(loss, names, "loss", None)
    else:
        loss_list = [loss] * len(names)
    fns = [None if item is None else losses.get(item, owner="compile") for item in loss_list]
    order = [names.index(k) for k in loss if loss[k] is not None] if isinstance(loss, dict) else []
    order = order or [i for i, fn in enumerate(fns) if fn is not None]
    if not order:
        raise ValueError(f"compile: loss={loss!r} gives no output of {names} a loss")
    if loss_weights is None:
        weights = [1.0] * len(names)
    elif is_number(loss_weights):
        weights = [float(loss_weights)] * len(names)
    elif isinstance(loss_weights, list | tuple | dict):
        weights = _per_output(loss_weights, names, "loss_weights", None)
        for i in order:
            if weights[i] is None:  # Keras refuses fewer weights than losses too
                raise ValueError(
                    f"compile: loss_weights has no weight for the output {names[i]!r}, which "
                    "has a loss; give a weight for every output with a loss"
                )
        weights = [1.0 if w is None else w for w in weights]
    else:
        raise ValueError(
            f"compile: loss_weights must be a number, a list or a dict keyed by output name, "
            f"got {type(loss_weights).__name__}"
        )
    for name, w in zip(names, weights, strict=True):
        if not is_number(w):
            raise ValueError(
                f"compile: loss_weights for the output {name!r} must be a number, got {w!r}"
            )
    if metrics is None:
        per_metrics: list[Any] = [None] * len(names)
    elif isinstance(metrics, dict) or (
        isinstance(metrics, list | tuple) and len(metrics) == len(names)
    ):
        per_metrics = _per_output(metrics, names, "metrics", None)
    else:
        raise ValueError(
            f"compile: metrics={metrics!r} for a model of {len(names)} outputs {names}: give "
            "a list with one entry (a metric or a list of metrics) per output, or a dict keyed "
            f"by output name, e.g. metrics={{{names[0]!r}: ['mae']}}"
        )
    return OutputSpec(
        names, fns, [float(w) for w in weights], order, [_metric_list(m) for m in per_metrics]
    )


def check_loss_weights(loss_weights: Any) -> None:
    """Refuse metrics given where Keras 3 takes ``loss_weights`` (its third positional
    argument; tf.keras 2 took ``metrics`` there), before anything is built.

    Example:
        >>> check_loss_weights({"one": 1.0, "ten": 0.5})
        >>> check_loss_weights(["mae"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: compile: loss_weights=['mae'] holds metrics, not numbers. ...
    """
    if loss_weights is None or is_number(loss_weights):
        return
    values = loss_weights.values() if isinstance(loss_weights, dict) else loss_weights
    if not isinstance(values, str) and not callable(values):
        try:
            values = list(values)
        except TypeError:
            values = [values]
    else:
        values = [values]
    flat = [v for entry in values for v in (entry if isinstance(entry, list | tuple) else [entry])]
    if any(isinstance(v, str) or callable(v) for v in flat):
        raise ValueError(
            f"compile: loss_weights={loss_weights!r} holds metrics, not numbers. Keras 3's "
            "order is compile(optimizer, loss, loss_weights, metrics): pass them by name, "
            f"metrics={loss_weights!r}"
        )


def compile_one_output(
    names: list[str] | None, loss: Any, metrics: Any, loss_weights: Any
) -> tuple[PerSample, list[tuple[str, PerSample]], float]:
    """``(loss_fn, [(name, metric_fn), ...], weight)`` of a one-output model: a loss,
    metrics or weight given per output (a list of one, a dict keyed by the output's name)
    unwrapped."""

    def one(value: Any, arg: str) -> Any:
        if isinstance(value, dict):
            keys = list(value)
            if names is None or keys != list(names):
                raise ValueError(
                    f"compile: {arg} is a dict with keys {keys}, but the model has one "
                    f"output{'' if names is None else f' {names}'}"
                )
            return value[keys[0]]
        if isinstance(value, list | tuple) and arg != "metrics":
            if len(value) != 1:
                raise ValueError(
                    f"compile: {arg} is a list of {len(value)} for a model of one output"
                )
            return value[0]
        return value

    loss_fn = losses.get(one(loss, "loss"), owner="compile")
    weight = one(loss_weights, "loss_weights")
    if weight is not None and not is_number(weight):
        raise ValueError(f"compile: loss_weights must be a number, got {weight!r}")
    metrics = one(metrics, "metrics")
    if metrics is None:
        metrics = []
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    flat = [m for entry in metrics for m in (entry if isinstance(entry, list | tuple) else [entry])]
    return loss_fn, [get_metric(m) for m in flat], 1.0 if weight is None else float(weight)
