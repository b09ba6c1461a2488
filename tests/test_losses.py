"""Tests for rnnlab.losses (and the same functions under rnnlab.metrics)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rnnlab.losses as L
import rnnlab.metrics as M
from rnnlab.layers import Dense
from rnnlab.losses import Huber, huber, mean_absolute_error, mean_squared_error
from rnnlab.models import Sequential

Y_TRUE = np.array([[0.0, 2.0], [1.0, 1.0], [0.5, -1.0]], np.float32)
Y_PRED = np.array([[1.0, 0.0], [1.0, 3.0], [0.8, -1.5]], np.float32)
# errors: [1, 2], [0, 2], [0.3, 0.5]


def test_mse_hand_computed():
    got = mean_squared_error(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(got, [2.5, 2.0, (0.09 + 0.25) / 2], rtol=1e-6)


def test_mae_hand_computed():
    got = mean_absolute_error(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(got, [1.5, 1.0, 0.4], rtol=1e-6)


def test_huber_delta_1_hand_computed():
    # |e| <= 1: 0.5 e^2 ; |e| > 1: |e| - 0.5
    got = huber(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(
        got, [(0.5 + 1.5) / 2, (0.0 + 1.5) / 2, (0.045 + 0.125) / 2], rtol=1e-6
    )


def test_huber_delta_half_hand_computed():
    # |e| <= 0.5: 0.5 e^2 ; |e| > 0.5: 0.5 |e| - 0.125
    expected = [(0.375 + 0.875) / 2, (0.0 + 0.875) / 2, (0.045 + 0.125) / 2]
    np.testing.assert_allclose(Huber(0.5)(Y_TRUE, Y_PRED), expected, rtol=1e-6)
    np.testing.assert_allclose(huber(Y_TRUE, Y_PRED, delta=0.5), expected, rtol=1e-6)
    assert Huber(delta=0.5).delta == 0.5


def test_huber_is_continuous_at_delta():
    below = huber(np.zeros((1, 1)), np.full((1, 1), 1.0 - 1e-6))
    above = huber(np.zeros((1, 1)), np.full((1, 1), 1.0 + 1e-6))
    np.testing.assert_allclose(below, [0.5], atol=1e-5)
    np.testing.assert_allclose(above, [0.5], atol=1e-5)


def test_mape_and_msle_hand_computed():
    np.testing.assert_allclose(L.mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 5.0]]), [37.5])
    expected = (np.log1p(3.0) - np.log1p(1.0)) ** 2 / 2
    np.testing.assert_allclose(
        L.mean_squared_logarithmic_error([[1.0, 0.0]], [[3.0, 0.0]]), [expected], rtol=1e-6
    )


@pytest.mark.parametrize("fn", [mean_squared_error, mean_absolute_error, huber])
def test_per_sample_shapes_mean_over_last_axis(fn):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 7, 3)).astype(np.float32)
    b = rng.normal(size=(5, 7, 3)).astype(np.float32)
    out = fn(a, b)
    assert out.shape == (5, 7)
    assert fn(a[:, 0], b[:, 0]).shape == (5,)
    # per-sample values are the mean over the last axis of the elementwise values
    if fn is mean_squared_error:
        np.testing.assert_allclose(out, ((a - b) ** 2).mean(axis=-1), rtol=1e-6)
    elif fn is mean_absolute_error:
        np.testing.assert_allclose(out, np.abs(a - b).mean(axis=-1), rtol=1e-6)


def test_one_dimensional_inputs_reduce_to_a_scalar():
    assert float(mean_squared_error(np.array([1.0, 2.0]), np.array([0.0, 0.0]))) == 2.5


@pytest.mark.parametrize("fn", [mean_squared_error, mean_absolute_error, huber])
def test_numpy_in_numpy_out(fn):
    out = fn(Y_TRUE, Y_PRED)
    assert type(out) is np.ndarray
    assert out.dtype == np.float32
    assert not isinstance(out, jax.Array)


@pytest.mark.parametrize("fn", [mean_squared_error, mean_absolute_error, huber])
def test_jax_in_jax_out_and_under_jit(fn):
    expected = fn(Y_TRUE, Y_PRED)
    out = fn(jnp.asarray(Y_TRUE), jnp.asarray(Y_PRED))
    assert isinstance(out, jax.Array)
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-6)
    # one JAX argument is enough
    assert isinstance(fn(Y_TRUE, jnp.asarray(Y_PRED)), jax.Array)
    jitted = jax.jit(fn)(jnp.asarray(Y_TRUE), jnp.asarray(Y_PRED))
    np.testing.assert_allclose(np.asarray(jitted), expected, rtol=1e-6)


def test_gradient_of_mse():
    t = jnp.asarray(Y_TRUE)
    g = jax.grad(lambda p: jnp.sum(mean_squared_error(t, p)))(jnp.asarray(Y_PRED))
    np.testing.assert_allclose(np.asarray(g), (Y_PRED - Y_TRUE), rtol=1e-6)  # 2 (p - t) / 2


def test_target_of_shape_n_aligned_with_prediction_n_1():
    y = np.array([1.0, 2.0, 3.0], np.float32)
    p = np.array([[1.5], [2.0], [1.0]], np.float32)
    expected = [0.25, 0.0, 4.0]
    np.testing.assert_allclose(mean_squared_error(y, p), expected)
    np.testing.assert_allclose(mean_squared_error(p, y), expected)
    assert mean_squared_error(y, p).shape == (3,)
    np.testing.assert_allclose(mean_absolute_error(jnp.asarray(y), jnp.asarray(p)), [0.5, 0, 2])


@pytest.mark.parametrize("fn", [mean_squared_error, mean_absolute_error, huber])
def test_mismatched_shapes_raise_naming_both(fn):
    with pytest.raises(
        ValueError,
        match=r"y_true and y_pred must have the same shape, got y_true \(4, 2\) "
        r"and y_pred \(4, 3\)",
    ):
        fn(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"got y_true \(3, 1\) and y_pred \(4, 1\)"):
        fn(np.zeros((3, 1)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"got y_true \(4, 10\) and y_pred \(4, 1\)"):
        fn(jnp.zeros((4, 10)), jnp.zeros((4, 1)))


def test_chapter_usage_mean_of_mse():
    rng = np.random.default_rng(0)
    y_val = rng.normal(size=(2000, 1)).astype(np.float32)
    y_pred = rng.normal(size=(2000, 1)).astype(np.float32)
    value = np.mean(mean_squared_error(y_val, y_pred))
    assert value == pytest.approx(float(np.mean((y_val - y_pred) ** 2)), rel=1e-6)
    assert f"{value:0.05f}"  # formats like the chapter's print


def test_int_and_float64_inputs():
    out = mean_squared_error(np.array([[1, 2]]), np.array([[0, 0]]))
    np.testing.assert_allclose(out, [2.5])
    assert np.issubdtype(out.dtype, np.floating)
    out64 = mean_squared_error(np.array([[1.0]]), np.array([[0.5]], np.float64))
    assert out64.dtype == np.float64


def test_names_resolve_and_aliases():
    assert L.get("mse") is mean_squared_error
    assert L.get("mean_squared_error") is mean_squared_error
    assert L.get("MSE") is mean_squared_error
    assert L.get("mae") is mean_absolute_error
    assert L.get("huber") is huber
    assert L.get("huber_loss") is huber
    assert L.mse is L.MSE is mean_squared_error
    custom = Huber(0.3)
    assert L.get(custom) is custom


def test_same_functions_importable_from_metrics():
    assert M.mean_squared_error is mean_squared_error
    assert M.mean_absolute_error is mean_absolute_error
    assert M.mse is mean_squared_error
    assert M.mae is mean_absolute_error
    assert M.huber is huber
    assert M.get("mae") == ("mae", mean_absolute_error)
    assert M.get("mean_squared_error") == ("mean_squared_error", mean_squared_error)


def test_compile_with_huber_object_and_custom_metric():
    model = Sequential([Dense(1, input_shape=(2,))], seed=0)
    model.set_weights([np.array([[1.0], [2.0]], np.float32), np.array([0.5], np.float32)])

    def last_error(y_true, y_pred):
        return jnp.abs(y_true - y_pred)[:, -1]

    model.compile(optimizer="sgd", loss=Huber(0.5), metrics=[last_error])
    x = np.array([[1.0, 1.0], [0.0, 0.0], [2.0, -1.0]], np.float32)
    y = np.array([[3.0], [0.0], [0.3]], np.float32)
    # predictions: 3.5, 0.5, 0.5 ; errors 0.5, 0.5, 0.2
    loss, metric = model.evaluate(x, y)
    assert model.metrics_names == ["loss", "last_error"]
    assert loss == pytest.approx((0.125 + 0.125 + 0.02) / 3, rel=1e-5)
    assert metric == pytest.approx((0.5 + 0.5 + 0.2) / 3, rel=1e-5)
