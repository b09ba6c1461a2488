"""Embedding (with mask_zero flowing to recurrent layers) and Luong/Bahdanau attention,
against NumPy references of Keras 3's equations."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rnnlab as keras
from rnnlab.layers import LSTM, AdditiveAttention, Attention, Dense, Embedding


# -- Embedding ------------------------------------------------------------------------------
def test_embedding_looks_up_rows_and_draws_uniform_005():
    layer = Embedding(20, 3)
    ids = np.array([[4, 0, 19], [7, 7, 1]])
    out = np.asarray(layer(ids))
    table = layer.get_weights()[0]
    assert table.shape == (20, 3) and np.abs(table).max() <= 0.05
    assert np.abs(table).max() > 0.03  # not all zeros / not a narrower range
    np.testing.assert_array_equal(out, table[ids])


def test_mask_zero_makes_a_recurrent_layer_skip_padding():
    ids = keras.Input(shape=(None,))
    emb = Embedding(10, 4, mask_zero=True)
    lstm = LSTM(5)
    model = keras.Model(ids, lstm(emb(ids)))
    padded = np.array([[3, 5, 2, 0, 0], [9, 1, 0, 0, 0]], np.float32)
    got = np.asarray(model(padded))
    for row, length in [(0, 3), (1, 2)]:
        alone = np.asarray(lstm(emb(padded[row : row + 1, :length])))
        np.testing.assert_allclose(got[row], alone[0], atol=1e-6)
    # without mask_zero the padding steps change the result
    plain = Embedding(10, 4)
    plain.params = emb.params
    assert np.abs(np.asarray(lstm(plain(padded))) - got).max() > 1e-4


def test_mask_zero_reaches_the_loss_with_return_sequences():
    ids = keras.Input(shape=(None,))
    h = LSTM(3, return_sequences=True)(Embedding(6, 2, mask_zero=True)(ids))
    model = keras.Model(ids, Dense(1)(h))
    model.compile("sgd", "mse")
    x = np.array([[1, 2, 0, 0]], np.float32)
    y = np.zeros((1, 4, 1), np.float32)
    pred = np.asarray(model(x))
    y_far = y.copy()
    y_far[:, 2:] = 100.0  # targets at padded steps must not count
    assert model.evaluate(x, y_far, verbose=0) == pytest.approx(
        float(np.mean(pred[0, :2] ** 2)), rel=1e-5
    )


def test_embedding_gradient_touches_only_used_rows():
    layer = Embedding(6, 2)
    layer(np.zeros((1, 1)))
    grad = jax.grad(lambda p: jnp.sum(layer.apply(p, jnp.array([[1.0, 4.0, 1.0]]))))(layer.params)
    expected = np.zeros((6, 2))
    expected[1], expected[4] = 2.0, 1.0
    np.testing.assert_array_equal(np.asarray(grad["embeddings"]), expected)


def test_embedding_bad_arguments():
    with pytest.raises(ValueError, match="Embedding 'e': input_dim must be a positive integer"):
        Embedding(0, 3, name="e")


# -- attention ------------------------------------------------------------------------------
def _softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_attention(q, v, k=None, scale=None, v_mask=None, q_mask=None, causal=False):
    k = v if k is None else k
    scores = q @ k.transpose(0, 2, 1)
    if scale is not None:
        scores = scores * scale
    keep = np.ones(scores.shape, bool)
    if v_mask is not None:
        keep &= v_mask[:, None, :].astype(bool)
    if causal:
        keep &= np.tril(np.ones(scores.shape[1:], bool))[None]
    weights = _softmax(np.where(keep, scores, scores - 1e9))
    out = weights @ v
    if q_mask is not None:
        out = out * q_mask[..., None]
    return out, weights


@pytest.fixture(scope="module")
def qkv():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(2, 3, 4))
    v = rng.normal(size=(2, 5, 4))
    k = rng.normal(size=(2, 5, 4))
    return q, v, k


def test_dot_attention_matches_numpy(qkv):
    q, v, k = qkv
    f32 = [a.astype(np.float32) for a in (q, v, k)]
    np.testing.assert_allclose(np.asarray(Attention()(f32[:2])), np_attention(q, v)[0], atol=1e-5)
    np.testing.assert_allclose(np.asarray(Attention()(f32)), np_attention(q, v, k)[0], atol=1e-5)
    layer = Attention(use_scale=True)
    layer(f32[:2])
    layer.set_weights([np.array(0.3)])
    out, weights = layer(f32[:2], return_attention_scores=True)
    ref_out, ref_weights = np_attention(q, v, scale=0.3)
    np.testing.assert_allclose(np.asarray(out), ref_out, atol=1e-5)
    np.testing.assert_allclose(np.asarray(weights), ref_weights, atol=1e-6)


def test_masks_and_causal_mask_match_numpy(qkv):
    q, v, _ = qkv
    q_mask = np.array([[1, 1, 0], [1, 0, 0]], bool)
    v_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]], bool)
    f32 = [q.astype(np.float32), v.astype(np.float32)]
    got = Attention()(f32, mask=[q_mask, v_mask])
    want = np_attention(q, v, v_mask=v_mask, q_mask=q_mask)[0]
    np.testing.assert_allclose(np.asarray(got), want, atol=1e-5)
    square = [v.astype(np.float32), v.astype(np.float32)]
    got = Attention()(square, use_causal_mask=True)
    np.testing.assert_allclose(np.asarray(got), np_attention(v, v, causal=True)[0], atol=1e-5)


def test_concat_score_mode_matches_numpy(qkv):
    q, v, _ = qkv
    layer = Attention(score_mode="concat", use_scale=True)
    f32 = [q.astype(np.float32), v.astype(np.float32)]
    layer(f32)
    layer.set_weights([np.array(0.5), np.array(2.0)])
    scores = 2.0 * np.tanh(0.5 * (q[:, :, None, :] + v[:, None, :, :])).sum(-1)
    np.testing.assert_allclose(np.asarray(layer(f32)), _softmax(scores) @ v, atol=1e-5)


def test_additive_attention_matches_numpy(qkv):
    q, v, k = qkv
    layer = AdditiveAttention()
    f32 = [a.astype(np.float32) for a in (q, v, k)]
    out = layer(f32)
    scale = np.asarray(layer.params["scale"], np.float64)
    assert scale.shape == (4,) and np.abs(scale).max() <= np.sqrt(6 / 8)
    scores = (scale * np.tanh(q[:, :, None, :] + k[:, None, :, :])).sum(-1)
    np.testing.assert_allclose(np.asarray(out), _softmax(scores) @ v, atol=1e-5)
    assert AdditiveAttention(use_scale=False)(f32[:2]).shape == (2, 3, 4)


def test_attention_in_a_functional_model_uses_the_flowing_mask():
    ids = keras.Input(shape=(None,))
    h = LSTM(4, return_sequences=True)(Embedding(9, 3, mask_zero=True)(ids))
    ctx, weights = Attention()([h, h], return_attention_scores=True)
    model = keras.Model(ids, [ctx, weights])
    x = np.array([[2, 5, 0]], np.float32)
    _, w = model(x)
    w = np.asarray(w)
    assert w.shape == (1, 3, 3)
    np.testing.assert_allclose(w[0, :, 2], 0.0, atol=1e-7)  # the padded step gets no weight
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-6)


def test_attention_bad_calls():
    with pytest.raises(ValueError) as err:
        Attention(name="att")([np.ones((1, 2, 3), np.float32)])
    assert str(err.value) == (
        "Attention 'att': call it on a list [query, value] or [query, value, key], got 1 tensors"
    )
    with pytest.raises(ValueError) as err:
        Attention(name="att")([keras.Input((2, 3)), keras.Input((4, 5))])
    assert str(err.value) == (
        "Attention 'att': query and key must have the same last axis, got query, value of "
        "shapes (None, 2, 3), (None, 4, 5)"
    )
    with pytest.raises(ValueError, match="score_mode must be 'dot' or 'concat', got 'add'"):
        Attention(score_mode="add")


def test_attention_on_one_symbolic_tensor_names_the_layer():
    with pytest.raises(ValueError) as err:
        Attention(name="att")(keras.Input((2, 3)))
    assert str(err.value) == (
        "Attention 'att': call it on a list [query, value] or [query, value, key], got one tensor"
    )
