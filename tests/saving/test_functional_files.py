"""Functional models in Keras 3's files: Keras-written ``.keras`` / ``.weights.h5`` load in
rnnlab and predict what Keras predicted; rnnlab writes Keras's own config (compared with
the fixtures' ``config.json``) and weights layout (``*.h5paths.txt``); rnnlab -> rnnlab
is exact; refusals are exact. Keras loading rnnlab's files: test_functional_interop.py.

Fixtures: tests/fixtures/keras/functional/ (README.md: what each file is).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import h5py
import jax
import numpy as np
import pytest

import rnnlab as keras
from rnnlab import layers as L
from rnnlab.saving import load_model
from rnnlab.saving.config_reader import model_from_keras
from rnnlab.saving.errors import UnsafeFileError
from rnnlab.saving.registry import LAYERS, ConfigError

F = Path(__file__).resolve().parents[1] / "fixtures" / "keras" / "functional"


def strip_ids(obj):
    """A config without Keras's ``shared_object_id`` (Python ids, new on every save)."""
    if isinstance(obj, dict):
        return {k: strip_ids(v) for k, v in obj.items() if k != "shared_object_id"}
    if isinstance(obj, list):
        return [strip_ids(v) for v in obj]
    return obj


def fixture_config(name):
    return strip_ids(json.loads((F / f"{name}.config.json").read_text()))


def zip_config(path):
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("config.json"))


def h5_listing(source):
    """Every group (with attrs) and dataset (shape, dtype), as the fixtures' h5paths.txt."""
    lines = []
    with h5py.File(source, "r") as f:

        def visit(name, obj):
            if isinstance(obj, h5py.Group):
                attrs = f" attrs={dict(obj.attrs)}" if obj.attrs else ""
                lines.append(f"{name}/  group{attrs}")
            else:
                shape = list(obj.shape)
                lines.append(f"{name}  dataset shape={shape} dtype={obj.dtype}")

        f.visititems(visit)
    return sorted(lines)


def fixture_listing(name):
    return sorted(line for line in (F / f"{name}.h5paths.txt").read_text().splitlines() if line)


@pytest.fixture(scope="module")
def keras_lstm():
    return load_model(F / "func_lstm.keras")


@pytest.fixture(scope="module")
def keras_multi():
    return load_model(F / "func_multi.keras", compile=False)


# -- Keras's files in rnnlab ------------------------------------------------------------------
def test_keras_func_lstm_file_loads_predicts_as_keras_and_is_compiled(keras_lstm):
    x, want = np.load(F / "func_lstm_x.npy"), np.load(F / "func_lstm_y.npy")
    np.testing.assert_allclose(keras_lstm.predict(x, verbose=0), want, atol=1e-5, rtol=0)
    assert [layer.name for layer in keras_lstm.layers] == ["input_layer", "lstm", "lstm_1", "dense"]
    assert keras_lstm.get_layer("lstm").return_sequences
    assert type(keras_lstm.optimizer).__name__ == "Adam"
    assert int(keras_lstm.optimizer.iterations) == 2  # the optimizer state came along


def test_keras_func_multi_file_loads_and_predicts_a_dict_as_keras(keras_multi):
    x, want = dict(np.load(F / "func_multi_x.npz")), dict(np.load(F / "func_multi_y.npz"))
    got = keras_multi.apply(keras_multi.params, x)
    assert sorted(got) == ["one", "ten"]
    for key in want:
        np.testing.assert_allclose(got[key], want[key], atol=1e-5, rtol=0)
    # the shared layer: one set of weights, called twice
    calls = [n for n in keras_multi._plan.nodes if n.layer.name == "shared"]
    assert len(calls) == 2 and calls[0].layer is calls[1].layer


@pytest.mark.parametrize("name", ["func_lstm", "func_multi"])
def test_keras_weights_h5_loads_into_the_same_graph_built_by_hand(
    graphs, name, keras_lstm, keras_multi
):
    model = graphs.func_lstm() if name == "func_lstm" else graphs.func_multi()
    model.load_weights(F / f"{name}.weights.h5")
    reference = keras_lstm if name == "func_lstm" else keras_multi
    for a, b in zip(reference.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["func_lstm", "func_multi"])
def test_a_loaded_model_summary_is_the_summary_of_the_model_built_by_hand(
    graphs, name, keras_lstm, keras_multi
):
    loaded = keras_lstm if name == "func_lstm" else keras_multi
    by_hand = graphs.func_lstm() if name == "func_lstm" else graphs.func_multi()
    got, want = [], []
    loaded.summary(print_fn=got.append)
    by_hand.summary(print_fn=want.append)
    assert got == want


# -- rnnlab's files: Keras's config and weights layout ----------------------------------------
def test_written_config_of_the_func_lstm_graph_is_keras_config_json(graphs, tmp_path):
    model = graphs.func_lstm()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    model.save(tmp_path / "m.keras")
    # identical, compile_config included, up to shared_object_id (Python ids)
    assert zip_config(tmp_path / "m.keras") == fixture_config("func_lstm")


@pytest.mark.parametrize("as_list", [False, True], ids=["dict", "list"])
def test_written_config_of_the_func_multi_graph_is_keras_config_json(graphs, tmp_path, as_list):
    model = graphs.func_multi(as_list)
    if as_list:  # compiled as the fixtures were: per-output structures kept as given
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=["mse", "mae"],
            loss_weights=[1.0, 0.5],
            metrics=[["mae"], []],
        )
    else:
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss={"one": "mse", "ten": "mae"},
            loss_weights={"one": 1.0, "ten": 0.5},
            metrics={"one": ["mae"]},
        )
    model.save(tmp_path / "m.keras")
    ours = zip_config(tmp_path / "m.keras")
    # identical, compile_config included, up to shared_object_id
    assert ours == fixture_config("func_multi_list" if as_list else "func_multi")
    # the shared layer: one entry with two inbound nodes, the second consumer reads node 1
    entries = {e["name"]: e for e in ours["config"]["layers"]}
    assert len(entries["shared"]["inbound_nodes"]) == 2
    both = entries["both"]["inbound_nodes"][0]["args"][0]
    assert [t["config"]["keras_history"] for t in both] == [["shared", 0, 0], ["shared", 1, 0]]
    again = load_model(tmp_path / "m.keras")  # compiled again from the file, as given
    assert again.trainer.compile_args == model.trainer.compile_args
    assert again.metrics_names == model.metrics_names


@pytest.mark.parametrize("name", ["func_lstm", "func_multi"])
def test_written_weights_have_keras_functional_h5_layout(graphs, tmp_path, name):
    model = graphs.func_lstm() if name == "func_lstm" else graphs.func_multi()
    model.save_weights(tmp_path / "m.weights.h5")
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        inside = h5_listing(io.BytesIO(zf.read("model.weights.h5")))
    # the fixtures' files are of fitted models: their optimizer groups are not here
    want = [line for line in fixture_listing(name) if not line.startswith("optimizer")]
    assert h5_listing(tmp_path / "m.weights.h5") == want
    assert inside == want


# -- rnnlab -> rnnlab --------------------------------------------------------------------------
def test_round_trip_is_exact_in_config_weights_and_predictions(graphs, tmp_path):
    model = graphs.encoder_decoder()
    rng = np.random.default_rng(0)
    x = {
        "enc_in": rng.normal(size=(3, 7, 2)).astype(np.float32),
        "dec_in": rng.normal(size=(3, 5, 3)).astype(np.float32),
    }
    model.save(tmp_path / "m.keras")
    again = load_model(tmp_path / "m.keras")
    assert again.get_config() == model.get_config()
    for a, b in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.apply(model.params, x), again.apply(again.params, x), strict=True):
        np.testing.assert_array_equal(a, b)
    config = again.get_config()
    entries = {e["name"]: e for e in config["layers"]}
    assert entries["dec"]["build_config"] == {
        "shapes_dict": {"sequences_shape": [None, 5, 3], "initial_state_shape": [[None, 4]] * 2}
    }
    dec_kwargs = entries["dec"]["inbound_nodes"][0]["kwargs"]
    assert [t["config"]["keras_history"] for t in dec_kwargs["initial_state"]] == [
        ["enc", 0, 1],
        ["enc", 0, 2],
    ]
    assert entries["enc"]["inbound_nodes"][0]["kwargs"] == {"training": False, "mask": None}
    assert entries["drop"]["inbound_nodes"][0]["kwargs"] == {"training": False}
    assert len(entries["shared"]["inbound_nodes"]) == 3


@pytest.mark.parametrize(
    "name", ["func_lstm", "func_multi", "encoder_decoder", "embed_attend", "gated_ops", "toolbox"]
)
def test_every_graph_round_trips_exactly(graphs, tmp_path, name):
    model = getattr(graphs, name)()
    model.save(tmp_path / "m.keras")
    again = load_model(tmp_path / "m.keras")
    assert again.get_config() == model.get_config()
    assert again.name == model.name and again.input_names == model.input_names
    rng = np.random.default_rng(5)
    x = {
        t.node.layer.name: rng.integers(0, 5, size=(2, *t.shape[1:])).astype(t.dtype)
        if t.dtype.startswith("int")
        else rng.normal(size=(2, *[d or 6 for d in t.shape[1:]])).astype(np.float32)
        for t in model.inputs
    }
    for a, b in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(
        jax.tree_util.tree_leaves(model.apply(model.params, x)),
        jax.tree_util.tree_leaves(again.apply(again.params, x)),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)


def test_embedding_and_attention_round_trip_exactly(graphs, tmp_path):
    model = graphs.embed_attend()
    model.save(tmp_path / "m.keras")
    again = load_model(tmp_path / "m.keras")
    assert again.get_config() == model.get_config()
    tokens = np.array([[1, 2, 0, 0, 3, 0], [4, 0, 0, 0, 0, 0]], np.int32)
    x = [tokens, np.random.default_rng(1).normal(size=(2, 3, 4)).astype(np.float32)]
    for a, b in zip(model.apply(model.params, x), again.apply(again.params, x), strict=True):
        np.testing.assert_array_equal(a, b)


def test_get_config_and_from_config_make_the_same_graph(graphs):
    model = graphs.func_multi()
    again = keras.Model.from_config(model.get_config())
    assert again.get_config() == model.get_config()
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]


# -- refusals ----------------------------------------------------------------------------------
def test_a_keras_file_with_an_unknown_layer_class_names_it(tmp_path):
    config = fixture_config("func_lstm")
    config["config"]["layers"][3]["class_name"] = "Conv2D"
    with pytest.raises(ConfigError) as err:
        model_from_keras(config)
    assert str(err.value) == (
        f"unknown layer class 'Conv2D': rnnlab has {', '.join(sorted(LAYERS))}; for a class "
        "of your own, pass custom_objects={'Conv2D': Conv2D}"
    )
    assert "Concatenate" in LAYERS and "Embedding" in LAYERS


class Scale(L.Layer):
    """A custom layer with a weight and get_config (issue 14's Keras-style subclass)."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), name="w")

    def call(self, x):
        return keras.ops.tanh(x @ self.w)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_a_custom_layer_loads_with_custom_objects_and_is_named_without(tmp_path):
    x = keras.Input((4,), name="x")
    model = keras.Model(x, L.Dense(1, name="d")(Scale(3, name="sc")(x)))
    model.save(tmp_path / "m.keras")
    entry = zip_config(tmp_path / "m.keras")["config"]["layers"][1]
    assert (entry["class_name"], entry["registered_name"], entry["config"]["units"]) == (
        "Scale",
        "Scale",
        3,
    )
    with pytest.raises(UnsafeFileError) as err:
        load_model(tmp_path / "m.keras")
    assert str(err.value).endswith("for a class of your own, pass custom_objects={'Scale': Scale}")
    assert "unknown layer class 'Scale'" in str(err.value)
    again = load_model(tmp_path / "m.keras", custom_objects={"Scale": Scale})
    data = np.random.default_rng(2).normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_array_equal(again.predict(data, verbose=0), model.predict(data, verbose=0))


def test_a_keras_subclassed_model_file_is_refused_with_the_way_out():
    with pytest.raises(UnsafeFileError) as err:
        load_model(F / "sub_dense.keras")
    assert str(err.value) == (
        f"{F / 'sub_dense.keras'}: 'config.json': the file holds a model of the class "
        "'SubDense' (a subclassed model, or not a model): rnnlab loads Sequential and "
        "functional models from files; for a subclassed model, build SubDense in code and "
        "call its load_weights with the file"
    )


def test_a_keras_functional_file_with_a_lambda_layer_is_refused():
    config = fixture_config("func_lstm")
    config["config"]["layers"][3].update(
        {"class_name": "Lambda", "config": {"function": {"class_name": "__lambda__"}}}
    )
    with pytest.raises(ConfigError) as err:
        model_from_keras(config)
    assert str(err.value).startswith("the config names a Lambda layer, which holds Python code")


def test_a_config_whose_calls_cannot_all_run_is_refused():
    config = fixture_config("func_lstm")
    node = config["config"]["layers"][1]["inbound_nodes"][0]  # lstm reads lstm_1: a loop
    node["args"][0]["config"]["keras_history"] = ["lstm_1", 0, 0]
    with pytest.raises(ConfigError) as err:
        model_from_keras(config)
    assert str(err.value) == (
        "Functional config: layer 'lstm' (LSTM) call 0 needs lstm_1[0][0], which never runs "
        "(the graph has a loop or a missing call)"
    )
    node["args"][0]["config"]["keras_history"] = ["nowhere", 0, 0]
    with pytest.raises(ConfigError, match=r"needs nowhere\[0\]\[0\], which is not in the file"):
        model_from_keras(config)


def test_a_lambda_layer_is_refused_before_anything_is_written(tmp_path):
    x = keras.Input((3,), name="x")
    model = keras.Model(x, L.Lambda(lambda t: 2 * t, name="double")(L.Dense(3, name="d")(x)))
    path = tmp_path / "m.keras"
    path.write_bytes(b"old")
    with pytest.raises(ConfigError) as err:
        model.save(path)
    assert str(err.value) == (
        "cannot save the Lambda layer 'double': it holds Python code, which Keras's safe "
        "mode refuses to load and rnnlab never writes into a file; write it as a Layer "
        "subclass with get_config() (loaded with custom_objects), or save the weights only "
        "with save_weights"
    )
    assert path.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]  # no temporary file left behind


def test_keras_func_ops_file_loads_and_predicts_as_keras():
    # GetItem, Tanh, Sigmoid, Multiply (tensor * tensor and * 0.5), ReLU, ops' Concatenate
    model = load_model(F / "func_ops.keras")
    x, want = np.load(F / "func_ops_x.npy"), np.load(F / "func_ops_y.npy")
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5, rtol=0)
    kinds = {type(op).__name__ for op in model._plan.layers if getattr(op, "is_operation", 0)}
    assert kinds == {"GetItem", "Tanh", "Sigmoid", "Multiply", "ReLU", "Concatenate"}


def test_an_unknown_operation_class_is_named():
    config = fixture_config("func_ops")
    entry = next(e for e in config["config"]["layers"] if e["class_name"] == "Tanh")
    entry["class_name"] = "Arctanh"
    with pytest.raises(ConfigError) as err:
        model_from_keras(config)
    assert str(err.value).startswith(
        "operation 'tanh': unknown operation class 'Arctanh' of keras.src.ops.numpy; rnnlab "
        "has Absolute, Add, "
    )


@pytest.mark.parametrize("name", ["func_lstm", "func_multi", "func_ops"])
def test_a_keras_file_saved_again_by_rnnlab_is_the_same_file(tmp_path, name):
    """Keras's file -> rnnlab -> file: config.json identical (compile_config with per-output
    losses, loss_weights and metrics included), the same weights.h5 layout, and the same
    values: the weights bit for bit, Adam's iterations, learning rate and slots."""
    load_model(F / f"{name}.keras").save(tmp_path / "again.keras")
    assert zip_config(tmp_path / "again.keras") == fixture_config(name)
    with zipfile.ZipFile(tmp_path / "again.keras") as zf:
        ours = io.BytesIO(zf.read("model.weights.h5"))
    with zipfile.ZipFile(F / f"{name}.keras") as zf:
        theirs = io.BytesIO(zf.read("model.weights.h5"))
    assert h5_listing(ours) == fixture_listing(name)
    with h5py.File(ours, "r") as a, h5py.File(theirs, "r") as b:
        datasets = []
        a.visititems(lambda n, o: datasets.append(n) if isinstance(o, h5py.Dataset) else None)
        assert any(n.startswith("optimizer/vars/") for n in datasets)
        for n in datasets:
            np.testing.assert_array_equal(a[n][()], b[n][()], err_msg=n)
