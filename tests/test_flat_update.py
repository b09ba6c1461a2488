"""The flat optimizer step (rnnlab.training.flat): same training as the per-weight step."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import rnnlab as keras
from rnnlab.layers import GRU, BatchNormalization, Conv1D, Dense
from rnnlab.models import Sequential
from rnnlab.optimizers import SGD, Adam, AdamW, OptaxOptimizer, RMSprop
from rnnlab.training import flat as flat_module
from rnnlab.training import trainer as trainer_module
from rnnlab.training.flat import Flat

RNG = np.random.default_rng(1)
X = RNG.normal(size=(40, 8, 2)).astype(np.float32)
Y = (X[:, -1, :1] - 0.5 * X[:, -3, 1:]).astype(np.float32)


def _model() -> Sequential:
    # fixed names: the two models' state trees then have the same keys (and order)
    conv = Conv1D(4, 3, padding="causal", input_shape=(8, 2), name="conv")
    return Sequential([conv, GRU(5, name="gru"), Dense(3, name="d3"), Dense(1, name="d1")])


def _fit(optimizer, *, flat: bool, monkeypatch, packings: list) -> Sequential:
    """Train the same model from the same seed with the flat step on or off, counting
    how many epoch programs packed their weights."""
    chosen = trainer_module.flat_update
    monkeypatch.setattr(
        trainer_module, "flat_update", lambda opt, labels: flat and chosen(opt, labels)
    )
    original = flat_module.Flat.__init__

    def counting(self, params):
        packings.append(1)
        original(self, params)

    monkeypatch.setattr(flat_module.Flat, "__init__", counting)
    keras.utils.set_random_seed(0)
    model = _model()
    model.compile(optimizer, "mse", metrics=["mae"])
    model.fit(X, Y, epochs=3, batch_size=8, validation_split=0.25, verbose=0)
    monkeypatch.undo()
    return model


@pytest.mark.parametrize(
    "make", [lambda: Adam(3e-3), lambda: SGD(0.05, momentum=0.9), lambda: RMSprop(), AdamW]
)
def test_flat_step_trains_as_the_per_weight_step(make, monkeypatch):
    flat_packings: list = []
    tree_packings: list = []
    flat = _fit(make(), flat=True, monkeypatch=monkeypatch, packings=flat_packings)
    tree = _fit(make(), flat=False, monkeypatch=monkeypatch, packings=tree_packings)
    assert flat_packings and not tree_packings  # each took the path asked for
    for a, b in zip(flat.get_weights(), tree.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    for name, values in tree.history.history.items():
        np.testing.assert_allclose(flat.history.history[name], values, rtol=1e-5)
    # the state outside the epoch keeps the per-weight layout (saved, resumed as ever)
    assert jax.tree.structure(flat.optimizer.state) == jax.tree.structure(tree.optimizer.state)
    flat_leaves = jax.tree.leaves(flat.optimizer.state)
    tree_leaves = jax.tree.leaves(tree.optimizer.state)
    for a, b in zip(flat_leaves, tree_leaves, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-9)
    assert int(flat.optimizer.iterations) == int(tree.optimizer.iterations) == 12


def test_pack_state_packs_only_parameter_shaped_parts():
    params = {"a": {"kernel": jnp.arange(6.0).reshape(2, 3)}, "b": {"bias": jnp.ones(2)}}
    packing = Flat(params)
    np.testing.assert_array_equal(packing.pack(params), [0, 1, 2, 3, 4, 5, 1, 1])
    back = packing.unpack(packing.pack(params))
    assert jax.tree.structure(back) == jax.tree.structure(params)
    state = optax.inject_hyperparams(optax.adam)(learning_rate=0.1).init(params)
    packed = packing.pack_state(state)
    assert packed.inner_state[0].mu.shape == (8,)
    assert packed.inner_state[0].count is state.inner_state[0].count
    assert packed.hyperparams["learning_rate"] is state.hyperparams["learning_rate"]
    restored = packing.unpack_state(packed, state)
    assert jax.tree.structure(restored) == jax.tree.structure(state)


def test_flat_applies_only_to_one_dtype_and_elementwise_unfrozen_optimizers():
    assert Flat.applies({"a": {"w": jnp.ones(2)}})
    assert not Flat.applies({"a": {"w": jnp.ones(2), "v": jnp.ones(2, jnp.float16)}})
    assert not Flat.applies({})
    train = {"a": {"w": "train"}}
    frozen = {"a": {"w": "train"}, "bn": {"moving_mean": "freeze"}}
    assert trainer_module.flat_update(Adam(), train)
    assert not trainer_module.flat_update(Adam(), frozen)  # labels need the tree
    # a user's Optax transformation may mix weights (e.g. a global norm): the tree path
    assert not trainer_module.flat_update(OptaxOptimizer(optax.sgd(0.1)), train)


def test_a_model_with_frozen_statistics_trains_on_the_tree_path(monkeypatch):
    packings: list = []
    original = flat_module.Flat.__init__

    def counting(self, params):
        packings.append(1)
        original(self, params)

    monkeypatch.setattr(flat_module.Flat, "__init__", counting)
    model = Sequential([Dense(3, input_shape=(2,)), BatchNormalization(), Dense(1)])
    model.compile(Adam(), "mse")
    model.fit(X[:, 0], Y, epochs=1, batch_size=8, verbose=0)
    assert not packings
