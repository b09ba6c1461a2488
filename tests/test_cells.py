"""Tests for rnnlab.core.cells and rnnlab.core.scan: shapes, hand-computed steps,
finite-difference gradients, and the scan against a plain Python loop."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from rnnlab.core.cells import GRUCell, LSTMCell, SimpleRNNCell
from rnnlab.core.scan import scan
from rnnlab.layers import RNN

UNITS, IN_DIM, BATCH, TIME = 3, 2, 4, 6

CELLS = {
    "simple_rnn": lambda: SimpleRNNCell(UNITS),
    "lstm": lambda: LSTMCell(UNITS),
    "gru_reset_after": lambda: GRUCell(UNITS, reset_after=True),
    "gru_reset_before": lambda: GRUCell(UNITS, reset_after=False),
}


@pytest.fixture(params=list(CELLS), ids=list(CELLS))
def cell(request):
    return CELLS[request.param]()


def _sig(v):
    return 1.0 / (1.0 + math.exp(-v))


def _random_params(cell, dtype=np.float32, seed=0):
    """Cell parameters replaced by random normals (non-zero biases, all gates exercised)."""
    rng = np.random.default_rng(seed)
    shapes = jax.eval_shape(lambda key: cell.init(key, IN_DIM), jax.random.key(seed))
    return {k: jnp.asarray(0.5 * rng.normal(size=v.shape), dtype) for k, v in shapes.items()}


def _random_carry(cell, dtype=np.float32, seed=1):
    rng = np.random.default_rng(seed)
    carry = cell.initial_carry(BATCH)
    return jax.tree.map(lambda c: jnp.asarray(0.5 * rng.normal(size=c.shape), dtype), carry)


def _random_x(shape, dtype=np.float32, seed=2):
    return jnp.asarray(np.random.default_rng(seed).normal(size=shape), dtype)


# --- parameters and shapes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "gates", "bias_shape"),
    [
        (lambda: SimpleRNNCell(UNITS), 1, (UNITS,)),
        (lambda: LSTMCell(UNITS), 4, (4 * UNITS,)),
        (lambda: GRUCell(UNITS), 3, (2, 3 * UNITS)),
        (lambda: GRUCell(UNITS, reset_after=False), 3, (3 * UNITS,)),
    ],
    ids=["simple_rnn", "lstm", "gru_reset_after", "gru_reset_before"],
)
def test_cell_param_shapes_follow_keras_layout(make, gates, bias_shape):
    params = make().init(jax.random.key(0), IN_DIM)
    assert sorted(params) == ["bias", "kernel", "recurrent_kernel"]
    assert params["kernel"].shape == (IN_DIM, gates * UNITS)
    assert params["recurrent_kernel"].shape == (UNITS, gates * UNITS)
    assert params["bias"].shape == bias_shape


def test_cell_without_bias_has_no_bias_param():
    for make in (SimpleRNNCell, LSTMCell, GRUCell):
        assert "bias" not in make(UNITS, use_bias=False).init(jax.random.key(0), IN_DIM)


def test_cell_step_shapes(cell):
    params = cell.init(jax.random.key(0), IN_DIM)
    carry = cell.initial_carry(BATCH)
    new_carry, y = cell(params, carry, jnp.ones((BATCH, IN_DIM)))
    assert y.shape == (BATCH, UNITS)
    assert jax.tree.structure(new_carry) == jax.tree.structure(carry)
    for leaf in jax.tree.leaves(new_carry):
        assert leaf.shape == (BATCH, UNITS)
    # The output is the (short-term) state h.
    h = new_carry[0] if isinstance(new_carry, tuple) else new_carry
    np.testing.assert_array_equal(np.asarray(y), np.asarray(h))


def test_lstm_carry_is_zero_pair():
    h, c = LSTMCell(4).initial_carry(2)
    np.testing.assert_array_equal(h, np.zeros((2, 4)))
    np.testing.assert_array_equal(c, np.zeros((2, 4)))


# --- hand-computed steps -------------------------------------------------------------------


def test_simple_rnn_cell_hand_computed():
    cell = SimpleRNNCell(1)
    params = {
        "kernel": jnp.array([[0.5]]),
        "recurrent_kernel": jnp.array([[0.5]]),
        "bias": jnp.array([0.1]),
    }
    carry, y = cell(params, jnp.array([[0.0]]), jnp.array([[1.0]]))
    h1 = math.tanh(0.5 + 0.1)
    np.testing.assert_allclose(np.asarray(y), [[h1]], rtol=1e-6)
    carry, y = cell(params, carry, jnp.array([[1.0]]))
    np.testing.assert_allclose(np.asarray(y), [[math.tanh(0.5 + 0.5 * h1 + 0.1)]], rtol=1e-6)


def test_lstm_cell_hand_computed_gate_order_ifco():
    # kernel columns: i, f, c, o (Keras order)
    w = [0.1, 0.2, 0.3, 0.4]
    u = [-0.5, 0.6, 0.7, -0.8]
    b = [0.05, 1.0, -0.1, 0.2]
    x, h0, c0 = 1.5, 0.2, 0.3
    params = {
        "kernel": jnp.array([w]),
        "recurrent_kernel": jnp.array([u]),
        "bias": jnp.array(b),
    }
    z = [w[k] * x + u[k] * h0 + b[k] for k in range(4)]
    i, f, g, o = _sig(z[0]), _sig(z[1]), math.tanh(z[2]), _sig(z[3])
    c1 = f * c0 + i * g
    h1 = o * math.tanh(c1)
    (h, c), y = LSTMCell(1)(params, (jnp.array([[h0]]), jnp.array([[c0]])), jnp.array([[x]]))
    np.testing.assert_allclose(np.asarray(c), [[c1]], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(h), [[h1]], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(y), [[h1]], rtol=1e-6)


def test_gru_cell_reset_after_hand_computed():
    # kernel columns: z, r, h; bias rows: [input bias; recurrent bias]
    w = [0.3, -0.4, 0.5]
    u = [0.6, 0.7, -0.8]
    b_in = [0.1, 0.2, 0.3]
    b_rec = [-0.2, 0.05, 0.4]
    x, h0 = 0.9, -0.5
    params = {
        "kernel": jnp.array([w]),
        "recurrent_kernel": jnp.array([u]),
        "bias": jnp.array([b_in, b_rec]),
    }
    z = _sig(w[0] * x + b_in[0] + u[0] * h0 + b_rec[0])
    r = _sig(w[1] * x + b_in[1] + u[1] * h0 + b_rec[1])
    cand = math.tanh(w[2] * x + b_in[2] + r * (u[2] * h0 + b_rec[2]))
    expected = z * h0 + (1 - z) * cand
    carry, y = GRUCell(1, reset_after=True)(params, jnp.array([[h0]]), jnp.array([[x]]))
    np.testing.assert_allclose(np.asarray(y), [[expected]], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(carry), [[expected]], rtol=1e-6)


def test_gru_cell_reset_before_hand_computed():
    w = [0.3, -0.4, 0.5]
    u = [0.6, 0.7, -0.8]
    b = [0.1, 0.2, 0.3]
    x, h0 = 0.9, -0.5
    params = {
        "kernel": jnp.array([w]),
        "recurrent_kernel": jnp.array([u]),
        "bias": jnp.array(b),
    }
    z = _sig(w[0] * x + u[0] * h0 + b[0])
    r = _sig(w[1] * x + u[1] * h0 + b[1])
    cand = math.tanh(w[2] * x + u[2] * (r * h0) + b[2])
    expected = z * h0 + (1 - z) * cand
    _, y = GRUCell(1, reset_after=False)(params, jnp.array([[h0]]), jnp.array([[x]]))
    np.testing.assert_allclose(np.asarray(y), [[expected]], rtol=1e-6)


def test_gru_reset_modes_differ_when_reset_gate_matters():
    # Same weights, the two formulas must give different candidates (so a mode mix-up fails).
    w, u = jnp.array([[0.3, -0.4, 0.5]]), jnp.array([[0.6, 0.7, -0.8]])
    after = {"kernel": w, "recurrent_kernel": u, "bias": jnp.zeros((2, 3))}
    before = {"kernel": w, "recurrent_kernel": u, "bias": jnp.zeros((3,))}
    h0, x = jnp.array([[-0.5]]), jnp.array([[0.9]])
    _, ya = GRUCell(1, reset_after=True)(after, h0, x)
    _, yb = GRUCell(1, reset_after=False)(before, h0, x)
    # With zero biases, r*(h U) == (r*h) U for one unit: identical. Add a recurrent bias.
    np.testing.assert_allclose(np.asarray(ya), np.asarray(yb), rtol=1e-6)
    after["bias"] = jnp.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.5]])
    before["bias"] = jnp.array([0.0, 0.0, 0.5])
    _, ya = GRUCell(1, reset_after=True)(after, h0, x)
    _, yb = GRUCell(1, reset_after=False)(before, h0, x)
    assert abs(float(ya[0, 0]) - float(yb[0, 0])) > 1e-3


# --- gradients against finite differences (float64) ----------------------------------------


def test_cell_gradients_match_finite_differences(cell, x64):
    params = _random_params(cell, np.float64)
    carry = _random_carry(cell, np.float64)
    x = _random_x((BATCH, IN_DIM), np.float64)
    # w.r.t. params, carry and x at once (all three are differentiated arguments)
    check_grads(jax.jit(cell), (params, carry, x), order=1, modes=["rev"])


@pytest.mark.parametrize(
    ("return_sequences", "go_backwards"),
    [(True, False), (False, True)],
    ids=["sequences", "last_backwards"],
)
def test_scan_gradients_match_finite_differences(cell, return_sequences, go_backwards, x64):
    params = _random_params(cell, np.float64)
    carry0 = _random_carry(cell, np.float64)
    xs = _random_x((BATCH, TIME, IN_DIM), np.float64)

    @jax.jit
    def run(params, carry0, xs):
        return scan(
            cell,
            params,
            xs,
            initial_carry=carry0,
            return_sequences=return_sequences,
            go_backwards=go_backwards,
        )

    check_grads(run, (params, carry0, xs), order=1, modes=["rev"])


def test_cell_gradients_float32_tolerances():
    # The default float32 path, with tolerances suited to float32 central differences.
    cell = LSTMCell(UNITS)
    params = _random_params(cell)
    carry = _random_carry(cell)
    x = _random_x((BATCH, IN_DIM))
    check_grads(
        jax.jit(cell), (params, carry, x), order=1, modes=["rev"], atol=5e-2, rtol=5e-2, eps=1e-2
    )


def test_scan_default_carry_follows_input_dtype(x64):
    cell = SimpleRNNCell(UNITS)
    params = _random_params(cell, np.float64)
    xs = _random_x((BATCH, TIME, IN_DIM), np.float64)
    ys, _ = scan(cell, params, xs)
    assert ys.dtype == jnp.float64


# --- the scan equals a Python loop over the cell -------------------------------------------


def _python_loop(cell, params, xs, carry, return_sequences, go_backwards):
    steps = range(xs.shape[1] - 1, -1, -1) if go_backwards else range(xs.shape[1])
    ys = []
    for t in steps:
        carry, y = cell(params, carry, xs[:, t])
        ys.append(y)
    out = jnp.stack(ys, axis=1) if return_sequences else ys[-1]
    return out, carry


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_scan_equals_python_loop(cell, return_sequences, go_backwards):
    params = _random_params(cell)
    xs = _random_x((BATCH, TIME, IN_DIM))
    got, got_carry = scan(
        cell, params, xs, return_sequences=return_sequences, go_backwards=go_backwards
    )
    want, want_carry = _python_loop(
        cell, params, xs, cell.initial_carry(BATCH), return_sequences, go_backwards
    )
    expected_shape = (BATCH, TIME, UNITS) if return_sequences else (BATCH, UNITS)
    assert got.shape == expected_shape
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)
    for g, w in zip(jax.tree.leaves(got_carry), jax.tree.leaves(want_carry), strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-6)


def test_scan_go_backwards_differs_from_forwards():
    cell = GRUCell(UNITS)
    params = _random_params(cell)
    xs = _random_x((BATCH, TIME, IN_DIM))
    fwd, _ = scan(cell, params, xs, return_sequences=False)
    bwd, _ = scan(cell, params, xs, return_sequences=False, go_backwards=True)
    assert not np.allclose(np.asarray(fwd), np.asarray(bwd), atol=1e-3)
    # Reading backwards equals reading the time-reversed sequence forwards.
    rev, _ = scan(cell, params, xs[:, ::-1], return_sequences=False)
    np.testing.assert_allclose(np.asarray(bwd), np.asarray(rev), rtol=1e-6, atol=1e-7)


def test_scan_with_initial_carry_equals_loop(cell):
    params = _random_params(cell)
    xs = _random_x((BATCH, TIME, IN_DIM))
    carry0 = _random_carry(cell)
    got, _ = scan(cell, params, xs, initial_carry=carry0)
    want, _ = _python_loop(cell, params, xs, carry0, True, False)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)


def test_scan_unroll_gives_same_result(cell):
    params = _random_params(cell)
    xs = _random_x((BATCH, TIME, IN_DIM))
    ref, _ = scan(cell, params, xs)
    got, _ = scan(cell, params, xs, unroll=4)  # 4 does not divide 6 steps: a remainder
    np.testing.assert_allclose(np.asarray(got), np.asarray(ref), rtol=1e-6, atol=1e-7)


class _PlainStepCell:
    """A cell offering only the documented minimum: units, init, initial_carry, __call__."""

    def __init__(self, inner):
        self._inner = inner
        self.units = inner.units

    def init(self, key, input_dim):
        return self._inner.init(key, input_dim)

    def initial_carry(self, batch_size):
        return self._inner.initial_carry(batch_size)

    def __call__(self, params, carry, x):
        return self._inner(params, carry, x)


def test_scan_and_rnn_layer_accept_a_plain_step_cell():
    cell = LSTMCell(UNITS)  # tuple carry: the harder case
    params = _random_params(cell)
    xs = _random_x((BATCH, TIME, IN_DIM))
    plain = _PlainStepCell(cell)
    got, _ = scan(plain, params, xs, return_sequences=False)
    want, _ = _python_loop(cell, params, xs, cell.initial_carry(BATCH), False, False)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)
    layer = RNN(plain, return_sequences=True)
    out = layer.apply(params, xs)
    assert out.shape == (BATCH, TIME, UNITS)
    np.testing.assert_allclose(np.asarray(out[:, -1]), np.asarray(want), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [lambda: LSTMCell(UNITS), lambda: GRUCell(UNITS)])
def test_cell_inside_user_lax_scan(make):
    cell = make()
    params = _random_params(cell)
    xs = _random_x((BATCH, TIME, IN_DIM))

    @jax.jit
    def user_scan(params, xs):
        def step(carry, x_t):
            return cell(params, carry, x_t)

        return jax.lax.scan(step, cell.initial_carry(BATCH), jnp.swapaxes(xs, 0, 1))

    carry, ys = user_scan(params, xs)
    want, want_carry = scan(cell, params, xs)
    np.testing.assert_allclose(np.asarray(jnp.swapaxes(ys, 0, 1)), np.asarray(want), rtol=1e-5)
    for g, w in zip(jax.tree.leaves(carry), jax.tree.leaves(want_carry), strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-6)


def test_scan_is_jittable_and_differentiable_in_float32():
    cell = LSTMCell(UNITS)
    params = _random_params(cell)
    xs = _random_x((BATCH, TIME, IN_DIM))

    def loss(params):
        return jnp.sum(scan(cell, params, xs, return_sequences=False)[0] ** 2)

    grads = jax.jit(jax.grad(loss))(params)
    assert jax.tree.structure(grads) == jax.tree.structure(params)
    for g in jax.tree.leaves(grads):
        assert np.all(np.isfinite(np.asarray(g)))
        assert np.any(np.asarray(g) != 0)
