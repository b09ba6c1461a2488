"""The trainer: a model's compiled functions and the loop that runs its epochs.

``model.compile`` creates one :class:`Trainer`, held as the model's one typed
``trainer`` field. It keeps what compiling produced — the loss and metrics, the
optimizer, the jitted evaluation and (per trainable/frozen split) the jitted
epoch — and the two pieces of the training state that belong to neither the
layers nor the optimizer: the index of the next epoch and the fit's PRNG key.
It holds no reference to the model: ``fit`` passes the model in, and the
trainer reads and writes the model's state only through ``model.train_state``.

Example:
    >>> import numpy as np
    >>> from rnnlab.models import Sequential
    >>> from rnnlab.layers import Dense
    >>> m = Sequential([Dense(1, input_shape=(2,))]); m.compile("sgd", "mse")
    >>> type(m.trainer).__name__, m.trainer.metric_names
    ('Trainer', [])
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
import optax

from rnnlab import distribution as dist
from rnnlab.callbacks import Callback, CallbackList, History
from rnnlab.distribution import feed as dist_feed
from rnnlab.optimizers import Optimizer
from rnnlab.training import epoch as training
from rnnlab.training import multi_output
from rnnlab.training.progress import EpochProgress
from rnnlab.training.sources import Source, TakeFn, first_input_shape, is_source, take_rows
from rnnlab.training.state import TrainState, init_state
from rnnlab.training.structured import first_leaf, is_plain, take_tree
from rnnlab.utils import key_rng

__all__ = [
    "FitPlan",
    "Trainer",
    "distributed_inputs",
    "evaluation_inputs",
    "frozen_aware",
    "source_inputs",
]


@dataclass(frozen=True)
class FitPlan:
    """The checked arguments of one ``fit`` call (``model.fit_plan``); nothing trained yet.

    ``x``/``y`` are arrays (lists of them for several inputs/outputs; ``y`` a
    :class:`~rnnlab.training.multi_output.Weighted` with sample weights), or ``x`` is a
    :class:`~rnnlab.training.sources.Source` and ``y`` is ``None``; ``val`` is
    ``(x_val, y_val)``, a source, or ``None``.
    """

    x: Any
    y: Any
    val: tuple[Any, Any] | Source | None
    batch_size: int
    epochs: int
    verbose: int
    callbacks: list[Callback]
    shuffle: bool
    initial_epoch: int

    @property
    def n_samples(self) -> int:
        """Number of training samples."""
        return len(self.x) if is_source(self.x) else int(first_leaf(self.x).shape[0])


def evaluation_inputs(x: Any, y: Any, chunk: int | None = None) -> tuple[jax.Array, ...]:
    """``(x, y, idx, weights)`` on the device for a compiled evaluation, in chunks of
    ``chunk`` samples (:func:`rnnlab.training.default_chunk` when ``None``); ``x`` and
    ``y`` arrays or pytrees of them (several inputs, outputs, sample weights)."""
    first = first_leaf(x)
    chunk = chunk or training.default_chunk(
        first.shape[0], first.shape[1] if first.ndim > 2 else None
    )
    chunks = training.batch_plan(first.shape[0], chunk, rng=None)
    return tuple(jax.device_put(a) for a in (x, y, *chunks))


def source_inputs(source: Source, chunk: int | None = None) -> tuple[jax.Array, ...]:
    """:func:`evaluation_inputs` of a :class:`~rnnlab.training.sources.Source`: its
    ``arrays`` on the device and chunks of ``chunk`` samples (``default_chunk``)."""
    n = len(source)
    x_shape = first_input_shape(source)
    chunk = chunk or training.default_chunk(n, x_shape[0] if len(x_shape) > 1 else None)
    chunks = training.batch_plan(n, chunk, rng=None)
    x, y = jax.device_put(source.arrays)
    return (x, y, *(jax.device_put(c) for c in chunks))


def take_of(x: Any, y: Any) -> TakeFn:
    """The gather of ``fit``'s data: a source's own, the rows of two arrays
    (``take_rows``), or the rows of every array of lists / weighted targets."""
    if is_source(x):
        return x.take
    return take_rows if is_plain(x, y) else take_tree


def _inputs(data: Any, chunk: int | None = None) -> tuple[TakeFn, tuple[jax.Array, ...]]:
    """``(take, (x, y, idx, weights))`` for arrays ``(x, y)`` or a source."""
    if is_source(data):
        return data.take, source_inputs(data, chunk)
    return take_of(*data), evaluation_inputs(*data, chunk)


def distributed_inputs(
    dp: dist.DataParallel, data: Any, chunk: int | None = None
) -> tuple[TakeFn, tuple[jax.Array, ...]]:
    """:func:`_inputs` on ``dp``'s devices: the data placed by a
    :class:`~rnnlab.distribution.feed.Feed`, the chunks split over the devices."""
    if is_source(data):
        take, arrays, x_shape = data.take, data.arrays, first_input_shape(data)
    else:
        take, arrays, x_shape = take_of(*data), data, tuple(first_leaf(data[0]).shape[1:])
    feed = dist_feed.Feed(dp, arrays, rows=take in (take_rows, take_tree))
    n = feed.n_samples
    chunk = chunk or training.default_chunk(n, x_shape[0] if len(x_shape) > 1 else None)
    return take, (*feed.arrays, *feed.plan(*training.batch_plan(n, chunk, rng=None)))


def _from_process_0(state: TrainState) -> TrainState:
    """Process 0's state on every process (several hosts): the same initial weights and
    fit key everywhere, even where the processes' seeds differ."""
    from jax.experimental import multihost_utils

    impl = jax.random.key_impl(state.rng)
    plain = state._replace(rng=jax.random.key_data(state.rng))
    synced = multihost_utils.broadcast_one_to_all(plain)
    synced = jax.tree.map(jax.device_put, synced)
    return synced._replace(rng=jax.random.wrap_key_data(synced.rng, impl=impl))


def flat_update(optimizer: Optimizer, labels: dict) -> bool:
    """Whether the compiled epoch takes the flat fast path (:mod:`rnnlab.training.flat`):
    an elementwise optimizer (rnnlab's own; a user's Optax transformation may not be)
    and no frozen weights (whose labels need the per-weight tree)."""
    return bool(getattr(optimizer, "elementwise", False)) and "freeze" not in jax.tree.leaves(
        labels
    )


def frozen_aware(tx: optax.GradientTransformation, labels: dict) -> optax.GradientTransformation:
    """``tx`` on trainable weights, no update on frozen ones (``optax.multi_transform``)."""
    if "freeze" in jax.tree.leaves(labels):  # (a model used as a layer nests its labels)
        return optax.multi_transform({"train": tx, "freeze": optax.set_to_zero()}, labels)
    return tx


def _sharded(dp: dist.DataParallel | None) -> dict[str, Any]:
    """The compiled functions' data-parallel arguments for ``dp`` (none without one)."""
    if dp is None:
        return {}
    return {"constrain": lambda tree: dist_feed.constrain(dp, tree), "out_shardings": dp.replicated}


class Trainer:
    """Compiled training and evaluation of one model, and the loop over epochs.

    Args:
        forward: the model's pure ``forward(params, x, *, training, key, sample_weight,
            mask) -> (y, mask, updates)``.
        loss_fn: per-sample loss ``(y_true, y_pred) -> values``.
        metric_names / metric_fns: the compiled metrics.
        optimizer: the :class:`~rnnlab.optimizers.Optimizer` (it holds the Optax state).
        outputs: a multi-output model's :class:`~rnnlab.training.multi_output.OutputSpec`
            (``loss_fn`` and the metrics are then its), ``None`` for one output.
        loss_weight: one output's ``loss_weights``: the loss trained and reported is
            ``loss_weight × loss_fn`` (``loss_fn`` itself is kept as compiled).

    Attributes:
        evaluate_fn: jitted ``(params, x, y, idx, weights) -> [loss, *metrics]`` for
            arrays (one more per kind of :class:`~rnnlab.training.sources.Source`).
        epoch: index of the next epoch to train (``initial_epoch`` of a resumed fit).
        rng: PRNG key of the current (or last) fit, ``None`` before the first.
        sorted_logs: History's keys sorted (several outputs, as Keras on JAX sorts
            them), else ``loss`` then the metrics in compile order.
        compile_args: ``compile``'s ``loss``/``loss_weights``/``metrics`` as given.
    """

    def __init__(
        self,
        forward: Callable[..., Any],
        loss_fn: Callable[..., Any],
        metric_names: list[str],
        metric_fns: list[Callable[..., Any]],
        optimizer: Optimizer,
        outputs: multi_output.OutputSpec | None = None,
        loss_weight: float = 1.0,
    ) -> None:
        self.forward = forward
        self.loss_fn = loss_fn
        self.metric_names = metric_names
        self.metric_fns = metric_fns
        self.optimizer = optimizer
        self.outputs = outputs
        self.sorted_logs = outputs is not None
        self.compile_args: dict[str, Any] = {}
        # What the compiled functions run: the same functions, taking sample-weighted
        # targets too (plain targets trace to the same program as before).
        self._loss = multi_output.sample_weighted(multi_output.scaled(loss_fn, loss_weight))
        self._metrics = [multi_output.unweighted(m) for m in metric_fns]
        self._evaluate_fns: dict[tuple[TakeFn, Any], Callable[..., jax.Array]] = {}
        self.evaluate_fn = self.evaluate_fn_for(take_rows)
        self.epoch = 0
        self.rng: jax.Array | None = None
        # The epoch programs for one trainable/frozen split, built on first use: one
        # per gather (``take``), progress variant (``live``) and device mesh (``None``:
        # one device).
        self._labels: dict | None = None
        self._tx: optax.GradientTransformation | None = None
        self._epochs: dict[tuple[TakeFn, bool, Any], Callable[..., training.EpochResult]] = {}
        self._batch_listener: Callable[[float, float], None] | None = None

    # -- state ------------------------------------------------------------------------------
    def state(self, params: Any) -> TrainState:
        """The :class:`TrainState` of a model whose weights are ``params``."""
        opt = self.optimizer
        rng = self.rng if self.rng is not None else jax.random.key(0)
        return init_state(params, opt.state, rng, step=opt.iterations, epoch=self.epoch)

    def restore(self, state: TrainState) -> Any:
        """Keep ``state``'s optimizer state, step, epoch and key; return its params."""
        self.optimizer.state = state.opt_state
        self.optimizer.iterations = state.step
        self.epoch = int(state.epoch)
        self.rng = state.rng
        return state.params

    def evaluate_fn_for(
        self, take: TakeFn, dp: dist.DataParallel | None = None
    ) -> Callable[..., jax.Array]:
        """The jitted evaluation of data gathered by ``take`` (built on first use), on
        ``dp``'s devices when given."""
        key = (take, None if dp is None else dp.mesh)
        if key not in self._evaluate_fns:
            self._evaluate_fns[key] = training.make_evaluate(
                self.forward, self._loss, self._metrics, take, **_sharded(dp)
            )
        return self._evaluate_fns[key]

    def epoch_fn(
        self,
        labels: dict,
        live: bool = False,
        take: TakeFn = take_rows,
        dp: dist.DataParallel | None = None,
    ) -> Callable[..., training.EpochResult]:
        """The compiled epoch for the trainable/frozen split ``labels`` (built on first use).

        A new split (a layer frozen or unfrozen) builds a new program and resets the
        optimizer state, whose structure depends on the split. ``live``: the variant
        that reports every batch to the progress bar. ``take``: how batches are cut
        out of the data (a :class:`~rnnlab.training.sources.Source`'s gather). ``dp``:
        the data-parallel variant for that distribution's devices.
        """
        if self._labels != labels:
            self.optimizer.reset()  # before the transform is built: it starts from the rate
            self._labels = labels
            self._tx = frozen_aware(self.optimizer.transform, labels)
            self._epochs = {}
        key = (take, live, None if dp is None else dp.mesh)
        if key not in self._epochs:
            on_batch = self._report_batch if live else None
            self._epochs[key] = training.make_train_epoch(
                self.forward,
                self._loss,
                self._metrics,
                self._tx,
                on_batch,
                take,
                **_sharded(dp),
                flat=flat_update(self.optimizer, labels),
            )
        return self._epochs[key]

    @property
    def train_epoch(self) -> Callable[..., training.EpochResult] | None:
        """The compiled epoch of the current split for arrays (``None`` before a fit)."""
        return self._epochs.get((take_rows, False, None))

    @property
    def train_epoch_live(self) -> Callable[..., training.EpochResult] | None:
        """Its variant reporting every batch to a live progress bar, once one was needed."""
        return self._epochs.get((take_rows, True, None))

    def _report_batch(self, loss_sum: Any, weight: Any) -> None:
        # Called by the compiled epoch (host callback) while a progress bar is live.
        listener = self._batch_listener
        if listener is not None:
            listener(float(loss_sum), float(weight))

    def ensure_optimizer_state(self, params: Any) -> None:
        """Create the optimizer's Optax state for ``params`` when it has none."""
        if self.optimizer.state is None:
            # One small compiled program, not an eager op compiled per parameter shape.
            self.optimizer.state = jax.jit(self._tx.init)(params)
            self.optimizer.iterations = np.int32(0)

    # -- evaluation -------------------------------------------------------------------------
    def evaluate(
        self, params: Any, x: np.ndarray | Source, y: np.ndarray | None, chunk: int | None = None
    ) -> list[float]:
        """``[loss, *metrics]`` on ``(x, y)`` (or the source ``x``) as floats, averaged
        over samples (over every process's samples, with a distribution across hosts)."""
        data = x if is_source(x) else (x, y)
        dp = dist.distribution()
        if dp is None:
            take, inputs = _inputs(data, chunk)
            return np.asarray(self.evaluate_fn_for(take)(params, *inputs)).tolist()
        take, inputs = distributed_inputs(dp, data, chunk)
        values = self.evaluate_fn_for(take, dp)(dist_feed.replicate(dp, params), *inputs)
        return np.asarray(values).tolist()

    # -- the loop ---------------------------------------------------------------------------
    def fit(self, model: Any, plan: FitPlan, fit_key: jax.Array) -> History:
        """Train ``model`` as ``plan`` says, drawing sample orders and dropout from ``fit_key``.

        The model's state is read once (``model.train_state``), advanced by one
        compiled call per epoch, and written back after every epoch, so callbacks
        see the current weights and learning rate.
        """
        history = History()
        cbs = CallbackList([history, *plan.callbacks])
        cbs.set_model(model)
        dp = dist.distribution()
        take = take_of(plan.x, plan.y)
        data = None
        if dp is not None:  # the data on the devices: across hosts, n counts all processes'
            data = dist_feed.Feed(
                dp,
                plan.x.arrays if is_source(plan.x) else (plan.x, plan.y),
                rows=take in (take_rows, take_tree),
            )
        n_samples = plan.n_samples if data is None else data.n_samples
        steps = -(-n_samples // plan.batch_size)
        cbs.set_params({"epochs": plan.epochs, "steps": steps, "verbose": plan.verbose})
        progress = EpochProgress(plan.epochs, plan.verbose, plan.initial_epoch)
        train_epoch = self.epoch_fn(model.trainable_labels(), progress.live, take, dp)
        self.ensure_optimizer_state(model.params)
        self.rng, self.epoch = fit_key, plan.initial_epoch
        if data is None:
            # device_put, not jnp.asarray: no per-shape copy program
            x_dev, y_dev = jax.device_put(plan.x.arrays if is_source(plan.x) else (plan.x, plan.y))
            val_dev = None if plan.val is None else _inputs(plan.val)[1]
        else:
            x_dev, y_dev = data.arrays
            val_dev = None if plan.val is None else distributed_inputs(dp, plan.val)[1]
            if jax.process_count() > 1:
                model.train_state = _from_process_0(model.train_state)
        model.stop_training = False
        # A callback may restore a saved TrainState here (a resumed run): the loop then
        # goes on from that state's epoch, with that state's key.
        cbs.on_train_begin()
        self._batch_listener = progress.batch if progress.live else None
        try:
            with progress:
                while self.epoch < plan.epochs and not model.stop_training:
                    epoch = self.epoch
                    cbs.on_epoch_begin(epoch)
                    progress.begin_epoch(epoch, steps)
                    start = time.perf_counter()
                    # The sample order is drawn on the host from the fit's key and the
                    # epoch: reproducible, and no shuffle compiled into the epoch.
                    rng = key_rng(self.rng, epoch) if plan.shuffle else None
                    idx, weights = training.batch_plan(n_samples, plan.batch_size, rng)
                    state = model.train_state  # callbacks may have changed weights or rate
                    if data is not None:
                        idx, weights = data.plan(idx, weights)
                        state = dist_feed.replicate(dp, state)
                    result = train_epoch(state, x_dev, y_dev, idx, weights, val_dev)
                    model.train_state = result.state
                    logs = self._epoch_logs(epoch, result, cbs)
                    if logs is None:  # a NaN loss with TerminateOnNaN
                        model.stop_training = True
                        break
                    progress.update(epoch, logs, time.perf_counter() - start)
                    cbs.on_epoch_end(epoch, logs)
        finally:
            self._batch_listener = None
            if data is not None:  # the model's arrays back on one device, as without dp
                model.train_state = dist_feed.local_copy(model.train_state)
        cbs.on_train_end()
        history.model = model
        return history

    def _epoch_logs(
        self, epoch: int, result: training.EpochResult, cbs: CallbackList
    ) -> dict[str, float] | None:
        """The epoch's logs; ``None`` (after the NaN epoch's hooks) or a
        ``FloatingPointError`` when a batch's loss was not finite."""
        finite = np.asarray(result.finite)
        if not finite.all():
            bad = int(np.argmin(finite))
            if any(getattr(cb, "terminate_on_nan", False) for cb in cbs.callbacks):
                print(
                    f"Epoch {epoch + 1}, batch {bad + 1}: invalid loss, terminating "
                    "training (the model keeps the last finite weights)"
                )
                cbs.on_epoch_end(epoch, {"loss": float("nan")})
                return None
            raise FloatingPointError(
                f"fit: the loss became NaN or infinite at epoch {epoch + 1}, batch "
                f"{bad + 1}; training stopped and the model keeps the last finite "
                "weights. Try a lower learning rate or check the data scale."
            )
        logs = {"loss": float(result.loss)}
        names = self.metric_names
        logs.update(zip(names, np.asarray(result.metrics).tolist(), strict=True))
        if self.sorted_logs:
            logs = dict(sorted(logs.items()))
        if result.val is not None:
            values = np.asarray(result.val).tolist()
            val = dict(zip(["loss", *names], values, strict=True))
            if self.sorted_logs:
                val = dict(sorted(val.items()))
            logs.update({f"val_{k}": v for k, v in val.items()})
        return logs
