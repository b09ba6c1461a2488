"""rnnlab -> real Keras 3.15.1, functional models: the ``.keras`` and ``.weights.h5`` files
rnnlab writes load in ``keras.models.load_model`` / ``load_weights`` and predict what
rnnlab predicts; Keras's own ``get_config`` of the loaded model is the config rnnlab wrote.

As in test_keras_interop.py, Keras runs in one subprocess for every file (its import
costs seconds and must not share rnnlab's JAX settings): the bench venv's Python
(``.venv-bench``, ``make .venv-bench/.installed-stamp``) when it has Keras, else this
interpreter's Keras; skipped, saying so, when neither has it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rnnlab.saving import load_model
from rnnlab.saving.functional_config import keras_layers

BENCH_PYTHON = Path(__file__).resolve().parents[2] / ".venv-bench" / "bin" / "python"


def keras_python() -> str | None:
    """The interpreter to run Keras with, or None when there is none."""
    if BENCH_PYTHON.exists():
        return str(BENCH_PYTHON)
    return sys.executable if importlib.util.find_spec("keras") is not None else None


pytestmark = pytest.mark.skipif(
    keras_python() is None,
    reason="real Keras 3 is not installed (neither .venv-bench nor this environment has it)",
)

KERAS_SIDE = textwrap.dedent(
    """
    import glob, json, os, sys, warnings
    os.environ["KERAS_BACKEND"] = "jax"
    import numpy as np, keras
    folder = sys.argv[1]
    out = {"keras": keras.__version__}
    for path in sorted(glob.glob(os.path.join(folder, "*.keras"))):
        name = os.path.basename(path)[: -len(".keras")]
        spec = json.load(open(os.path.join(folder, name + ".json")))
        data = np.load(os.path.join(folder, name + "_x.npz"))
        x = {"dict": lambda: {k: data[k] for k in spec["names"]},
             "list": lambda: [data[k] for k in spec["names"]],
             "single": lambda: data[spec["names"][0]]}[spec["inputs"]]()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                model = keras.models.load_model(path)
            except Exception as e:
                out[name] = {"error": f"{type(e).__name__}: {e}"}
                continue
        y = model.predict(x, verbose=0)
        ys = y if isinstance(y, dict) else {str(i): v for i, v in enumerate(
            y if isinstance(y, list | tuple) else [y])}
        np.savez(os.path.join(folder, name + "_keras.npz"), **ys)
        fresh = keras.models.clone_model(model)
        fresh.load_weights(os.path.join(folder, name + ".weights.h5"))
        same = len(fresh.get_weights()) == len(model.get_weights()) and all(
            np.array_equal(a, b) for a, b in zip(fresh.get_weights(), model.get_weights()))
        opt = getattr(model, "optimizer", None)
        compiled = getattr(model, "compiled", False)
        out[name] = {
            "config": json.loads(model.to_json())["config"],
            "compile_config": model.get_compile_config() if compiled else None,
            "layers": [layer.name for layer in model.layers],
            "warnings": [str(w.message) for w in caught],
            "weights_equal": same,
            "optimizer": type(opt).__name__ if opt is not None else None,
            "iterations": int(opt.iterations) if opt is not None else None,
        }
    # and the other way: files Keras writes, for rnnlab to load (call forms the fixtures lack)
    made = os.path.join(folder, "from_keras")
    os.makedirs(made)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    L = keras.layers

    def save(name, model, x):
        model.save(os.path.join(made, name + ".keras"))
        y = model.predict(x, verbose=0)
        ys = {str(i): v for i, v in enumerate(y if isinstance(y, list | tuple) else [y])}
        np.savez(os.path.join(made, name + "_y.npz"), **ys)
        np.savez(os.path.join(made, name + "_x.npz"), **(x if isinstance(x, dict) else {"": x}))

    a, b = keras.Input((7, 2), name="enc_in"), keras.Input((5, 3), name="dec_in")
    seq, h, c = L.LSTM(4, return_sequences=True, return_state=True, name="enc")(a)
    dec = L.LSTM(4, return_sequences=True, name="dec")(b, initial_state=[h, c])
    bi = L.Bidirectional(L.LSTM(4), name="bi")(seq, initial_state=[h, c, h, c])
    gru, state = L.GRU(3, return_state=True, name="gru")(dec)
    td = L.TimeDistributed(L.Dense(2), name="td")(dec)
    model = keras.Model({"enc_in": a, "dec_in": b}, [td, bi, gru, state])
    x = {"enc_in": rng.normal(size=(3, 7, 2)), "dec_in": rng.normal(size=(3, 5, 3))}
    save("enc_dec", model, {k: v.astype("float32") for k, v in x.items()})
    tokens = keras.Input((6,), dtype="int32", name="tokens")
    emb = L.Embedding(5, 4, mask_zero=True, name="emb")(tokens)  # its mask: a NotEqual op
    model = keras.Model(tokens, L.Dense(1, name="out")(L.GRU(3, name="gru")(emb)))
    save("embed_mask", model, rng.integers(0, 5, size=(4, 6)).astype("int32"))
    series = keras.Input((6, 2), name="series")  # Masking's mask: NotEqual then Any ops
    h = L.LSTM(3, return_sequences=True, name="lstm")(L.Masking(name="masking")(series))
    model = keras.Model(series, L.Dense(1, name="out")(L.GRU(2, name="gru")(h)))
    x = rng.normal(size=(3, 6, 2)).astype("float32")
    x[0, -2:], x[1, 2], x[2, :] = 0.0, 0.0, 0.0  # padding at the end, inside, everywhere
    save("masking", model, x)
    # models as layers: a functional encoder in a functional model and in a Sequential
    enc_in = keras.Input((6, 2), name="enc_in")
    h = L.GRU(4, return_sequences=True, name="enc_gru")(enc_in)
    enc = keras.Model(enc_in, L.LSTM(3, name="enc_lstm")(h), name="enc")
    head = keras.Sequential([keras.Input((3,)), L.Dense(2, name="head_d")], name="head")
    a, b = keras.Input((6, 2), name="a"), keras.Input((6, 2), name="b")
    model = keras.Model([a, b], L.Subtract(name="diff")([head(enc(a)), head(enc(b))]))
    x = rng.normal(size=(3, 6, 2)).astype("float32")
    save("nested", model, {"a": x, "b": x[::-1].copy()})
    save("nested_seq", keras.Sequential([enc, L.Dense(1, name="out")], name="stack"), x)
    print(json.dumps(out))
    """
)


def strip_ids(obj):
    if isinstance(obj, dict):
        return {k: strip_ids(v) for k, v in obj.items() if k != "shared_object_id"}
    if isinstance(obj, list):
        return [strip_ids(v) for v in obj]
    return obj


def chain_trained(graphs):
    """func_lstm's graph, fitted one epoch (two steps), so its Adam state travels too."""
    model = graphs.func_lstm()
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(8, 6, 1)).astype(np.float32)
    model.fit(x, rng.normal(size=(8, 10)).astype(np.float32), batch_size=4, verbose=0)
    return model


def multi_trained(graphs):
    """func_multi's graph compiled as the fixture (per-output losses, loss weights and
    metrics, dicts) and fitted one epoch: Keras compiles it from rnnlab's compile_config."""
    model = graphs.func_multi()
    model.compile(
        optimizer="adam",
        loss={"one": "mse", "ten": "mae"},
        loss_weights={"one": 1.0, "ten": 0.5},
        metrics={"one": ["mae"]},
    )
    rng = np.random.default_rng(4)
    x = {"seq": rng.normal(size=(8, 12, 1)), "meta": rng.normal(size=(8, 3))}
    y = {"one": rng.normal(size=(8, 1)), "ten": rng.normal(size=(8, 10))}
    model.fit(x, y, batch_size=4, verbose=0)
    return model


MODELS = {
    "chain_trained": chain_trained,
    "multi_trained": multi_trained,
    "multi_dict": lambda graphs: graphs.func_multi(),
    "multi_list": lambda graphs: graphs.func_multi(as_list=True),
    "encoder_decoder": lambda graphs: graphs.encoder_decoder(),
    "embed_attend": lambda graphs: graphs.embed_attend(),
    "gated_ops": lambda graphs: graphs.gated_ops(),
    "toolbox": lambda graphs: graphs.toolbox(),
    "nested": lambda graphs: graphs.nested(),
}


@pytest.fixture(scope="session")
def keras_results(tmp_path_factory, graphs):
    folder = tmp_path_factory.mktemp("functional_interop")
    rng = np.random.default_rng(0)
    ours = {}
    for name, make in MODELS.items():
        model = make(graphs)
        names = model.input_names
        x = {}
        for t in model.inputs:
            shape = (4, *[d or 6 for d in t.shape[1:]])
            ints = t.dtype.startswith("int")  # token ids, zeros (masked) among them
            x[t.node.layer.name] = (
                rng.integers(0, 5, size=shape).astype(t.dtype)
                if ints
                else rng.normal(size=shape).astype(np.float32)
            )
            if not ints and len(shape) == 3:
                x[t.node.layer.name][0, -3:] = 0.0  # padding steps: masked where masks flow
        structure = model._given_structure[0]
        kind = "dict" if isinstance(structure, dict) else "list" if len(names) > 1 else "single"
        if kind == "dict":
            names = list(structure)
        (folder / f"{name}.json").write_text(json.dumps({"inputs": kind, "names": names}))
        np.savez(folder / f"{name}_x.npz", **x)
        model.save(folder / f"{name}.keras")
        model.save_weights(folder / f"{name}.weights.h5")
        inputs = {"dict": x, "list": [x[n] for n in names], "single": x[names[0]]}[kind]
        ours[name] = (model, model.apply(model.params, inputs))
    run = subprocess.run(
        [keras_python(), "-c", KERAS_SIDE, str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return folder, ours, json.loads(run.stdout.strip().splitlines()[-1])


def test_keras_version(keras_results):
    assert keras_results[2]["keras"] == "3.15.1"


@pytest.mark.parametrize("name", list(MODELS))
def test_keras_loads_rnnlab_functional_file_and_predicts_the_same(keras_results, name):
    folder, ours, results = keras_results
    result = results[name]
    assert "error" not in result, result.get("error")
    model, predicted = ours[name]
    assert result["warnings"] == []
    # Keras's model.layers: rnnlab's config order without the operations
    assert result["layers"] == [layer.name for layer in keras_layers(model._plan)]
    theirs = dict(np.load(folder / f"{name}_keras.npz"))
    if isinstance(predicted, dict):
        mine = predicted
    else:
        mine = {
            str(i): v
            for i, v in enumerate(predicted if isinstance(predicted, list) else [predicted])
        }
    assert sorted(theirs) == sorted(mine)
    for key in mine:
        np.testing.assert_allclose(theirs[key], mine[key], atol=1e-5, rtol=0)
    # the .weights.h5 alone gives Keras the same weights as the .keras file
    assert result["weights_equal"]
    # Keras's own config of what it loaded is what rnnlab wrote
    assert strip_ids(result["config"]) == model.get_config()
    if model.optimizer is not None:
        assert result["optimizer"] == "Adam"
        assert result["iterations"] == int(model.optimizer.iterations) == 2
        with zipfile.ZipFile(folder / f"{name}.keras") as zf:
            written = json.loads(zf.read("config.json"))["compile_config"]
        assert strip_ids(result["compile_config"]) == written


@pytest.mark.parametrize("name", ["enc_dec", "embed_mask", "masking", "nested", "nested_seq"])
def test_keras_written_functional_file_loads_in_rnnlab_and_predicts_the_same(keras_results, name):
    """Keras's own initial_state= / return_state / Bidirectional-states nodes, the
    NotEqual operation Keras records for an Embedding's mask_zero mask, the NotEqual
    and Any operations it records for a Masking layer's, and models used as layers."""
    made = keras_results[0] / "from_keras"
    model = load_model(made / f"{name}.keras")
    x = dict(np.load(made / f"{name}_x.npz"))
    want = dict(np.load(made / f"{name}_y.npz"))
    got = model.apply(model.params, x.get("", x))
    got = got if isinstance(got, list) else [got]
    assert len(got) == len(want)
    for i, y in enumerate(got):
        np.testing.assert_allclose(y, want[str(i)], atol=1e-5, rtol=0)
