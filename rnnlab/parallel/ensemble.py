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

``fit`` and its loop are :mod:`rnnlab.parallel.ensemble_fit`'s (``Ensemble`` inherits
them), ``compile``'s optimizer checks :mod:`rnnlab.parallel.ensemble_optimizers`'s; the
helpers that moved there are re-exported here (the ``name as name`` imports).

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

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import jax
import numpy as np

from rnnlab import utils
from rnnlab.callbacks import History
from rnnlab.parallel import stacking
from rnnlab.parallel.ensemble_callbacks import EnsembleHistory
from rnnlab.parallel.ensemble_fit import EnsembleFit
from rnnlab.parallel.ensemble_fit import _masked_vmap as _masked_vmap
from rnnlab.parallel.ensemble_optimizers import _check_same_kind as _check_same_kind
from rnnlab.parallel.ensemble_optimizers import _fresh as _fresh
from rnnlab.parallel.ensemble_optimizers import replica_optimizers
from rnnlab.training import epoch as training
from rnnlab.validation import is_int

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


class Ensemble(EnsembleFit):
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
        return stacking.layer_names(self.models[i])

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
        opts = replica_optimizers(optimizer, learning_rate, len(self.models))
        for model, opt in zip(self.models, opts, strict=True):
            model.compile(optimizer=opt, loss=loss, loss_weights=loss_weights, metrics=metrics)
        self._compiled = True
        self._epoch_fn = self._epoch_key = None

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
