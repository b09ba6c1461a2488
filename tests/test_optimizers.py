"""Tests for rnnlab.optimizers: names, Keras defaults, and hand-computed update steps."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from rnnlab import optimizers
from rnnlab.layers import Dense
from rnnlab.models import Sequential
from rnnlab.optimizers import SGD, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop

NAMES = {
    "adam": Adam,
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
    "adamw": AdamW,
    "adamax": Adamax,
    "nadam": Nadam,
}

# A toy quadratic f(p) = sum(a * (p - c)^2) with gradient 2 a (p - c).
A = np.array([1.0, 3.0, 0.5, 2.0], np.float32)
C = np.array([0.5, -1.0, 2.0, 0.0], np.float32)
P0 = np.array([1.0, 1.0, -1.0, 0.25], np.float32)


def _grad(p):
    return 2 * A * (np.asarray(p) - C)


def _steps(tx, n):
    """Run ``n`` optimizer steps on the quadratic; return the list of parameters after each."""
    params = {"w": jnp.asarray(P0)}
    state = tx.init(params)
    out = []
    for _ in range(n):
        grads = {"w": jnp.asarray(_grad(params["w"]))}
        updates, state = tx.update(grads, state, params)
        params = optax.apply_updates(params, updates)
        out.append(np.asarray(params["w"]))
    return out


@pytest.mark.parametrize("name", list(NAMES))
def test_names_resolve(name):
    wrapper = optimizers.get(name)
    tx = wrapper.transform
    assert isinstance(tx, optax.GradientTransformation)
    assert type(wrapper) is NAMES[name]
    # a step runs and moves the parameters downhill
    (p1,) = _steps(tx, 1)
    loss = lambda p: float(np.sum(A * (p - C) ** 2))  # noqa: E731
    assert loss(p1) < loss(P0)


def test_names_are_case_insensitive_and_objects_pass_through():
    assert type(optimizers.get("Adam")) is Adam
    opt = Adam(0.01)
    assert optimizers.get(opt) is opt
    raw = optax.sgd(0.1)
    wrapped = optimizers.get(raw)
    assert type(wrapped) is optimizers.OptaxOptimizer and wrapped.transform is raw


def test_adam_keras_defaults():
    opt = Adam()
    assert opt.learning_rate == 0.001
    assert opt.beta_1 == 0.9
    assert opt.beta_2 == 0.999
    assert opt.epsilon == 1e-7
    assert opt.amsgrad is False
    config = opt.get_config()
    assert config["learning_rate"] == 0.001
    assert config["beta_1"] == 0.9


def test_other_keras_defaults():
    assert SGD().learning_rate == 0.01
    assert SGD().momentum == 0.0
    assert SGD().nesterov is False
    assert RMSprop().learning_rate == 0.001
    assert RMSprop().rho == 0.9
    assert RMSprop().epsilon == 1e-7
    assert Adagrad().learning_rate == 0.001
    assert Adagrad().initial_accumulator_value == 0.1
    assert Adamax().learning_rate == 0.001
    assert Nadam().learning_rate == 0.001


def test_lr_alias():
    assert Adam(lr=0.005).learning_rate == 0.005
    assert SGD(lr=0.2).learning_rate == 0.2
    assert Adam(learning_rate=0.02).learning_rate == 0.02
    assert Adam(0.03).learning_rate == 0.03


def test_adam_first_step_is_lr_times_sign():
    lr = 0.1
    (p1,) = _steps(Adam(learning_rate=lr).transform, 1)
    np.testing.assert_allclose(p1 - P0, -lr * np.sign(_grad(P0)), rtol=1e-5)


def test_adam_two_steps_hand_computed():
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-7
    p1, p2 = _steps(Adam(learning_rate=lr).transform, 2)
    p = P0.astype(np.float64)
    m = v = np.zeros(4)
    expected = []
    for t in (1, 2):
        g = _grad(p)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        expected.append(p)
    np.testing.assert_allclose(p1, expected[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p2, expected[1], rtol=1e-5, atol=1e-6)


def test_sgd_step_is_p_minus_lr_g():
    lr = 0.125  # exactly representable: the update is exact in float32
    (p1,) = _steps(SGD(learning_rate=lr).transform, 1)
    np.testing.assert_array_equal(p1, P0 - np.float32(lr) * _grad(P0))
    (q1,) = _steps(SGD(learning_rate=0.01).transform, 1)
    np.testing.assert_allclose(q1, P0 - 0.01 * _grad(P0), rtol=1e-6)


def test_sgd_momentum_two_steps():
    lr, mom = 0.1, 0.9
    p1, p2 = _steps(SGD(learning_rate=lr, momentum=mom).transform, 2)
    g1 = _grad(P0)
    e1 = P0 - lr * g1
    velocity = mom * g1 + _grad(e1)
    e2 = e1 - lr * velocity
    np.testing.assert_allclose(p1, e1, rtol=1e-6)
    np.testing.assert_allclose(p2, e2, rtol=1e-5, atol=1e-6)


def test_rmsprop_first_step():
    lr, rho = 0.01, 0.9
    (p1,) = _steps(RMSprop(learning_rate=lr, rho=rho).transform, 1)
    g = _grad(P0)
    expected = P0 - lr * g / (np.sqrt((1 - rho) * g**2) + 1e-7)
    np.testing.assert_allclose(p1, expected, rtol=1e-5)


def test_adagrad_first_step():
    lr = 0.1
    (p1,) = _steps(Adagrad(learning_rate=lr).transform, 1)
    g = _grad(P0)
    expected = P0 - lr * g / np.sqrt(0.1 + g**2)
    np.testing.assert_allclose(p1, expected, rtol=1e-5)


def test_adamw_decays_weights_beyond_adam():
    lr, wd = 0.01, 0.5
    (adam,) = _steps(Adam(learning_rate=lr).transform, 1)
    (adamw,) = _steps(AdamW(learning_rate=lr, weight_decay=wd).transform, 1)
    np.testing.assert_allclose(adamw, adam - lr * wd * P0, rtol=1e-5, atol=1e-7)


def test_learning_rate_change_after_compile_takes_effect_without_recompiling():
    x = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5], [-2.0, 1.0]], np.float32)
    y = np.array([[1.0], [0.0], [2.0], [-1.0]], np.float32)
    model = Sequential([Dense(1, input_shape=(2,))], seed=0)
    opt = SGD(learning_rate=0.1)
    model.compile(optimizer=opt, loss="mse")

    def grads(params):
        return jax.grad(lambda p: jnp.mean((model.apply(p, x) - y) ** 2))(params)

    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert opt.learning_rate == pytest.approx(0.1)
    epoch_fn = model.trainer.train_epoch
    size = epoch_fn._cache_size()
    opt.learning_rate = 0.2
    assert opt.learning_rate == pytest.approx(0.2)
    before = model.params
    g = grads(before)
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    expected = jax.tree.map(lambda p, gg: p - 0.2 * gg, before, g)
    for got, want in zip(jax.tree.leaves(model.params), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6, atol=1e-7)
    assert epoch_fn._cache_size() == size


@pytest.mark.parametrize("bad", [0, -0.1, "fast", True, None])
def test_invalid_learning_rate(bad):
    with pytest.raises(ValueError, match=r"Adam: learning_rate must be a positive number, got "):
        Adam(learning_rate=bad)


def test_unexpected_argument():
    with pytest.raises(TypeError, match=r"SGD: unexpected arguments \['decay'\]"):
        SGD(0.1, decay=0.01)


def test_unknown_optimizer_name_lists_valid_names():
    with pytest.raises(
        ValueError,
        match=r"unknown optimizer 'adamm'; expected one of: adagrad, adam, adamax, adamw, "
        r"nadam, rmsprop, sgd",
    ):
        optimizers.get("adamm")
