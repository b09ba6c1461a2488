"""Core layers without recurrence: Input, Flatten, Reshape, Activation, RepeatVector, Dropout.

All keep Keras's names, arguments and output shapes. None of them has weights.

Example:
    >>> import rnnlab as keras
    >>> from rnnlab.layers import Input, SimpleRNN, RepeatVector, Dropout
    >>> model = keras.Sequential([Input(shape=(None, 1)), SimpleRNN(20), Dropout(0.2),
    ...                           RepeatVector(3)])
    >>> model.output_shape
    (None, 3, 20)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnnlab import activations
from rnnlab.layers.base import Layer, Params, Shape, format_shape
from rnnlab.layers.symbolic import KerasTensor, Node
from rnnlab.validation import is_int, positive_int, sample_shape
from rnnlab.validation import rate as validated_rate

__all__ = ["Activation", "Dropout", "Flatten", "Input", "InputLayer", "RepeatVector", "Reshape"]


class InputLayer(Layer):
    """Declares the shape of one sample; the identity on values.

    ``Sequential.add`` reads the shape from it and does not keep it as a layer
    (``is_input_layer``), as Keras does. Give exactly one of ``shape`` (Keras 3),
    ``input_shape`` (tf.keras 2) or ``batch_shape`` (batch axis included).

    Args:
        input_shape: shape of one sample without the batch axis, e.g. ``(None, 1)``.
        shape: the same, under Keras 3's name.
        name: layer name (``input_layer`` by default).
        batch_shape: shape with the batch axis, e.g. ``(None, None, 1)``.

    Shapes: ``(batch, *shape)`` → ``(batch, *shape)``.

    Example:
        >>> from rnnlab.models import Sequential
        >>> from rnnlab.layers import SimpleRNN
        >>> Sequential([InputLayer(shape=(None, 1)), SimpleRNN(20)]).count_params()
        440
    """

    is_input_layer = True
    supports_masking = True

    def __init__(
        self,
        input_shape: Any = None,
        shape: Any = None,
        name: str | None = None,
        batch_shape: Any = None,
        batch_size: int | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        given = {
            k: v
            for k, v in (
                ("shape", shape),
                ("input_shape", input_shape),
                ("batch_shape", batch_shape),
                ("batch_input_shape", batch_input_shape),
            )
            if v is not None
        }
        super().__init__(name=name, **kwargs)
        owner = self.describe()
        if len(given) != 1:
            what = f"got {', '.join(sorted(given))}" if given else "got none"
            raise ValueError(
                f"{owner}: give exactly one of shape, input_shape or batch_shape "
                f"(e.g. shape=(None, 1)), {what}"
            )
        ((arg, value),) = given.items()
        if arg in ("batch_shape", "batch_input_shape"):
            if not isinstance(value, Sequence) or isinstance(value, str) or len(value) < 1:
                raise TypeError(
                    f"{owner}: {arg} must be a tuple with the batch axis first, "
                    f"e.g. (None, None, 1), got {value!r}"
                )
            value = tuple(value)[1:]
        self.input_shape_arg = sample_shape(value, arg, owner)
        self.batch_size = (
            None if batch_size is None else positive_int(batch_size, "batch_size", owner)
        )
        self.input_shape = self.output_shape = self.input_shape_arg
        self.dtype = "float32" if dtype is None else str(dtype)
        self.params = {}  # no weights: built as declared
        node = Node(self, ())
        node.outputs = [KerasTensor(self.input_shape_arg, self.dtype, node=node)]
        #: The symbolic tensor this input stands for in a functional model.
        self.output = node.outputs[0]

    def check_input_shape(self, shape: Shape) -> None:
        want = self.input_shape_arg
        ok = len(shape) == len(want) and all(
            w is None or g is None or w == g for w, g in zip(want[1:], shape[1:], strict=True)
        )
        if not ok:
            raise ValueError(
                f"{self.describe()}: declared input shape {format_shape(want)}, "
                f"got input of shape {format_shape(shape)}"
            )

    def build(self, input_shape: Shape) -> Shape:
        self.check_input_shape(input_shape)
        return tuple(input_shape)

    def apply(self, params: Params, x: jax.Array, *, training=False, key=None, mask=None):
        """Identity: returns ``x``."""
        return x


def Input(
    shape: Any = None,
    name: str | None = None,
    batch_size: int | None = None,
    dtype: Any = None,
    **kwargs: Any,
) -> KerasTensor:
    """Keras's ``Input``: a symbolic tensor for one input of shape ``(batch, *shape)``.

    Call layers on it to build a functional :class:`~rnnlab.models.Model`, or put it
    first in a :class:`~rnnlab.models.Sequential` to declare the input shape. Its
    :class:`InputLayer` is ``tensor.node.layer``.

    Example:
        >>> import rnnlab as keras
        >>> from rnnlab.layers import SimpleRNN
        >>> model = keras.Sequential([Input(shape=(None, 1)), SimpleRNN(20)])
        >>> model.input_shape, model.output_shape
        ((None, None, 1), (None, 20))
        >>> x = Input(shape=(None, 1)); x.shape
        (None, None, 1)
    """
    layer = InputLayer(shape=shape, name=name, batch_size=batch_size, dtype=dtype, **kwargs)
    return layer.output


class Flatten(Layer):
    """Flatten every axis but the batch axis.

    Shapes: ``(batch, d1, d2, ...)`` → ``(batch, d1*d2*...)`` (``None`` when an axis
    is unknown); ``(batch,)`` → ``(batch, 1)``. With ``data_format="channels_first"``
    the channels axis (1) is moved last before flattening, as Keras does.

    Example:
        >>> import numpy as np
        >>> Flatten()(np.ones((2, 3, 4), np.float32)).shape
        (2, 12)
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(
                f"{self.describe()}: data_format must be 'channels_last', 'channels_first' "
                f"or None, got {data_format!r}"
            )
        self.data_format = data_format or "channels_last"

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        rest = input_shape[1:]
        if any(d is None for d in rest):
            return (input_shape[0], None)
        return (input_shape[0], math.prod(rest))

    def apply(self, params: Params, x: jax.Array, *, training=False, key=None, mask=None):
        """``(batch, ...)`` → ``(batch, features)``."""
        if self.data_format == "channels_first" and x.ndim > 2:
            x = jnp.moveaxis(x, 1, -1)
        return x.reshape(x.shape[0], -1)


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (batch axis kept; one ``-1`` allowed).

    Shapes: ``(batch, ...)`` → ``(batch, *target_shape)``, the ``-1`` entry inferred
    from the size of a sample (``None`` when an input axis is unknown).

    Example:
        >>> import numpy as np
        >>> Reshape((-1, 2))(np.ones((3, 8), np.float32)).shape
        (3, 4, 2)
    """

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        owner = self.describe()
        if isinstance(target_shape, int | np.integer) and not isinstance(target_shape, bool):
            target_shape = (int(target_shape),)
        if not isinstance(target_shape, Sequence) or isinstance(target_shape, str):
            raise TypeError(
                f"{owner}: target_shape must be a tuple such as (10, 2), got {target_shape!r}"
            )
        dims = tuple(target_shape)
        for d in dims:
            if not is_int(d) or (d < 1 and d != -1):
                raise ValueError(
                    f"{owner}: target_shape entries must be positive integers or a single -1, "
                    f"got {dims!r}"
                )
        if sum(d == -1 for d in dims) > 1:
            raise ValueError(f"{owner}: target_shape may contain at most one -1, got {dims!r}")
        self.target_shape: tuple[int, ...] = tuple(int(d) for d in dims)

    def _resolve(self, shape: Shape) -> Shape:
        known = math.prod(d for d in self.target_shape if d != -1)
        rest = shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        if -1 not in self.target_shape:
            if size is not None and size != known:
                raise ValueError(
                    f"{self.describe()}: cannot reshape input of shape {format_shape(shape)} "
                    f"({size} values per sample) to target_shape {self.target_shape} "
                    f"({known} values)"
                )
            return self.target_shape
        if size is None:
            return tuple(None if d == -1 else d for d in self.target_shape)
        if size % known:
            raise ValueError(
                f"{self.describe()}: cannot reshape input of shape {format_shape(shape)} "
                f"({size} values per sample) to target_shape {self.target_shape}: "
                f"{size} is not a multiple of {known}"
            )
        return tuple(size // known if d == -1 else d for d in self.target_shape)

    def check_input_shape(self, shape: Shape) -> None:
        self._resolve(shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], *self._resolve(input_shape))

    def apply(self, params: Params, x: jax.Array, *, training=False, key=None, mask=None):
        """``(batch, ...)`` → ``(batch, *target_shape)``."""
        return x.reshape((x.shape[0], *self.target_shape))


class Activation(Layer):
    """Apply an activation function elementwise (a name such as ``"relu"`` or a callable).

    Shapes: unchanged. Masks pass through.

    Example:
        >>> import numpy as np
        >>> Activation("relu")(np.array([[-1.0, 2.0]], np.float32)).tolist()
        [[0.0, 2.0]]
    """

    supports_masking = True

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation, owner=self.describe())

    def apply(self, params: Params, x: jax.Array, *, training=False, key=None, mask=None):
        """``activation(x)``, same shape."""
        return self.activation(x)


class RepeatVector(Layer):
    """Repeat the input ``n`` times along a new time axis.

    Shapes: ``(batch, features)`` → ``(batch, n, features)``.

    Example:
        >>> import numpy as np
        >>> RepeatVector(3)(np.ones((2, 5), np.float32)).shape
        (2, 3, 5)
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n = positive_int(n, "n", self.describe())

    def check_input_shape(self, shape: Shape) -> None:
        self._expect_ndim(shape, 2, "(batch, features)")

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], self.n, input_shape[1])

    def apply(self, params: Params, x: jax.Array, *, training=False, key=None, mask=None):
        """``(batch, features)`` → ``(batch, n, features)``."""
        return jnp.broadcast_to(x[:, None, :], (x.shape[0], self.n, x.shape[1]))


class Dropout(Layer):
    """Inverted dropout: in training, zero a fraction ``rate`` of the inputs and scale
    the rest by ``1 / (1 - rate)``; the identity in inference (predict, evaluate).

    Args:
        rate: fraction of the inputs to drop, in ``[0, 1)``.
        noise_shape: shape of the keep mask, broadcast over the input; ``None``
            entries take the input's size, e.g. ``(None, 1, None)`` drops the same
            features at every time step.
        seed: integer folded into the training key, so two Dropout layers with
            different seeds draw different masks; reproducibility of a whole run
            comes from :func:`rnnlab.utils.set_random_seed` (or the model's seed).

    Shapes: unchanged. Masks pass through. The training key comes from ``fit``;
    without a key the layer is the identity.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> d = Dropout(0.5)
        >>> y = d.apply({}, jnp.ones((2, 4)), training=True, key=jax.random.key(0))
        >>> sorted(set(y.ravel().tolist())) in ([0.0, 2.0], [2.0], [0.0])
        True
    """

    supports_masking = True

    def __init__(
        self,
        rate: float,
        noise_shape: Sequence[int | None] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = self.describe()
        self.rate = validated_rate(rate, "rate", owner)
        if noise_shape is not None:
            if not isinstance(noise_shape, Sequence) or isinstance(noise_shape, str):
                raise TypeError(
                    f"{owner}: noise_shape must be a tuple such as (None, 1, None), "
                    f"got {noise_shape!r}"
                )
            for d in noise_shape:
                if d is not None and (not is_int(d) or d < 1):
                    raise ValueError(
                        f"{owner}: noise_shape entries must be positive integers or None, "
                        f"got {tuple(noise_shape)!r}"
                    )
            noise_shape = tuple(None if d is None else int(d) for d in noise_shape)
        self.noise_shape: tuple[int | None, ...] | None = noise_shape
        if seed is not None and not is_int(seed):
            raise TypeError(f"{owner}: seed must be an integer or None, got {seed!r}")
        self.seed = None if seed is None else int(seed)

    def check_input_shape(self, shape: Shape) -> None:
        if self.noise_shape is None:
            return
        if len(self.noise_shape) != len(shape):
            raise ValueError(
                f"{self.describe()}: noise_shape {self.noise_shape} has {len(self.noise_shape)} "
                f"axes, the input {format_shape(shape)} has {len(shape)}"
            )
        for n, d in zip(self.noise_shape, shape, strict=True):
            if n is not None and n != 1 and d is not None and n != d:
                raise ValueError(
                    f"{self.describe()}: noise_shape {self.noise_shape} does not broadcast "
                    f"to the input shape {format_shape(shape)}; use 1 or None on each axis"
                )

    def apply(self, params: Params, x: jax.Array, *, training=False, key=None, mask=None):
        """Same shape as ``x``; random only when ``training`` and a ``key`` is given."""
        if not training or key is None or self.rate == 0.0:
            return x
        if self.seed is not None:
            key = jax.random.fold_in(key, self.seed)
        shape = x.shape
        if self.noise_shape is not None:
            shape = tuple(
                d if n is None else n for n, d in zip(self.noise_shape, x.shape, strict=True)
            )
        keep = jax.random.bernoulli(key, 1.0 - self.rate, shape)
        return jnp.where(keep, x / (1.0 - self.rate), jnp.zeros((), x.dtype))
