"""Tests for rnnlab.apps.chapter.baselines: the naive forecast and the MSE."""

import numpy as np
import pytest

from rnnlab.apps.chapter.baselines import mse, naive_forecast

X = np.array([[[1.0], [2.0], [3.0]], [[4.0], [5.0], [6.0]]])  # (batch=2, time=3, features=1)


def test_naive_single_step_is_last_value():
    y = naive_forecast(X)
    assert y.shape == (2, 1)
    np.testing.assert_array_equal(y, [[3.0], [6.0]])


def test_naive_multi_step_repeats_last_value():
    y = naive_forecast(X, horizon=3)
    assert y.shape == (2, 3)
    np.testing.assert_array_equal(y, [[3.0, 3.0, 3.0], [6.0, 6.0, 6.0]])


def test_naive_accepts_nested_lists_and_keeps_dtype():
    y = naive_forecast([[[1], [7]], [[2], [9]]])
    np.testing.assert_array_equal(y, [[7], [9]])
    x32 = X.astype(np.float32)
    assert naive_forecast(x32, horizon=2).dtype == np.float32


def test_naive_multivariate():
    x = np.array([[[1.0, 10.0], [2.0, 20.0]], [[3.0, 30.0], [4.0, 40.0]]])  # (2, 2, 2)
    np.testing.assert_array_equal(naive_forecast(x), [[2.0, 20.0], [4.0, 40.0]])
    y = naive_forecast(x, horizon=2)
    assert y.shape == (2, 2, 2)
    np.testing.assert_array_equal(y, [[[2.0, 20.0], [2.0, 20.0]], [[4.0, 40.0], [4.0, 40.0]]])


def test_naive_returns_a_copy():
    x = X.copy()
    y = naive_forecast(x)
    y[0, 0] = 99.0
    assert x[0, -1, 0] == 3.0


def test_naive_matches_chapter_multistep_target_layout():
    # A constant series: the naive forecast is exact, and its shape fits series[:, -h:, 0].
    series = np.full((4, 15, 1), 0.25, dtype=np.float32)
    x, y = series[:, :5], series[:, -10:, 0]
    assert mse(y, naive_forecast(x, horizon=10)) == 0.0


@pytest.mark.parametrize(
    ("x", "horizon", "error", "message"),
    [
        (
            np.zeros((2, 3)),
            1,
            ValueError,
            r"^naive_forecast: x must have shape \(batch, time, features\), got shape \(2, 3\)$",
        ),
        (
            np.zeros((2, 0, 1)),
            1,
            ValueError,
            r"^naive_forecast: x must have at least one time step, got shape \(2, 0, 1\)$",
        ),
        (X, 0, ValueError, r"^naive_forecast: horizon must be a positive integer, got 0$"),
        (
            X,
            1.5,
            TypeError,
            r"^naive_forecast: horizon must be a positive integer, got 1\.5 \(float\)$",
        ),
    ],
)
def test_naive_rejects_bad_arguments(x, horizon, error, message):
    with pytest.raises(error, match=message):
        naive_forecast(x, horizon=horizon)


def test_mse_hand_computed():
    # errors 1, 0, -2, 3 -> squares 1, 0, 4, 9 -> mean 3.5
    value = mse([[1.0, 2.0], [3.0, 4.0]], [[0.0, 2.0], [5.0, 1.0]])
    assert value == 3.5
    assert type(value) is float


def test_mse_of_naive_forecast():
    y_true = np.array([[4.0], [5.0]])
    assert mse(y_true, naive_forecast(X)) == pytest.approx((1.0 + 1.0) / 2)


def test_mse_rejects_shape_mismatch():
    with pytest.raises(
        ValueError,
        match=r"^mse: y_true and y_pred must have the same shape, "
        r"got y_true \(2, 1\) and y_pred \(2,\)$",
    ):
        mse(np.zeros((2, 1)), np.zeros(2))


def test_mse_rejects_empty():
    with pytest.raises(ValueError, match=r"^mse: inputs must not be empty"):
        mse([], [])
