"""keras.layers.Dot against NumPy (Keras's batch_dot shapes, normalize) and
keras.layers.Lambda eagerly, in Sequential and functional models, in fit, and refused by
the savers."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rnnlab as keras
from rnnlab.saving.registry import ConfigError

L = keras.layers
RNG = np.random.default_rng(0)


def _r(*shape):
    return RNG.normal(size=shape).astype(np.float32)


# -- Dot ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("axes", "x", "y", "spec"),
    [
        (-1, _r(4, 5), _r(4, 5), "bk,bk->b"),  # (batch, 1) after the reshape below
        (1, _r(4, 3, 2), _r(4, 3, 6), "bkx,bky->bxy"),
        ((1, 2), _r(4, 3, 5), _r(4, 10, 3), "bkx,byk->bxy"),
        ((2, 1), _r(4, 3, 4), _r(4, 4, 5), "bxk,bky->bxy"),  # a batched matmul
        ((-1, 1), _r(4, 6), _r(4, 6, 2), "bk,bky->by"),
        (2, _r(4, 2, 3, 5), _r(4, 7, 3), "bxky,bzk->bxyz"),
    ],
    ids=["vectors", "axes1", "axes12", "matmul", "vec_mat", "rank4"],
)
def test_dot_against_numpy(axes, x, y, spec):
    want = np.einsum(spec, x, y)
    want = want[:, None] if want.ndim == 1 else want
    layer = L.Dot(axes=axes)
    np.testing.assert_allclose(layer([x, y]), want, rtol=1e-5, atol=1e-5)
    # the same in a functional model, shapes known at graph-building time
    a, b = keras.Input(shape=x.shape[1:]), keras.Input(shape=y.shape[1:])
    out = L.Dot(axes=axes)([a, b])
    assert out.shape == (None, *want.shape[1:])
    model = keras.Model([a, b], out)
    np.testing.assert_allclose(model.apply(model.params, [x, y]), want, rtol=1e-5, atol=1e-5)


def test_dot_normalize_is_cosine_similarity():
    x, y = _r(6, 3, 4), _r(6, 3, 5)
    want = np.einsum(
        "bkx,bky->bxy",
        x / np.linalg.norm(x, axis=1, keepdims=True),
        y / np.linalg.norm(y, axis=1, keepdims=True),
    )
    got = L.Dot(axes=1, normalize=True)([x, y])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert np.all(np.abs(np.asarray(got)) <= 1 + 1e-6)
    zero = L.Dot(axes=-1, normalize=True)([np.zeros((2, 3), np.float32), _r(2, 3)])
    assert np.asarray(zero).tolist() == [[0.0], [0.0]]  # no NaN for a zero vector


def test_dot_bad_input_is_named(fresh_names):
    a, b = keras.Input(shape=(3, 4), name="a"), keras.Input(shape=(5, 4), name="b")
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Dot 'dot': axis 1 of (None, 3, 4) (3) and axis 1 of (None, 5, 4) (5) must have "
            "the same size"
        ),
    ):
        L.Dot(axes=1)([a, b])
    with pytest.raises(ValueError, match=re.escape("Dot 'dot_1': axes=0 is out of range")):
        L.Dot(axes=0)([a, b])
    with pytest.raises(ValueError, match=re.escape("Dot 'dot_2': expects exactly 2 inputs")):
        L.Dot(axes=-1)([a, b, a])
    with pytest.raises(ValueError, match="axes must be an integer or a pair of integers"):
        L.Dot(axes=(1, 2, 3))


# -- Lambda ------------------------------------------------------------------------------
def test_lambda_eager_and_shapes():
    x = _r(3, 5, 2)
    np.testing.assert_allclose(L.Lambda(lambda t: t**2)(x), x**2)
    pair = L.Lambda(lambda ts: ts[0] - ts[1])
    np.testing.assert_allclose(pair([x, 2 * x]), -x)
    last = L.Lambda(lambda t, k: t[:, -k:], arguments={"k": 2})
    assert last(x).shape == (3, 2, 2)
    # traced shapes keep an unknown time axis unknown; given shapes are used as given
    seq = keras.Input(shape=(None, 2))
    assert L.Lambda(lambda t: jnp.concatenate([t, t], -1))(seq).shape == (None, None, 4)
    assert L.Lambda(lambda t: t[:, 0], output_shape=(2,))(seq).shape == (None, 2)
    assert L.Lambda(lambda t: t, output_shape=lambda s: s)(seq).shape == (None, None, 2)
    both = L.Lambda(lambda t: (t[..., :1], t[..., 1:] * 2))(seq)
    assert [t.shape for t in both] == [(None, None, 1), (None, None, 1)]


def test_lambda_in_a_functional_model_trains_like_the_same_computation():
    keras.utils.set_random_seed(3)
    x, y = _r(32, 6, 2), _r(32, 1)
    inp = keras.Input(shape=(6, 2))
    h = L.Lambda(lambda t: jnp.tanh(t[:, -3:]) * 2.0)(inp)
    out = L.Dense(1)(L.Flatten()(h))
    model = keras.Model(inp, out)
    kernel, bias = (np.asarray(w) for w in model.layers[-1].get_weights())
    np.testing.assert_allclose(
        model.predict(x, verbose=0),
        (np.tanh(x[:, -3:]) * 2.0).reshape(32, -1) @ kernel + bias,
        rtol=1e-5,
        atol=1e-5,
    )

    # its gradient is the hand computation's (the Lambda is traced into the step)
    def loss(p):
        return jnp.mean((model.apply(p, x) - y) ** 2)

    flat = (np.tanh(x[:, -3:]) * 2.0).reshape(32, -1)
    err = flat @ kernel + bias - y
    grads = jax.grad(loss)(model.params)
    dense = model.layers[-1].name
    np.testing.assert_allclose(grads[dense]["kernel"], 2 * flat.T @ err / 32, rtol=1e-4, atol=1e-6)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_lambda_in_a_sequential_fit_and_training_flag():
    seen = []

    def scale(t, training=None):
        seen.append(training)  # runs while tracing: once per compiled mode
        return t * 3.0

    model = keras.Sequential([L.Lambda(scale, input_shape=(4,)), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = _r(16, 4), _r(16, 1)
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.predict(x, verbose=0)
    assert True in seen and False in seen


def test_lambda_function_errors_keep_the_users_traceback():
    with pytest.raises(
        ValueError, match=r"Lambda 'bad': its function failed on an input of shape \(None, 3\)"
    ) as info:
        L.Lambda(lambda t: t @ jnp.ones((5, 2)), name="bad")(keras.Input(shape=(3,)))
    assert isinstance(info.value.__cause__, TypeError)  # the user's error, chained


def test_saving_a_model_with_a_lambda_is_refused(tmp_path):
    assert L.Lambda.saveable is False
    inp = keras.Input(shape=(4,))
    functional = keras.Model(inp, L.Dense(1)(L.Lambda(lambda t: t * 2, name="double")(inp)))
    sequential = keras.Sequential([L.Lambda(lambda t: t + 1, input_shape=(4,), name="plus")])
    for model, name in ((functional, "double"), (sequential, "plus")):
        path = tmp_path / f"{name}.keras"
        with pytest.raises(
            ConfigError,
            match="^" + re.escape(f"cannot save the Lambda layer {name!r}: it holds Python code"),
        ):
            model.save(path)
        assert not path.exists()
    functional.save_weights(tmp_path / "double.weights.h5")  # weights alone are fine
    assert (tmp_path / "double.weights.h5").exists()
