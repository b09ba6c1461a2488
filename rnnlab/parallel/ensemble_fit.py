"""``Ensemble.fit``: the K replicas' training loop around one vmapped compiled epoch.

:class:`EnsembleFit` is the half of :class:`~rnnlab.parallel.Ensemble` that trains:
it stacks the replicas' :class:`~rnnlab.training.TrainState` on a leading axis, runs
replica 0's compiled epoch ``jax.vmap``-ed over them (replicas no longer active keep
their state), draws each replica's sample order as a lone ``fit`` would, calls each
replica's callbacks (:mod:`rnnlab.parallel.ensemble_callbacks`) and drops or reports
replicas whose loss became NaN. With a distribution set the stacked states are split
over the devices (:mod:`rnnlab.parallel.placement`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnnlab.callbacks import Callback, History
from rnnlab.optimizers.learning_rate import find_hyperparams, set_learning_rate
from rnnlab.parallel import stacking
from rnnlab.parallel.ensemble_callbacks import (
    EnsembleHistory,
    replica_callback_lists,
    terminates_on_nan,
)
from rnnlab.parallel.placement import placement_for
from rnnlab.training import epoch as training
from rnnlab.training.sources import is_source
from rnnlab.training.state import TrainState
from rnnlab.training.trainer import evaluation_inputs, frozen_aware
from rnnlab.utils import key_rng

__all__ = ["EnsembleFit"]


class EnsembleFit:
    """``fit`` for :class:`~rnnlab.parallel.Ensemble`, which inherits it.

    It works on what ``Ensemble`` sets up: the replicas (``models``, ``seeds``), the
    results it records (``histories``, ``history``, ``dropped``, ``devices``), the
    cached vmapped epoch (``_compiled``, ``_epoch_key``, ``_epoch_fn``), and
    ``Ensemble``'s ``_to_0`` / ``_from_0`` (replica ``i``'s layer names to replica 0's
    and back) and ``_check_shapes``.

    Example:
        >>> from rnnlab.parallel import Ensemble
        >>> Ensemble.fit is EnsembleFit.fit
        True
    """

    models: list[Any]
    seeds: list[int]
    histories: list[History]
    history: EnsembleHistory | None
    dropped: list[int]
    devices: list[jax.Device]
    _compiled: bool
    _epoch_key: Any
    _epoch_fn: Callable[..., training.EpochResult] | None

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: int | str = 0,
        callbacks: Sequence[Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: tuple[Any, Any] | None = None,
        shuffle: bool = True,
        initial_epoch: int = 0,
    ) -> EnsembleHistory:
        """Train every replica as ``model.fit`` would, all in one compiled epoch.

        Arguments as for ``model.fit`` (``x``: ``(n, time, features)``, ``y``:
        ``(n, outputs)``); ``verbose`` 1 or 2 prints one line per epoch (the mean
        over active replicas and their number), 0 nothing. Callbacks are cloned per
        replica (see :mod:`rnnlab.parallel.ensemble_callbacks`).

        Returns:
            The :class:`EnsembleHistory`; ``ens.histories[i]`` is replica ``i``'s History.

        Raises:
            FloatingPointError: a replica's loss became NaN (without ``TerminateOnNaN``);
                every replica keeps the weights it reached.
        """
        if not self._compiled:
            raise RuntimeError("Ensemble.fit: compile first: ens.compile(optimizer=..., loss=...)")
        if is_source(x):
            raise ValueError(
                f"Ensemble.fit: x must be arrays; data sources ({type(x).__name__}) are "
                "trained one model at a time (model.fit)"
            )
        args = (x, y, batch_size, epochs, verbose, None, validation_split, validation_data)
        plans = [m.fit_plan(*args, shuffle, initial_epoch) for m in self.models]
        self._check_shapes()
        plan, k = plans[0], len(self.models)
        keys = [m.next_key() for m in self.models]  # each from its replica's own stream
        epoch_fn = self._compiled_epoch()
        states = self._initial_states(keys, plan.initial_epoch)
        place = placement_for(k)
        self.devices = [jax.local_devices()[0]] if place is None else place.devices
        steps = -(-plan.x.shape[0] // plan.batch_size)
        fit_params = {"epochs": plan.epochs, "steps": steps, "verbose": plan.verbose}
        histories, cbs = replica_callback_lists(self.models, list(callbacks or []), fit_params)
        synced = bool(callbacks)  # models kept current every epoch for the callbacks
        if synced:
            self._write(states, range(k))
        x_dev, y_dev = jax.device_put(plan.x), jax.device_put(plan.y)
        val_dev = None if plan.val is None else evaluation_inputs(*plan.val)
        if place is not None:  # replicas split over the devices, the data on each
            states = place.split(states)
            x_dev, y_dev, val_dev = place.replicate((x_dev, y_dev, val_dev))
        active = np.ones(k, bool)
        for model in self.models:
            model.stop_training = False
        for c in cbs:
            c.on_train_begin()
        self.dropped = []
        epoch = plan.initial_epoch
        while epoch < plan.epochs and active.any():
            live = np.flatnonzero(active)
            for i in live:
                cbs[i].on_epoch_begin(epoch)
            if synced:  # callbacks may have changed weights or learning rates
                states = self._read() if place is None else place.split(self._read())
            idx, weights = self._batches(keys, epoch, plans[0])
            mask = jnp.asarray(active)
            if place is not None:
                idx, weights, mask = place.split(idx), place.split(weights), place.active(active)
            result = epoch_fn(states, mask, x_dev, y_dev, idx, weights, val_dev)
            states = result.state
            if place is not None:  # the replicas' results, home (the padding dropped)
                result = place.gather(result)
            if synced:
                self._write(result.state, live)
            finite = np.asarray(result.finite).all(axis=1)
            if not finite[live].all():
                self._handle_nan(result.state, result, live, finite, cbs, epoch, active, synced)
            logs = self._logs(result)
            for i in np.flatnonzero(active):
                cbs[i].on_epoch_end(epoch, logs[i])
                if self.models[i].stop_training:
                    active[i] = False
            if plan.verbose:
                self._print_epoch(epoch, plan.epochs, logs, active | ~finite)
            epoch += 1
        if not synced:
            self._write(states if place is None else place.gather(states), range(k))
        for i, c in enumerate(cbs):
            c.on_train_end()
            histories[i].model = self.models[i]
            self.models[i].history = histories[i]
        self.histories = histories
        self.history = EnsembleHistory.aggregate(
            [h.history for h in histories], histories, plan.initial_epoch
        )
        return self.history

    def _compiled_epoch(self) -> Callable[..., training.EpochResult]:
        """The vmapped epoch over replica 0's compiled epoch (built once per split)."""
        labels = [
            stacking.rename(m.trainable_labels(), self._to_0(i)) for i, m in enumerate(self.models)
        ]
        for i, lab in enumerate(labels[1:], start=1):
            if lab != labels[0]:
                raise ValueError(
                    f"Ensemble.fit: replica {i} freezes different weights than replica 0; "
                    "every replica must train the same weights"
                )
        for m in self.models:  # a new split resets each replica's optimizer, as fit does
            m.trainer.epoch_fn(m.trainable_labels())
        key = (id(self.models[0].trainer), json.dumps(labels[0], sort_keys=True))
        if self._epoch_key != key:
            base = self.models[0].trainer.epoch_fn(self.models[0].trainable_labels())
            base = getattr(base, "__wrapped__", base)  # the pure epoch; one jit around all
            self._epoch_fn = jax.jit(
                _masked_vmap(base), compiler_options=training.compiler_options()
            )
            self._epoch_key = key
        return self._epoch_fn

    def _initial_states(self, keys: list[jax.Array], initial_epoch: int) -> TrainState:
        """The replicas' TrainStates, stacked, in replica 0's layer names."""
        fresh = all(m.optimizer.state is None for m in self.models)
        if fresh:  # one vmapped init, then each replica's own rate
            labels0 = self.models[0].trainable_labels()
            tx = frozen_aware(self.models[0].optimizer.transform, labels0)
            params = stacking.stack(
                [stacking.rename(m.params, self._to_0(i)) for i, m in enumerate(self.models)]
            )
            opt_state = jax.jit(jax.vmap(tx.init))(params)
            hyper = find_hyperparams(opt_state)
            if hyper is not None and "learning_rate" in hyper:
                rates = jnp.asarray([m.optimizer.learning_rate for m in self.models])
                opt_state = set_learning_rate(opt_state, rates)
            k = len(self.models)
            return TrainState(
                params,
                opt_state,
                jnp.zeros(k, jnp.int32),
                jnp.full(k, initial_epoch, jnp.int32),
                jnp.stack(keys),
            )
        for m, key in zip(self.models, keys, strict=True):
            m.trainer.ensure_optimizer_state(m.params)
            m.trainer.rng, m.trainer.epoch = key, initial_epoch
        return self._read()

    def _read(self) -> TrainState:
        """Stack the replicas' models' TrainStates (renamed to replica 0's layers)."""
        return stacking.stack(
            [stacking.rename(m.train_state, self._to_0(i)) for i, m in enumerate(self.models)]
        )

    def _write(self, states: TrainState, replicas: Iterable[int]) -> None:
        """Write stacked ``states`` back to the given replicas' models (their homes)."""
        parts = stacking.unstack(states, len(self.models))
        for i in replicas:
            self.models[i].train_state = stacking.rename(parts[i], self._from_0(i))

    def _batches(self, keys: list[jax.Array], epoch: int, plan: Any) -> tuple[Any, Any]:
        """Every replica's sample order for ``epoch`` ``(K, n_batches, batch_size)``,
        drawn as a lone ``fit`` draws it (from the replica's fit key and the epoch)."""
        plans = [
            training.batch_plan(
                plan.x.shape[0], plan.batch_size, key_rng(key, epoch) if plan.shuffle else None
            )
            for key in keys
        ]
        return np.stack([p[0] for p in plans]), np.stack([p[1] for p in plans])

    def _logs(self, result: training.EpochResult) -> list[dict[str, float]]:
        names = self.models[0].trainer.metric_names
        loss = np.asarray(result.loss).tolist()
        metrics = np.asarray(result.metrics).tolist()
        val = None if result.val is None else np.asarray(result.val).tolist()
        logs = []
        for i in range(len(self.models)):
            entry = {"loss": loss[i], **dict(zip(names, metrics[i], strict=True))}
            if val is not None:
                entry.update({f"val_{n}": v for n, v in zip(["loss", *names], val[i], strict=True)})
            logs.append(entry)
        return logs

    def _handle_nan(self, states, result, live, finite, cbs, epoch, active, synced) -> None:
        """Drop each diverged replica that has ``TerminateOnNaN``; else raise."""
        bad = [i for i in live if not finite[i]]
        raising = [i for i in bad if not terminates_on_nan(cbs[i])]
        if raising:
            self._write(states, range(len(self.models)))
            i = raising[0]
            batch = int(np.argmin(np.asarray(result.finite)[i])) + 1
            raise FloatingPointError(
                f"Ensemble.fit: replica {i} (seed {self.seeds[i]}): the loss became NaN or "
                f"infinite at epoch {epoch + 1}, batch {batch}; training stopped and every "
                "replica keeps the weights it reached (add TerminateOnNaN to drop the "
                "diverged replicas and go on)"
            )
        if not synced:
            self._write(states, bad)
        for i in bad:
            print(
                f"Epoch {epoch + 1}: replica {i} (seed {self.seeds[i]}): invalid loss, "
                "dropping it (it keeps its last finite weights); the others go on"
            )
            cbs[i].on_epoch_end(epoch, {"loss": math.nan})
            active[i] = False
            self.dropped.append(int(i))

    def _print_epoch(self, epoch: int, epochs: int, logs: list[dict], shown: np.ndarray) -> None:
        rows = [logs[i] for i in np.flatnonzero(shown) if math.isfinite(logs[i]["loss"])]
        parts = [f"Epoch {epoch + 1}/{epochs} - {len(rows)} replicas"]
        for name in logs[0]:
            values = [r[name] for r in rows if name in r]
            if values:
                parts.append(f"{name}: {np.mean(values):.4f} ± {np.std(values):.4f}")
        print(" - ".join(parts))


def _masked_vmap(epoch_fn: Callable[..., training.EpochResult]) -> Callable[..., Any]:
    """``(states, active, x, y, idx, weights, val)``: ``epoch_fn`` vmapped over stacked
    states and sample orders; replicas not ``active`` keep their state unchanged."""
    batched = jax.vmap(epoch_fn, in_axes=(0, None, None, 0, 0, None))

    def run(states, active, x, y, idx, weights, val):
        result = batched(states, x, y, idx, weights, val)

        def keep(new, old):
            mask = active.reshape(active.shape + (1,) * (new.ndim - 1))
            return jnp.where(mask, new, old)

        new = result.state
        frozen = TrainState(*jax.tree.map(keep, tuple(new[:4]), tuple(states[:4])), states.rng)
        return result._replace(state=frozen)

    return run
