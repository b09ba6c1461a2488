"""``Ensemble.compile``'s optimizers: one object per replica (each holds its replica's
state), differing at most in their learning rate, as the replicas share one compiled
program."""

from __future__ import annotations

from typing import Any

from rnnlab import optimizers
from rnnlab.validation import is_number

__all__ = ["replica_optimizers"]


def replica_optimizers(optimizer: Any, learning_rate: Any, k: int) -> list[optimizers.Optimizer]:
    """The ``k`` replicas' optimizers, as ``Ensemble.compile`` gives them to the models.

    Args:
        optimizer: one optimizer (a name, an optimizer or an Optax transformation: each
            replica gets its own copy), or a list of ``k`` of one class.
        learning_rate: ``None``, one rate for all, or a list of ``k`` rates; overrides
            the optimizers' own rates.
        k: the number of replicas.

    Raises:
        ValueError: the counts differ, a rate is not positive, one object is given twice,
            or the optimizers differ in more than their learning rate.

    Example:
        >>> [opt.learning_rate for opt in replica_optimizers("adam", [1e-3, 3e-3], 2)]
        [0.001, 0.003]
    """
    if isinstance(optimizer, list | tuple):
        if len(optimizer) != k:
            raise ValueError(
                f"Ensemble.compile: {len(optimizer)} optimizers for {k} replicas; give "
                "one optimizer, or one per replica"
            )
        opts = [optimizers.get(o) for o in optimizer]
        if len({id(o) for o in opts}) != k:
            raise ValueError(
                "Ensemble.compile: the same optimizer object appears twice; it holds "
                "its replica's state, so give each replica its own"
            )
    else:
        opts = [_fresh(optimizer) for _ in range(k)]
    if learning_rate is not None:
        rates = list(learning_rate) if isinstance(learning_rate, list | tuple) else None
        rates = rates if rates is not None else [learning_rate] * k
        if len(rates) != k:
            raise ValueError(f"Ensemble.compile: {len(rates)} learning rates for {k} replicas")
        for i, (opt, lr) in enumerate(zip(opts, rates, strict=True)):
            if not is_number(lr) or not lr > 0:
                raise ValueError(
                    f"Ensemble.compile: learning_rate[{i}] must be a positive number, got {lr!r}"
                )
            if isinstance(opt, optimizers.OptaxOptimizer):
                raise ValueError(
                    "Ensemble.compile: learning_rate= needs rnnlab optimizers (e.g. "
                    "'adam'); a plain Optax transformation fixes its rate when built"
                )
            opt.learning_rate = float(lr)
    _check_same_kind(opts)
    return opts


def _fresh(identifier: Any) -> optimizers.Optimizer:
    """A new optimizer object for one replica from ``compile``'s optimizer argument."""
    if isinstance(identifier, optimizers.OptaxOptimizer):
        return optimizers.OptaxOptimizer(identifier.transform)
    if isinstance(identifier, optimizers.Optimizer):
        return type(identifier)(**identifier.get_config())
    return optimizers.get(identifier)


def _check_same_kind(opts: list[optimizers.Optimizer]) -> None:
    """Replicas' optimizers must differ at most in their learning rate (one program)."""
    first = opts[0]
    ref = {k: v for k, v in first.get_config().items() if k != "learning_rate"}
    for i, opt in enumerate(opts[1:], start=1):
        config = {k: v for k, v in opt.get_config().items() if k != "learning_rate"}
        same_tx = not isinstance(first, optimizers.OptaxOptimizer) or (
            opt.transform is first.transform
        )
        if type(opt) is not type(first) or config != ref or not same_tx:
            raise ValueError(
                f"Ensemble.compile: replica {i}'s optimizer {opt!r} differs from replica 0's "
                f"{first!r} in more than the learning rate; replicas share one compiled "
                "program, so their optimizers may differ only in learning_rate"
            )
