"""Rematerialization (gradient checkpointing) with Keras's names: ``RematScope`` and ``remat``.

Training a recurrent layer keeps a few arrays per time step for the backward pass,
so memory grows with the sequence length. Layers created inside a
:class:`RematScope` recompute instead of keeping: a recurrent layer keeps only its
state at the start of each of about √T segments of its T steps and recomputes one
segment at a time in the backward pass (memory ~√T instead of ~T steps, for about
one more forward pass of compute); any other layer keeps only its input
(``jax.checkpoint`` around its forward pass). Results and gradients are unchanged.

As in Keras, the scope is read when a layer is created, and applies when the model
trains.

Example:
    >>> import rnnlab as keras
    >>> with keras.RematScope(mode="full"):
    ...     model = keras.models.Sequential([
    ...         keras.layers.LSTM(20, input_shape=[None, 1]), keras.layers.Dense(1)])
    >>> model.layers[0].remat_mode.mode
    'full'
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax

MODES = ("full", "activations", "larger_than", "list_of_layers", None)

_local = threading.local()


class RematMode(NamedTuple):
    """The settings of the innermost :class:`RematScope` when a layer was created."""

    mode: str
    output_size_threshold: int
    layer_names: tuple[str, ...]


class RematScope:
    """Context manager: layers created inside it rematerialize in training.

    Args:
        mode: ``"full"`` (every layer), ``"larger_than"`` (layers whose output has
            more than ``output_size_threshold`` elements, axes of unknown size such
            as the batch and often the time axis counted as 1, as in Keras),
            ``"list_of_layers"`` (the layers named in ``layer_names``),
            ``"activations"`` (only the activation function of layers that have one,
            e.g. ``Dense(..., activation="relu")``; recurrent layers are left alone)
            or ``None`` (none; turns an outer scope off).
        output_size_threshold: element count for ``"larger_than"``, a positive integer.
        layer_names: layer names for ``"list_of_layers"``.

    Scopes nest; the innermost one counts. The scope belongs to the thread that
    entered it.

    Example:
        >>> from rnnlab.layers import GRU, Dense
        >>> with RematScope(mode="list_of_layers", layer_names=["gru_big"]):
        ...     big, small = GRU(64, name="gru_big"), GRU(8, name="gru_small")
        >>> big.remat_mode.layer_names, small.remat_mode.mode
        (('gru_big',), 'list_of_layers')
    """

    def __init__(
        self,
        mode: str | None = "full",
        output_size_threshold: int = 1024,
        layer_names: Sequence[str] | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(
                f"RematScope: mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}"
            )
        if (
            isinstance(output_size_threshold, bool)
            or not isinstance(output_size_threshold, int)
            or output_size_threshold < 1
        ):
            raise ValueError(
                "RematScope: output_size_threshold must be a positive integer, "
                f"got {output_size_threshold!r}"
            )
        names = () if layer_names is None else layer_names
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise TypeError(
                f"RematScope: layer_names must be a list of layer names, got {layer_names!r}"
            )
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = tuple(names)

    def __enter__(self) -> RematScope:
        _stack().append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _stack().remove(self)

    def __repr__(self) -> str:
        return (
            f"RematScope(mode={self.mode!r}, output_size_threshold="
            f"{self.output_size_threshold}, layer_names={list(self.layer_names)!r})"
        )


def _stack() -> list[RematScope]:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


def current_remat_mode() -> RematMode | None:
    """The innermost active scope's settings, or ``None`` outside any (or in ``mode=None``).

    Example:
        >>> current_remat_mode() is None
        True
    """
    stack = _stack()
    if not stack or stack[-1].mode is None:
        return None
    scope = stack[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def applies(mode: RematMode | None, name: str, output_shape: Sequence[int | None]) -> bool:
    """Whether a layer called ``name`` with ``output_shape`` rematerializes as a whole.

    (``"activations"`` is handled by the layer itself: it never applies to the whole layer.)

    Example:
        >>> applies(RematMode("larger_than", 100, ()), "dense", (None, 50, 3))
        True
    """
    if mode is None:
        return False
    if mode.mode == "full":
        return True
    if mode.mode == "list_of_layers":
        return name in mode.layer_names
    if mode.mode == "larger_than":
        size = math.prod(1 if d is None else d for d in output_shape)
        return size > mode.output_size_threshold
    return False


def remat(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` recomputed in the backward pass instead of keeping its intermediates.

    The same function of the same arguments (``jax.checkpoint``); only what the
    gradient keeps in memory changes.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> g = remat(lambda x: jnp.sin(jnp.sin(x)))
        >>> float(jax.grad(g)(0.0))
        1.0
    """
    return jax.checkpoint(f)


def segment_length(steps: int) -> int:
    """Steps per rematerialized segment of a ``steps``-long sequence: ⌈√steps⌉.

    Example:
        >>> segment_length(1000)
        32
    """
    return math.isqrt(max(steps, 1) - 1) + 1
