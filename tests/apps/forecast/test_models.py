"""Tests for forecast.models: non-crossing quantiles, the pinball loss, the presets' shapes."""

import jax.numpy as jnp
import numpy as np
import pytest

from rnnlab.apps.forecast.models import (
    PRESETS,
    STRATEGIES,
    LastStep,
    build_preset,
    monotone,
    point_loss,
    quantile_loss,
)


def test_monotone_quantiles_never_cross_and_keep_the_first_output():
    raw = np.random.default_rng(0).standard_normal((50, 4, 5)).astype(np.float32) * 10
    q = np.asarray(monotone(jnp.asarray(raw)))
    assert np.all(np.diff(q, axis=-1) >= 0)
    np.testing.assert_array_equal(q[..., 0], raw[..., 0])
    gap = np.log1p(np.exp(raw[..., 1].astype(np.float64)))
    np.testing.assert_allclose(q[..., 1] - q[..., 0], gap, rtol=1e-4, atol=1e-5)


def test_pinball_loss_by_hand():
    levels = [0.1, 0.5, 0.9]
    # raw outputs whose monotone transform is (1, 2, 3) at every step.
    gap = np.log(np.e - 1)  # softplus(gap) == 1
    raw = jnp.asarray(np.array([[[1.0, gap, gap], [1.0, gap, gap]]], np.float32))
    y = jnp.asarray(np.array([[[0.0] * 3, [4.0] * 3]], np.float32))
    # step 0: y=0 below all: (1-q)*(q_pred - y) = 0.9*1, 0.5*2, 0.1*3; step 1: y=4 above:
    # q*(y - q_pred) = 0.1*3, 0.5*2, 0.9*1.
    expected = (0.9 + 1.0 + 0.3 + 0.3 + 1.0 + 0.9) / 6
    assert float(quantile_loss(levels)(y, raw)[0]) == pytest.approx(expected, rel=1e-5)
    assert float(point_loss(jnp.ones((1, 2, 1)), jnp.asarray([[[3.0], [0.0]]]))[0]) == 1.5


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_builds_for_every_strategy_with_its_output_shape(name):
    shapes = {"direct": (None, 4, 3), "recursive": (None, 1, 3), "seq2seq": (None, 12, 4, 3)}
    for strategy in STRATEGIES:
        window = 16 if strategy == "direct" else 12
        model = build_preset(
            name, strategy=strategy, channels=2, window=window, horizon=4, outputs=3, units=4
        )
        assert model.output_shape == shapes[strategy]
        out = model.predict(np.zeros((2, window, 2), np.float32))
        assert out.shape == (2, *shapes[strategy][1:])


def test_last_step_and_unknown_preset():
    x = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    np.testing.assert_array_equal(np.asarray(LastStep()(x)), x[:, -1])
    with pytest.raises(ValueError, match="model: unknown preset 'rnn'; expected one of"):
        build_preset("rnn", strategy="direct", channels=1, window=4, horizon=1, outputs=1)
