"""RNN states between layers in functional models: ``return_state=True``,
``layer(x, initial_state=[h, c])``, ``mask=``, for LSTM, GRU, SimpleRNN and
Bidirectional — against a NumPy reference, eager calls, and finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rnnlab as keras
from rnnlab.layers import GRU, LSTM, Bidirectional, Dense, SimpleRNN


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def np_lstm_from(x, w, u, b, h, c):
    """Keras's LSTM (gates i, f, g, o) from the state ``(h, c)``, float64: every output
    and the final ``(h, c)``."""
    n = u.shape[0]
    outs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ w + h @ u + b
        i, f = _sigmoid(z[:, :n]), _sigmoid(z[:, n : 2 * n])
        g, o = np.tanh(z[:, 2 * n : 3 * n]), _sigmoid(z[:, 3 * n :])
        c = f * c + i * g
        h = o * np.tanh(c)
        outs.append(h)
    return np.stack(outs, axis=1), h, c


def _f64(layer):
    return [np.asarray(w, np.float64) for w in layer.get_weights()]


@pytest.fixture(scope="module")
def seq2seq():
    """encoder LSTM(6) states → decoder LSTM(6, return_sequences) → Dense(1)."""
    enc_in = keras.Input(shape=(None, 2), name="enc")
    dec_in = keras.Input(shape=(None, 1), name="dec")
    encoder = LSTM(6, return_state=True, name="encoder")
    _, h, c = encoder(enc_in)
    decoder = LSTM(6, return_sequences=True, name="decoder")
    head = Dense(1, name="head")
    out = head(decoder(dec_in, initial_state=[h, c]))
    model = keras.Model([enc_in, dec_in], out)
    rng = np.random.default_rng(0)
    x_enc = rng.normal(size=(3, 5, 2)).astype(np.float32)
    x_dec = rng.normal(size=(3, 4, 1)).astype(np.float32)
    return model, encoder, decoder, head, x_enc, x_dec


def test_return_state_gives_output_h_and_c_as_numpy(seq2seq):
    model, encoder, *_, x_enc, _ = seq2seq
    states = keras.Model(model.inputs[0], encoder_outputs(model, encoder))
    y, h, c = states(x_enc)
    w, u, b = _f64(encoder)
    zeros = np.zeros((3, 6))
    _, h_ref, c_ref = np_lstm_from(x_enc.astype(np.float64), w, u, b, zeros, zeros)
    np.testing.assert_allclose(np.asarray(h), h_ref, atol=1e-5)
    np.testing.assert_allclose(np.asarray(c), c_ref, atol=1e-5)
    np.testing.assert_allclose(np.asarray(y), h_ref, atol=1e-5)  # last output is h


def encoder_outputs(model, encoder):
    """The encoder node's three outputs (output, h, c) from the model's graph."""
    node = next(n for n in model._plan.nodes if n.layer is encoder)
    return list(node.outputs)


def test_decoder_starts_from_the_encoder_states(seq2seq):
    model, encoder, decoder, head, x_enc, x_dec = seq2seq
    w, u, b = _f64(encoder)
    zeros = np.zeros((3, 6))
    _, h, c = np_lstm_from(x_enc.astype(np.float64), w, u, b, zeros, zeros)
    seq, _, _ = np_lstm_from(x_dec.astype(np.float64), *_f64(decoder), h, c)
    kernel, bias = _f64(head)
    np.testing.assert_allclose(np.asarray(model([x_enc, x_dec])), seq @ kernel + bias, atol=1e-5)
    # ... and not from zeros: the states matter
    seq0, _, _ = np_lstm_from(x_dec.astype(np.float64), *_f64(decoder), zeros, zeros)
    assert np.abs(seq0 @ kernel + bias - np.asarray(model([x_enc, x_dec]))).max() > 1e-3


def test_summary_shows_states_as_inbound_tensors(seq2seq):
    lines = []
    seq2seq[0].summary(print_fn=lines.append)
    decoder_row = next(i for i, line in enumerate(lines) if line.startswith("decoder (LSTM)"))
    assert lines[decoder_row].rstrip().endswith("dec[0][0]")
    assert lines[decoder_row + 1].strip() == "encoder[0][1]"
    assert lines[decoder_row + 2].strip() == "encoder[0][2]"


def test_gradient_flows_through_the_states_to_the_encoder(seq2seq):
    model, _, _, _, x_enc, x_dec = seq2seq

    def loss(p):
        xs = [jnp.asarray(x_enc, jnp.float64), jnp.asarray(x_dec, jnp.float64)]
        return jnp.sum(model.apply(p, xs) ** 2)

    with jax.enable_x64():
        params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64), model.params)
        grad = jax.grad(loss)(params)["encoder"]["kernel"][1, 3]
        eps = 1e-6
        bump = jnp.zeros_like(params["encoder"]["kernel"]).at[1, 3].set(eps)

        def shifted(sign):
            p = {**params, "encoder": {**params["encoder"]}}
            p["encoder"]["kernel"] = params["encoder"]["kernel"] + sign * bump
            return loss(p)

        fd = (shifted(1) - shifted(-1)) / (2 * eps)
    assert abs(float(grad)) > 1e-4
    np.testing.assert_allclose(float(grad), float(fd), rtol=1e-5)


@pytest.mark.parametrize("layer_type", [SimpleRNN, GRU])
def test_single_state_layers_take_and_return_one_state(layer_type):
    inp = keras.Input(shape=(None, 3))
    first = layer_type(4, return_state=True)
    y, h = first(inp)
    second = layer_type(4)
    model = keras.Model(inp, second(inp, initial_state=h))
    x = np.random.default_rng(1).normal(size=(2, 5, 3)).astype(np.float32)
    y_eager, h_eager = first(x)
    np.testing.assert_array_equal(np.asarray(y_eager), np.asarray(h_eager))  # last output is h
    np.testing.assert_allclose(
        np.asarray(model(x)), np.asarray(second(x, initial_state=[h_eager])), atol=1e-6
    )
    assert y.shape == h.shape == (None, 4)


def test_bidirectional_states_forward_then_backward():
    inp = keras.Input(shape=(None, 2))
    bi = Bidirectional(LSTM(3, return_state=True))
    outs = bi(inp)
    assert [t.shape for t in outs] == [(None, 6)] + [(None, 3)] * 4
    model = keras.Model(inp, outs)
    x = np.random.default_rng(2).normal(size=(2, 4, 2)).astype(np.float32)
    y, hf, cf, hb, cb = model(x)
    w, u, b = _f64(bi.forward_layer)
    zeros = np.zeros((2, 3))
    _, hf_ref, cf_ref = np_lstm_from(x.astype(np.float64), w, u, b, zeros, zeros)
    w, u, b = _f64(bi.backward_layer)
    _, hb_ref, cb_ref = np_lstm_from(x[:, ::-1].astype(np.float64), w, u, b, zeros, zeros)
    for got, want in [(hf, hf_ref), (cf, cf_ref), (hb, hb_ref), (cb, cb_ref)]:
        np.testing.assert_allclose(np.asarray(got), want, atol=1e-5)
    np.testing.assert_allclose(np.asarray(y), np.concatenate([hf_ref, hb_ref], -1), atol=1e-5)
    # the four states start a second Bidirectional
    bi2 = Bidirectional(LSTM(3))
    model2 = keras.Model(inp, bi2(inp, initial_state=outs[1:]))
    assert model2(x).shape == (2, 6)


def test_mask_argument_skips_padded_steps():
    inp = keras.Input(shape=(None, 1))
    keep = keras.Input(shape=(None,), name="keep")
    layer = LSTM(4)
    model = keras.Model([inp, keep], layer(inp, mask=keep))
    x = np.random.default_rng(3).normal(size=(2, 6, 1)).astype(np.float32)
    mask = np.ones((2, 6), np.float32)
    mask[:, 4:] = 0
    np.testing.assert_allclose(np.asarray(model([x, mask])), np.asarray(layer(x[:, :4])), atol=1e-6)


# -- bad input ------------------------------------------------------------------------------
def test_initial_state_of_the_wrong_count_is_refused_when_called():
    inp = keras.Input(shape=(None, 1))
    _, h = GRU(8, return_state=True)(inp)
    with pytest.raises(ValueError) as err:
        LSTM(8, name="dec")(inp, initial_state=[h])
    assert str(err.value) == (
        "LSTM 'dec': initial_state must be 2 tensor(s) of shape (None, 8), (None, 8), "
        "got 1: (None, 8)"
    )


def test_initial_state_of_the_wrong_size_is_refused_when_called():
    inp = keras.Input(shape=(None, 1))
    _, h = GRU(5, return_state=True)(inp)
    with pytest.raises(ValueError, match=r"GRU 'g': initial_state must be 1 tensor\(s\) of "):
        GRU(8, name="g")(inp, initial_state=h)


def test_initial_state_must_be_symbolic_in_a_functional_call():
    inp = keras.Input(shape=(None, 1))
    with pytest.raises(TypeError) as err:
        LSTM(2, name="l")(inp, initial_state=[np.zeros((1, 2)), np.zeros((1, 2))])
    assert str(err.value) == (
        "LSTM 'l': initial_state= in a functional model must be symbolic tensors (from "
        "keras.Input or another layer), got ndarray"
    )


def test_a_layer_without_the_keyword_says_so():
    inp = keras.Input(shape=(3,))
    with pytest.raises(TypeError) as err:
        Dense(2, name="d")(inp, initial_state=inp)
    assert str(err.value) == (
        "Dense 'd': called with unexpected keyword argument 'initial_state'; it takes mask, "
        "training"
    )


def test_summary_lists_the_shapes_of_a_layer_with_several_outputs(seq2seq):
    lines = []
    seq2seq[0].summary(print_fn=lines.append)
    row = next(i for i, line in enumerate(lines) if line.startswith("encoder (LSTM)"))
    assert lines[row].split() == ["encoder", "(LSTM)", "[(None,", "6),", "216", "enc[0][0]"]
    assert lines[row + 1].strip() == "(None, 6),"
    assert lines[row + 2].strip() == "(None, 6)]"
    assert lines[row].index("[(None") == lines[row + 1].index("(None") == 32
