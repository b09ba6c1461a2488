"""What Keras 3.15.1 writes in each layer's and cell's config: the keys after ``name,
trainable, dtype`` in Keras's order, and whether each is an rnnlab argument (``ARG``), a
Keras-only setting rnnlab writes at its default and refuses otherwise (``FIXED``), or one
it drops (``IGNORE``). Used by :mod:`rnnlab.saving.config` (writing) and
:mod:`rnnlab.saving.config_reader` (reading); ``docs/keras-format.md`` shows the configs.

Example:
    >>> [key for key, _, _ in SPECS["Dense"]][:3]
    ['units', 'activation', 'use_bias']
"""

from __future__ import annotations

from typing import Any

__all__ = ["ARG", "BUILT", "CELL_SPECS", "FIXED", "FLOATS", "IGNORE", "LEGACY_KEYS", "SPECS",
           "TUPLES"]  # fmt: skip

ARG, FIXED, IGNORE = (
    "arg",
    "fixed",
    "ignore",
)  # rnnlab argument / Keras-only, default only / dropped


def _regs(*names: str) -> list[tuple[str, str, Any]]:
    return [(f"{n}_regularizer", FIXED, None) for n in names]


def _cons(*names: str) -> list[tuple[str, str, Any]]:
    return [(f"{n}_constraint", FIXED, None) for n in names]


def _args(*names: str) -> list[tuple[str, str, Any]]:
    return [(n, ARG, None) for n in names]


_RNN = [("return_sequences", ARG, False), ("return_state", ARG, False),
        ("go_backwards", ARG, False), ("stateful", FIXED, False), ("unroll", ARG, False),
        ("zero_output_for_mask", ARG, False)]  # fmt: skip
_INITS3 = _args("use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer")
_RNN_TAIL = _regs("kernel", "recurrent", "bias", "activity") + _cons("kernel", "recurrent", "bias")
_CELL_TAIL = _regs("kernel", "recurrent", "bias") + _cons("kernel", "recurrent", "bias")
_NORM_TAIL = _regs("beta", "gamma") + _cons("beta", "gamma")

#: Each Keras layer's config keys after ``name, trainable, dtype``, in Keras's order.
SPECS: dict[str, list[tuple[str, str, Any]]] = {
    "SimpleRNN": _RNN + _args("units", "activation") + _INITS3 + _RNN_TAIL
    + _args("dropout", "recurrent_dropout"),
    "LSTM": _RNN + _args("units", "activation", "recurrent_activation") + _INITS3
    + _args("unit_forget_bias") + _RNN_TAIL + _args("dropout", "recurrent_dropout")
    + [("seed", IGNORE, None)],
    "GRU": _RNN + _args("units", "activation", "recurrent_activation") + _INITS3 + _RNN_TAIL
    + _args("dropout", "recurrent_dropout", "reset_after") + [("seed", IGNORE, None)],
    "RNN": _RNN + _args("cell"),
    "Conv1D": _args("filters", "kernel_size", "strides", "padding")  # noqa: RUF005
    + [("data_format", FIXED, "channels_last")] + _args("dilation_rate")
    + [("groups", FIXED, 1)]
    + _args("activation", "use_bias", "kernel_initializer", "bias_initializer")
    + _regs("kernel", "bias", "activity") + _cons("kernel", "bias"),
    "Dense": _args("units", "activation", "use_bias", "kernel_initializer", "bias_initializer")
    + _regs("kernel", "bias") + _cons("kernel", "bias") + [("quantization_config", FIXED, None)],
    "BatchNormalization": _args("axis", "momentum", "epsilon", "center", "scale",
                                "beta_initializer", "gamma_initializer",
                                "moving_mean_initializer", "moving_variance_initializer")
    + _NORM_TAIL + [("synchronized", FIXED, False), ("renorm", FIXED, False),
                    ("renorm_clipping", FIXED, None), ("renorm_momentum", IGNORE, 0.99)],
    "LayerNormalization": _args("axis", "epsilon", "center", "scale")  # noqa: RUF005
    + [("rms_scaling", FIXED, False)] + _args("beta_initializer", "gamma_initializer")
    + _NORM_TAIL,
    "Dropout": _args("rate", "seed", "noise_shape"),
    "RepeatVector": _args("n"),
    "Reshape": _args("target_shape"),
    "Flatten": _args("data_format"),
    "Masking": _args("mask_value"),
    "Activation": _args("activation"),
    "TimeDistributed": _args("layer"),
    "Bidirectional": _args("merge_mode", "layer", "backward_layer"),
    **{name: [] for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")},
    "Concatenate": _args("axis"),
    "Dot": _args("axes", "normalize"),
    "Embedding": _args("input_dim", "output_dim", "embeddings_initializer")  # noqa: RUF005
    + [("embeddings_regularizer", FIXED, None), ("activity_regularizer", FIXED, None),
       ("embeddings_constraint", FIXED, None)] + _args("mask_zero")
    + [("quantization_config", FIXED, None)],
    "Attention": _args("use_scale", "score_mode", "dropout", "seed"),
    "AdditiveAttention": _args("use_scale", "dropout", "seed"),
}  # fmt: skip
CELL_SPECS: dict[str, list[tuple[str, str, Any]]] = {
    "SimpleRNNCell": _args("units", "activation") + _INITS3 + _CELL_TAIL,
    "LSTMCell": _args("units", "activation", "recurrent_activation") + _INITS3
    + _args("unit_forget_bias") + _CELL_TAIL,
    "GRUCell": _args("units", "activation", "recurrent_activation") + _INITS3 + _CELL_TAIL
    + _args("reset_after"),
}  # fmt: skip
#: Layers whose Keras ``build`` is their own, so Keras writes a ``build_config``.
BUILT = {"SimpleRNN", "LSTM", "GRU", "RNN", "Conv1D", "Dense", "BatchNormalization",
          "LayerNormalization", "RepeatVector", "Flatten", "TimeDistributed",
          "Bidirectional", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
          "Concatenate", "Dot", "Embedding", "Attention", "AdditiveAttention"}  # fmt: skip
TUPLES = {"kernel_size", "strides", "dilation_rate", "target_shape", "noise_shape"}
#: Keys of old (tf.keras 2) configs that change nothing in rnnlab.
LEGACY_KEYS = ("implementation", "batch_size")
FLOATS = {"mask_value", "rate", "epsilon", "momentum", "dropout", "recurrent_dropout"}
