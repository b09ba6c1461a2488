"""The training face of :class:`rnnlab.models.Sequential`: compile, fit, evaluate, predict.

A mixin, as Keras splits its ``Model`` from its trainer: the model class holds
the layers and the pure forward pass; these methods validate data, call the
compiled pure functions of :mod:`rnnlab.training` and keep the state they return
(``params``, optimizer state, History).

Example:
    >>> import numpy as np
    >>> from rnnlab.models import Sequential
    >>> from rnnlab.layers import Dense
    >>> m = Sequential([Dense(1, input_shape=(2,))]); m.compile("sgd", "mse")
    >>> m.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0).history["loss"][0] > 0
    True
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
import optax

from rnnlab import losses, optimizers, training
from rnnlab.callbacks import Callback, CallbackList, History
from rnnlab.metrics import get as get_metric
from rnnlab.progress import EpochProgress
from rnnlab.utils import key_rng
from rnnlab.validation import as_float_array, positive_int_arg, same_length, target_matches


@dataclass(frozen=True)
class _FitPlan:
    """The checked arguments of one ``fit`` call (see ``TrainingMixin._fit_plan``)."""

    x: np.ndarray
    y: np.ndarray
    val: tuple[np.ndarray, np.ndarray] | None
    batch_size: int
    epochs: int
    verbose: int
    callbacks: list[Callback]
    shuffle: bool
    initial_epoch: int


def _evaluation_inputs(
    x: np.ndarray, y: np.ndarray, chunk: int | None = None
) -> tuple[jax.Array, ...]:
    """``(x, y, idx, weights)`` on the device for a compiled evaluation, in chunks of
    ``chunk`` samples (:func:`rnnlab.training.default_chunk` when ``None``)."""
    chunk = chunk or training.default_chunk(x.shape[0], x.shape[1] if x.ndim > 2 else None)
    chunks = training.batch_plan(x.shape[0], chunk, rng=None)
    return tuple(jax.device_put(a) for a in (x, y, *chunks))


class TrainingMixin:
    """compile / fit / evaluate / predict for a model with ``forward``, ``params``,
    ``layers``, ``_check_x`` and ``_next_key`` (see :class:`rnnlab.models.Sequential`)."""

    def _require_compiled(self, what: str) -> dict[str, Any]:
        if self._compiled is None:
            raise RuntimeError(
                f"{what}: the model must be compiled first: call "
                f"model.compile(optimizer=..., loss=...) before {what}()"
            )
        return self._compiled

    # -- training -----------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None) -> None:
        """Choose the optimizer, loss and metrics; builds the compiled training functions.

        Args:
            optimizer: a name (``"adam"``, ``"sgd"``, ``"rmsprop"``, …), an
                :mod:`rnnlab.optimizers` object (``Adam(lr=0.005)``), or any
                ``optax.GradientTransformation``.
            loss: ``"mse"``, ``"mae"``, ``"huber"``, … or a callable
                ``(y_true, y_pred) -> per-sample values``.
            metrics: list of names or callables, reported in History and by ``evaluate``.

        Example:
            >>> from rnnlab.layers import Dense
            >>> from rnnlab.models import Sequential
            >>> m = Sequential([Dense(1, input_shape=(3,))])
            >>> m.compile(optimizer="adam", loss="mse", metrics=["mae"])
        """
        if loss is None:
            raise ValueError("compile: loss is required, e.g. loss='mse'")
        tx, wrapper = optimizers.get(optimizer)
        loss_fn = losses.get(loss, owner="compile")
        if metrics is None:
            metrics = []
        if isinstance(metrics, str) or callable(metrics):
            metrics = [metrics]
        named = [get_metric(m) for m in metrics]
        names = [n for n, _ in named]
        fns = [f for _, f in named]
        self.optimizer = wrapper if wrapper is not None else tx
        if wrapper is not None:
            wrapper._model = self
        self._compiled = {
            "tx": tx,
            "loss": loss_fn,
            "metric_fns": fns,
            "metric_names": names,
            "evaluate": training.make_evaluate(self.forward, loss_fn, fns),
            "labels": None,
        }
        self._opt_state = None

    def _train_epoch_fn(self, live_progress: bool = False) -> Any:
        """The compiled epoch for the current trainable/frozen split (built on first use).

        Frozen weights (non-trainable layers, moving statistics) get no optimizer
        update: the transformation is wrapped in ``optax.multi_transform``. With
        ``live_progress`` the variant that reports every batch to the progress bar.
        """
        compiled = self._compiled
        labels = self.trainable_labels()
        if compiled["labels"] != labels:
            tx = compiled["tx"]
            if any(v == "freeze" for layer in labels.values() for v in layer.values()):
                tx = optax.multi_transform({"train": tx, "freeze": optax.set_to_zero()}, labels)
            compiled["labels"] = labels
            compiled["effective_tx"] = tx
            compiled["train_epoch"] = training.make_train_epoch(
                self.forward, compiled["loss"], compiled["metric_fns"], tx
            )
            compiled["train_epoch_live"] = None
            self._opt_state = None
        if not live_progress:
            return compiled["train_epoch"]
        if compiled["train_epoch_live"] is None:
            compiled["train_epoch_live"] = training.make_train_epoch(
                self.forward,
                compiled["loss"],
                compiled["metric_fns"],
                compiled["effective_tx"],
                on_batch=self._report_batch,
            )
        return compiled["train_epoch_live"]

    def _report_batch(self, loss_sum: Any, weight: Any) -> None:
        # Called by the compiled epoch (host callback) while a progress bar is live.
        listener = self._batch_listener
        if listener is not None:
            listener(float(loss_sum), float(weight))

    @property
    def metrics_names(self) -> list[str]:
        """``["loss", *metric names]``, the order ``evaluate`` returns."""
        compiled = self._require_compiled("metrics_names")
        return ["loss", *compiled["metric_names"]]

    def _prepare_xy(self, x: Any, y: Any, where: str, x_arg: str = "x", y_arg: str = "y"):
        x = as_float_array(x, x_arg, where)
        y = as_float_array(y, y_arg, where)
        same_length(x, y, x_arg, y_arg, where)
        out_shape = self._check_x(x, x_arg, where)
        y = target_matches(y, out_shape, y_arg, where)
        return x, y

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: int | str = 1,
        callbacks: Sequence[Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: tuple[Any, Any] | None = None,
        shuffle: bool = True,
        initial_epoch: int = 0,
    ) -> History:
        """Train for ``epochs`` epochs; each epoch is one compiled call.

        Args:
            x: inputs ``(n, time, features)`` (or ``(n, features)`` for Dense models).
            y: targets ``(n, outputs)`` matching the model's output shape.
            batch_size: samples per gradient step (32 when ``None``); the last
                partial batch is trained on.
            epochs: index of the last epoch (Keras semantics with ``initial_epoch``).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch (``"auto"`` = 1).
            callbacks: :class:`rnnlab.callbacks.Callback` objects.
            validation_split: fraction of the data, taken from the end before
                shuffling, held out for validation.
            validation_data: ``(x_val, y_val)``, evaluated after every epoch.
            shuffle: reshuffle the training samples every epoch.
            initial_epoch: epoch to start from (for resuming).

        Returns:
            :class:`History` with ``loss``, ``val_loss`` and metrics per epoch.

        Raises:
            FloatingPointError: the loss became NaN or infinite; the model keeps
                the last finite weights.
        """
        plan = self._fit_plan(
            x,
            y,
            batch_size,
            epochs,
            verbose,
            callbacks,
            validation_split,
            validation_data,
            shuffle,
            initial_epoch,
        )
        return self._fit_run(plan, self._next_key())

    def _fit_plan(
        self,
        x: Any,
        y: Any,
        batch_size: int | None,
        epochs: int,
        verbose: int | str,
        callbacks: Sequence[Callback] | None,
        validation_split: float,
        validation_data: tuple[Any, Any] | None,
        shuffle: bool,
        initial_epoch: int,
    ) -> _FitPlan:
        """Check every argument of ``fit`` and convert the data; nothing is trained yet."""
        self._require_compiled("fit")
        where = "fit"
        batch_size = positive_int_arg(32 if batch_size is None else batch_size, "batch_size", where)
        epochs = positive_int_arg(epochs, "epochs", where)
        verbose = 1 if verbose == "auto" else verbose
        if verbose not in (0, 1, 2):
            raise ValueError(f"fit: verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split!r}")
        x, y = self._prepare_xy(x, y, where)
        if validation_data is None and validation_split > 0:
            n_val = int(x.shape[0] * validation_split)
            if n_val < 1 or n_val >= x.shape[0]:
                raise ValueError(
                    f"fit: validation_split={validation_split} leaves {n_val} validation "
                    f"sample(s) out of {x.shape[0]}; choose a split that keeps both sets non-empty"
                )
            validation_data = (x[-n_val:], y[-n_val:])
            x, y = x[:-n_val], y[:-n_val]
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
                raise ValueError("fit: validation_data must be a tuple (x_val, y_val)")
            val = self._prepare_xy(
                *validation_data, where, "validation_data[0]", "validation_data[1]"
            )

        return _FitPlan(
            x, y, val, batch_size, epochs, verbose, list(callbacks or []), shuffle, initial_epoch
        )

    def _fit_run(self, plan: _FitPlan, fit_key: jax.Array) -> History:
        """Train as ``plan`` says, drawing shuffling and dropout keys from ``fit_key``."""
        compiled = self._compiled
        x, y, val, batch_size = plan.x, plan.y, plan.val, plan.batch_size
        epochs, verbose, initial_epoch = plan.epochs, plan.verbose, plan.initial_epoch
        history = History()
        cbs = CallbackList([history, *plan.callbacks])
        cbs.set_model(self)
        cbs.set_params(
            {"epochs": epochs, "steps": -(-x.shape[0] // batch_size), "verbose": verbose}
        )
        progress = EpochProgress(epochs, verbose, initial_epoch)
        train_epoch = self._train_epoch_fn(live_progress=progress.live)
        if self._opt_state is None:
            # One small compiled program, not an eager op compiled per parameter shape.
            self._opt_state = jax.jit(compiled["effective_tx"].init)(self.params)
            if isinstance(self.optimizer, optimizers.Optimizer):
                # The transformation was built at compile time: keep a rate set since.
                self.optimizer.learning_rate = self.optimizer._learning_rate
        x_dev, y_dev = jax.device_put(x), jax.device_put(y)  # no per-shape program
        val_dev = None if val is None else _evaluation_inputs(*val)
        names = compiled["metric_names"]
        self.stop_training = False
        cbs.on_train_begin()
        steps = -(-x.shape[0] // batch_size)
        self._batch_listener = progress.batch if progress.live else None
        with progress:
            for epoch in range(initial_epoch, epochs):
                cbs.on_epoch_begin(epoch)
                progress.begin_epoch(epoch, steps)
                start = time.perf_counter()
                # The sample order is drawn on the host from this fit's key: reproducible,
                # and no shuffle to compile into the epoch (rnnlab.training.batch_plan).
                rng = key_rng(fit_key, epoch) if plan.shuffle else None
                idx, weights = training.batch_plan(x.shape[0], batch_size, rng)
                result = train_epoch(
                    self.params,
                    self._opt_state,
                    x_dev,
                    y_dev,
                    idx,
                    weights,
                    jax.random.fold_in(fit_key, epoch),
                    val_dev,
                )
                finite = np.asarray(result.finite)
                self.params, self._opt_state = result.params, result.opt_state
                if not finite.all():
                    bad = int(np.argmin(finite))
                    if any(getattr(cb, "terminate_on_nan", False) for cb in cbs.callbacks):
                        print(
                            f"Epoch {epoch + 1}, batch {bad + 1}: invalid loss, terminating "
                            "training (the model keeps the last finite weights)"
                        )
                        cbs.on_epoch_end(epoch, {"loss": float("nan")})
                        self.stop_training = True
                        break
                    raise FloatingPointError(
                        f"fit: the loss became NaN or infinite at epoch {epoch + 1}, batch "
                        f"{bad + 1}; training stopped and the model keeps the last finite "
                        "weights. Try a lower learning rate or check the data scale."
                    )
                logs = {"loss": float(result.loss)}
                logs.update(zip(names, np.asarray(result.metrics).tolist(), strict=True))
                if result.val is not None:
                    values = np.asarray(result.val).tolist()
                    logs.update(
                        {f"val_{k}": v for k, v in zip(["loss", *names], values, strict=True)}
                    )
                progress.update(epoch, logs, time.perf_counter() - start)
                cbs.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        self._batch_listener = None
        cbs.on_train_end()
        history.model = self
        self.history = history
        return history

    def _evaluate_arrays(
        self, x: np.ndarray, y: np.ndarray, chunk: int | None = None
    ) -> list[float]:
        inputs = _evaluation_inputs(x, y, chunk)
        return np.asarray(self._compiled["evaluate"](self.params, *inputs)).tolist()

    def evaluate(
        self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: int = 0
    ) -> float | list[float]:
        """Loss (and metrics) on ``(x, y)``, averaged over samples.

        Returns the loss as a float, or ``[loss, *metrics]`` when metrics were compiled.
        ``batch_size`` only sets how many samples go through one compiled pass.

        Example:
            >>> from rnnlab.layers import Dense
            >>> from rnnlab.models import Sequential
            >>> m = Sequential([Dense(1, input_shape=(2,))]); m.compile("sgd", "mse")
            >>> isinstance(m.evaluate(np.ones((4, 2)), np.ones((4, 1))), float)
            True
        """
        compiled = self._require_compiled("evaluate")
        if batch_size is not None:
            positive_int_arg(batch_size, "batch_size", "evaluate")
        x, y = self._prepare_xy(x, y, "evaluate")
        values = self._evaluate_arrays(x, y, batch_size)
        if verbose:
            names = ["loss", *compiled["metric_names"]]
            print(" - ".join(f"{n}: {v:.4f}" for n, v in zip(names, values, strict=True)))
        return values if compiled["metric_names"] else values[0]

    def _predict_chunk(self, params: Any, x: jax.Array, mask: jax.Array | None) -> jax.Array:
        return self.forward(params, x, mask=mask)[0]

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

    def predict(self, x: Any, batch_size: int | None = None, verbose: int = 0) -> np.ndarray:
        """Forward pass in inference mode; returns a NumPy array.

        Inputs are processed in chunks of ``batch_size`` samples (an automatic size
        when ``None``), the last chunk padded, so calls with same-shaped input —
        and with any number of samples up to the chunk size's power-of-two bucket —
        reuse one compiled function. For models whose layers all honour masks, the
        time axis is also left-padded (masked) to a multiple of 16 steps, so growing
        sequences in iterative forecasting do not recompile at every call.

        Example:
            >>> from rnnlab.layers import Dense
            >>> from rnnlab.models import Sequential
            >>> Sequential([Dense(1, input_shape=(2,))]).predict(np.ones((3, 2))).shape
            (3, 1)
        """
        x = as_float_array(x, "x", "predict")
        self._check_x(x, "x", "predict")
        n = x.shape[0]
        if batch_size is None:
            chunk = training.default_chunk(n, x.shape[1] if x.ndim > 2 else None)
        else:
            chunk = positive_int_arg(batch_size, "batch_size", "predict")
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
            out = np.asarray(self._predict_fn(self.params, part, mask))[:real]
            if lead and out.ndim == 3 and out.shape[1] == lead + steps:
                out = out[:, lead:]  # drop the padded steps of sequence outputs
            outputs.append(out)
        return np.concatenate(outputs)
