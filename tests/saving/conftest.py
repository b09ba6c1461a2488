"""Functional graphs shared by the functional-file tests: the fixtures' models
(tests/fixtures/keras/functional/README.md) built in rnnlab, and one graph with every
call form. Tests get them through the ``graphs`` fixture."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import rnnlab as keras
from rnnlab import layers as L


def func_lstm():
    inp = keras.Input((None, 1), name="input_layer")
    h = L.LSTM(5, return_sequences=True, name="lstm")(inp)
    h = L.LSTM(5, name="lstm_1")(h)
    return keras.Model(inp, L.Dense(10, name="dense")(h), name="functional")


def func_multi(as_list=False):
    seq, meta = keras.Input((12, 1), name="seq"), keras.Input((3,), name="meta")
    c = L.Concatenate(name="concatenate")([L.GRU(4, name="gru")(seq), meta])
    shared = L.Dense(4, name="shared")
    s1 = shared(c)
    s2 = shared(L.Add(name="add")([c, L.Dense(7, name="proj")(meta)]))
    one = L.Dense(1, name="one")(s1)
    ten = L.Dense(10, name="ten")(L.Concatenate(name="both")([s1, s2]))
    if as_list:
        return keras.Model([seq, meta], [one, ten], name="multi_list")
    return keras.Model({"seq": seq, "meta": meta}, {"one": one, "ten": ten}, name="multi")


def encoder_decoder():
    """Every call form: return_state, initial_state=, Bidirectional's four states, list and
    dict inputs, a shared layer at two depths, TimeDistributed, Dropout, merges."""
    enc_in, dec_in = keras.Input((7, 2), name="enc_in"), keras.Input((5, 3), name="dec_in")
    seq, h, c = L.LSTM(4, return_sequences=True, return_state=True, name="enc")(enc_in)
    dec = L.LSTM(4, return_sequences=True, name="dec")(dec_in, initial_state=[h, c])
    bi = L.Bidirectional(L.LSTM(4), name="bi")(seq, initial_state=[h, c, h, c])
    td = L.TimeDistributed(L.Dense(3), name="td")(L.Dropout(0.2, name="drop")(dec))
    shared = L.Dense(8, name="shared")
    mixed = L.Subtract(name="sub")([shared(bi), shared(shared(bi))])
    merged = [
        cls(name=cls.__name__.lower())([mixed, bi])
        for cls in (L.Multiply, L.Average, L.Maximum, L.Minimum)
    ]
    out = L.Concatenate(axis=1, name="cat")(merged)
    return keras.Model({"enc_in": enc_in, "dec_in": dec_in}, [td, out], name="enc_dec")


def embed_attend():
    """Embedding(mask_zero) whose mask flows into a GRU and Luong attention, and
    Bahdanau attention; an int32 input."""
    tokens, query = keras.Input((6,), name="tokens", dtype="int32"), keras.Input((3, 4), name="q")
    emb = L.Embedding(5, 4, mask_zero=True, name="emb")(tokens)
    gru = L.GRU(2, name="gru")(emb)
    luong = L.Attention(use_scale=True, score_mode="concat", name="luong")([query, emb])
    bahdanau = L.AdditiveAttention(name="bahdanau")([query, query])
    return keras.Model([tokens, query], [gru, luong, bahdanau], name="embed_attend")


def gated_ops():
    """func_ops's kinds of operations on symbolic tensors: slicing, keras.ops.tanh and
    sigmoid, tensor * tensor, * constant (a number, a NumPy array), keras.activations.relu,
    keras.ops.concatenate."""
    x = keras.Input((16, 1), name="series")
    a = L.Conv1D(8, 2, padding="causal", name="stem")(x)
    gated = keras.ops.tanh(a[..., :4]) * keras.ops.sigmoid(a[..., 4:])
    h = keras.activations.relu(L.Add(name="add")([L.Conv1D(4, 1, name="skip")(gated), gated]))
    h = keras.ops.concatenate([h, a], axis=-1) * np.linspace(0.5, 1.5, 12, dtype=np.float32)
    return keras.Model(x, L.Conv1D(1, 1, name="head")(h) * 0.5, name="gated")


def toolbox():
    """The rest of rnnlab's layers in one graph, a Masking mask flowing through them into
    the recurrent layers (Keras records those calls' mask as None and recomputes it)."""
    x = keras.Input((12, 3), name="x")
    h = L.Bidirectional(L.LSTM(4, return_sequences=True), name="bi")(L.Masking(name="mask")(x))
    h = L.Dropout(0.1, name="drop")(L.BatchNormalization(name="bn")(L.LayerNormalization()(h)))
    h = L.GRU(4, reset_after=False, return_sequences=True, name="gru")(h)
    last = L.GRU(3, name="last")(L.TimeDistributed(L.Dense(2), name="td")(h))
    shaped = L.Activation("tanh", name="act")(L.Reshape((3, 2), name="re")(L.Dense(6)(last)))
    again = L.SimpleRNN(2, name="srnn")(L.RepeatVector(2, name="rep")(last))
    conv = L.Dense(1, name="conv_out")(L.Flatten()(L.Conv1D(2, 3, strides=2, name="conv")(x)))
    return keras.Model(x, [shaped, again, conv], name="toolbox")


def nested():
    """Models as layers: a functional encoder (GRU, BatchNormalization, LSTM) and a
    Sequential head, each called on two inputs (shared weights)."""
    inp = keras.Input((6, 2), name="enc_in")
    h = L.BatchNormalization(name="enc_bn")(L.GRU(4, return_sequences=True, name="enc_gru")(inp))
    enc = keras.Model(inp, L.LSTM(3, name="enc_lstm")(h), name="enc")
    head = keras.Sequential([keras.Input((3,)), L.Dense(2, name="head_d")], name="head")
    a, b = keras.Input((6, 2), name="a"), keras.Input((6, 2), name="b")
    diff = L.Subtract(name="diff")([head(enc(a)), head(enc(b))])
    return keras.Model([a, b], diff, name="nested")


@pytest.fixture(scope="session")
def graphs():
    """The builders: ``graphs.func_lstm()``, ``graphs.func_multi(as_list)``,
    ``graphs.encoder_decoder()``, ``graphs.embed_attend()``, ``graphs.gated_ops()``,
    ``graphs.toolbox()``, ``graphs.nested()`` (each call makes a new model)."""
    return SimpleNamespace(
        func_lstm=func_lstm,
        func_multi=func_multi,
        encoder_decoder=encoder_decoder,
        embed_attend=embed_attend,
        gated_ops=gated_ops,
        toolbox=toolbox,
        nested=nested,
    )
