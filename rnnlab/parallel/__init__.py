"""Train several models at once.

* :func:`fit_many` runs several models' ``fit`` calls side by side in threads
  (:mod:`rnnlab.parallel.fit_many`): any models, one compiled program each.
* :class:`Ensemble` trains K replicas of one architecture, each from its own seed (and
  optionally its own learning rate), as **one** compiled program: their training
  states stacked on a leading axis and the compiled epoch ``jax.vmap``-ed over them
  (:mod:`rnnlab.parallel.ensemble`).

Example:
    >>> from rnnlab.parallel import Ensemble, FitJob, fit_many
"""

from rnnlab.parallel.ensemble import Ensemble
from rnnlab.parallel.ensemble_callbacks import EnsembleHistory
from rnnlab.parallel.fit_many import FitJob, default_workers, fit_many, usable_cores

__all__ = ["Ensemble", "EnsembleHistory", "FitJob", "default_workers", "fit_many", "usable_cores"]
