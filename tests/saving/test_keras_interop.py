"""rnnlab -> real Keras 3.15.1: files rnnlab writes load in ``keras.models.load_model`` and
predict the same values.

Keras runs in one subprocess for the whole module (its import costs seconds, and it must
not share a process with rnnlab's JAX settings); skipped where Keras is not installed
(``pip install -e .[dev]`` brings it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import rnnlab
from rnnlab import layers as L
from rnnlab import optimizers
from rnnlab.saving.keras_file import save_model

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("keras") is None, reason="Keras 3 is not installed"
)

KERAS_SIDE = textwrap.dedent(
    """
    import glob, json, os, sys, warnings
    os.environ["KERAS_BACKEND"] = "jax"
    import numpy as np, keras
    out = {"keras": keras.__version__}
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.keras"))):
        name = os.path.basename(path)[: -len(".keras")]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                model = keras.models.load_model(path)
            except Exception as e:
                out[name] = {"error": f"{type(e).__name__}: {e}"}
                continue
        x = np.load(os.path.join(sys.argv[1], name + "_x.npy"))
        np.save(os.path.join(sys.argv[1], name + "_keras.npy"), model.predict(x, verbose=0))
        # the .weights.h5 alone, into a copy of the architecture with fresh weights
        fresh = keras.models.clone_model(model)
        opt = getattr(model, "optimizer", None)
        if opt is not None:  # the same optimizer, built, so the file's slots load into it
            fresh.compile(optimizer=type(opt).from_config(opt.get_config()), loss="mse")
            fresh.optimizer.build(fresh.trainable_variables)
        with warnings.catch_warnings(record=True) as caught_weights:
            warnings.simplefilter("always")
            fresh.load_weights(os.path.join(sys.argv[1], name + ".weights.h5"))
        # the same weights as the .keras file gave: the same predictions, without a second
        # compiled predict per model (Keras compiles one per model object)
        same = all(np.array_equal(a, b) for a, b in zip(fresh.get_weights(), model.get_weights()))
        opt = getattr(model, "optimizer", None)
        out[name] = {
            "layers": [type(layer).__name__ for layer in model.layers],
            "optimizer": type(opt).__name__ if opt is not None else None,
            "iterations": int(opt.iterations) if opt is not None else None,
            "optimizer_vars": [np.asarray(v).tolist() for v in opt.variables[:2]] if opt else [],
            "warnings": [str(w.message) for w in caught],
            "weights_warnings": [str(w.message) for w in caught_weights],
            "weights_equal": same and len(fresh.get_weights()) == len(model.get_weights()),
            "weights_iterations": int(fresh.optimizer.iterations) if opt is not None else None,
        }
    print(json.dumps(out))
    """
)


def chapter(name):
    seq = dict(return_sequences=True)
    first = dict(input_shape=(None, 1))
    return {
        "basic_rnn": [L.SimpleRNN(1, **first)],
        "stacked_rnn": [L.SimpleRNN(20, **seq, **first), L.SimpleRNN(20, **seq), L.SimpleRNN(1)],
        "multistep_rnn": [L.SimpleRNN(20, **seq, **first), L.SimpleRNN(20), L.Dense(10)],
        "lstm": [L.LSTM(20, **seq, **first), L.LSTM(20, **seq), L.TimeDistributed(L.Dense(10))],
        "gru": [L.GRU(20, **seq, **first), L.GRU(20, **seq), L.TimeDistributed(L.Dense(10))],
        "conv1d_gru": [
            L.Conv1D(20, 4, strides=2, padding="valid", **first),
            L.GRU(20, **seq),
            L.GRU(20, **seq),
            L.TimeDistributed(L.Dense(10)),
        ],
    }[name]


def toolbox():
    return [
        L.Input(shape=(12, 3)),
        L.Masking(),
        L.Bidirectional(L.LSTM(4, return_sequences=True)),
        L.LayerNormalization(),
        L.BatchNormalization(),
        L.Dropout(0.1),
        L.GRU(4, reset_after=False, return_sequences=True),
        L.TimeDistributed(L.Dense(2)),
        L.Flatten(),
        L.Dense(6),
        L.Reshape((3, 2)),
        L.Activation("tanh"),
    ]


def repeat():
    return [
        L.Input(shape=(12, 1)),
        L.LSTM(8),
        L.RepeatVector(3),
        L.GRU(8, return_sequences=True),
        L.TimeDistributed(L.Dense(1)),
    ]


CHAPTER = ["basic_rnn", "stacked_rnn", "multistep_rnn", "lstm", "gru", "conv1d_gru"]
MODELS = {
    **{name: (lambda name=name: chapter(name), "adam") for name in CHAPTER},
    "toolbox": (toolbox, optimizers.RMSprop(centered=True, momentum=0.9)),
    "repeat": (repeat, optimizers.SGD(0.01, momentum=0.9, nesterov=True)),
    "opt_adamw": (lambda: [L.Dense(2, input_shape=(12,))], optimizers.AdamW(0.01)),
    "opt_adagrad": (lambda: [L.Dense(2, input_shape=(12,))], optimizers.Adagrad(0.01)),
    "uncompiled": (lambda: [L.GRU(3, input_shape=(None, 2))], None),
}
#: Trained one epoch (2 steps) before saving, so their optimizer state travels; the other
#: compiled ones are saved compiled but untrained (no optimizer state yet; compiling each
#: training epoch costs ~2 s, so not every model pays it).
TRAINED = {"basic_rnn", "lstm", "toolbox", "repeat", "opt_adamw", "opt_adagrad"}


@pytest.fixture(scope="module")
def keras_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("interop")
    rng = np.random.default_rng(0)
    ours = {}
    for i, (name, (make, opt)) in enumerate(MODELS.items()):
        model = rnnlab.Sequential(make(), seed=i)
        x = rng.normal(size=(4, *[d or 12 for d in model.input_shape[1:]])).astype(np.float32)
        if opt is not None:
            model.compile(optimizer=opt, loss="mse")
        if name in TRAINED:
            y = rng.normal(size=model.check_x(x, "x", "test")).astype(np.float32)
            model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
        save_model(model, folder / f"{name}.keras")
        model.save_weights(folder / f"{name}.weights.h5")
        np.save(folder / f"{name}_x.npy", x)
        ours[name] = (model, model.predict(x, verbose=0))
    run = subprocess.run(
        [sys.executable, "-c", KERAS_SIDE, str(folder)],
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
def test_rnnlab_file_loads_in_keras_and_predicts_the_same(keras_results, name):
    folder, ours, results = keras_results
    result = results[name]
    assert "error" not in result, result.get("error")
    model, predicted = ours[name]
    assert result["layers"] == [type(layer).__name__ for layer in model.layers]
    np.testing.assert_allclose(np.load(folder / f"{name}_keras.npy"), predicted, atol=1e-5, rtol=0)
    # rnnlab's .weights.h5 loaded by Keras into a fresh copy gives the very same weights
    assert result["weights_equal"]
    # (an untrained model's file has no optimizer variables: Keras notes it skips them)
    notes = [w.split(",")[0] for w in result["weights_warnings"] if "mask" not in w]
    untrained = name not in TRAINED and model.optimizer is not None
    assert notes == (["Skipping variable loading for optimizer 'adam'"] if untrained else [])
    if model.optimizer is not None:
        assert result["weights_iterations"] == (2 if name in TRAINED else 0)
    # Keras loaded every variable: no "Skipping variable loading for optimizer ..." (Keras's
    # own note on toolbox, that Flatten drops the mask, is about the model, not the file).
    # An untrained model has no optimizer variables yet, and Keras says so for its own files
    # too (it builds the optimizer when compiling from the config).
    complaints = [w for w in result["warnings"] if "mask" not in w]
    if name in TRAINED or model.optimizer is None:
        assert complaints == []
    else:
        assert [w.split(",")[0] for w in complaints] == [
            "Skipping variable loading for optimizer 'adam'"
        ]
    if model.optimizer is None:
        assert result["optimizer"] is None or result["iterations"] == 0
    else:
        assert result["optimizer"] == type(model.optimizer).__name__
        assert result["iterations"] == int(model.optimizer.iterations)
        assert result["iterations"] == (2 if name in TRAINED else 0)
        if name in TRAINED:
            assert result["optimizer_vars"][1] == pytest.approx(model.optimizer.learning_rate)
