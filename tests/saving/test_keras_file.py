"""Whole-model files: rnnlab.saving.keras_file (save_model / load_model)."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import jax
import numpy as np
import optax
import pytest

import rnnlab
from rnnlab import layers as L
from rnnlab import optimizers
from rnnlab.core.cells import SimpleRNNCell
from rnnlab.saving import keras_file
from rnnlab.saving.errors import UnsafeFileError
from rnnlab.saving.keras_file import load_model, save_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"
CHAPTER = ["basic_rnn", "stacked_rnn", "multistep_rnn", "lstm", "gru", "conv1d_gru"]
OPT_FILES = sorted(p.stem for p in FIXTURES.glob("opt_*.keras"))


def fit_data(model, n=16, steps=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, steps, model.input_shape[-1])).astype(np.float32)
    out = model.check_x(x, "x", "test")
    return x, rng.normal(size=(n, *out[1:])).astype(np.float32)


def same_tree(a, b) -> bool:
    la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
    return len(la) == len(lb) and all(
        np.array_equal(np.asarray(u), np.asarray(v)) for u, v in zip(la, lb, strict=True)
    )


# -- Keras -> rnnlab ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", [*CHAPTER, "repeat", *OPT_FILES])
def test_keras_file_predicts_as_keras(name):
    model = load_model(FIXTURES / f"{name}.keras")
    x, y = np.load(FIXTURES / f"{name}_x.npy"), np.load(FIXTURES / f"{name}_y.npy")
    np.testing.assert_allclose(model.predict(x, verbose=0), y, atol=1e-5, rtol=0)
    assert int(model.optimizer.iterations) == 2  # the optimizer state came along


def test_keras_toolbox_file_predicts_as_keras_where_nothing_is_masked():
    model = load_model(FIXTURES / "toolbox.keras")
    x, y = np.load(FIXTURES / "toolbox_x.npy"), np.load(FIXTURES / "toolbox_y.npy")
    full = ~np.any(np.all(x == 0, axis=-1), axis=-1)  # samples with no padded step
    assert full.sum() == 2
    np.testing.assert_allclose(model.predict(x[full], verbose=0), y[full], atol=1e-5, rtol=0)
    assert type(model.optimizer) is optimizers.RMSprop


def test_keras_toolbox_file_predicts_as_keras_with_masked_steps():
    model = load_model(FIXTURES / "toolbox.keras")
    x, y = np.load(FIXTURES / "toolbox_x.npy"), np.load(FIXTURES / "toolbox_y.npy")
    np.testing.assert_allclose(model.predict(x, verbose=0), y, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", ["basic_rnn", "toolbox"])
def test_legacy_h5_predicts_as_keras(name):
    path = FIXTURES / f"{name}.h5"
    model = load_model(path)
    x, y = np.load(FIXTURES / f"{name}_x.npy"), np.load(FIXTURES / f"{name}_y.npy")
    np.testing.assert_allclose(model.predict(x, verbose=0), y, atol=1e-5, rtol=0)
    assert model.optimizer is not None


def test_legacy_h5_is_found_by_content_not_name(tmp_path):
    path = tmp_path / "renamed.model"
    path.write_bytes((FIXTURES / "basic_rnn.h5").read_bytes())
    x, y = np.load(FIXTURES / "basic_rnn_x.npy"), np.load(FIXTURES / "basic_rnn_y.npy")
    np.testing.assert_allclose(load_model(path).predict(x, verbose=0), y, atol=1e-5)


def test_keras_continued_training_reaches_keras_next_epoch():
    model = load_model(FIXTURES / "basic_rnn.keras")
    data = np.load(FIXTURES / "basic_rnn_train.npz")
    model.fit(data["x"], data["y"], batch_size=16, epochs=1, shuffle=False, verbose=0)
    nxt = np.load(FIXTURES / "basic_rnn_next.npz")
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, nxt[f"layers/simple_rnn/cell/vars/{i}"], atol=1e-6)
    assert int(model.optimizer.iterations) == int(nxt["optimizer/vars/0"])


def test_load_without_compile():
    model = load_model(FIXTURES / "lstm.keras", compile=False)
    assert model.trainer is None


# -- rnnlab -> rnnlab ---------------------------------------------------------------------------
def chapter_lstm(seed=1):
    return rnnlab.Sequential(
        [
            L.LSTM(20, return_sequences=True, input_shape=(None, 1)),
            L.LSTM(20, return_sequences=True),
            L.TimeDistributed(L.Dense(10)),
        ],
        seed=seed,
    )


def every_layer_model():
    return rnnlab.Sequential(
        [
            L.Input(shape=(6, 3)),
            L.Masking(),
            L.Bidirectional(L.LSTM(4, return_sequences=True)),
            L.LayerNormalization(),
            L.BatchNormalization(),
            L.Dropout(0.1),
            L.GRU(4, reset_after=False, return_sequences=True),
            L.GRU(4, return_sequences=True),
            L.SimpleRNN(3, return_sequences=True),
            L.RNN(SimpleRNNCell(3), return_sequences=True),
            L.Conv1D(3, 2, padding="same"),
            L.TimeDistributed(L.Dense(2)),
            L.Flatten(),
            L.Dense(6),
            L.Reshape((3, 2)),
            L.Activation("tanh"),
            L.Flatten(),
            L.RepeatVector(2),
        ],
        seed=2,
    )


@pytest.fixture(scope="module")
def trained_every_layer(tmp_path_factory):
    model = every_layer_model()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, y = fit_data(model)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = tmp_path_factory.mktemp("every") / "every.keras"
    save_model(model, path)
    return model, path, x


def test_every_layer_round_trip_is_exact(trained_every_layer):
    model, path, x = trained_every_layer
    loaded = load_model(path)
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert same_tree(loaded.params, model.params)
    assert same_tree(loaded.optimizer.state, model.optimizer.state)
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 2
    assert loaded.metrics_names == ["loss", "mae"]
    from rnnlab.saving.config import model_to_keras

    assert model_to_keras(loaded) == model_to_keras(model)


@pytest.mark.parametrize(
    "opt",
    [
        optimizers.Adam(0.01),
        optimizers.Adam(0.01, amsgrad=True),
        optimizers.AdamW(0.01),
        optimizers.Adamax(0.01),
        optimizers.Nadam(0.01),
        optimizers.SGD(0.05),
        optimizers.SGD(0.05, momentum=0.9, nesterov=True),
        optimizers.RMSprop(0.01),
        optimizers.RMSprop(0.01, momentum=0.5, centered=True),
        optimizers.Adagrad(0.05),
    ],
    ids=repr,
)
def test_every_optimizer_round_trips_its_state(tmp_path, opt):
    model = rnnlab.Sequential([L.SimpleRNN(2, input_shape=(None, 2)), L.Dense(1)], seed=3)
    model.compile(optimizer=opt, loss="mse")
    x, y = fit_data(model, n=8, steps=3)
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    save_model(model, tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer) is type(opt)
    assert loaded.optimizer.get_config() == pytest.approx(opt.get_config())
    assert same_tree(loaded.optimizer.state, model.optimizer.state)
    assert same_tree(loaded.params, model.params)


def test_continued_training_equals_never_stopping(tmp_path):
    x, y = fit_data(chapter_lstm(), n=32, steps=8)
    never = chapter_lstm()
    never.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    never.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    save_model(never, tmp_path / "chapter_lstm.keras")
    resumed = load_model(tmp_path / "chapter_lstm.keras")
    never.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    resumed.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    assert same_tree(resumed.params, never.params)
    assert same_tree(resumed.optimizer.state, never.optimizer.state)
    assert int(resumed.optimizer.iterations) == int(never.optimizer.iterations) == 10


def test_public_entry_points(tmp_path):
    model = rnnlab.Sequential([L.Dense(2, input_shape=(3,))])
    model.save(tmp_path / "m.keras")
    x = np.ones((2, 3), np.float32)
    loaded = rnnlab.models.load_model(str(tmp_path / "m.keras"))
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.trainer is None


def test_file_layout_and_metadata(tmp_path):
    path = tmp_path / "m.keras"
    save_model(rnnlab.Sequential([L.Dense(2, input_shape=(3,))]), path)
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        metadata = json.loads(zf.read("metadata.json"))
    assert [i.filename for i in infos] == ["metadata.json", "config.json", "model.weights.h5"]
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
    assert metadata["keras_version"] == "3.15.1"
    assert metadata["rnnlab_version"] == rnnlab.__version__
    assert sorted(metadata) == ["date_saved", "keras_version", "rnnlab_version"]


# -- custom objects -----------------------------------------------------------------------------
class DoubleCell(SimpleRNNCell):
    """A custom cell: a SimpleRNN step whose output is doubled."""

    def __call__(self, params, carry, x):
        carry, y = super().__call__(params, carry, x)
        return carry, 2.0 * y


def my_loss(y_true, y_pred):
    return rnnlab.losses.mean_absolute_error(y_true, y_pred)


@pytest.fixture
def custom_file(tmp_path):
    model = rnnlab.Sequential([L.RNN(DoubleCell(3), input_shape=(None, 2))], seed=4)
    model.compile(optimizer="sgd", loss=my_loss)
    path = tmp_path / "custom.keras"
    save_model(model, path)
    return model, path


def test_custom_cell_and_loss_are_named_in_the_config(custom_file):
    _, path = custom_file
    with zipfile.ZipFile(path) as zf:
        config = json.loads(zf.read("config.json"))
    cell = config["config"]["layers"][1]["config"]["cell"]
    assert (cell["module"], cell["class_name"], cell["registered_name"]) == (
        __name__, "DoubleCell", "DoubleCell")  # fmt: skip
    assert config["compile_config"]["loss"]["config"] == "my_loss"


def test_custom_objects_load(custom_file):
    model, path = custom_file
    loaded = load_model(path, custom_objects={"DoubleCell": DoubleCell, "my_loss": my_loss})
    x = np.ones((2, 4, 2), np.float32)
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.trainer.loss_fn is my_loss


def test_custom_cell_without_custom_objects(custom_file):
    _, path = custom_file
    with pytest.raises(UnsafeFileError) as err:
        load_model(path)
    assert str(err.value) == (
        f"{path}: 'config.json': RNN cell class 'DoubleCell' is not one of rnnlab's "
        "(GRUCell, LSTMCell, SimpleRNNCell); a custom cell needs "
        "custom_objects={'DoubleCell': DoubleCell} when loading"
    )


def test_custom_loss_without_custom_objects(custom_file):
    _, path = custom_file
    with pytest.raises(UnsafeFileError, match=r"custom_objects=\{'my_loss': my_loss\}"):
        load_model(path, custom_objects={"DoubleCell": DoubleCell})
    assert load_model(path, custom_objects={"DoubleCell": DoubleCell}, compile=False)


def test_optax_optimizer_saves_without_optimizer_with_a_warning(tmp_path):
    model = rnnlab.Sequential([L.Dense(1, input_shape=(2,))])
    model.compile(optimizer=optax.sgd(0.1), loss="mse")
    with pytest.warns(UserWarning, match="raw Optax transformation, which has no Keras"):
        save_model(model, tmp_path / "m.keras")
    assert load_model(tmp_path / "m.keras").trainer is None


# -- bad files ----------------------------------------------------------------------------------
def write_zip(path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def with_config(tmp_path, edit) -> Path:
    src = FIXTURES / "basic_rnn.keras"
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config)
    return write_zip(tmp_path / "edited.keras", members)


def add_layer(class_name):
    def edit(config):
        config["config"]["layers"].append(
            {"module": "keras.layers", "class_name": class_name, "config": {"name": "x"},
             "registered_name": None}
        )  # fmt: skip

    return edit


def test_bad_files_get_clear_errors(tmp_path):
    empty = tmp_path / "empty.keras"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes((FIXTURES / "basic_rnn.keras").read_bytes()[:5000])
    random = tmp_path / "random.keras"
    random.write_bytes(np.random.default_rng(0).bytes(4096))
    no_config = write_zip(tmp_path / "noconfig.keras", {"metadata.json": "{}"})
    cases = {
        empty: f"{empty}: empty file (0 bytes), not a zip archive",
        random: f"{random}: not a zip archive, or truncated (no central directory): "
        "File is not a zip file",
        no_config: f"{no_config}: no config.json: not a Keras model file (a .keras file is a "
        "zip of metadata.json, config.json and model.weights.h5)",
        tmp_path / "missing.keras": f"{tmp_path / 'missing.keras'}: no such file",
    }
    for path, message in cases.items():
        with pytest.raises(UnsafeFileError) as err:
            load_model(path)
        assert str(err.value) == message
    with pytest.raises(UnsafeFileError, match=r"truncated\.keras: not a zip archive, or truncated"):
        load_model(truncated)


def test_lambda_in_config_is_refused(tmp_path):
    path = with_config(tmp_path, add_layer("Lambda"))
    with pytest.raises(UnsafeFileError) as err:
        load_model(path, safe_mode=False)
    assert str(err.value) == (
        f"{path}: 'config.json': the config names a Lambda layer, which holds Python code; "
        "rnnlab never runs code from a model file (not even with safe_mode=False): rebuild "
        "the model with a named layer class and pass it in custom_objects"
    )


def test_unknown_class_is_refused_before_any_weight_exists(tmp_path, monkeypatch):
    path = with_config(tmp_path, add_layer("Conv2D"))
    built = []
    monkeypatch.setattr(rnnlab.Sequential, "build", lambda *a, **k: built.append(a))
    with pytest.raises(UnsafeFileError) as err:
        load_model(path)
    assert str(err.value).startswith(
        f"{path}: 'config.json': unknown layer class 'Conv2D': rnnlab has Activation, "
    )
    assert built == []


def test_weights_only_h5_is_not_a_model(tmp_path):
    with pytest.raises(UnsafeFileError, match="no model_config: an HDF5 weights file"):
        load_model(FIXTURES / "lstm.weights.h5")


def test_wrong_name_and_overwrite_false(tmp_path):
    model = rnnlab.Sequential([L.Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match=r"the file name must end in \.keras"):
        save_model(model, tmp_path / "m.h5")
    save_model(model, tmp_path / "m.keras")
    with pytest.raises(FileExistsError) as err:
        save_model(model, tmp_path / "m.keras", overwrite=False)
    assert str(err.value) == f"save: {str(tmp_path / 'm.keras')!r} exists and overwrite=False"


def test_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    save_model(rnnlab.Sequential([L.Dense(1, input_shape=(2,))]), path)
    old = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail)  # mid-write: after two members
    with pytest.raises(OSError, match="disk full"):
        save_model(rnnlab.Sequential([L.Dense(3, input_shape=(2,))]), path)
    assert path.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]


def test_unbuilt_model_cannot_be_saved(tmp_path):
    with pytest.raises(ValueError, match="is not built yet"):
        save_model(rnnlab.Sequential([L.Dense(1)]), tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()


def test_module_has_keras_version():
    assert keras_file.KERAS_VERSION == "3.15.1"
