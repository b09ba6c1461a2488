"""Per-output masks in the losses and metrics of models of several outputs.

Keras 3's rule (checked against Keras 3.15.1 on JAX when this was written: its
``evaluate`` on this graph equals the hand formula below to 1e-7): an output carrying a
time-step mask has its loss and metrics averaged over its unmasked steps only,
``Σ loss·sw·mask / Σ mask`` per batch, the other outputs keep their plain means, and
the total is ``Σ_i weight_i × loss_i``. The references here are computed in NumPy from
the model's own predictions and the mask read off the tokens.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rnnlab as keras

WEIGHTS = {"s": 2.0, "l": 0.5}


def build(seed: int = 0) -> keras.Model:
    """Tokens → Embedding(mask_zero) → a per-step output ``s`` (masked) and an
    LSTM's last state → ``l`` (no mask)."""
    keras.utils.set_random_seed(seed)
    tok = keras.Input((6,), name="tok")
    e = keras.layers.Embedding(5, 3, mask_zero=True, name="emb")(tok)
    seq = keras.layers.LSTM(4, return_sequences=True, name="seq_lstm")(e)
    s = keras.layers.Dense(2, name="s")(seq)
    last = keras.layers.Dense(1, name="l")(keras.layers.LSTM(3, name="last_lstm")(e))
    model = keras.Model(tok, {"s": s, "l": last}, name="masked_two")
    model.compile(
        "sgd", loss={"s": "mse", "l": "mae"}, loss_weights=WEIGHTS, metrics={"s": ["mae"]}
    )
    return model


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 5, (8, 6))
    x[:3, 4:] = 0  # padding at the end of three series
    x[5, 2:] = 0
    ys = rng.normal(size=(8, 6, 2)).astype("float32")
    yl = rng.normal(size=(8, 1)).astype("float32")
    return x, {"s": ys, "l": yl}


@pytest.fixture(scope="module")
def model():
    return build()


def hand_values(x, y, pred, rows, sw=None):
    """``{loss, s_loss, l_loss, s_mae}`` of one batch ``rows`` by Keras's rule."""
    sw = np.ones(len(x)) if sw is None else sw
    m = (x[rows] != 0).astype(np.float64)
    w = sw[rows]
    se = ((y["s"][rows] - pred["s"][rows]) ** 2).mean(-1)
    s_loss = (se * w[:, None] * m).sum() / m.sum()
    l_loss = (np.abs(y["l"][rows] - pred["l"][rows]).mean(-1) * w).mean()
    s_mae = (np.abs(y["s"][rows] - pred["s"][rows]).mean(-1) * m).sum() / m.sum()
    total = WEIGHTS["s"] * s_loss + WEIGHTS["l"] * l_loss
    return {"loss": total, "s_loss": s_loss, "l_loss": l_loss, "s_mae": s_mae}


def test_forward_gives_one_mask_per_output(model, data):
    x, _ = data
    _, mask, _ = model.forward(model.params, jnp.asarray(x))
    assert isinstance(mask, list) and len(mask) == 2
    names = model.target_names
    np.testing.assert_array_equal(np.asarray(mask[names.index("s")]), x != 0)
    assert mask[names.index("l")] is None


@pytest.mark.parametrize("batch_size", [8, 5])
def test_evaluate_masks_each_output_in_its_own_mean(model, data, batch_size):
    x, y = data
    pred = {k: np.asarray(v, np.float64) for k, v in model.predict(x, verbose=0).items()}
    got = model.evaluate(x, y, batch_size=batch_size, return_dict=True, verbose=0)
    batches = [np.arange(i, min(i + batch_size, len(x))) for i in range(0, len(x), batch_size)]
    per_batch = [hand_values(x, y, pred, rows) for rows in batches]
    sizes = np.array([len(rows) for rows in batches], np.float64)
    # The loss is a per-batch mean weighted by the batch's samples, as Keras's tracker.
    want = {k: float(np.dot(sizes, [b[k] for b in per_batch]) / sizes.sum()) for k in got}
    if batch_size == 5:  # and differs from one pooled mean over all steps
        pooled = hand_values(x, y, pred, np.arange(len(x)))["s_loss"]
        assert abs(pooled - want["s_loss"]) > 1e-4
    for key in ("loss", "s_loss", "l_loss"):
        assert got[key] == pytest.approx(want[key], rel=2e-6), key
    # Metrics are one mean over the epoch: Σ|e|·m / Σ m over every unmasked step.
    m = (x != 0).astype(np.float64)
    s_mae = (np.abs(y["s"] - pred["s"]).mean(-1) * m).sum() / m.sum()
    assert got["s_mae"] == pytest.approx(s_mae, rel=2e-6)
    unmasked = ((y["s"] - pred["s"]) ** 2).mean()
    assert abs(got["s_loss"] - unmasked) > 1e-3  # the mask changed the value


def test_one_sgd_step_follows_the_masked_loss(data):
    x, y = data
    sw = np.linspace(0.5, 1.5, len(x)).astype("float32")
    model = build(seed=1)
    params = model.params
    mask = jnp.asarray(x != 0, jnp.float32)

    def hand_loss(p):
        pred = model.apply(p, jnp.asarray(x))
        se = jnp.mean((y["s"] - pred["s"]) ** 2, -1)
        s_loss = jnp.sum(se * sw[:, None] * mask) / jnp.sum(mask)
        l_loss = jnp.mean(jnp.mean(jnp.abs(y["l"] - pred["l"]), -1) * sw)
        return WEIGHTS["s"] * s_loss + WEIGHTS["l"] * l_loss

    loss, grads = jax.value_and_grad(hand_loss)(params)
    lr = 0.01  # the default SGD rate
    want = jax.tree.map(lambda p, g: p - lr * g, params, grads)
    history = model.fit(x, y, sample_weight=sw, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(float(loss), rel=2e-6)
    for path, got in jax.tree_util.tree_leaves_with_path(model.params):
        expected = dict(jax.tree_util.tree_leaves_with_path(want))[path]
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7, err_msg=str(path))
    moved = jax.tree.map(lambda a, b: float(jnp.max(jnp.abs(a - b))), model.params, params)
    assert moved["s"]["kernel"] > 1e-5


def test_a_nested_model_passes_each_output_mask_on(model, data):
    x, y = data
    tok = keras.Input((6,), name="outer_tok")
    outs = model(tok)
    assert isinstance(outs, dict) and sorted(outs) == ["l", "s"]  # as Keras returns them
    outer = keras.Model(tok, outs, name="outer")
    outer.compile(
        "sgd", loss={"s": "mse", "l": "mae"}, loss_weights=WEIGHTS, metrics={"s": ["mae"]}
    )
    _, mask, _ = outer.forward(outer.params, jnp.asarray(x))
    names = outer.target_names
    np.testing.assert_array_equal(np.asarray(mask[names.index("s")]), x != 0)
    assert mask[names.index("l")] is None
    assert outer.evaluate(x, y, batch_size=8, return_dict=True, verbose=0) == pytest.approx(
        model.evaluate(x, y, batch_size=8, return_dict=True, verbose=0), rel=1e-6
    )
