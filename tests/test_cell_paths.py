"""Which path a recurrent layer takes (the hand-written backward pass of rnnlab.core.fused or
the plain per-step loop), the public cell contract, and errors from user cells."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnlab import chapter
from rnnlab.core.cells import Cell, GRUCell, LSTMCell, ProjectedCell, SimpleRNNCell
from rnnlab.core.fused import run_cell
from rnnlab.core.scan import scan
from rnnlab.layers import GRU, LSTM, RNN, SimpleRNN

U, B, T, F = 3, 2, 5, 2


def _x(seed=0, shape=(B, T, F), dtype=jnp.float32):
    return jnp.asarray(np.random.default_rng(seed).normal(size=shape), dtype)


def _fused_calls(fn, *args) -> int:
    return str(jax.make_jaxpr(fn)(*args)).count("custom_vjp_call[")


def _built(layer, features=F):
    layer.build((None, None, features))
    return layer, layer.init_params(jax.random.key(0), (None, None, features))


# --- the chapter's models ---------------------------------------------------------------------


@pytest.mark.parametrize("name", chapter.MODEL_NAMES)
def test_chapter_models_recurrent_layers_take_the_fused_path(name):
    model = chapter.build_model(name, seed=0)
    recurrent = [layer for layer in model.layers if isinstance(layer, RNN)]
    assert recurrent, "every chapter model has a recurrent layer"
    for layer in recurrent:
        assert layer.fused == "auto"
        assert layer.fused_path() is True
        assert layer.fused_path(masked=True) is False
    # ... and the compiled forward pass does run one fused sequence per recurrent layer
    x = np.zeros((2, 8, 1), np.float32)
    assert _fused_calls(model.apply, model.params, x) == len(recurrent)


# --- the fused argument -------------------------------------------------------------------------


def _blocked(layer_name, reason):
    return re.escape(
        f"{layer_name}: fused=True, but the hand-written backward pass cannot run: {reason}; "
        "pass fused='auto' to fall back to the plain loop"
    )


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (
            lambda: LSTM(U, activation="relu", fused=True, name="l"),
            "activation='relu' (the hand-written pass is for 'tanh')",
        ),
        (
            lambda: GRU(U, recurrent_activation="hard_sigmoid", fused=True, name="l"),
            "recurrent_activation='hard_sigmoid' (the hand-written pass is for 'sigmoid')",
        ),
        (
            lambda: GRU(U, reset_after=False, fused=True, name="l"),
            "reset_after=False (the hand-written pass is for reset_after=True)",
        ),
        (
            lambda: SimpleRNN(U, recurrent_dropout=0.2, fused=True, name="l"),
            "recurrent dropout is on (it needs the per-step loop)",
        ),
        (
            lambda: SimpleRNN(U, activation=lambda v: jnp.tanh(v), fused=True, name="l"),
            "activation='<lambda>' (the hand-written pass is for 'tanh')",
        ),
    ],
    ids=["activation", "recurrent_activation", "reset_after", "recurrent_dropout", "wrapper"],
)
def test_fused_true_names_the_layer_and_the_reason(make, reason):
    with pytest.raises(ValueError) as info:
        make()
    kind = str(info.value).split(" ")[0]
    assert kind in ("SimpleRNN", "LSTM", "GRU")
    assert re.fullmatch(_blocked(f"{kind} 'l'", reason), str(info.value))


def test_fused_true_with_a_custom_cell_says_it_is_not_built_in():
    with pytest.raises(ValueError, match=_blocked("RNN 'r'", _NotBuiltin.reason)):
        RNN(_NotBuiltin(LSTMCell(U)), fused=True, name="r")


def test_fused_true_with_a_mask_raises_at_call_time():
    layer, params = _built(LSTM(U, fused=True, name="l"))
    assert layer.fused_path() is True
    mask = jnp.ones((B, T), bool)
    reason = "the input has a mask (masked steps need the per-step loop)"
    with pytest.raises(ValueError, match=_blocked("LSTM 'l'", reason)):
        layer.apply(params, _x(), mask=mask)
    assert layer.apply(params, _x()).shape == (B, U)


@pytest.mark.parametrize("value", ["yes", None, 1])
def test_fused_argument_is_checked(value):
    message = f"GRU 'g': fused must be True, False or 'auto', got {value!r}"
    with pytest.raises(ValueError, match=re.escape(message)):
        GRU(U, fused=value, name="g")
    with pytest.raises(ValueError, match="scan: fused must be True, False or 'auto'"):
        cell = GRUCell(U)
        scan(cell, cell.init(jax.random.key(0), F), _x(), fused=value)


@pytest.mark.parametrize("kind", [SimpleRNN, LSTM, GRU])
def test_fused_false_takes_the_plain_loop_with_the_same_results(kind):
    auto, params = _built(kind(U, return_sequences=True))
    plain = kind(U, return_sequences=True, fused=False)
    assert auto.fused_path() is True and plain.fused_path() is False
    x = _x()
    assert _fused_calls(auto.apply, params, x) == 1
    assert _fused_calls(plain.apply, params, x) == 0
    np.testing.assert_allclose(plain.apply(params, x), auto.apply(params, x), atol=1e-6)

    def loss(layer):
        return lambda p: jnp.sum(jnp.sin(layer.apply(p, x)))

    g_auto, g_plain = jax.grad(loss(auto))(params), jax.grad(loss(plain))(params)
    for name in params:
        np.testing.assert_allclose(g_plain[name], g_auto[name], rtol=1e-5, atol=1e-6)


def test_auto_falls_back_to_the_plain_loop_with_a_mask():
    layer, params = _built(GRU(U))
    mask = jnp.asarray(np.arange(T)[None, :] < np.array([[T], [3]]))
    assert layer.fused_path(masked=True) is False
    assert _fused_calls(lambda p: layer.apply(p, _x(), mask=mask), params) == 0
    assert _fused_calls(lambda p: layer.apply(p, _x()), params) == 1


def test_auto_with_recurrent_dropout_is_fused_only_outside_training():
    layer, params = _built(LSTM(U, recurrent_dropout=0.3))
    assert layer.fused_path() is True
    assert layer.fused_path(training=True) is False
    key = jax.random.key(1)
    assert _fused_calls(lambda p: layer.apply(p, _x(), training=True, key=key), params) == 0
    assert _fused_calls(lambda p: layer.apply(p, _x()), params) == 1


# --- activations are compared by resolved function, not by name ----------------------------


@pytest.mark.parametrize(
    ("kind", "functions"),
    [
        (SimpleRNN, {"activation": jnp.tanh}),
        (SimpleRNN, {"activation": jax.lax.tanh}),
        (LSTM, {"activation": jnp.tanh, "recurrent_activation": jax.nn.sigmoid}),
        (GRU, {"activation": jnp.tanh, "recurrent_activation": jax.nn.sigmoid}),
    ],
    ids=["simple_jnp_tanh", "simple_lax_tanh", "lstm", "gru"],
)
def test_activation_functions_take_the_same_path_as_their_names(kind, functions):
    by_name, params = _built(kind(U, return_sequences=True))
    by_function = kind(U, return_sequences=True, **functions)
    assert by_function.fused_path() is True
    x = _x()
    assert _fused_calls(by_function.apply, params, x) == 1
    np.testing.assert_array_equal(by_function.apply(params, x), by_name.apply(params, x))
    # the plain path too: the same arithmetic (LSTM/GRU: the tanh form of sigmoid)
    mask = jnp.ones((B, T), bool)
    np.testing.assert_array_equal(
        by_function.apply(params, x, mask=mask), by_name.apply(params, x, mask=mask)
    )


def test_a_wrapped_activation_takes_the_plain_path():
    layer = SimpleRNN(U, activation=lambda v: jnp.tanh(v))
    assert layer.fused_path() is False
    layer, params = _built(layer)
    assert _fused_calls(layer.apply, params, _x()) == 0


# --- the fused forward loops are the cells' own arithmetic ---------------------------------


def _recur_loop(cell, params, carry, xp):
    carry, hs = jax.lax.scan(lambda c, x: cell.recur(params, c, x), carry, xp)
    return hs, carry


def _random_params(cell, seed):
    rng = np.random.default_rng(seed)
    shapes = jax.eval_shape(lambda k: cell.init(k, F), jax.random.key(0))
    return {k: jnp.asarray(0.7 * rng.normal(size=v.shape), jnp.float64) for k, v in shapes.items()}


@pytest.mark.parametrize(
    ("cell", "tolerance"),
    [
        (SimpleRNNCell(U), 0.0),
        (SimpleRNNCell(U, use_bias=False), 0.0),
        (LSTMCell(U), 0.0),
        (GRUCell(U), 1e-12),  # the fused loop writes z*h + (1-z)*n as n + z*(h-n)
        (GRUCell(U, use_bias=False), 1e-12),
    ],
    ids=["simple_rnn", "simple_rnn_no_bias", "lstm", "gru", "gru_no_bias"],
)
def test_fused_forward_equals_the_cells_recur_loop(cell, tolerance, x64):
    params = _random_params(cell, 3)
    xp = cell.project(params, _x(4, (T, B, F), jnp.float64))
    carry = jax.tree.map(
        lambda c: _x(5, c.shape, jnp.float64), cell.initial_carry(B, dtype=jnp.float64)
    )
    got = run_cell(cell, params, carry, xp)
    want = _recur_loop(cell, params, carry, xp)
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        assert g.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=0, atol=tolerance)


# --- the cell contract --------------------------------------------------------------------------


class _NotBuiltin:
    """A cell offering the contract by delegation (so not a built-in type)."""

    reason = "the cell _NotBuiltin is not a built-in SimpleRNNCell, LSTMCell or GRUCell"

    def __init__(self, inner):
        self._inner = inner
        self.units = inner.units

    def init(self, key, input_dim):
        return self._inner.init(key, input_dim)

    def initial_carry(self, batch_size, dtype=jnp.float32):
        return self._inner.initial_carry(batch_size, dtype)

    def __call__(self, params, carry, x):
        return self._inner(params, carry, x)

    def __repr__(self):
        return "<_NotBuiltin>"


def test_protocols_describe_builtin_and_custom_cells():
    for cell in (SimpleRNNCell(U), LSTMCell(U), GRUCell(U)):
        assert isinstance(cell, Cell) and isinstance(cell, ProjectedCell)
    custom = _NotBuiltin(LSTMCell(U))
    assert isinstance(custom, Cell) and not isinstance(custom, ProjectedCell)
    assert not isinstance(object(), Cell)


class _Partial:
    def __init__(self, **members):
        for k, v in members.items():
            setattr(self, k, v)

    def __call__(self, params, carry, x):
        return carry, x

    def __repr__(self):
        return "<Partial>"


class _NoStep:
    units = 3

    def init(self, key, input_dim):
        return {}

    def initial_carry(self, batch_size, dtype=jnp.float32):
        return jnp.zeros((batch_size, 3), dtype)

    def __repr__(self):
        return "<Partial>"


def _contract_error(layer_name, missing):
    return re.escape(
        f"RNN '{layer_name}': cell <Partial> has {missing}; a cell needs units, init, "
        "initial_carry and __call__ (see rnnlab.core.cells.Cell)"
    )


def test_rnn_names_the_missing_piece_of_the_cell_contract():
    no_carry = _Partial(units=3, init=lambda key, d: {})
    with pytest.raises(
        TypeError, match=_contract_error("a", "no initial_carry(batch_size, dtype) method")
    ):
        RNN(no_carry, name="a")
    with pytest.raises(
        TypeError,
        match=_contract_error(
            "b",
            "no units attribute, no init(key, input_dim) method, "
            "no initial_carry(batch_size, dtype) method",
        ),
    ):
        RNN(_Partial(), name="b")
    with pytest.raises(TypeError, match=_contract_error("c", "no __call__(params, carry, x) step")):
        RNN(_NoStep(), name="c")


def test_rnn_with_a_cell_class_instead_of_an_instance_is_a_type_error():
    with pytest.raises(TypeError, match=re.escape("has no units attribute;")):
        RNN(LSTMCell, name="c")


class _CarryRaises(_NotBuiltin):
    # A bug inside the user's initial_carry that raises only when dtype is given: a retry
    # without dtype would hide it.
    def initial_carry(self, batch_size, dtype=None):
        if dtype is not None:
            raise TypeError("boom")
        return self._inner.initial_carry(batch_size)


class _StepRaises(_NotBuiltin):
    def __call__(self, params, carry, x):
        raise TypeError("bad step")


class _CarryWithoutDtype(_NotBuiltin):
    def initial_carry(self, batch_size):
        self.calls.append(((batch_size,), {}))
        return self._inner.initial_carry(batch_size)


class _CarryWithKwargs(_NotBuiltin):
    def initial_carry(self, batch_size, **kwargs):
        self.calls.append(((batch_size,), kwargs))
        return self._inner.initial_carry(batch_size, **kwargs)


@pytest.mark.parametrize(("kind", "message"), [(_CarryRaises, "boom"), (_StepRaises, "bad step")])
def test_errors_inside_a_user_cell_reach_the_user_unchanged(kind, message):
    # The same exception: type and arguments (JAX may add a note about its traceback).
    cell = kind(SimpleRNNCell(U))
    params = cell.init(jax.random.key(0), F)
    with pytest.raises(TypeError) as info:
        scan(cell, params, _x())
    assert type(info.value) is TypeError and info.value.args == (message,)
    layer = RNN(kind(SimpleRNNCell(U)))
    with pytest.raises(TypeError) as info:
        layer.apply(params, _x())
    assert type(info.value) is TypeError and info.value.args == (message,)


@pytest.mark.parametrize(
    ("kind", "kwargs"), [(_CarryWithoutDtype, {}), (_CarryWithKwargs, {"dtype": jnp.float32})]
)
def test_initial_carry_gets_dtype_only_when_its_signature_takes_it(kind, kwargs):
    cell = kind(SimpleRNNCell(U))
    cell.calls = []
    params = cell.init(jax.random.key(0), F)
    ys, _ = scan(cell, params, _x())
    assert cell.calls == [((B,), kwargs)]
    want, _ = scan(SimpleRNNCell(U), params, _x())
    # the plain step against the built-in cell's projected path: float32 rounding only
    np.testing.assert_allclose(ys, want, rtol=1e-6, atol=1e-6)


# --- weight order -------------------------------------------------------------------------------


class _ExtraWeights(_NotBuiltin):
    def init(self, key, input_dim):
        params = self._inner.init(key, input_dim)
        return {"gamma": jnp.ones(self.units), **params, "beta": jnp.zeros(self.units)}


def test_weight_order_is_keras_then_the_cells_own_and_building_changes_no_configuration():
    layer = RNN(_ExtraWeights(SimpleRNNCell(U)))
    before = layer.weight_names
    layer, params = _built(layer)
    assert list(params) == ["gamma", "kernel", "recurrent_kernel", "bias", "beta"]
    assert layer.weight_order(params) == ("kernel", "recurrent_kernel", "bias", "gamma", "beta")
    assert layer.weight_names == before == ("kernel", "recurrent_kernel", "bias")
    assert "weight_names" not in vars(layer)
    no_bias = {k: v for k, v in params.items() if k != "bias"}
    assert layer.weight_order(no_bias) == ("kernel", "recurrent_kernel", "gamma", "beta")
