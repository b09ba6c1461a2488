"""Functional models of several inputs and outputs in compile / fit / evaluate / predict.

References: Keras 3.15.1's own files for the ``func_multi`` graph
(``tests/fixtures/keras/functional``: trained weights, predictions, History and evaluate
orders) and hand computations in NumPy from the model's own predictions.
"""

from __future__ import annotations

import io
import json
import pathlib
import re
import zipfile

import h5py
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rnnlab as keras
from rnnlab.parallel import FitJob, fit_many
from rnnlab.training.structured import take_tree

FIX = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "keras" / "functional"
HISTORY = json.loads((FIX / "func_multi_history.json").read_text())
LIST_HISTORY = json.loads((FIX / "func_multi_list_history.json").read_text())


def build(as_dict: bool = True, seed: int = 0, light: bool = False) -> keras.Model:
    """The fixture's ``func_multi`` graph (README row): GRU + Concatenate + a shared Dense
    + Add; dict inputs/outputs (``as_dict``) or lists ``[seq, meta]`` → ``[one, ten]``.
    ``light``: Flatten + Dense(4) in place of the GRU — the same structure, compiled in a
    fraction of the time, for the tests that only train."""
    keras.utils.set_random_seed(seed)
    seq = keras.Input((12, 1), name="seq")
    meta = keras.Input((3,), name="meta")
    if light:
        h = keras.layers.Dense(4, name="gru")(keras.layers.Flatten(name="flat")(seq))
    else:
        h = keras.layers.GRU(4, name="gru")(seq)
    c = keras.layers.Concatenate(name="concatenate")([h, meta])
    shared = keras.layers.Dense(4, name="shared")
    s1 = shared(c)
    s2 = shared(keras.layers.Add(name="add")([c, keras.layers.Dense(7, name="proj")(meta)]))
    one = keras.layers.Dense(1, name="one")(s1)
    ten = keras.layers.Dense(10, name="ten")(keras.layers.Concatenate(name="both")([s1, s2]))
    if as_dict:
        return keras.Model({"seq": seq, "meta": meta}, {"one": one, "ten": ten}, name="multi")
    return keras.Model([seq, meta], [one, ten], name="multi_list")


def keras_weights() -> dict:
    """The Keras-trained weights of ``func_multi.keras`` (its ``model.weights.h5``, read
    with h5py; groups as ``func_multi.h5paths.txt`` lists them) as rnnlab params."""
    with zipfile.ZipFile(FIX / "func_multi.keras") as z:
        raw = z.read("model.weights.h5")
    with h5py.File(io.BytesIO(raw), "r") as f:
        dense = {"proj": "dense", "shared": "dense_1", "one": "dense_2", "ten": "dense_3"}
        params = {
            name: {
                "kernel": f[f"layers/{g}/vars/0"][()],
                "bias": f[f"layers/{g}/vars/1"][()],
            }
            for name, g in dense.items()
        }
        assert f[f"layers/{dense['shared']}/vars"].attrs["name"] == "shared"
        cell = f["layers/gru/cell/vars"]
        params["gru"] = {
            "kernel": cell["0"][()],
            "recurrent_kernel": cell["1"][()],
            "bias": cell["2"][()],
        }
    return params


def with_weights(model: keras.Model, weights: dict) -> keras.Model:
    params = dict(model.params)
    for name, values in weights.items():
        assert {k: np.shape(v) for k, v in values.items()} == {
            k: np.shape(v) for k, v in params[name].items()
        }, name
        params[name] = {k: jnp.asarray(v) for k, v in values.items()}
    model.params = params
    return model


def compile_keras_way(model: keras.Model, lists: bool = False, optimizer="adam") -> None:
    if lists:
        model.compile(
            optimizer, loss=["mse", "mae"], loss_weights=[1.0, 0.5], metrics=[["mae"], []]
        )
    else:
        model.compile(
            optimizer,
            loss={"one": "mse", "ten": "mae"},
            loss_weights={"one": 1.0, "ten": 0.5},
            metrics={"one": ["mae"]},
        )


@pytest.fixture(scope="module")
def data():
    d = np.load(FIX / "func_multi_train.npz")
    return {
        "x": {"seq": d["x_seq"], "meta": d["x_meta"]},
        "y": {"one": d["y_one"], "ten": d["y_ten"]},
        "vx": {"seq": d["val_x_seq"], "meta": d["val_x_meta"]},
        "vy": {"one": d["val_y_one"], "ten": d["val_y_ten"]},
    }


@pytest.fixture(scope="module")
def trained():
    """The dict model with Keras's trained weights, compiled as Keras compiled it."""
    model = with_weights(build(), keras_weights())
    compile_keras_way(model)
    return model


# -- Keras's files ------------------------------------------------------------------------
def test_predict_on_dicts_gives_keras_predictions(trained):
    x = np.load(FIX / "func_multi_x.npz")
    want = np.load(FIX / "func_multi_y.npz")
    got = trained.predict({"seq": x["seq"], "meta": x["meta"]})
    assert isinstance(got, dict) and list(got) == ["one", "ten"]
    for k in ("one", "ten"):
        assert got[k].shape == want[k].shape
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-6)


def test_predict_batched_like_single_output(trained, data):
    whole = trained.predict(data["x"])
    parts = trained.predict(data["x"], batch_size=5)  # 32 samples: 7 chunks, the last padded
    for k in whole:
        np.testing.assert_allclose(parts[k], whole[k], rtol=1e-6, atol=1e-7)


def test_evaluate_list_and_dict_equal_keras(trained, data):
    values = trained.evaluate(data["vx"], data["vy"])
    np.testing.assert_allclose(values, HISTORY["evaluate_list"], rtol=2e-5)
    got = trained.evaluate(data["vx"], data["vy"], return_dict=True)
    want = HISTORY["evaluate_return_dict"]
    assert list(got) == list(want) == ["loss", "one_loss", "one_mae", "ten_loss"]
    np.testing.assert_allclose(list(got.values()), list(want.values()), rtol=2e-5)
    assert trained.metrics_names == ["loss", "one_loss", "ten_loss", "one_mae"]


@pytest.mark.parametrize("lists", [False, True])
def test_history_keys_in_keras_order(data, lists):
    model = build(as_dict=not lists, light=lists)  # the GRU graph trained once
    compile_keras_way(model, lists=lists)
    x = [data["x"]["seq"], data["x"]["meta"]] if lists else data["x"]
    y = [data["y"]["one"], data["y"]["ten"]] if lists else data["y"]
    vx = [data["vx"]["seq"], data["vx"]["meta"]] if lists else data["vx"]
    vy = [data["vy"]["one"], data["vy"]["ten"]] if lists else data["vy"]
    hist = model.fit(
        x, y, batch_size=16, epochs=1, shuffle=False, verbose=0, validation_data=(vx, vy)
    )
    want = (LIST_HISTORY if lists else HISTORY)["history_key_order"]
    assert list(hist.history) == want
    h = hist.history
    # loss = 1.0 * one_loss + 0.5 * ten_loss, per-output losses unweighted (Keras's rule)
    np.testing.assert_allclose(
        h["val_loss"][0], h["val_one_loss"][0] + 0.5 * h["val_ten_loss"][0], rtol=1e-5
    )


# -- the weighted loss, by hand --------------------------------------------------------------
def test_weighted_loss_equals_hand_computation(trained, data):
    pred = trained.predict(data["vx"])
    y = data["vy"]
    mse_one = np.mean((pred["one"] - y["one"]) ** 2)
    mae_ten = np.mean(np.abs(pred["ten"] - y["ten"]))
    mae_one = np.mean(np.abs(pred["one"] - y["one"]))
    got = trained.evaluate(data["vx"], data["vy"], return_dict=True)
    np.testing.assert_allclose(got["loss"], 1.0 * mse_one + 0.5 * mae_ten, rtol=1e-5)
    np.testing.assert_allclose(got["one_loss"], mse_one, rtol=1e-5)
    np.testing.assert_allclose(got["ten_loss"], mae_ten, rtol=1e-5)
    np.testing.assert_allclose(got["one_mae"], mae_one, rtol=1e-5)


def test_one_sgd_step_follows_the_weighted_loss(data):
    """fit's update is the gradient of Σ weight_i × loss_i: one full-batch SGD step equals
    the step of the hand-written total loss (0.3 × mse + 2 × mae)."""
    model = build(seed=3, light=True)
    model.compile(keras.optimizers.SGD(0.1), loss=["mse", "mae"], loss_weights=[0.3, 2.0])
    start = jax.tree.map(jnp.asarray, model.params)
    x = {"seq": data["x"]["seq"], "meta": data["x"]["meta"]}
    y = data["y"]

    def total(params):
        p = model.apply(params, x)
        return 0.3 * jnp.mean((p["one"] - y["one"]) ** 2) + 2.0 * jnp.mean(
            jnp.abs(p["ten"] - y["ten"])
        )

    loss0, grads = jax.value_and_grad(total)(start)
    hist = model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(hist.history["loss"][0], float(loss0), rtol=1e-5)
    want = jax.tree.map(lambda p, g: p - 0.1 * g, start, grads)
    for name in ("gru", "shared", "one", "ten", "proj"):
        for k in want[name]:
            np.testing.assert_allclose(model.params[name][k], want[name][k], rtol=1e-4, atol=1e-6)


def test_sample_weight_as_keras(trained, data):
    """Keras's sum_over_batch_size: each output's loss is Σ w·loss / n; metrics unweighted."""
    n = data["vx"]["seq"].shape[0]
    sw = np.linspace(0.0, 2.0, n).astype(np.float32)
    pred = trained.predict(data["vx"])
    y = data["vy"]
    one = np.mean(sw * np.mean((pred["one"] - y["one"]) ** 2, axis=1))
    ten = np.mean(sw * np.mean(np.abs(pred["ten"] - y["ten"]), axis=1))
    got = trained.evaluate(data["vx"], data["vy"], sample_weight=sw, return_dict=True)
    np.testing.assert_allclose(
        [got["loss"], got["one_loss"], got["ten_loss"]], [one + 0.5 * ten, one, ten], rtol=1e-5
    )
    np.testing.assert_allclose(got["one_mae"], np.mean(np.abs(pred["one"] - y["one"])), rtol=1e-5)
    # one array per output (a dict keyed by output name, or a list): each output's own
    per = trained.evaluate(
        data["vx"], data["vy"], sample_weight={"one": sw, "ten": sw[::-1]}, return_dict=True
    )
    ten_rev = np.mean(sw[::-1] * np.mean(np.abs(pred["ten"] - y["ten"]), axis=1))
    np.testing.assert_allclose(
        [per["loss"], per["one_loss"], per["ten_loss"]],
        [one + 0.5 * ten_rev, one, ten_rev],
        rtol=1e-5,
    )
    as_list = trained.evaluate(
        data["vx"], data["vy"], sample_weight=[sw, sw[::-1]], return_dict=True
    )
    assert as_list == per
    same = trained.evaluate(
        data["vx"], data["vy"], sample_weight={"one": sw, "ten": sw}, return_dict=True
    )
    np.testing.assert_allclose(list(same.values()), list(got.values()), rtol=1e-6)
    ones = trained.evaluate(data["vx"], data["vy"], sample_weight=np.ones(n), return_dict=True)
    plain = trained.evaluate(data["vx"], data["vy"], return_dict=True)
    np.testing.assert_allclose(list(ones.values()), list(plain.values()), rtol=1e-6)


def test_fit_with_sample_weight_and_validation_split(data):
    model = build(seed=5, light=True)
    compile_keras_way(model, optimizer=keras.optimizers.SGD(0.05))
    n = 32
    sw = np.where(np.arange(n) % 2 == 0, 1.0, 0.0).astype(np.float32)
    start = jax.tree.map(jnp.asarray, model.params)
    hist = model.fit(data["x"], data["y"], batch_size=24, epochs=1, shuffle=False, verbose=0,
                     validation_split=0.25, sample_weight=sw)  # fmt: skip
    assert list(hist.history) == HISTORY["history_key_order"]
    # The validation part (last 8 samples, weighted like them) evaluated after the epoch.
    cut = {k: v[24:] for k, v in data["x"].items()}
    cut_y = {k: v[24:] for k, v in data["y"].items()}
    after = model.evaluate(cut, cut_y, sample_weight=sw[24:], return_dict=True)
    for k, v in after.items():
        np.testing.assert_allclose(hist.history[f"val_{k}"][0], v, rtol=1e-5)
    # Batch 1 (24 samples): loss Σ w·loss / 24 — odd samples have weight 0, no gradient.
    model.params = start
    xb = {k: v[:24] for k, v in data["x"].items()}
    yb = {k: v[:24] for k, v in data["y"].items()}

    def total(params):
        p = model.apply(params, xb)
        one = jnp.mean((p["one"] - yb["one"]) ** 2, axis=1)
        ten = jnp.mean(jnp.abs(p["ten"] - yb["ten"]), axis=1)
        return jnp.sum(sw[:24] * (one + 0.5 * ten)) / 24

    np.testing.assert_allclose(hist.history["loss"][0], float(total(start)), rtol=1e-5)


# -- list and dict forms -----------------------------------------------------------------
def test_list_and_dict_forms_give_identical_results(data):
    results = []
    for form in ("dict", "list"):
        model = build(seed=11, light=True)
        if form == "dict":
            compile_keras_way(model)
            x, y = data["x"], data["y"]
            val = (data["vx"], data["vy"])
        else:  # the dict model fed lists: inputs in its order (meta, seq), outputs (one, ten)
            compile_keras_way(model, lists=True)
            assert model.input_names == ["meta", "seq"] and model.target_names == ["one", "ten"]
            x, y = [data["x"]["meta"], data["x"]["seq"]], [data["y"]["one"], data["y"]["ten"]]
            val = ([data["vx"]["meta"], data["vx"]["seq"]], [data["vy"]["one"], data["vy"]["ten"]])
        hist = model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_data=val)
        results.append((hist.history, model.params, model.evaluate(*val)))
    assert results[0][0] == results[1][0]
    assert results[0][2] == results[1][2]
    jax.tree.map(np.testing.assert_array_equal, results[0][1], results[1][1])


def test_list_model_takes_dicts_keyed_by_input_name(data):
    model = with_weights(build(as_dict=False), keras_weights())
    compile_keras_way(model, lists=True)
    as_list = model.predict([data["vx"]["seq"], data["vx"]["meta"]])
    as_dict = model.predict(data["vx"])
    assert isinstance(as_list, list) and len(as_list) == 2
    for a, b in zip(as_list, as_dict, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(
        model.evaluate(data["vx"], data["vy"]), HISTORY["evaluate_list"], rtol=2e-5
    )


def test_compile_forms(data):
    model = build(light=True)
    model.compile("adam", loss="mse")  # one loss for every output
    assert model.metrics_names == ["loss", "one_loss", "ten_loss"]
    model.compile("adam", loss={"one": "mse"})  # an output without a loss: only "loss"
    assert model.metrics_names == ["loss"]
    model.compile("adam", loss=["mse", "mae"], metrics={"ten": "mae", "one": ["mse", "mae"]})
    assert model.metrics_names == ["loss", "one_loss", "ten_loss", "one_mae", "one_mse", "ten_mae"]
    hist = model.fit(data["x"], data["y"], epochs=1, verbose=0)
    assert list(hist.history) == ["loss", "one_loss", "one_mae", "one_mse", "ten_loss", "ten_mae"]


def test_single_output_in_a_list_has_keras_unprefixed_names():
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,), name="a")
    model = keras.Model(inp, [keras.layers.Dense(2, name="out")(inp)])
    model.compile("adam", loss={"out": "mse"}, metrics=["mae"])
    x, y = np.ones((6, 4), np.float32), np.zeros((6, 2), np.float32)
    hist = model.fit(x, [y], epochs=1, verbose=0)
    assert list(hist.history) == ["loss", "mae"]
    pred = model.predict(x)
    assert isinstance(pred, list) and pred[0].shape == (6, 2)


# -- callbacks, compilation, fit_many ---------------------------------------------------------
def test_callbacks_see_per_output_keys(data, tmp_path):
    model = build(seed=2, light=True)
    compile_keras_way(model)
    seen = []
    stop = keras.callbacks.EarlyStopping(monitor="val_one_loss", patience=0, min_delta=10.0)
    ckpt = keras.callbacks.ModelCheckpoint(
        tmp_path / "best.weights.h5",
        monitor="val_ten_loss",
        save_best_only=True,
        save_weights_only=True,
    )
    log = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(sorted(logs)))
    hist = model.fit(data["x"], data["y"], epochs=5, verbose=0, callbacks=[stop, ckpt, log],
                     validation_data=(data["vx"], data["vy"]))  # fmt: skip
    assert len(hist.history["loss"]) == 2  # no val_one_loss improvement of 10: stops after 2
    assert seen[0] == sorted(HISTORY["history_key_order"])
    assert (tmp_path / "best.weights.h5").exists()


def test_second_fit_with_the_same_shapes_does_not_recompile(data):
    model = build(seed=4, light=True)
    compile_keras_way(model)
    val = (data["vx"], data["vy"])
    model.fit(data["x"], data["y"], batch_size=8, epochs=1, verbose=0, validation_data=val)
    # the compiled epoch for structured data (lists of arrays: take_tree's gather)
    epoch_fn = model.trainer.epoch_fn(model.trainable_labels(), False, take_tree)
    size = epoch_fn._cache_size()
    model.fit(data["x"], data["y"], batch_size=8, epochs=2, verbose=0, validation_data=val)
    model.evaluate(*val)
    model.evaluate(*val)
    assert epoch_fn._cache_size() == size == 1
    # list data of the same arrays: the same pytree, the same program
    as_lists = ([val[0]["meta"], val[0]["seq"]], [val[1]["one"], val[1]["ten"]])
    model.fit([data["x"]["meta"], data["x"]["seq"]], [data["y"]["one"], data["y"]["ten"]],
              batch_size=8, epochs=1, verbose=0, validation_data=as_lists)  # fmt: skip
    assert epoch_fn._cache_size() == 1


def test_fit_many_trains_functional_models(data):
    def single(seed):
        keras.utils.set_random_seed(seed)
        inp = keras.Input((12, 1))
        m = keras.Model(inp, keras.layers.Dense(1)(keras.layers.Flatten()(inp)))
        m.compile("adam", "mse")
        return m

    y1 = data["y"]["one"]
    a, b = single(1), single(1)
    multi_a, multi_b = build(seed=6, light=True), build(seed=6, light=True)
    compile_keras_way(multi_a)
    compile_keras_way(multi_b)
    kwargs = {"epochs": 2, "batch_size": 8, "shuffle": False}  # the fit keys differ
    jobs = [
        FitJob(a, data["x"]["seq"], y1, kwargs),
        FitJob(multi_a, data["x"], data["y"], kwargs),
    ]
    histories = fit_many(jobs, workers=2)
    alone = b.fit(data["x"]["seq"], y1, verbose=0, **kwargs)
    assert histories[0].history == alone.history
    alone_multi = multi_b.fit(data["x"], data["y"], verbose=0, **kwargs)
    assert histories[1].history == alone_multi.history
    assert list(alone_multi.history) == ["loss", "one_loss", "one_mae", "ten_loss"]


# -- bad input -----------------------------------------------------------------------------
def bad(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


NAMES_IN, NAMES_OUT = "['meta', 'seq']", "['one', 'ten']"
BAD_DATA = {
    "unknown input key": (
        lambda x, y, vx, vy: {"x": {**x, "sequence": x["seq"]}, "y": y},
        f"fit: x has the key 'sequence', which names no input of the model; its inputs are "
        f"{NAMES_IN}",
    ),
    "missing output": (
        lambda x, y, vx, vy: {"x": x, "y": {"one": y["one"]}},
        f"fit: y has no array for the output 'ten'; the model's outputs are {NAMES_OUT}",
    ),
    "list too short": (
        lambda x, y, vx, vy: {"x": [x["meta"]], "y": y},
        f"fit: x is a list of 1 arrays, but the model has 2 inputs {NAMES_IN}; give one "
        "array per input, in that order, or a dict keyed by input name",
    ),
    "one array for two inputs": (
        lambda x, y, vx, vy: {"x": x["seq"], "y": y},
        f"fit: x is one array, but the model has 2 inputs {NAMES_IN}; give a list in that "
        "order or a dict keyed by input name",
    ),
    "different lengths": (
        lambda x, y, vx, vy: {"x": {**x, "meta": x["meta"][:30]}, "y": y},
        "fit: every array must have the same number of samples (first axis); x['meta'] has "
        "30, x['seq'] has 32, y['one'] has 32, y['ten'] has 32",
    ),
    "input shape": (
        lambda x, y, vx, vy: {"x": {**x, "seq": x["seq"][:, :10]}, "y": y},
        "fit: x['seq'] has shape (32, 10, 1), but the model's input 'seq' expects (None, 12, 1)",
    ),
    "target shape": (
        lambda x, y, vx, vy: {"x": x, "y": {**y, "ten": y["ten"][:, :9]}},
        "fit: y['ten'] has shape (32, 9), but the model outputs (n, 10); targets must match "
        "the model's output shape",
    ),
    "validation key": (
        lambda x, y, vx, vy: {
            "x": x,
            "y": y,
            "validation_data": (vx, {"one": vy["one"], "tenn": vy["ten"]}),
        },
        "fit: validation_data[1] has the key 'tenn', which names no output of the model; its "
        f"outputs are {NAMES_OUT}",
    ),
    "sample weight shape": (
        lambda x, y, vx, vy: {"x": x, "y": y, "sample_weight": np.ones((32, 1))},
        "fit: sample_weight must have shape (32,), one weight per sample, got (32, 1)",
    ),
    "sample weight key": (
        lambda x, y, vx, vy: {"x": x, "y": y, "sample_weight": {"one": np.ones(32), "tne": 1}},
        f"fit: sample_weight has the key 'tne', which names no output of the model; its "
        f"outputs are {NAMES_OUT}",
    ),
    "list too long": (
        lambda x, y, vx, vy: {"x": x, "y": [y["one"], y["ten"], y["ten"]]},
        f"fit: y is a list of 3 arrays, but the model has 2 outputs {NAMES_OUT}",
    ),
}


@pytest.mark.parametrize("case", list(BAD_DATA))
def test_bad_data_raises_clear_errors(trained, data, case):
    make, message = BAD_DATA[case]
    kwargs = make(data["x"], data["y"], data["vx"], data["vy"])
    bad(lambda: trained.fit(verbose=0, **kwargs), message)
    if set(kwargs) == {"x", "y"}:  # evaluate checks alike
        bad(lambda: trained.evaluate(**kwargs), message.replace("fit:", "evaluate:"))
    if case in ("unknown input key", "one array for two inputs"):
        bad(lambda: trained.predict(kwargs["x"]), message.replace("fit:", "predict:"))


BAD_COMPILE = {
    "unknown loss key": (
        {"loss": {"one": "mse", "tenn": "mae"}},
        f"compile: loss has the key 'tenn', which names no output of the model; its outputs "
        f"are {NAMES_OUT}",
    ),
    "flat metrics list": (
        {"loss": "mse", "metrics": ["mae"]},
        f"compile: metrics=['mae'] for a model of 2 outputs {NAMES_OUT}: give a list with "
        "one entry (a metric or a list of metrics) per output, or a dict keyed by output name",
    ),
    "loss weights length": (
        {"loss": "mse", "loss_weights": [1.0]},
        f"compile: loss_weights is a list of 1 for a model of 2 outputs {NAMES_OUT}",
    ),
    "loss weights dict short": (
        {"loss": {"one": "mse", "ten": "mae"}, "loss_weights": {"one": 2.0}},
        "compile: loss_weights has no weight for the output 'ten', which has a loss; give a "
        "weight for every output with a loss",
    ),
    "no loss at all": (
        {"loss": {"one": None}},
        f"compile: loss={{'one': None}} gives no output of {NAMES_OUT} a loss",
    ),
    "tf.keras 2's order": (
        {"loss": "mse", "loss_weights": {"one": ["mae"], "ten": "mse"}},
        "compile: loss_weights={'one': ['mae'], 'ten': 'mse'} holds metrics, not numbers. "
        "Keras 3's order is compile(optimizer, loss, loss_weights, metrics): pass them by "
        "name, metrics={'one': ['mae'], 'ten': 'mse'}",
    ),
    "unknown metrics key": (
        {"loss": "mse", "metrics": {"on": ["mae"]}},
        "compile: metrics has the key 'on', which names no output of the model",
    ),
}


@pytest.mark.parametrize("case", list(BAD_COMPILE))
def test_bad_compile_arguments_raise_clear_errors(case):
    kwargs, message = BAD_COMPILE[case]
    bad(lambda: build().compile("adam", **kwargs), message)


# -- single-input, single-output models keep their program --------------------------------
def test_single_output_epoch_program_is_unchanged_by_sample_weight_support():
    """The trainer's loss and metrics accept sample-weighted targets; on plain targets they
    trace to exactly the program of the bare functions (same numbers, same speed)."""
    import optax

    from rnnlab.losses import mean_squared_error
    from rnnlab.metrics import get as get_metric
    from rnnlab.training import batch_plan, init_state, make_train_epoch
    from rnnlab.training.multi_output import sample_weighted, unweighted

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    forward, tx = model.pure_forward(), optax.adam(1e-3)
    mae = get_metric("mae")[1]
    state = init_state(model.params, tx.init(model.params), jax.random.key(0))
    x, y = jnp.ones((10, 3)), jnp.zeros((10, 2))
    idx, w = batch_plan(10, 4, rng=None)

    def program(loss, metric):
        epoch = make_train_epoch(forward, loss, [metric], tx)
        return epoch.lower(state, x, y, idx, w).as_text()  # StableHLO, no source locations

    bare = program(mean_squared_error, mae)
    assert program(sample_weighted(mean_squared_error), unweighted(mae)) == bare


def test_sequential_sample_weight_as_keras():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    model.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(10, 3)).astype(np.float32), rng.normal(size=(10, 2)).astype(np.float32)
    sw = rng.uniform(size=10).astype(np.float32)
    pred = model.predict(x)
    loss, mae = model.evaluate(x, y, sample_weight=sw)
    np.testing.assert_allclose(loss, np.mean(sw * np.mean((pred - y) ** 2, axis=1)), rtol=1e-5)
    np.testing.assert_allclose(mae, np.mean(np.abs(pred - y)), rtol=1e-5)  # not weighted
    start = jax.tree.map(jnp.asarray, model.params)
    hist = model.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0, sample_weight=sw)
    np.testing.assert_allclose(hist.history["loss"][0], loss, rtol=1e-5)

    def total(params):
        return jnp.mean(sw * jnp.mean((model.apply(params, x) - y) ** 2, axis=1))

    want = jax.tree.map(lambda p, g: p - 0.1 * g, start, jax.grad(total)(start))
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7), model.params, want
    )


def test_single_output_loss_weight_scales_the_loss():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    model.compile("sgd", "mse", loss_weights=2.5)
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    want = 2.5 * np.mean((model.predict(x) - y) ** 2)
    np.testing.assert_allclose(model.evaluate(x, y), want, rtol=1e-6)
    assert model.trainer.compile_args["loss_weights"] == 2.5


def test_compile_takes_keras_3s_positional_order():
    # compile(optimizer, loss, loss_weights, metrics), as keras.Model.compile
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    model.compile("sgd", "mse", 0.5, ["mae"])
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    pred = model.predict(x)
    loss, mae = model.evaluate(x, y)
    np.testing.assert_allclose(loss, 0.5 * np.mean(pred**2), rtol=1e-6)
    np.testing.assert_allclose(mae, np.mean(np.abs(pred)), rtol=1e-6)
    # tf.keras 2's order (metrics third) is named as such, before anything is built
    with pytest.raises(ValueError) as info:
        model.compile("adam", "mse", ["mae"])
    assert str(info.value) == (
        "compile: loss_weights=['mae'] holds metrics, not numbers. Keras 3's order is "
        "compile(optimizer, loss, loss_weights, metrics): pass them by name, metrics=['mae']"
    )
    assert model.optimizer.__class__.__name__ == "SGD"  # the earlier compile stands


def test_two_inputs_one_output_trains_with_unprefixed_names(data):
    keras.utils.set_random_seed(0)
    seq, meta = keras.Input((12, 1), name="seq"), keras.Input((3,), name="meta")
    both = keras.layers.Concatenate()([keras.layers.Flatten()(seq), meta])
    model = keras.Model([seq, meta], keras.layers.Dense(1, name="out")(both))
    model.compile("adam", "mse", metrics=["mae"])
    x = [data["x"]["seq"], data["x"]["meta"]]
    hist = model.fit(x, data["y"]["one"], epochs=1, verbose=0, validation_split=0.25)
    assert list(hist.history) == ["loss", "mae", "val_loss", "val_mae"]
    pred = model.predict(data["x"])  # a dict keyed by input name works for a list model
    assert isinstance(pred, np.ndarray) and pred.shape == (32, 1)
    loss, mae = model.evaluate(x, data["y"]["one"])
    np.testing.assert_allclose(loss, np.mean((pred - data["y"]["one"]) ** 2), rtol=1e-5)
    np.testing.assert_allclose(mae, np.mean(np.abs(pred - data["y"]["one"])), rtol=1e-5)


# Names Keras 3.15.1 (JAX) gives a dict-output model for these compile arguments (run by
# hand: History's keys, and evaluate's list order told apart by value).
KERAS_NAMES = [
    (
        {"loss": {"ten": "mae", "one": "mse"}, "metrics": {"ten": ["mse", "mae"], "one": "mae"}},
        ["loss", "one_loss", "one_mae", "ten_loss", "ten_mae", "ten_mse"],
        ["loss", "ten_loss", "one_loss", "one_mae", "ten_mae", "ten_mse"],  # the loss dict's order
    ),
    (
        {"loss": ["mse", "mae"], "metrics": [["mae", "mae"], None]},
        ["loss", "one_loss", "one_mae", "one_mae_1", "ten_loss"],
        ["loss", "one_loss", "ten_loss", "one_mae", "one_mae_1"],
    ),
]


@pytest.mark.parametrize(("kwargs", "history", "evaluate"), KERAS_NAMES)
def test_names_as_keras_names_them(kwargs, history, evaluate):
    keras.utils.set_random_seed(0)
    a = keras.Input((3,), name="a")
    outputs = {
        "one": keras.layers.Dense(1, name="one")(a),
        "ten": keras.layers.Dense(10, name="ten")(a),
    }
    model = keras.Model(a, outputs)
    model.compile("sgd", **kwargs)
    x, y = np.ones((8, 3), np.float32), {"one": np.zeros((8, 1)), "ten": np.zeros((8, 10))}
    assert list(model.fit(x, y, verbose=0).history) == history
    assert model.metrics_names == evaluate
    assert list(model.evaluate(x, y, return_dict=True)) == history
