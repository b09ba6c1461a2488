"""Callbacks of an :class:`~rnnlab.parallel.Ensemble`: one clone per replica, and the
aggregated history.

Design: every callback given to ``Ensemble.fit`` is cloned (``copy.deepcopy``) once per
replica; replica ``i``'s clones see only replica ``i``: ``set_model(ens.models[i])`` (an
ordinary model that holds replica ``i``'s weights and optimizer state between epochs)
and replica ``i``'s logs. So every stock callback acts per replica with no
ensemble-specific code: ``EarlyStopping`` sets ``models[i].stop_training`` (the
ensemble then freezes that replica), ``ReduceLROnPlateau`` and
``LearningRateScheduler`` change ``models[i]``'s learning rate (its own slice of the
stacked Optax state), ``TerminateOnNaN`` drops the replica that diverged. Files are
per replica too: a ``ModelCheckpoint`` or ``CSVLogger`` path must hold ``{replica}``
when there are several replicas (replaced by the replica's index in each clone).
``BackupAndRestore`` is refused: resuming replicas from different epochs would split
the one compiled program.

Example:
    >>> h = EnsembleHistory.aggregate([{"loss": [1.0, 0.5]}, {"loss": [3.0]}])
    >>> h.history["loss"]["mean"], h.history["loss"]["count"]
    ([2.0, 0.5], [2, 1])
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnlab.callbacks import BackupAndRestore, Callback, CallbackList, History

__all__ = ["EnsembleHistory", "clone_callbacks", "replica_callback_lists"]

# Attributes that name a file a callback writes; each replica's clone gets its own.
_PATH_ATTRIBUTES = ("filepath", "filename")


def clone_callbacks(callbacks: Sequence[Callback], replica: int, k: int) -> list[Callback]:
    """Replica ``replica``'s copies of ``callbacks`` (``k`` replicas in all).

    Raises:
        ValueError: a ``BackupAndRestore``, or (``k > 1``) a file-writing callback whose
            path has no ``{replica}`` placeholder (all replicas would write one file).
    """
    clones = []
    for j, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise TypeError(
                f"Ensemble.fit: callbacks[{j}] must be an rnnlab.callbacks.Callback, "
                f"got {type(cb).__name__}"
            )
        if isinstance(cb, BackupAndRestore):
            raise ValueError(
                "Ensemble.fit: BackupAndRestore is not supported on an ensemble (replicas "
                "resumed from different epochs cannot share one compiled epoch); back up "
                "ens.models[i] yourself, or fit the replicas one by one"
            )
        clone = copy.deepcopy(cb)
        for attr in _PATH_ATTRIBUTES:
            path = getattr(clone, attr, None)
            if not isinstance(path, str):
                continue
            if "{replica}" in path:
                setattr(clone, attr, path.replace("{replica}", str(replica)))
            elif k > 1:
                raise ValueError(
                    f"Ensemble.fit: callbacks[{j}] ({type(cb).__name__}) writes {path!r}; with "
                    f"{k} replicas the path must hold '{{replica}}' (e.g. 'best-{{replica}}"
                    f".keras') so that each replica writes its own file"
                )
        clones.append(clone)
    return clones


def replica_callback_lists(
    models: Sequence[Any], callbacks: Sequence[Callback], params: dict[str, Any]
) -> tuple[list[History], list[CallbackList]]:
    """For every replica: its :class:`History` and the :class:`CallbackList` of its
    History and clones, attached to ``models[i]`` with fit's ``params``."""
    histories, lists = [], []
    for i, model in enumerate(models):
        history = History()
        cbs = CallbackList([history, *clone_callbacks(callbacks, i, len(models))])
        cbs.set_model(model)
        cbs.set_params(dict(params))
        histories.append(history)
        lists.append(cbs)
    return histories, lists


def terminates_on_nan(cbs: CallbackList) -> bool:
    """Whether a replica's callbacks ask to drop it, not raise, on a NaN loss."""
    return any(getattr(cb, "terminate_on_nan", False) for cb in cbs.callbacks)


@dataclass
class EnsembleHistory:
    """The replicas' histories aggregated per metric and epoch.

    Attributes:
        history: ``{metric: {"mean" | "std" | "min" | "max": [one value per epoch],
            "count": [replicas with a finite value that epoch]}}``. A replica that
            stopped early (or was dropped after a NaN) no longer counts; ``nan`` where
            no replica has a finite value.
        epoch: the epoch indices (0-based) that at least one replica trained.
        histories: the per-replica :class:`~rnnlab.callbacks.History` objects.

    Example:
        >>> EnsembleHistory.aggregate([{"loss": [1.0]}, {"loss": [2.0]}]).history["loss"]["std"]
        [0.5]
    """

    history: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    epoch: list[int] = field(default_factory=list)
    histories: list[History] = field(default_factory=list)

    @classmethod
    def aggregate(
        cls,
        per_replica: Sequence[dict[str, list[float]]],
        histories: Sequence[History] = (),
        first_epoch: int = 0,
    ) -> EnsembleHistory:
        """Aggregate ``[{metric: [value per epoch]}, ...]`` (one dict per replica)."""
        names: list[str] = []
        for h in per_replica:
            names += [n for n in h if n not in names]
        n_epochs = max((len(v) for h in per_replica for v in h.values()), default=0)
        out: dict[str, dict[str, list[float]]] = {}
        for name in names:
            stats: dict[str, list[float]] = {s: [] for s in ("mean", "std", "min", "max")}
            stats["count"] = []
            for e in range(n_epochs):
                values = [h[name][e] for h in per_replica if name in h and e < len(h[name])]
                values = np.asarray([v for v in values if math.isfinite(v)], np.float64)
                stats["count"].append(int(values.size))
                for s, fn in (("mean", np.mean), ("std", np.std), ("min", np.min)):
                    stats[s].append(float(fn(values)) if values.size else math.nan)
                stats["max"].append(float(np.max(values)) if values.size else math.nan)
            out[name] = stats
        epochs = list(range(first_epoch, first_epoch + n_epochs))
        return cls(out, epochs, list(histories))

    def __repr__(self) -> str:
        return f"EnsembleHistory(metrics={list(self.history)}, epochs={len(self.epoch)})"
