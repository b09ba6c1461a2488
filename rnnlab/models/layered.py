"""What every rnnlab model built from layers shares: its weights as one pytree, its key
stream, Keras's weight accessors and files.

:class:`LayeredModel` is the base of :class:`~rnnlab.models.Sequential` (a stack) and
:class:`~rnnlab.models.Model` (a functional graph): both hold ``layers`` (each owning its
weights), ``_built`` and ``_keys``, and define the forward pass; everything here reads
only those. The training face (compile / fit / evaluate / predict) comes from
:class:`~rnnlab.models.engine.TrainingMixin`.

Example:
    >>> from rnnlab.models import Sequential
    >>> from rnnlab.layers import Dense
    >>> m = Sequential([Dense(2, input_shape=(3,), name="d")])
    >>> sorted(m.params["d"]), m.count_params(), [w.shape for w in m.get_weights()]
    (['bias', 'kernel'], 8, [(3, 2), (2,)])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from rnnlab.layers.base import Layer
from rnnlab.models.engine import TrainingMixin
from rnnlab.utils import KeyStream, next_key

__all__ = ["LayeredModel"]


class LayeredModel(TrainingMixin):
    """Shared methods of models made of layers (see the module docs). Subclasses set
    ``name``, ``layers``, ``_built`` and ``_keys``."""

    name: str
    layers: list[Layer]
    _built: bool
    _keys: KeyStream | None

    # -- weights ------------------------------------------------------------------------
    @property
    def params(self) -> dict[str, Any] | None:
        """``{layer_name: {weight_name: array}}``, read from the layers; ``None`` until built."""
        if not self._built:
            return None
        return {layer.name: layer.params for layer in self.layers}

    @params.setter
    def params(self, value: dict[str, Any]) -> None:
        self.built_params("params")
        names = [layer.name for layer in self.layers]
        if not isinstance(value, dict) or sorted(value) != sorted(names):
            got = sorted(value) if isinstance(value, dict) else type(value).__name__
            raise ValueError(f"params: expected a dict with the layers {names}, got {got}")
        for layer in self.layers:
            layer.params = value[layer.name]

    def built_params(self, what: str) -> dict[str, Any]:
        """:attr:`params`, or a clear error naming ``what`` when the model is not built."""
        if not self._built:
            raise ValueError(
                f"{what}: model {self.name!r} is not built yet; give the first layer an "
                "input_shape, e.g. SimpleRNN(20, input_shape=(None, 1)), or call fit/predict first"
            )
        return self.params

    @property
    def key_stream(self) -> KeyStream | None:
        """This model's own :class:`~rnnlab.utils.KeyStream` (from ``seed``), or ``None`` when
        its keys come from the global stream; assign one to give the model its own."""
        return self._keys

    @key_stream.setter
    def key_stream(self, stream: KeyStream | None) -> None:
        self._keys = stream

    def next_key(self) -> jax.Array:
        """The next PRNG key of this model's stream (its ``seed``, else the global stream)."""
        return self._keys.next() if self._keys is not None else next_key()

    @property
    def built(self) -> bool:
        """Whether the parameters exist."""
        return self._built

    def trainable_labels(self) -> dict[str, dict[str, str]]:
        """``"train"`` or ``"freeze"`` for every weight, in the shape of :attr:`params`."""
        params = self.built_params("trainable_labels")
        frozen = not getattr(self, "trainable", True)
        labels: dict[str, Any] = {}
        for layer in self.layers:
            if hasattr(layer, "trainable_labels"):  # a model used as a layer
                labels[layer.name] = layer.trainable_labels()
            else:
                labels[layer.name] = {
                    name: "train"
                    if layer.trainable and name not in layer.non_trainable_names
                    else "freeze"
                    for name in params[layer.name]
                }
        if frozen:
            return jax.tree.map(lambda _: "freeze", labels)
        return labels

    def count_params(self) -> int:
        """Total number of scalar parameters."""
        self.built_params("count_params")
        return sum(layer.count_params() for layer in self.layers)

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
        self.built_params("get_weights")
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Replace all weights from a list in :meth:`get_weights` order.

        Every count and shape is checked before any layer changes.
        """
        self.params = self.params_with_weights(weights)

    def params_with_weights(self, weights: Sequence[Any]) -> dict[str, Any]:
        """A copy of :attr:`params` with ``weights`` (in :meth:`get_weights` order) in
        place; every count and shape checked first, nothing changed."""
        self.built_params("set_weights")
        weights = list(weights)
        counts = [len(layer.get_weights()) for layer in self.layers]
        if len(weights) != sum(counts):
            raise ValueError(f"set_weights: expected {sum(counts)} arrays, got {len(weights)}")
        new, start = {}, 0
        for layer, count in zip(self.layers, counts, strict=True):
            new[layer.name] = layer.params_with_weights(weights[start : start + count])
            start += count
        return new

    # -- files (rnnlab.saving) -----------------------------------------------------------
    def save(self, filepath: Any, overwrite: bool = True) -> None:
        """Write the whole model — config, weights, optimizer state — as Keras 3 does.

        ``.keras`` is Keras 3's zip format (readable by ``keras.models.load_model``);
        the file is replaced atomically, so a crash mid-write leaves the old one intact.

        Example:
            >>> from rnnlab.layers import Dense
            >>> from rnnlab.models import Sequential
            >>> m = Sequential([Dense(1, input_shape=(2,))])
            >>> m.save("/tmp/rnnlab-doctest.keras")  # doctest: +SKIP
        """
        from rnnlab import saving

        saving.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Write the weights only (``.weights.h5``, Keras 3's layout), atomically."""
        from rnnlab import saving

        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any) -> None:
        """Read weights from a ``.weights.h5`` (Keras 3), a ``.keras`` or a legacy ``.h5`` file.

        Every shape is checked before any weight changes; a mismatch names the first
        layer and the shapes that disagree.
        """
        from rnnlab import saving

        saving.load_weights(self, filepath)
