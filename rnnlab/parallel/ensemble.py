"""K replicas of one model trained as one compiled program: :class:`Ensemble`.

Replicas' :class:`~rnnlab.training.TrainState` are stacked on a leading axis and the
model's compiled epoch is ``jax.vmap``-ed over them. A 20-unit recurrent step on a CPU
is bound by per-operation overhead, so the per-step loops cost little more for K
replicas than for one; the products, transposes and kernel gradients around the loops
grow with K, so on one CPU core K replicas still cost several times one (BENCHMARKS.md).
With a :class:`~rnnlab.distribution.DataParallel` distribution set, the replicas are
split over its devices (:mod:`rnnlab.parallel.placement`): several CPU devices
(``RNNLAB_CPU_DEVICES``) or GPUs train their shares side by side. Replica ``i`` is
exactly the model that::

    keras.utils.set_random_seed(seeds[i]); m = build_model(); m.compile(...); m.fit(...)

would give: its own initial weights, sample order and dropout keys, all from its seed
(to float tolerance: XLA may fuse the batched program differently). Replicas may also
differ in their learning rate, which lives in each replica's slice of the stacked Optax
state. Between ``fit`` calls each replica's state lives in an ordinary model,
``ens.models[i]`` (summary, predict, save work on it). Callbacks act per replica
(:mod:`rnnlab.parallel.ensemble_callbacks`): a replica stopped by ``EarlyStopping``
is frozen (an active mask inside the compiled epoch) while the others go on.

Example:
    >>> import numpy as np
    >>> from rnnlab.layers import Dense
    >>> from rnnlab.models import Sequential
    >>> ens = Ensemble(lambda: Sequential([Dense(1, input_shape=(2,))]), seeds=[0, 1, 2])
    >>> ens.compile(optimizer="sgd", loss="mse", learning_rate=[0.01, 0.02, 0.05])
    >>> h = ens.fit(np.ones((8, 2)), np.zeros((8, 1)), epochs=2, verbose=0)
    >>> ens.predict(np.ones((3, 2))).shape, len(h.history["loss"]["mean"])
    ((3, 3, 1), 2)
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnnlab import optimizers, utils
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
from rnnlab.validation import is_int, is_number

__all__ = ["Ensemble"]


def _check_seeds(seeds: Iterable[Any]) -> list[int]:
    try:
        seeds = list(seeds)
    except TypeError:
        raise TypeError(
            f"Ensemble: seeds must be a list of integers, e.g. range(8), got {seeds!r}"
        ) from None
    if not seeds:
        raise ValueError("Ensemble: seeds is empty; give at least one seed, e.g. seeds=range(4)")
    for i, s in enumerate(seeds):
        if not is_int(s):
            raise TypeError(f"Ensemble: seeds[{i}] must be an integer, got {s!r}")
    return [int(s) for s in seeds]


def _own_key_stream(model: Any) -> None:
    # A model without a seed of its own draws keys from the global stream, which the
    # next replica's set_random_seed replaces: keep this replica's stream with it, so
    # its later keys (lazy build, each fit's key) are those a lone run would draw.
    if getattr(model, "key_stream", "absent") is None:
        model.key_stream = utils.global_key_stream()


class Ensemble:
    """K replicas of ``build_model()``, one per seed, trained as one compiled program.

    Args:
        build_model: ``() -> model``, an uncompiled model (e.g. a
            :class:`~rnnlab.models.Sequential`); called once per seed, right after
            ``rnnlab.utils.set_random_seed(seed)``. Every replica must have the same
            layers and weight shapes.
        seeds: the replicas' seeds, integers (``range(8)``: 8 replicas).

    Attributes:
        models: the replicas, ordinary models; ``models[i]`` holds replica ``i``'s
            weights and optimizer state between calls.
        seeds: the seeds, one per replica.
        histories: after ``fit``, each replica's :class:`~rnnlab.callbacks.History`.
        history: after ``fit``, the :class:`EnsembleHistory` (mean, std, min, max).
        dropped: replicas dropped after a NaN loss (with ``TerminateOnNaN``).
        devices: the devices the last ``fit`` split the replicas over (one device
            without a distribution; see :mod:`rnnlab.parallel.placement`).

    Example:
        >>> from rnnlab.layers import LSTM, Dense
        >>> from rnnlab.models import Sequential
        >>> build = lambda: Sequential([LSTM(4, input_shape=(None, 1)), Dense(1)])
        >>> ens = Ensemble(build, seeds=range(4))
        >>> len(ens), ens.seeds
        (4, [0, 1, 2, 3])
    """

    def __init__(self, build_model: Callable[[], Any], seeds: Iterable[int]) -> None:
        if not callable(build_model):
            raise TypeError(f"Ensemble: build_model must be callable, got {build_model!r}")
        self.seeds = _check_seeds(seeds)
        self.models: list[Any] = []
        for seed in self.seeds:
            utils.set_random_seed(seed)
            model = build_model()
            if not hasattr(model, "fit_plan") or not hasattr(model, "pure_forward"):
                raise TypeError(
                    f"Ensemble: build_model() must return an rnnlab model, got "
                    f"{type(model).__name__}"
                )
            if any(model is m for m in self.models):
                raise ValueError("Ensemble: build_model() must return a new model at every call")
            _own_key_stream(model)
            self.models.append(model)
        self.histories: list[History] = []
        self.history: EnsembleHistory | None = None
        self.dropped: list[int] = []
        self.devices: list[jax.Device] = []
        self._compiled = False
        self._epoch_key: Any = None
        self._epoch_fn: Callable[..., training.EpochResult] | None = None
        self._check_shapes()

    def __len__(self) -> int:
        return len(self.models)

    # -- structure --------------------------------------------------------------------------
    def _names(self, i: int) -> list[str]:
        return [layer.name for layer in self.models[i].layers]

    def _to_0(self, i: int) -> dict[str, str]:
        return dict(zip(self._names(i), self._names(0), strict=True))

    def _from_0(self, i: int) -> dict[str, str]:
        return dict(zip(self._names(0), self._names(i), strict=True))

    def _check_shapes(self) -> None:
        """A clear error when built replicas differ (checked again once all are built)."""
        if not all(m.built for m in self.models):
            return
        reference = self.models[0].params
        for i, model in enumerate(self.models[1:], start=1):
            problem = stacking.first_difference(reference, model.params)
            if problem is not None:
                raise ValueError(
                    f"Ensemble: build_model() returned models of different shapes: replica "
                    f"{i} (seed {self.seeds[i]}): {problem}; every replica must have the "
                    "same architecture"
                )

    # -- compile ----------------------------------------------------------------------------
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        loss_weights: Any = None,
        metrics: Any = None,
        *,
        learning_rate: float | Sequence[float] | None = None,
    ) -> None:
        """``model.compile(optimizer, loss, loss_weights, metrics)`` for every replica.

        Args:
            optimizer: as for ``model.compile`` (each replica gets its own copy), or a
                list of K optimizers of one class that differ at most in their
                learning rate (e.g. ``[Adam(1e-3), Adam(3e-3)]``).
            loss / loss_weights / metrics: as for ``model.compile``.
            learning_rate: one rate for all, or a list of K rates (a sweep in one
                program); overrides the optimizers' own rates.

        Example:
            >>> from rnnlab.layers import Dense
            >>> from rnnlab.models import Sequential
            >>> ens = Ensemble(lambda: Sequential([Dense(1, input_shape=(2,))]), [0, 1])
            >>> ens.compile("adam", "mse", learning_rate=[1e-3, 3e-3])
            >>> [m.optimizer.learning_rate for m in ens.models]
            [0.001, 0.003]
        """
        opts = self._optimizers(optimizer, learning_rate)
        for model, opt in zip(self.models, opts, strict=True):
            model.compile(optimizer=opt, loss=loss, loss_weights=loss_weights, metrics=metrics)
        self._compiled = True
        self._epoch_fn = self._epoch_key = None

    def _optimizers(self, optimizer: Any, learning_rate: Any) -> list[optimizers.Optimizer]:
        k = len(self.models)
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
                        f"Ensemble.compile: learning_rate[{i}] must be a positive number, "
                        f"got {lr!r}"
                    )
                if isinstance(opt, optimizers.OptaxOptimizer):
                    raise ValueError(
                        "Ensemble.compile: learning_rate= needs rnnlab optimizers (e.g. "
                        "'adam'); a plain Optax transformation fixes its rate when built"
                    )
                opt.learning_rate = float(lr)
        _check_same_kind(opts)
        return opts

    # -- fit --------------------------------------------------------------------------------
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

    # -- predict ----------------------------------------------------------------------------
    def predict(
        self, x: Any, batch_size: int | None = None, reduce: str | None = None
    ) -> np.ndarray:
        """Every replica's predictions: ``(K, n, ...)``, or reduced over replicas.

        Args:
            x: inputs, as for ``model.predict``.
            batch_size: samples per compiled pass (automatic when ``None``).
            reduce: ``None`` (all replicas), ``"mean"`` or ``"median"`` (``(n, ...)``).
                Dropped replicas are left out of the mean and median.

        Example:
            >>> from rnnlab.layers import Dense
            >>> from rnnlab.models import Sequential
            >>> ens = Ensemble(lambda: Sequential([Dense(2, input_shape=(3,))]), [0, 1])
            >>> ens.predict(np.ones((5, 3)), reduce="mean").shape
            (5, 2)
        """
        if reduce not in (None, "mean", "median"):
            raise ValueError(
                f"Ensemble.predict: reduce must be None, 'mean' or 'median', got {reduce!r}"
            )
        self._share_predict()
        out = np.stack([m.predict(x, batch_size=batch_size) for m in self.models])
        if reduce is None:
            return out
        kept = [i for i in range(len(self.models)) if i not in self.dropped] or [0]
        return (np.mean if reduce == "mean" else np.median)(out[kept], axis=0)

    def _share_predict(self) -> None:
        """Replicas predict through replica 0's compiled forward pass (one compilation)."""
        base = self.models[0].predict_fn
        for i, m in enumerate(self.models[1:], start=1):
            if getattr(m.predict_fn, "_ensemble_base", None) is base:
                continue
            to_0 = self._to_0(i)
            shared = lambda params, x, mask, to_0=to_0: base(stacking.rename(params, to_0), x, mask)  # noqa: E731
            shared._ensemble_base = base
            m.predict_fn = shared


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
