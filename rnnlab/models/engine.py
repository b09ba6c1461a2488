"""The training face of a model: compile, fit, evaluate (predict: rnnlab.models.prediction).

A mixin, as Keras's ``Model`` inherits its trainer's methods: the model class
holds the layers and the pure forward pass; these methods check arguments and
data, and hand the work to the model's :class:`~rnnlab.training.trainer.Trainer` (its one
``trainer`` field, created by ``compile``) or, for ``predict``, to the model's
jitted forward pass. The mixin has no fields of its own.

Example:
    >>> import numpy as np
    >>> from rnnlab.models import Sequential
    >>> from rnnlab.layers import Dense
    >>> m = Sequential([Dense(1, input_shape=(2,))]); m.compile("sgd", "mse")
    >>> m.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0).history["loss"][0] > 0
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from rnnlab import optimizers
from rnnlab.callbacks import Callback, History
from rnnlab.models.prediction import PredictionMixin
from rnnlab.training import multi_output, structured
from rnnlab.training.sources import Source, is_source
from rnnlab.training.state import TrainState
from rnnlab.training.trainer import FitPlan, Trainer
from rnnlab.validation import (
    as_float_array,
    positive_int,
    same_length,
    target_matches,
)


class TrainingMixin(PredictionMixin):
    """compile / fit / evaluate / predict for a model with ``forward``, ``params``,
    ``layers``, ``trainer``, ``check_x``, ``next_key`` and ``predict_fn``
    (see :class:`rnnlab.models.Sequential`)."""

    def require_trainer(self, what: str) -> Trainer:
        """The model's :class:`~rnnlab.training.Trainer`; a clear error before ``compile``."""
        if self.trainer is None:
            raise RuntimeError(
                f"{what}: the model must be compiled first: call "
                f"model.compile(optimizer=..., loss=...) before {what}()"
            )
        return self.trainer

    # -- training -----------------------------------------------------------------------
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        loss_weights: Any = None,
        metrics: Any = None,
    ) -> None:
        """Choose the optimizer, loss and metrics; builds the compiled training functions.

        The arguments come in Keras 3's order, ``compile(optimizer, loss, loss_weights,
        metrics)`` (tf.keras 2 had ``metrics`` third): a list of metric names given
        third is refused with a message saying so, never taken as loss weights.

        Args:
            optimizer: a name (``"adam"``, ``"sgd"``, ``"rmsprop"``, …), an
                :mod:`rnnlab.optimizers` object (``Adam(lr=0.005)``), or any
                ``optax.GradientTransformation``.
            loss: ``"mse"``, ``"mae"``, ``"huber"``, … or a callable
                ``(y_true, y_pred) -> per-sample values``. For a model of several
                outputs: one loss for every output, a list in output order or a dict
                keyed by output name (:mod:`rnnlab.training.multi_output`).
            metrics: list of names or callables, reported in History and by ``evaluate``;
                for several outputs a list with one entry (a metric or a list) per
                output, or a dict keyed by output name (``{"one": ["mae"]}``).
            loss_weights: several outputs: a number, list or dict weighting each
                output's loss in the total; one output: a number scaling the loss.

        Example:
            >>> from rnnlab.layers import Dense
            >>> from rnnlab.models import Sequential
            >>> m = Sequential([Dense(1, input_shape=(3,))])
            >>> m.compile(optimizer="adam", loss="mse", metrics=["mae"])
        """
        if loss is None:
            raise ValueError("compile: loss is required, e.g. loss='mse'")
        multi_output.check_loss_weights(loss_weights)
        opt = optimizers.get(optimizer)
        names = getattr(self, "target_names", None)
        if getattr(self, "structured_outputs", False):
            spec = multi_output.compile_outputs(names, loss, loss_weights, metrics)
            opt.reset()
            self.trainer = Trainer(
                self.pure_forward(), spec.loss_fn, spec.metric_names, spec.metric_fns, opt,
                outputs=spec,
            )  # fmt: skip
        else:
            loss_fn, named, weight = multi_output.compile_one_output(
                names, loss, metrics, loss_weights
            )
            opt.reset()  # a new compile starts a new optimizer state
            # The trainer gets the pure forward pass of the layers, not the model.
            self.trainer = Trainer(
                self.pure_forward(), loss_fn, [n for n, _ in named], [f for _, f in named], opt,
                loss_weight=weight,
            )  # fmt: skip
        # As given, for a compile_config that keeps the user's structures.
        self.trainer.compile_args = {
            "loss": loss, "loss_weights": loss_weights, "metrics": metrics
        }  # fmt: skip

    @property
    def optimizer(self) -> optimizers.Optimizer | None:
        """The compiled optimizer (it holds the Optax state and the learning rate)."""
        return None if self.trainer is None else self.trainer.optimizer

    @property
    def train_state(self) -> TrainState:
        """Everything needed to continue training, as one pytree (see :mod:`rnnlab.training.state`).

        Assigning a ``TrainState`` writes its weights to the layers and the rest to the
        optimizer and trainer.
        """
        return self.require_trainer("train_state").state(self.built_params("train_state"))

    @train_state.setter
    def train_state(self, state: TrainState) -> None:
        self.params = self.require_trainer("train_state").restore(state)

    @property
    def metrics_names(self) -> list[str]:
        """``["loss", *metric names]``, the order ``evaluate`` returns (several outputs:
        ``loss``, the per-output losses, then the per-output metrics by name)."""
        return ["loss", *self.require_trainer("metrics_names").metric_names]

    def _prepare_xy(
        self,
        x: Any,
        y: Any,
        where: str,
        x_arg: str = "x",
        y_arg: str = "y",
        sample_weight: Any = None,
        sw_arg: str = "sample_weight",
    ) -> tuple[Any, Any]:
        """Checked float32 data: ``x`` one array or a list in input order, ``y`` one
        array or a list in output order (wrapped in :class:`~rnnlab.training.multi_output.
        Weighted` with the sample weights when given); shapes checked against the model."""
        in_names = getattr(self, "input_names", None)
        out_names = getattr(self, "target_names", None)
        multi_out = getattr(self, "structured_outputs", False)
        if in_names is None or (len(in_names) == 1 and not multi_out):
            if in_names is not None:  # a functional model may name its one input/output
                x = structured.flat_arrays(x, in_names, "input", x_arg, where)[0][0]
                y = structured.flat_arrays(y, out_names, "output", y_arg, where)[0][0]
            x = as_float_array(x, x_arg, where)
            y = as_float_array(y, y_arg, where)
            same_length(x, y, x_arg, y_arg, where)
            out_shape = self.check_x(x, x_arg, where)
            y = target_matches(y, out_shape, y_arg, where)
            if sample_weight is not None:
                sw = structured.sample_weights(sample_weight, x.shape[0], sw_arg, where)
                y = multi_output.Weighted(y, sw)
            return x, y
        xs, x_args = structured.flat_arrays(x, in_names, "input", x_arg, where)
        ys, y_args = structured.flat_arrays(y, out_names, "output", y_arg, where)
        n = structured.same_lengths([*xs, *ys], [*x_args, *y_args], where)
        out_shapes = self.check_inputs(xs, x_args, where)
        ys = [
            target_matches(t, s, a, where) for t, s, a in zip(ys, out_shapes, y_args, strict=True)
        ]
        x_out = xs[0] if len(xs) == 1 else xs
        y_out = ys if multi_out else ys[0]  # a list in output order for the OutputSpec
        if isinstance(sample_weight, dict | list | tuple) and multi_out and len(ys) > 1:
            # one array per output, as Keras takes them: a list or a dict keyed by name
            sws, sw_args = structured.flat_arrays(sample_weight, out_names, "output", sw_arg, where)
            sws = [
                structured.sample_weights(w, n, a, where) for w, a in zip(sws, sw_args, strict=True)
            ]
            y_out = multi_output.Weighted(y_out, sws)
        elif sample_weight is not None:
            y_out = multi_output.Weighted(
                y_out, structured.sample_weights(sample_weight, n, sw_arg, where)
            )
        return x_out, y_out

    def _prepare_source(self, source: Source, y: Any, where: str, arg: str = "x") -> Source:
        """Check a :class:`~rnnlab.training.sources.Source`'s sample shapes against the
        model (building it on first use), before anything is compiled."""
        kind = type(source).__name__
        if y is not None:
            raise ValueError(
                f"{where}: y must be None when {arg} is a data source ({kind}), which "
                f"yields its own targets; got y of type {type(y).__name__}"
            )
        n = len(source)
        if n < 1:
            raise ValueError(f"{where}: {arg} ({kind}) has no samples")
        in_names = getattr(self, "input_names", None)
        if in_names is not None and (
            len(in_names) > 1 or getattr(self, "structured_outputs", False)
        ):
            return self._prepare_structured_source(source, n, where, arg)
        x_shape, y_shape = (tuple(s) for s in source.sample_shapes)
        # Zero-stride stand-ins: the shape checks of arrays, with no memory.
        out_shape = self.check_x(np.broadcast_to(np.float32(0), (n, *x_shape)), arg, where)
        y_like = np.broadcast_to(np.float32(0), (n, *y_shape))
        if target_matches(y_like, out_shape, f"the targets of {arg}", where).shape != y_like.shape:
            raise ValueError(
                f"{where}: the targets of {arg} ({kind}) have shape (n, "
                f"{', '.join(map(str, y_shape))}), but the model outputs {out_shape}; a source's "
                "targets must match the model's output shape exactly"
            )
        return source

    def _prepare_structured_source(self, source: Source, n: int, where: str, arg: str) -> Source:
        """A source for a model of several inputs or outputs: ``sample_shapes`` is
        ``(input shapes, target shapes)``, each a list in the model's input / output order
        (one shape alone for one), as its ``take`` must return the batch."""
        kind = type(source).__name__
        in_names, out_names = self.input_names, self.target_names
        x_shapes, y_shapes = source.sample_shapes

        def shape_list(shapes: Any, names: list[str], what: str) -> list[tuple[int, ...]]:
            one = isinstance(shapes, tuple | list) and all(isinstance(d, int) for d in shapes)
            listed = [tuple(shapes)] if one else [tuple(s) for s in shapes]
            if len(listed) != len(names):
                raise ValueError(
                    f"{where}: {arg} ({kind}) gives {len(listed)} {what} shapes in "
                    f"sample_shapes, but the model has {len(names)} {what}s {names}; give one "
                    f"shape per {what}, in that order"
                )
            return listed

        xs = [
            np.broadcast_to(np.float32(0), (n, *s)) for s in shape_list(x_shapes, in_names, "input")
        ]
        x_args = [f"the input {name!r} of {arg}" for name in in_names]
        out_shapes = self.check_inputs(xs, x_args, where)
        for name, want, got in zip(
            out_names, out_shapes, shape_list(y_shapes, out_names, "output"), strict=True
        ):
            y_like = np.broadcast_to(np.float32(0), (n, *got))
            what = f"the targets of {arg} for the output {name!r}"
            if target_matches(y_like, want, what, where).shape != y_like.shape:
                raise ValueError(
                    f"{where}: {what} ({kind}) have shape (n, {', '.join(map(str, got))}), "
                    f"but that output is {want}; a source's targets must match exactly"
                )
        return source

    def _validation(self, validation_data: Any, x: Any, where: str) -> Any:
        """Checked ``validation_data``: a pair of arrays, or a source gathered like ``x``."""
        if is_source(x) or is_source(validation_data):
            if not (is_source(x) and is_source(validation_data)) or (
                validation_data.take != x.take
            ):
                raise ValueError(
                    f"{where}: validation_data must be of the same kind as x (both arrays, or "
                    f"sources that gather alike), got x: {type(x).__name__}, validation_data: "
                    f"{type(validation_data).__name__}"
                )
            return self._prepare_source(validation_data, None, where, "validation_data")
        if not isinstance(validation_data, tuple | list) or len(validation_data) not in (2, 3):
            raise ValueError(
                f"{where}: validation_data must be a tuple (x_val, y_val) or "
                "(x_val, y_val, val_sample_weight)"
            )
        sw = validation_data[2] if len(validation_data) == 3 else None
        return self._prepare_xy(
            validation_data[0], validation_data[1], where, "validation_data[0]",
            "validation_data[1]", sw, "validation_data[2]",
        )  # fmt: skip

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
        sample_weight: Any = None,
    ) -> History:
        """Train for ``epochs`` epochs; each epoch is one compiled call.

        Args:
            x: inputs ``(n, time, features)`` (or ``(n, features)`` for Dense models),
                or a :class:`~rnnlab.training.sources.Source` that cuts each batch
                of inputs and targets out of compact data inside the compiled epoch.
                A model of several inputs: a list in input order or a dict keyed by
                input name.
            y: targets ``(n, outputs)`` matching the model's output shape (``None``
                when ``x`` is a source); several outputs: a list or a dict keyed by
                output name.
            batch_size: samples per gradient step (32 when ``None``); the last
                partial batch is trained on.
            epochs: index of the last epoch (Keras semantics with ``initial_epoch``).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch (``"auto"`` = 1).
            callbacks: :class:`rnnlab.callbacks.Callback` objects.
            validation_split: fraction of the data, taken from the end before
                shuffling, held out for validation.
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight)``
                (or a source, when ``x`` is one), evaluated after every epoch.
            shuffle: reshuffle the training samples every epoch.
            initial_epoch: epoch to start from (for resuming).
            sample_weight: ``(n,)`` weights of the samples in the loss (Keras's rule:
                a batch's loss is ``Σ w·loss / batch size``; metrics are not weighted);
                several outputs: one array for all, or a list / dict of one per output.

        Returns:
            :class:`History` with ``loss``, ``val_loss`` and metrics per epoch.

        Raises:
            FloatingPointError: the loss became NaN or infinite; the model keeps
                the last finite weights.
        """
        plan = self.fit_plan(
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
            sample_weight,
        )
        return self.fit_with_plan(plan, self.next_key())

    def fit_plan(
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
        sample_weight: Any = None,
    ) -> FitPlan:
        """Check every argument of ``fit`` and convert the data; nothing is trained yet.

        Returns the :class:`~rnnlab.training.trainer.FitPlan` that :meth:`fit_with_plan` runs
        (what :func:`rnnlab.parallel.fit_many` checks before any training starts).
        """
        self.require_trainer("fit")
        where = "fit"
        batch_size = positive_int(32 if batch_size is None else batch_size, "batch_size", where)
        epochs = positive_int(epochs, "epochs", where)
        verbose = 1 if verbose == "auto" else verbose
        if verbose not in (0, 1, 2):
            raise ValueError(f"fit: verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split!r}")
        if is_source(x):
            if sample_weight is not None:
                raise ValueError(
                    f"fit: sample_weight needs arrays; a data source ({type(x).__name__}) "
                    "yields its own samples"
                )
            x = self._prepare_source(x, y, where)
            if validation_split > 0:
                raise ValueError(
                    f"fit: validation_split needs arrays; with a data source "
                    f"({type(x).__name__}) pass validation_data as a source"
                )
        else:
            x, y = self._prepare_xy(x, y, where, sample_weight=sample_weight)
        if validation_data is None and validation_split > 0:
            n = int(structured.first_leaf(x).shape[0])
            n_val = int(n * validation_split)
            if n_val < 1 or n_val >= n:
                raise ValueError(
                    f"fit: validation_split={validation_split} leaves {n_val} validation "
                    f"sample(s) out of {n}; choose a split that keeps both sets non-empty"
                )
            # Cut every array (inputs, targets, sample weights) at the same row; the
            # validation part is already checked.
            val = (
                structured.rows(x, slice(n - n_val, None)),
                structured.rows(y, slice(n - n_val, None)),
            )
            x, y = structured.rows(x, slice(0, n - n_val)), structured.rows(y, slice(0, n - n_val))
        else:
            val = None if validation_data is None else self._validation(validation_data, x, where)

        return FitPlan(
            x, y, val, batch_size, epochs, verbose, list(callbacks or []), shuffle, initial_epoch
        )

    def fit_with_plan(self, plan: FitPlan, fit_key: jax.Array) -> History:
        """Train as ``plan`` says, drawing sample orders and dropout keys from ``fit_key``."""
        history = self.require_trainer("fit").fit(self, plan, fit_key)
        self.history = history
        return history

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: int = 0,
        sample_weight: Any = None,
        return_dict: bool = False,
    ) -> float | list[float] | dict[str, float]:
        """Loss (and metrics) on ``(x, y)`` (or the source ``x``), averaged over samples.

        Returns the loss as a float, or ``[loss, *metrics]`` (:attr:`metrics_names`'
        order) when metrics were compiled or the model has several outputs; with
        ``return_dict=True`` a dict of them (keys sorted, as Keras's, for several
        outputs). ``batch_size`` only sets how many samples go through one compiled pass.
        ``x``/``y``/``sample_weight`` as for :meth:`fit`.

        Example:
            >>> from rnnlab.layers import Dense
            >>> from rnnlab.models import Sequential
            >>> m = Sequential([Dense(1, input_shape=(2,))]); m.compile("sgd", "mse")
            >>> isinstance(m.evaluate(np.ones((4, 2)), np.ones((4, 1))), float)
            True
        """
        trainer = self.require_trainer("evaluate")
        if batch_size is not None:
            positive_int(batch_size, "batch_size", "evaluate")
        if is_source(x):
            x = self._prepare_source(x, y, "evaluate")
        else:
            x, y = self._prepare_xy(x, y, "evaluate", sample_weight=sample_weight)
        values = trainer.evaluate(self.params, x, y, batch_size)
        names = self.metrics_names
        if verbose:
            print(" - ".join(f"{n}: {v:.4f}" for n, v in zip(names, values, strict=True)))
        if return_dict:
            pairs = list(zip(names, values, strict=True))
            return dict(sorted(pairs) if trainer.sorted_logs else pairs)
        return values if trainer.metric_names else values[0]
