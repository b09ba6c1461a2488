"""The layer protocol: configuration and its own weights on the object, a pure forward pass.

A layer knows how to create its parameters (:meth:`Layer.init_params`, pure),
what shape it produces (:meth:`Layer.compute_output_shape`), how to check an
input shape (:meth:`Layer.check_input_shape`) and how to apply itself purely
(:meth:`Layer.apply`, over a params dict it is given). As in Keras, a built
layer owns its weights (:attr:`Layer.params`); a model's ``params`` pytree is
assembled from its layers and written back to them, and no layer knows which
model holds it. Shapes include the batch axis; ``None`` means unknown.

Example:
    >>> import jax, jax.numpy as jnp
    >>> from rnnlab.layers import Dense
    >>> layer = Dense(3)
    >>> params = layer.init_params(jax.random.key(0), (None, 4))
    >>> layer.apply(params, jnp.ones((2, 4))).shape
    (2, 3)
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from rnnlab.core.remat import applies, current_remat_mode, remat
from rnnlab.utils import next_key, unique_name
from rnnlab.validation import sample_shape

Shape = tuple[int | None, ...]
Params = dict[str, jax.Array]


def format_shape(shape: Shape) -> str:
    """``(None, None, 20)`` as Keras prints it."""
    return (
        "("
        + ", ".join("None" if d is None else str(d) for d in shape)
        + (",)" if len(shape) == 1 else ")")
    )


def adopt_input_shape(layer: Layer, kwargs: dict[str, Any]) -> None:
    """For wrappers: move ``layer``'s ``input_shape`` into the wrapper's ``kwargs``.

    Keras-style code sometimes gives the input shape to the wrapped layer
    (``TimeDistributed(Dense(2, input_shape=(3,)))``); the wrapper honours it.
    """
    if (
        layer.input_shape_arg is not None
        and kwargs.get("input_shape") is None
        and "batch_input_shape" not in kwargs
    ):
        kwargs["input_shape"] = layer.input_shape_arg[1:]


class Layer:
    """Base class of every layer.

    Args:
        name: unique name; Keras-style automatic name when ``None``.
        input_shape: shape of one sample, without the batch axis, e.g. ``(None, 1)``
            for sequences of any length with one feature. Only the first layer
            of a model needs it.
        trainable: whether :meth:`rnnlab.models.Sequential.fit` updates the weights.

    A layer created inside a :class:`rnnlab.RematScope` records its settings
    (``remat_mode``) and rematerializes when its model trains (:meth:`rematerialized`).
    """

    #: Keras order of the weights returned by ``get_weights``.
    weight_names: tuple[str, ...] = ()
    #: Weights updated by the forward pass rather than by gradients (e.g. moving averages).
    non_trainable_names: tuple[str, ...] = ()
    #: Whether :meth:`apply` uses a ``mask`` (layers that ignore it drop it, as in Keras).
    supports_masking: bool = False
    #: This layer's weights, ``{name: array}``, once built (``None`` before). Wrappers
    #: compose theirs from the layers they wrap.
    params: Params | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Keras-style subclasses (they define ``call``) get rnnlab's protocol mapped onto
        # them, and every own ``__call__`` defers to a custom layer's bound call in progress
        # (rnnlab.layers.custom).
        super().__init_subclass__(**kwargs)
        from rnnlab.layers import custom

        custom.prepare_subclass(cls)

    def add_weight(
        self,
        shape: Any = None,
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Keras's ``add_weight``, for Keras-style layers' ``build`` (or ``__init__``):
        declares a weight of ``shape`` and returns its :class:`~rnnlab.layers.binding.Variable`;
        its value is drawn from ``initializer`` (an rnnlab initializer name or function;
        ``"glorot_uniform"`` by default) when the layer's params are made. ``trainable=False``:
        gradients never update it. See :mod:`rnnlab.layers.custom`.

        Example:
            >>> class Bias(Layer):
            ...     def build(self, input_shape):
            ...         self.b = self.add_weight(shape=(input_shape[-1],), initializer="zeros")
            ...     def call(self, x):
            ...         return x + self.b
            >>> Bias()(np.ones((2, 3), np.float32)).shape
            (2, 3)
        """
        from rnnlab.layers.keras_layer import add_weight

        return add_weight(self, shape, initializer, dtype, trainable, name, **kwargs)

    def __new__(cls, *args: Any, **kwargs: Any) -> Layer:
        # Record the constructor's arguments (the outermost call's, before any
        # subclass rewrites them): :meth:`clone` builds a fresh layer from them.
        layer = super().__new__(cls)
        layer._init_args = (args, dict(kwargs))
        return layer

    def __init__(
        self, *, name: str | None = None, input_shape: Any = None, trainable: bool = True, **kwargs
    ) -> None:
        kwargs.pop("dtype", None)
        if "batch_input_shape" in kwargs:
            shape = kwargs.pop("batch_input_shape")
            input_shape = tuple(shape)[1:]
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")
        self.name = name or unique_name(type(self).__name__)
        self.input_shape_arg = (
            None
            if input_shape is None
            else sample_shape(input_shape, "input_shape", self.describe())
        )
        self.trainable = trainable
        self.input_shape: Shape | None = None
        self.output_shape: Shape | None = None
        self.remat_mode = current_remat_mode()

    def clone(self, **overrides: Any) -> Layer:
        """A fresh, unbuilt layer made with this layer's constructor arguments and ``overrides``.

        Example:
            >>> from rnnlab.layers import Dense
            >>> Dense(3, activation="relu", name="d").clone(name="d2").units
            3
        """
        args, kwargs = self._init_args
        return type(self)(*args, **{**kwargs, **overrides})

    @property
    def single_output_error(self) -> str | None:
        """Why this layer's output cannot flow on in a Sequential (several outputs), or None."""
        return None

    def get_config(self) -> dict[str, Any]:
        """This layer's constructor arguments by Keras's names, defaults filled in, with its
        ``name`` and ``trainable``: ``type(layer).from_config(layer.get_config())`` makes an
        equal, unbuilt layer. Values are as given (names, numbers, callables, layers).

        Example:
            >>> from rnnlab.layers import Dense
            >>> config = Dense(3, name="d").get_config()
            >>> config["units"], config["activation"], config["name"]
            (3, None, 'd')
        """
        args, kwargs = self._init_args
        signature = inspect.signature(type(self).__init__)
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        config: dict[str, Any] = {}
        for name, value in list(bound.arguments.items())[1:]:  # skip self
            if signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
                config.update(value)
            elif signature.parameters[name].kind is not inspect.Parameter.VAR_POSITIONAL:
                config[name] = value
        config["name"] = self.name
        config["trainable"] = self.trainable
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """A new, unbuilt layer from :meth:`get_config`'s dict (Keras's ``from_config``)."""
        return cls(**config)

    def weight_order(self, params: Params) -> tuple[str, ...]:
        """Names of ``params`` in Keras order (the order of :meth:`get_weights`)."""
        return tuple(n for n in self.weight_names if n in params)

    def describe(self) -> str:
        """``"SimpleRNN 'simple_rnn'"``, used to start error messages."""
        name = getattr(self, "name", None)
        return f"{type(self).__name__} '{name}'" if name else type(self).__name__

    # -- to be provided by subclasses -------------------------------------------------
    def check_input_shape(self, shape: Shape) -> None:
        """Raise ``ValueError`` if ``shape`` cannot be fed to this layer."""

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """Output shape for ``input_shape`` (both with the batch axis)."""
        return input_shape

    def init_params(self, key: jax.Array, input_shape: Shape) -> Params:
        """Fresh parameters for inputs of ``input_shape``."""
        return {}

    def apply(
        self,
        params: Params,
        x: jax.Array,
        *,
        training: bool = False,
        key: jax.Array | None = None,
        mask: jax.Array | None = None,
    ) -> jax.Array:
        """Pure forward pass. ``key`` drives dropout when ``training``; ``mask`` is
        ``(batch, time)``, True for the steps that count."""
        raise NotImplementedError

    def apply_train(
        self,
        params: Params,
        x: jax.Array,
        *,
        key: jax.Array | None = None,
        mask: jax.Array | None = None,
        sample_weight: jax.Array | None = None,
    ) -> tuple[jax.Array, Params]:
        """Training-mode forward pass returning ``(y, updates)``; ``updates`` holds new
        values of non-trainable weights. ``sample_weight`` ``(batch,)`` is 0 on padding rows."""
        return self.apply(params, x, training=True, key=key, mask=mask), {}

    def compute_mask(self, mask: jax.Array | None, x: jax.Array) -> jax.Array | None:
        """Mask of this layer's output, given its input mask (``(batch, time)`` or None)."""
        return mask if self.supports_masking else None

    # -- a call in a functional model (see rnnlab.layers.symbolic and rnnlab.models.graph) --
    #: Keyword arguments a functional call may pass (``layer(x, initial_state=...)``).
    node_kwargs: tuple[str, ...] = ("mask", "training")

    def node_output_shapes(self, input_shape: Any, kwargs: dict[str, Any]) -> list[Shape]:
        """Shapes of the outputs of a call on ``input_shape`` with ``kwargs`` (their
        tensors as shapes): one per output. A clear error for an argument this layer
        does not take."""
        from rnnlab.layers.symbolic import output_shapes

        unknown = sorted(set(kwargs) - set(self.node_kwargs))
        if unknown:
            raise TypeError(
                f"{self.describe()}: called with unexpected keyword argument "
                f"{unknown[0]!r}; it takes {', '.join(self.node_kwargs)}"
            )
        return output_shapes(self.compute_output_shape(input_shape))

    def node_apply(
        self,
        params: Params,
        x: Any,
        kwargs: dict[str, Any],
        *,
        training: bool,
        key: jax.Array | None,
        mask: Any,
        sample_weight: jax.Array | None,
    ) -> tuple[Any, Params]:
        """One call of this layer in a functional graph: ``(outputs, updates)``, the
        outputs as :meth:`node_output_shapes` lists them (one array, or a list).
        ``kwargs`` holds the call's keyword arguments with arrays in place of tensors."""
        if training:
            return self.rematerialized(self.apply_train)(
                params, x, key=key, mask=mask, sample_weight=sample_weight
            )
        return self.apply(params, x, training=False, mask=mask), {}

    def rematerialized(self, forward: Any) -> Any:
        """``forward`` (this layer's training pass) as the :class:`~rnnlab.RematScope`
        the layer was created in says: unchanged, recomputed in the backward pass as a
        whole (``jax.checkpoint``), or, in ``"activations"`` mode, with only its
        activation function recomputed. Recurrent layers override this: they
        rematerialize segment by segment of their time loop instead."""
        mode = self.remat_mode
        if mode is None:
            return forward
        if mode.mode == "activations":
            # the layer's own activation, or that of the layer a wrapper such as
            # TimeDistributed runs
            owner = self if hasattr(self, "activation") else getattr(self, "layer", None)
            activation = getattr(owner, "activation", None)
            if activation is None:
                return forward

            def with_remat_activation(*args: Any, **kwargs: Any) -> Any:
                owner.activation = remat(activation)
                try:
                    return forward(*args, **kwargs)
                finally:
                    owner.activation = activation

            return with_remat_activation
        return remat(forward) if self.remat_applies() else forward

    def remat_applies(self) -> bool:
        """Whether this layer's :class:`~rnnlab.RematScope` rematerializes it as a whole."""
        return applies(self.remat_mode, self.name, self.output_shape or ())

    # -- shared behaviour ---------------------------------------------------------------
    def build(self, input_shape: Shape) -> Shape:
        """Check ``input_shape``, record it, and return the output shape."""
        if self.__dict__.get("_keras_building"):
            return None  # super().build(shape) in a Keras-style build: Keras's base does nothing
        self.check_input_shape(input_shape)
        self.input_shape = tuple(input_shape)
        self.output_shape = self.compute_output_shape(self.input_shape)
        return self.output_shape

    def _expect_ndim(self, shape: Shape, ndim: int, what: str) -> None:
        if len(shape) != ndim:
            hint = ""
            if ndim == 3 and len(shape) == 2:
                hint = "; add a features axis, e.g. x[..., np.newaxis]"
            raise ValueError(
                f"{self.describe()}: expected input of shape {what} ({ndim}-D), "
                f"got a {len(shape)}-D input of shape {format_shape(shape)}{hint}"
            )

    def _expect_features(self, shape: Shape, axis_name: str = "features") -> None:
        if self.input_shape is not None and self.input_shape[-1] is not None:
            want = self.input_shape[-1]
            if shape[-1] != want:
                raise ValueError(
                    f"{self.describe()}: expected {want} {axis_name} on the last axis "
                    f"(input_shape {format_shape(self.input_shape)}), "
                    f"got input of shape {format_shape(shape)}"
                )

    def built_params(self) -> Params:
        """This layer's weights; a ``ValueError`` when it is not built yet."""
        if self.params is None:
            raise ValueError(f"{self.describe()} has no weights yet: it is not built")
        return self.params

    def get_weights(self) -> list[np.ndarray]:
        """Weights as NumPy arrays in Keras order (e.g. kernel, recurrent_kernel, bias)."""
        params = self.built_params()
        return [np.asarray(params[n]) for n in self.weight_order(params)]

    def params_with_weights(self, weights: Sequence[Any]) -> Params:
        """A copy of this layer's params with ``weights`` (in :meth:`get_weights` order)
        in place; checks the count and every shape first, changes nothing.

        Example:
            >>> from rnnlab.layers import Dense
            >>> d = Dense(1); _ = d(np.ones((1, 2), np.float32))
            >>> d.params_with_weights([np.ones((2, 1)), np.zeros(1)])["kernel"].tolist()
            [[1.0], [1.0]]
        """
        params = self.built_params()
        names = self.weight_order(params)
        weights = list(weights)
        if len(weights) != len(names):
            raise ValueError(
                f"set_weights: {self.describe()} expects {len(names)} weight arrays, "
                f"got {len(weights)}"
            )
        new = dict(params)
        for name, value in zip(names, weights, strict=True):
            value = np.asarray(value, np.float32)
            if value.shape != tuple(params[name].shape):
                raise ValueError(
                    f"set_weights: {self.name}/{name} must have shape "
                    f"{tuple(params[name].shape)}, got {value.shape}"
                )
            new[name] = jax.device_put(value)
        return new

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Replace this layer's weights from a list in :meth:`get_weights` order."""
        self.params = self.params_with_weights(weights)

    def count_params(self) -> int:
        """Number of scalar parameters (trainable and not)."""
        return sum(math.prod(np.shape(w)) for w in self.get_weights())

    def count_trainable_params(self) -> int:
        """Number of scalar parameters that gradients update."""
        if not self.trainable:
            return 0
        params = self.built_params()
        return sum(
            math.prod(np.shape(params[n]))
            for n in self.weight_order(params)
            if n not in self.non_trainable_names
        )

    def __call__(self, x: Any, *, training: bool | None = None, **kwargs: Any) -> Any:
        """Eager call on a concrete array, building with fresh weights on first use; or,
        on symbolic tensors (``keras.Input`` and layer outputs, or lists of them), a
        functional model's call: builds for their shapes and returns symbolic outputs.

        Example:
            >>> from rnnlab.layers import SimpleRNN
            >>> SimpleRNN(4)(np.ones((2, 5, 1), np.float32)).shape
            (2, 4)
        """
        from rnnlab.layers import custom, symbolic

        bound = custom.call_in_scope(self, (x,), {"training": training, **kwargs})
        if bound is not custom.NOT_BOUND:  # a sublayer inside a custom layer's call
            return bound
        if symbolic.has_symbolic(x):
            return symbolic.symbolic_call(self, x, kwargs)
        training = bool(training)
        mask = kwargs.pop("mask", None)
        if kwargs:
            raise TypeError(
                f"{self.describe()}: unexpected keyword argument {sorted(kwargs)[0]!r} "
                "in an eager call"
            )
        x = self._prepare_call(x)
        key = next_key() if training else None
        if mask is not None and self.supports_masking:
            mask = jax.numpy.asarray(mask, bool)
            return self.apply(self.params, x, training=training, key=key, mask=mask)
        return self.apply(self.params, x, training=training, key=key)

    def _prepare_call(self, x: Any) -> jax.Array:
        """For eager calls: ``x`` as float32, the layer built on first use, shape checked."""
        x = jax.numpy.asarray(x, jax.numpy.float32)
        if self.params is None:
            shape = (None, *x.shape[1:])
            self.build(shape)
            self.params = self.init_params(next_key(), shape)
        else:
            self.check_input_shape((None, *x.shape[1:]))
        return x

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"
