"""``Sequential``: a stack of layers with Keras's compile / fit / evaluate / predict.

The object only holds state — layers, the parameter pytree ``params``, the
optimizer state — and calls pure compiled functions from :mod:`rnnlab.training`.
``model.apply(params, x)`` is the pure forward pass, usable under ``jax.jit``
and ``jax.grad``.

Example:
    >>> import numpy as np
    >>> from rnnlab.layers import SimpleRNN, Dense
    >>> model = Sequential([SimpleRNN(20, input_shape=(None, 1)), Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> x, y = np.zeros((64, 50, 1), np.float32), np.zeros((64, 1), np.float32)
    >>> history = model.fit(x, y, epochs=2, verbose=0)
    >>> model.predict(x).shape
    (64, 1)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from rnnlab import losses, metrics, optimizers, training
from rnnlab.callbacks import Callback, CallbackList, History
from rnnlab.layers.base import Layer, Shape, format_shape
from rnnlab.progress import EpochProgress
from rnnlab.summary import format_summary
from rnnlab.utils import KeyStream, next_key, unique_name
from rnnlab.validation import as_float_array, positive_int_arg, same_length, target_matches


class Sequential:
    """A linear stack of layers.

    Args:
        layers: layers to add in order.
        name: model name; ``sequential``, ``sequential_1``… when ``None``.
        seed: seed for this model's weights and shuffling; when ``None`` keys come
            from the global stream (see :func:`rnnlab.utils.set_random_seed`).

    Attributes:
        params: ``{layer_name: {weight_name: array}}`` — a plain pytree.
        layers: the layers, in order.
    """

    def __init__(
        self,
        layers: Sequence[Layer] | None = None,
        name: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.name = name or unique_name("Sequential")
        self.layers: list[Layer] = []
        self.params: dict[str, Any] | None = None
        self.input_shape: Shape | None = None
        self.output_shape: Shape | None = None
        self.stop_training = False
        self.optimizer: Any = None
        self.history: History | None = None
        self._keys = KeyStream(seed) if seed is not None else None
        self._declared_input: Shape | None = None
        self._compiled: dict[str, Any] | None = None
        self._opt_state: Any = None
        self._batch_listener: Any = None
        self._predict_fn = jax.jit(self._predict_chunk)
        for layer in layers or []:
            self.add(layer)

    # -- building -----------------------------------------------------------------------
    def _next_key(self) -> jax.Array:
        return self._keys.next() if self._keys is not None else next_key()

    def add(self, layer: Layer) -> None:
        """Append a layer; builds it at once when the input shape is known.

        Example:
            >>> from rnnlab.layers import Dense
            >>> m = Sequential(); m.add(Dense(1, input_shape=(3,))); m.count_params()
            4
        """
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected an rnnlab layer, got {layer!r}")
        if getattr(layer, "is_input_layer", False):
            # Input(shape=...) only declares the input shape, as in Keras.
            if self.layers:
                raise ValueError("Sequential.add: an Input layer must come first")
            self._declared_input = layer.input_shape_arg
            return
        if any(existing.name == layer.name for existing in self.layers):
            raise ValueError(
                f"Sequential.add: a layer named {layer.name!r} is already in model "
                f"{self.name!r}; layer names must be unique"
            )
        if self.layers and layer.input_shape_arg is not None and self.params is not None:
            raise ValueError(
                f"Sequential.add: input_shape is only for the first layer; "
                f"{layer.describe()} was given {format_shape(layer.input_shape_arg)}"
            )
        if self.params is not None:
            # Build first: a layer that does not fit leaves the model as it was.
            output_shape = layer.build(self.output_shape)
            params = layer.init_params(self._next_key(), layer.input_shape)
            self.params = {**self.params, layer.name: params}
            self.output_shape = output_shape
        layer._model = self
        self.layers.append(layer)
        if self.params is None and len(self.layers) == 1:
            declared = layer.input_shape_arg or self._declared_input
            if declared is not None:
                try:
                    self.build(declared)
                except Exception:
                    self.layers.pop()
                    layer._model = None
                    raise

    def build(self, input_shape: Any = None) -> None:
        """Create every layer's parameters for inputs of ``input_shape`` (batch axis included)."""
        if not self.layers:
            raise ValueError(f"model {self.name!r} has no layers to build")
        if input_shape is not None:
            shape = tuple(input_shape)
        else:
            shape = self.layers[0].input_shape_arg or self._declared_input
        if shape is None:
            raise ValueError(
                f"model {self.name!r} is not built: give the first layer an input_shape, "
                "or call fit/predict once"
            )
        params = {}
        self.input_shape = shape
        for layer in self.layers:
            in_shape = shape
            shape = layer.build(in_shape)
            params[layer.name] = layer.init_params(self._next_key(), in_shape)
        self.output_shape = shape
        self.params = params

    @property
    def built(self) -> bool:
        """Whether the parameters exist."""
        return self.params is not None

    def _check_x(self, x: np.ndarray, arg: str, where: str) -> Shape:
        """Validate a data array against the model; return the concrete output shape."""
        if self.params is None:
            first = self.layers[0] if self.layers else None
            if first is None:
                raise ValueError(f"{where}: model {self.name!r} has no layers")
            # Any sequence length, as with input_shape=(None, features).
            shape = (None, *x.shape[1:])
            if len(shape) >= 3:
                shape = (None, None, *shape[2:])
            self.build(shape)
        want = self.input_shape
        if len(x.shape) != len(want):
            self.layers[0].check_input_shape(tuple(x.shape))
            raise ValueError(
                f"{where}: {arg} has shape {x.shape}, expected {len(want)}-D input like "
                f"{format_shape(want)}"
            )
        for i, (w, g) in enumerate(zip(want[1:], x.shape[1:], strict=True)):
            if w is not None and w != g:
                axis = "features" if i == len(want) - 2 else f"steps on axis {i + 1}"
                raise ValueError(
                    f"{where}: {arg} has shape {x.shape}, but the model expects "
                    f"{format_shape(want)}: {w} {axis}, got {g}"
                )
        shape: Shape = tuple(x.shape)
        for layer in self.layers:
            layer.check_input_shape(shape)
            shape = layer.compute_output_shape(shape)
        return shape

    # -- pure functional core -----------------------------------------------------------
    def forward(
        self,
        params: Any,
        x: jax.Array,
        *,
        training: bool = False,
        key: jax.Array | None = None,
        sample_weight: jax.Array | None = None,
        mask: jax.Array | None = None,
    ) -> tuple[jax.Array, jax.Array | None, dict[str, Any]]:
        """Pure forward pass returning ``(y, mask, updates)``.

        ``mask`` ``(batch, time)`` marks the output steps that count (``None``
        without a Masking layer or an input ``mask``); ``updates`` holds new values
        of non-trainable weights computed in training (``{layer: {name: array}}``).
        """
        updates: dict[str, Any] = {}
        for i, layer in enumerate(self.layers):
            layer_key = None if key is None else jax.random.fold_in(key, i)
            layer_mask = mask if layer.supports_masking else None
            if training:
                y, new = layer.apply_train(
                    params[layer.name],
                    x,
                    key=layer_key,
                    mask=layer_mask,
                    sample_weight=sample_weight,
                )
                if new:
                    updates[layer.name] = new
            else:
                y = layer.apply(params[layer.name], x, training=False, mask=layer_mask)
            mask = layer.compute_mask(mask, x)
            x = y
        return x, mask, updates

    def apply(
        self, params: Any, x: jax.Array, *, training: bool = False, key: jax.Array | None = None
    ) -> jax.Array:
        """Pure forward pass: ``(batch, ...) -> (batch, ...)``; jittable and differentiable.

        Example:
            >>> from rnnlab.layers import Dense
            >>> m = Sequential([Dense(2, input_shape=(3,))])
            >>> jax.jit(m.apply)(m.params, jnp.ones((4, 3))).shape
            (4, 2)
        """
        return self.forward(params, x, training=training, key=key)[0]

    def trainable_labels(self) -> dict[str, dict[str, str]]:
        """``"train"`` or ``"freeze"`` for every weight, in the shape of :attr:`params`."""
        self._require_built("trainable_labels")
        return {
            layer.name: {
                name: "train"
                if layer.trainable and name not in layer.non_trainable_names
                else "freeze"
                for name in self.params[layer.name]
            }
            for layer in self.layers
        }

    # -- Keras face ---------------------------------------------------------------------
    def count_params(self) -> int:
        """Total number of scalar parameters."""
        self._require_built("count_params")
        return sum(layer.count_params() for layer in self.layers)

    def summary(self, print_fn: Any = None) -> None:
        """Print the layer table with output shapes and parameter counts, as Keras does."""
        self._require_built("summary")
        rows = [
            (
                f"{layer.name} ({type(layer).__name__})",
                format_shape(layer.output_shape),
                layer.count_params(),
            )
            for layer in self.layers
        ]
        trainable = sum(layer.count_trainable_params() for layer in self.layers)
        text = format_summary(
            self.name, rows, trainable=trainable, non_trainable=self.count_params() - trainable
        )
        for line in text.split("\n"):  # one call per line, as tf.keras 2 does
            (print_fn or print)(line)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or position."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"get_layer: no layer named {name!r}; layers: {[layer.name for layer in self.layers]}"
        )

    def get_weights(self) -> list[np.ndarray]:
        """All weights as NumPy arrays, layer by layer in Keras order."""
        self._require_built("get_weights")
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Replace all weights from a list in :meth:`get_weights` order (shapes must match)."""
        self._require_built("set_weights")
        weights = list(weights)
        expected = sum(len(layer.get_weights()) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(f"set_weights: expected {expected} arrays, got {len(weights)}")
        new = {}
        for layer in self.layers:
            if hasattr(layer, "weights_to_params"):  # wrappers with nested params
                n = len(layer.get_weights())
                new[layer.name] = layer.weights_to_params(self.params[layer.name], weights[:n])
                del weights[:n]
                continue
            new[layer.name] = dict(self.params[layer.name])
            for wname in layer.weight_names:
                if wname not in new[layer.name]:
                    continue
                value = np.asarray(weights.pop(0), np.float32)
                old = new[layer.name][wname]
                if value.shape != old.shape:
                    raise ValueError(
                        f"set_weights: {layer.name}/{wname} must have shape {old.shape}, "
                        f"got {value.shape}"
                    )
                new[layer.name][wname] = jnp.asarray(value)
        self.params = new

    def _require_built(self, what: str) -> None:
        if self.params is None:
            raise ValueError(
                f"{what}: model {self.name!r} is not built yet; give the first layer an "
                "input_shape, e.g. SimpleRNN(20, input_shape=(None, 1)), or call fit/predict first"
            )

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
        named = [metrics_module_get(m) for m in metrics]
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
        compiled = self._require_compiled("fit")
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

        history = History()
        cbs = CallbackList([history, *(callbacks or [])])
        cbs.set_model(self)
        cbs.set_params(
            {"epochs": epochs, "steps": -(-x.shape[0] // batch_size), "verbose": verbose}
        )
        progress = EpochProgress(epochs, verbose, initial_epoch)
        train_epoch = self._train_epoch_fn(live_progress=progress.live)
        if self._opt_state is None:
            self._opt_state = compiled["effective_tx"].init(self.params)
            if isinstance(self.optimizer, optimizers.Optimizer):
                # The transformation was built at compile time: keep a rate set since.
                self.optimizer.learning_rate = self.optimizer._learning_rate
        x_dev, y_dev = jnp.asarray(x), jnp.asarray(y)
        val_dev = None if val is None else (jnp.asarray(val[0]), jnp.asarray(val[1]))
        fit_key = self._next_key()
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
                result = train_epoch(
                    self.params,
                    self._opt_state,
                    x_dev,
                    y_dev,
                    jax.random.fold_in(fit_key, epoch),
                    batch_size=batch_size,
                    shuffle=shuffle,
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
                if val_dev is not None:
                    values = self._evaluate_arrays(*val_dev)
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

    def _evaluate_arrays(self, x: jax.Array, y: jax.Array, chunk: int | None = None) -> list[float]:
        compiled = self._compiled
        seq_len = x.shape[1] if x.ndim > 2 else None
        chunk = chunk or training.default_chunk(x.shape[0], seq_len)
        return np.asarray(compiled["evaluate"](self.params, x, y, chunk=chunk)).tolist()

    def evaluate(
        self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: int = 0
    ) -> float | list[float]:
        """Loss (and metrics) on ``(x, y)``, averaged over samples.

        Returns the loss as a float, or ``[loss, *metrics]`` when metrics were compiled.
        ``batch_size`` only sets how many samples go through one compiled pass.

        Example:
            >>> from rnnlab.layers import Dense
            >>> m = Sequential([Dense(1, input_shape=(2,))]); m.compile("sgd", "mse")
            >>> isinstance(m.evaluate(np.ones((4, 2)), np.ones((4, 1))), float)
            True
        """
        compiled = self._require_compiled("evaluate")
        if batch_size is not None:
            positive_int_arg(batch_size, "batch_size", "evaluate")
        x, y = self._prepare_xy(x, y, "evaluate")
        values = self._evaluate_arrays(jnp.asarray(x), jnp.asarray(y), batch_size)
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

    def __call__(self, x: Any, training: bool = False) -> jax.Array:
        """Eager forward pass on an array (Keras's ``model(x)``)."""
        self._require_built("call")
        return self.apply(self.params, jnp.asarray(x, jnp.float32), training=training)

    def __repr__(self) -> str:
        return f"<Sequential name={self.name!r} layers={[layer.name for layer in self.layers]}>"


metrics_module_get = metrics.get
