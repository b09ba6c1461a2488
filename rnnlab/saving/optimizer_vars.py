"""An Optax optimizer state as Keras 3's optimizer variables, and back.

Keras saves an optimizer as ``optimizer/vars/<i>``: ``0`` iterations (int32),
``1`` the learning rate (float32), then the slots of every trainable variable
(in the model's order) as the table below says. rnnlab's optimizers are Optax
transformations under ``optax.inject_hyperparams`` (possibly inside the trainer's
``optax.multi_transform`` when weights are frozen); this module finds their slot
leaves by field name and parameter path, whatever the nesting.

======================  =================================  ==================================
Keras (h5 ``name``)     slots after ``learning_rate``      Optax leaf  <-  Keras value
======================  =================================  ==================================
Adam (``adam``)         m0 v0 m1 v1 ...; amsgrad: v̂0 ...   mu = m, nu = v,
                                                           nu_max = v̂ / (1 - β₂^(t+1))
AdamW (``adam_w``)      as Adam                            as Adam
Adamax (``adamax``)     m0 u0 m1 u1 ...                    mu = m, nu = u + ε
Nadam (``nadam``)       m0 v0 m1 v1 ... u_product          mu = m, nu = v (u_product dropped)
SGD (``sgd``)           momentum: m0 m1 ...                trace = -m / lr
RMSprop (``rm_sprop``)  v0 ...; momentum: M0 ...;          nu = v, trace = -M, mu = average
                        centered: average0 ...
Adagrad (``adagrad``)   accumulator0 ...                   sum_of_squares = accumulator
======================  =================================  ==================================

``t`` is ``iterations``; every ``count`` leaf is set to it. The conversions are chosen
so that the *next* step after loading is Keras's step wherever the two update rules
agree (amsgrad: Keras keeps the max of raw ``v``, Optax of bias-corrected ``v``;
dividing by the next step's correction makes the next maximum identical). Where the
rules themselves differ (Adam's ε placement, Adamax's ε inside the max, Nadam's
momentum schedule), see ``docs/keras-format.md`` section 7.

A conversion may not round-trip bit for bit in float32 (``-m / lr``, ...); the
writer then also stores the exact Optax value (see ``exact_indices``), and the
reader uses it only when it converts to the very Keras value in the file.

Example:
    >>> from rnnlab.optimizers import Adam
    >>> layout = keras_layout(Adam(amsgrad=True), 2)
    >>> layout.name, [s.field for s in layout.slots]
    ('adam', ['mu', 'nu', 'mu', 'nu', 'nu_max', 'nu_max'])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from rnnlab import optimizers as opt_lib

__all__ = ["KerasLayout", "Slot", "keras_layout", "optax_leaves", "to_keras", "to_optax"]

Convert = Callable[[np.ndarray, "Context"], np.ndarray]


@dataclasses.dataclass(frozen=True)
class Context:
    """What a conversion may depend on: the step count, rate and the optimizer's config."""

    iterations: int
    learning_rate: float
    optimizer: Any


@dataclasses.dataclass(frozen=True)
class Slot:
    """One Keras slot variable: the Optax ``field`` of trainable variable ``var`` (index)."""

    field: str
    var: int


@dataclasses.dataclass(frozen=True)
class KerasLayout:
    """Keras's optimizer variables for one optimizer and ``n`` trainable variables."""

    name: str
    slots: tuple[Slot, ...]
    #: Scalars after the slots that Optax has no counterpart for (Nadam's ``u_product``).
    trailing: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        """Number of ``optimizer/vars`` datasets: iterations, learning rate, slots, trailing."""
        return 2 + len(self.slots) + len(self.trailing)


def _blocks(blocks: list[list[str]], n: int) -> tuple[Slot, ...]:
    # A block of several names is interleaved per variable (add_optimizer_variables).
    return tuple(Slot(f, i) for block in blocks for i in range(n) for f in block)


def keras_layout(optimizer: Any, n: int) -> KerasLayout | None:
    """Keras's optimizer variables for ``optimizer`` over ``n`` trainable variables,
    or ``None`` when it has no Keras counterpart (a plain Optax transformation).

    Example:
        >>> from rnnlab.optimizers import RMSprop
        >>> [s.field for s in keras_layout(RMSprop(momentum=0.9, centered=True), 1).slots]
        ['nu', 'trace', 'mu']
    """
    o = opt_lib
    kind = type(optimizer)
    if kind is o.AdamW:  # rnnlab's AdamW has no amsgrad variant (optax.adamw)
        return KerasLayout("adam_w", _blocks([["mu", "nu"]], n))
    if kind is o.Adam:
        blocks = [["mu", "nu"]] + ([["nu_max"]] if optimizer.amsgrad else [])
        return KerasLayout("adam", _blocks(blocks, n))
    if kind is o.Adamax:
        return KerasLayout("adamax", _blocks([["mu", "nu"]], n))
    if kind is o.Nadam:
        return KerasLayout("nadam", _blocks([["mu", "nu"]], n), ("u_product",))
    if kind is o.SGD:
        return KerasLayout("sgd", _blocks([["trace"]] if optimizer.momentum else [], n))
    if kind is o.RMSprop:
        blocks = [["nu"]]
        blocks += [["trace"]] if optimizer.momentum else []
        blocks += [["mu"]] if optimizer.centered else []
        return KerasLayout("rm_sprop", _blocks(blocks, n))
    if kind is o.Adagrad:
        return KerasLayout("adagrad", _blocks([["sum_of_squares"]], n))
    return None


# -- conversions: (Optax -> Keras, Keras -> Optax), computed in float64 ---------------------


def _amsgrad_factor(c: Context) -> np.float64:
    return np.float64(np.float32(1.0 - c.optimizer.beta_2 ** (c.iterations + 1)))


_CONVERSIONS: dict[tuple[str, str], tuple[Convert, Convert]] = {
    ("SGD", "trace"): (
        lambda v, c: -v * np.float64(c.learning_rate),
        lambda v, c: -v / np.float64(c.learning_rate),
    ),
    ("RMSprop", "trace"): (lambda v, c: -v, lambda v, c: -v),
    ("Adam", "nu_max"): (
        lambda v, c: v * _amsgrad_factor(c),
        lambda v, c: v / _amsgrad_factor(c),
    ),
    ("Adamax", "nu"): (
        lambda v, c: np.maximum(v - np.float64(np.float32(c.optimizer.epsilon)), 0.0),
        lambda v, c: v + np.float64(np.float32(c.optimizer.epsilon)),
    ),
}


def _conversion(optimizer: Any, field: str) -> tuple[Convert, Convert] | None:
    kind = "Adam" if isinstance(optimizer, opt_lib.Adam) and field == "nu_max" else None
    kind = kind or type(optimizer).__name__
    return _CONVERSIONS.get((kind, field))


def to_keras(optimizer: Any, field: str, value: Any, ctx: Context) -> np.ndarray:
    """An Optax slot value as the Keras slot value (float32).

    Example:
        >>> from rnnlab.optimizers import SGD
        >>> ctx = Context(3, 0.5, SGD(0.5, momentum=0.9))
        >>> to_keras(ctx.optimizer, "trace", np.float32([2.0]), ctx).tolist()
        [-1.0]
    """
    value = np.asarray(value)
    conv = _conversion(optimizer, field)
    if conv is None:
        return value.astype(np.float32)
    return np.asarray(conv[0](value.astype(np.float64), ctx), np.float32)


def to_optax(optimizer: Any, field: str, value: Any, ctx: Context) -> np.ndarray:
    """A Keras slot value as the Optax slot value (float32); inverse of :func:`to_keras`.

    Example:
        >>> from rnnlab.optimizers import SGD
        >>> ctx = Context(3, 0.5, SGD(0.5, momentum=0.9))
        >>> to_optax(ctx.optimizer, "trace", np.float32([-1.0]), ctx).tolist()
        [2.0]
    """
    value = np.asarray(value)
    conv = _conversion(optimizer, field)
    if conv is None:
        return value.astype(np.float32)
    return np.asarray(conv[1](value.astype(np.float64), ctx), np.float32)


def u_product(optimizer: Any, iterations: int) -> np.ndarray:
    """Keras Nadam's ``u_product`` after ``iterations`` steps, computed as Keras does (float32).

    Example:
        >>> from rnnlab.optimizers import Nadam
        >>> float(u_product(Nadam(), 2))  # doctest: +ELLIPSIS
        0.2271...
    """
    value = np.float32(1.0)
    beta_1 = np.float32(optimizer.beta_1)
    for step in range(1, iterations + 1):
        decay = np.power(np.float32(0.96), np.float32(step))
        value = value * beta_1 * (np.float32(1.0) - np.float32(0.5) * decay)
    return np.asarray(value, np.float32)


# -- finding the leaves of an Optax state ------------------------------------------------


@dataclasses.dataclass
class OptaxLeaves:
    """Where each kind of leaf of a flattened Optax state is (indices into ``leaves``)."""

    leaves: list[Any]
    treedef: Any
    counts: list[int]
    rates: list[int]
    slots: dict[tuple[str, tuple[str, ...]], int]


def optax_leaves(state: Any) -> OptaxLeaves:
    """Classify the leaves of an Optax state (or its ``jax.eval_shape`` template).

    ``count`` fields are step counts, ``hyperparams['learning_rate']`` the rate, and
    every other leaf is a slot keyed by ``(field, parameter path)``.

    Example:
        >>> import jax.numpy as jnp
        >>> from rnnlab.optimizers import Adam
        >>> found = optax_leaves(Adam().transform.init({"d": {"k": jnp.zeros(2)}}))
        >>> sorted(found.slots), len(found.counts), len(found.rates)
        ([('mu', ('d', 'k')), ('nu', ('d', 'k'))], 2, 1)
    """
    flat, treedef = jax.tree_util.tree_flatten_with_path(state)
    out = OptaxLeaves([leaf for _, leaf in flat], treedef, [], [], {})
    for index, (path, _) in enumerate(flat):
        attrs = [i for i, k in enumerate(path) if isinstance(k, jax.tree_util.GetAttrKey)]
        if not attrs:
            raise ValueError(f"optimizer state: unexpected leaf at {jax.tree_util.keystr(path)}")
        field = path[attrs[-1]].name
        rest = path[attrs[-1] + 1 :]
        if field == "count" and not rest:
            out.counts.append(index)
        elif field == "hyperparams" and len(rest) == 1 and rest[0].key == "learning_rate":
            out.rates.append(index)
        elif rest and all(isinstance(k, jax.tree_util.DictKey) for k in rest):
            key = (field, tuple(str(k.key) for k in rest))
            if key in out.slots:
                raise ValueError(f"optimizer state: two leaves for {field} of {key[1]}")
            out.slots[key] = index
        else:
            raise ValueError(
                f"optimizer state: leaf at {jax.tree_util.keystr(path)} has no Keras "
                "counterpart (only Optax's count, learning_rate and per-weight slots map)"
            )
    return out
