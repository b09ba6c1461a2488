"""Rematerialization: RematScope / remat, and the scan checkpointed in time segments.

Outputs and gradients must not change (against the plain scan), memory must drop
(XLA's own accounting of the compiled gradient), and each RematScope mode must reach
exactly the layers it names.
"""

from __future__ import annotations

import functools
import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rnnlab as keras
from rnnlab.core.cells import GRUCell, LSTMCell, SimpleRNNCell
from rnnlab.core.remat import RematMode, applies, current_remat_mode, segment_length
from rnnlab.core.scan import scan


class TanhCell:
    """A custom cell without ``project``/``recur``: the scan's generic path."""

    units = 3

    def init(self, key, input_dim):
        k1, k2 = jax.random.split(key)
        return {
            "w": 0.5 * jax.random.normal(k1, (input_dim, 3)),
            "u": 0.5 * jax.random.normal(k2, (3, 3)),
        }

    def initial_carry(self, batch):
        return jnp.zeros((batch, 3))

    def __call__(self, params, carry, x):
        h = jnp.tanh(x @ params["w"] + carry @ params["u"])
        return h, 2.0 * h


CELLS = {
    "simple_rnn": lambda: SimpleRNNCell(3),
    "lstm": lambda: LSTMCell(3),
    "gru": lambda: GRUCell(3),
    "custom": TanhCell,
}
VARIANTS = {
    "sequences": {},
    "last": {"return_sequences": False},
    "backwards": {"go_backwards": True},
    "masked": {"mask": True},
    "masked_last_backwards": {"mask": True, "return_sequences": False, "go_backwards": True},
}


def _loss(cell, params, xs, *, segment, options):
    out, carry = scan(cell, params, xs, remat_segment=segment, **options)
    states = sum(jnp.sum(jnp.sin(c)) for c in jax.tree.leaves(carry))
    return jnp.sum(out * jnp.cos(jnp.arange(out.size).reshape(out.shape))) + states


# Every variant for the LSTM (a tuple carry; the fused path where there is no mask) and for
# the custom cell (no project/recur: the plain step); the single-array-carry cells share
# those code paths, so two variants each (plain, and masked + last output + backwards).
CASES = [(name, variant) for name in ("lstm", "custom") for variant in VARIANTS] + [
    (name, variant)
    for name in ("simple_rnn", "gru")
    for variant in ("sequences", "masked_last_backwards")
]


@pytest.mark.parametrize(("name", "variant"), CASES)
def test_segmented_scan_matches_plain_scan(name, variant):
    cell = CELLS[name]()
    params = cell.init(jax.random.key(0), 2)
    xs = jax.random.normal(jax.random.key(1), (3, 12, 2))
    options = dict(VARIANTS[variant])
    if options.pop("mask", False):
        mask = np.random.default_rng(0).random((3, 12)) < 0.7
        mask[1, 6:] = False  # a sample whose last segments are all padding
        mask[2, :] = False  # and one with no real step at all
        options["mask"] = jnp.asarray(mask)
    mask = options.pop("mask", None)

    # One compiled program per segment length (eager autodiff dispatches op by op).
    @functools.partial(jax.jit, static_argnums=0)
    def grad(segment, params, xs, mask):
        loss = functools.partial(_loss, cell, segment=segment, options={**options, "mask": mask})
        return jax.value_and_grad(loss, argnums=(0, 1))(params, xs)

    value, grads = grad(None, params, xs, mask)
    for segment in (4, 5):  # segments that divide the sequence, and a shorter last one
        seg_value, seg_grads = grad(segment, params, xs, mask)
        np.testing.assert_allclose(seg_value, value, rtol=1e-5, atol=1e-5)
        for got, want in zip(jax.tree.leaves(seg_grads), jax.tree.leaves(grads), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_segment_as_long_as_the_sequence_is_the_plain_scan():
    cell = LSTMCell(3)
    params = cell.init(jax.random.key(0), 2)
    xs = jnp.ones((2, 6, 2))
    plain = jax.make_jaxpr(lambda p: scan(cell, p, xs))(params)
    same = jax.make_jaxpr(lambda p: scan(cell, p, xs, remat_segment=6))(params)
    assert str(plain) == str(same)


def _gradient_temp_bytes(segment):
    cell = LSTMCell(32)
    params = cell.init(jax.random.key(0), 1)
    xs = jnp.ones((16, 400, 1))

    def loss(p):
        out, _ = scan(cell, p, xs, remat_segment=segment)
        return jnp.sum(out[:, -1] ** 2)

    compiled = jax.jit(jax.grad(loss)).lower(params).compile()
    return compiled.memory_analysis().temp_size_in_bytes


def test_segments_bound_the_memory_of_the_gradient():
    plain, segmented = _gradient_temp_bytes(None), _gradient_temp_bytes(segment_length(400))
    # 400 steps keep ~400 x 16 x 6 x 32 floats (4.9 MB) of LSTM intermediates; in
    # segments of 20 steps the gradient keeps 20 states and one segment at a time.
    assert plain > 4_000_000
    assert segmented < plain / 5, (plain, segmented)


@pytest.mark.parametrize(
    ("steps", "want"), [(1, 1), (2, 2), (4, 2), (5, 3), (50, 8), (1000, 32), (1024, 32)]
)
def test_segment_length_is_the_ceiling_of_the_square_root(steps, want):
    assert segment_length(steps) == want


def test_applies_follows_each_mode():
    assert not applies(None, "lstm", (None, 20))
    assert applies(RematMode("full", 1024, ()), "lstm", (None, 20))
    listed = RematMode("list_of_layers", 1024, ("dense_1",))
    assert applies(listed, "dense_1", (None, 1))
    assert not applies(listed, "dense_2", (None, 1))
    larger = RematMode("larger_than", 1000, ())
    assert applies(larger, "gru", (None, 50, 21))  # 1,050 elements, batch counted as 1
    assert not applies(larger, "gru", (None, 50, 20))  # exactly 1,000: not larger
    assert not applies(RematMode("activations", 1024, ()), "dense", (None, 5))


def test_scope_is_read_when_a_layer_is_created_and_nests():
    outside = keras.layers.Dense(1)
    with keras.RematScope(mode="full"):
        full = keras.layers.LSTM(2)
        with keras.RematScope(mode="larger_than", output_size_threshold=10):
            inner = keras.layers.Dense(1)
        with keras.RematScope(mode=None):
            off = keras.layers.Dense(1)
        again = keras.layers.GRU(2)
    assert outside.remat_mode is None and off.remat_mode is None
    assert full.remat_mode == RematMode("full", 1024, ()) == again.remat_mode
    assert inner.remat_mode == RematMode("larger_than", 10, ())
    assert current_remat_mode() is None


def test_scope_belongs_to_the_thread_that_entered_it():
    seen = []
    with keras.RematScope(mode="full"):
        thread = threading.Thread(target=lambda: seen.append(current_remat_mode()))
        thread.start()
        thread.join()
    assert seen == [None]


def test_scope_arguments_are_checked():
    with pytest.raises(ValueError) as err:
        keras.RematScope(mode="everything")
    assert str(err.value) == (
        "RematScope: mode must be one of 'full', 'activations', 'larger_than', "
        "'list_of_layers', None, got 'everything'"
    )
    with pytest.raises(ValueError) as err:
        keras.RematScope(mode="larger_than", output_size_threshold=0)
    assert str(err.value) == "RematScope: output_size_threshold must be a positive integer, got 0"
    with pytest.raises(TypeError) as err:
        keras.RematScope(mode="list_of_layers", layer_names="dense")
    assert str(err.value) == ("RematScope: layer_names must be a list of layer names, got 'dense'")


def test_remat_function_keeps_values_and_gradients():
    def f(x):
        return jnp.sum(jnp.tanh(jnp.sin(x) * x))

    x = jnp.linspace(-2.0, 2.0, 7)
    np.testing.assert_allclose(keras.remat(f)(x), f(x))
    np.testing.assert_allclose(jax.grad(keras.remat(f))(x), jax.grad(f)(x), rtol=1e-6)


def _series(n=32, steps=12):
    s = keras.data.generate_time_series(n, steps + 10, seed=3)
    return s[:, :steps], s[:, -10:, 0]


def _model(scope=None):
    def layers():
        return [
            keras.layers.Conv1D(8, 3, activation="relu", input_shape=[None, 1], name="conv"),
            keras.layers.LSTM(12, return_sequences=True, name="lstm"),
            keras.layers.Bidirectional(keras.layers.GRU(4), name="bi"),
            keras.layers.Dense(10, name="head"),
        ]

    keras.utils.set_random_seed(7)
    if scope is None:
        model = keras.models.Sequential(layers())
    else:
        with scope:
            model = keras.models.Sequential(layers())
    model.compile("adam", "mse")
    return model


@pytest.fixture(scope="module")
def plain_history():
    """The History of the model trained without a scope (shared by the scope tests)."""
    x, y = _series()
    return _model().fit(x, y, epochs=2, batch_size=16, verbose=0).history


@pytest.mark.parametrize(
    "scope",
    [
        lambda: keras.RematScope(mode="full"),
        lambda: keras.RematScope(mode="activations"),
        lambda: keras.RematScope(mode="larger_than", output_size_threshold=10),
        lambda: keras.RematScope(mode="list_of_layers", layer_names=["lstm", "head"]),
    ],
    ids=["full", "activations", "larger_than", "list_of_layers"],
)
def test_training_under_a_scope_gives_the_same_history(scope, plain_history):
    x, y = _series()
    plain = plain_history
    rematted = _model(scope()).fit(x, y, epochs=2, batch_size=16, verbose=0).history
    np.testing.assert_allclose(rematted["loss"], plain["loss"], rtol=1e-5)


def _checkpoints_per_layer(model):
    """How many ``jax.checkpoint`` calls the training gradient traces, per layer."""
    x, _ = _series(n=4)
    counts = {}
    for layer in model.layers:
        forward = layer.rematerialized(layer.apply_train)

        def loss(p, x, layer=layer, forward=forward):
            y, _ = forward(p, x, key=jax.random.key(0))
            return jnp.sum(y)

        inputs = jnp.asarray(x, jnp.float32)
        text = str(jax.make_jaxpr(jax.grad(loss))(model.params[layer.name], inputs))
        counts[layer.name] = text.count("remat2[")  # jax.checkpoint's primitive
        x = np.asarray(layer.apply(model.params[layer.name], inputs))
    return counts


def test_each_mode_reaches_exactly_its_layers():
    none = _checkpoints_per_layer(_model())
    assert set(none.values()) == {0}
    full = _checkpoints_per_layer(_model(keras.RematScope(mode="full")))
    assert all(full[name] > 0 for name in ("conv", "lstm", "bi", "head")), full
    listed = keras.RematScope(mode="list_of_layers", layer_names=["lstm", "head"])
    counts = _checkpoints_per_layer(_model(listed))
    assert counts["conv"] == counts["bi"] == 0 and counts["lstm"] > 0 and counts["head"] > 0
    # output sizes, unknown axes (batch, time) counted as 1 as Keras does: conv 8,
    # lstm 12, bi 8, head 10
    larger = keras.RematScope(mode="larger_than", output_size_threshold=10)
    counts = _checkpoints_per_layer(_model(larger))
    assert counts["lstm"] > 0 and counts["conv"] == counts["bi"] == counts["head"] == 0
    model = _model(keras.RematScope(mode="activations"))
    counts = _checkpoints_per_layer(model)
    # the activation of Conv1D and Dense only; recurrent layers are left alone
    assert counts == {"conv": 1, "lstm": 0, "bi": 0, "head": 1}, counts
    assert model.layers[0].activation is keras.activations.get("relu")  # put back after the call


def test_activations_mode_reaches_the_layer_a_wrapper_runs():
    with keras.RematScope(mode="activations"):
        wrapped = keras.layers.TimeDistributed(keras.layers.Dense(3, activation="tanh"))
    params = wrapped.init_params(jax.random.key(0), (None, 5, 2))
    wrapped.build((None, 5, 2))
    x = jnp.ones((2, 5, 2))

    def loss(p):
        y, _ = wrapped.rematerialized(wrapped.apply_train)(p, x)
        return jnp.sum(y)

    assert str(jax.make_jaxpr(jax.grad(loss))(params)).count("remat2[") == 1
    assert wrapped.layer.activation is keras.activations.get("tanh")
