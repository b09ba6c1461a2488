"""Keras 3 JSON configs <-> rnnlab objects (rnnlab.saving.config, config_reader, objects,
registry)."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import pytest

import rnnlab
from rnnlab import layers as L
from rnnlab import losses, optimizers
from rnnlab.core.cells import GRUCell, LSTMCell, SimpleRNNCell
from rnnlab.saving import config as C
from rnnlab.saving import config_reader as R
from rnnlab.saving import objects as O
from rnnlab.saving.registry import ConfigError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"
KERAS_FILES = sorted(p.stem for p in FIXTURES.glob("*.keras"))


def strip_ids(obj):
    """A config without Keras's ``shared_object_id`` (Python ids, different every save)."""
    if isinstance(obj, dict):
        return {k: strip_ids(v) for k, v in obj.items() if k != "shared_object_id"}
    if isinstance(obj, list):
        return [strip_ids(v) for v in obj]
    return obj


def fixture_config(name: str) -> dict:
    with zipfile.ZipFile(FIXTURES / f"{name}.keras") as zf:
        return strip_ids(json.loads(zf.read("config.json")))


def round_trip(model) -> dict:
    config = C.model_to_keras(model, C.compile_to_keras(model))
    again = R.model_from_keras(config, compile_config=config["compile_config"])
    assert C.model_to_keras(again, C.compile_to_keras(again)) == config
    return config


@pytest.mark.parametrize("name", KERAS_FILES)
def test_keras_fixture_config_reads_and_writes_back_exactly(name):
    # What real Keras 3.15.1 wrote == what rnnlab writes for the model it read.
    config = fixture_config(name)
    model = R.model_from_keras(config, compile_config=config["compile_config"])
    assert C.model_to_keras(model, C.compile_to_keras(model)) == config
    assert json.loads(json.dumps(config)) == config  # plain JSON


def every_layer_model():
    return rnnlab.Sequential(
        [
            L.Input(shape=(12, 3)),
            L.Masking(0.5),
            L.Bidirectional(L.LSTM(4, return_sequences=True), merge_mode="sum"),
            L.LayerNormalization(epsilon=1e-4),
            L.BatchNormalization(momentum=0.9),
            L.Dropout(0.1, noise_shape=(None, 1, None), seed=3),
            L.GRU(4, reset_after=False, return_sequences=True, activation="relu"),
            L.GRU(3, return_sequences=True, go_backwards=True),
            L.SimpleRNN(3, return_sequences=True, unroll=True),
            L.RNN(LSTMCell(2), return_sequences=True),
            L.Conv1D(3, 2, strides=1, padding="causal", activation="tanh"),
            L.TimeDistributed(L.Dense(2, use_bias=False, kernel_initializer="he_uniform")),
            L.Flatten(),
            L.Dense(6, activation="sigmoid"),
            L.Reshape((3, 2)),
            L.Activation("tanh"),
            L.Flatten(),
            L.RepeatVector(2),
        ],
        name="every_layer",
    )


def test_every_layer_config_round_trips():
    model = every_layer_model()
    model.compile(optimizer="adam", loss="mae", metrics=["mse"])
    config = round_trip(model)
    names = [c["class_name"] for c in config["config"]["layers"]]
    assert names == ["InputLayer", "Masking", "Bidirectional", "LayerNormalization",
                     "BatchNormalization", "Dropout", "GRU", "GRU", "SimpleRNN", "RNN",
                     "Conv1D", "TimeDistributed", "Flatten", "Dense", "Reshape", "Activation",
                     "Flatten", "RepeatVector"]  # fmt: skip
    by_name = {c["config"]["name"]: c for c in config["config"]["layers"]}
    bidi = next(c for c in config["config"]["layers"] if c["class_name"] == "Bidirectional")
    assert bidi["config"]["merge_mode"] == "sum"
    assert bidi["config"]["backward_layer"]["config"]["go_backwards"] is True
    # Bidirectional forces it to return_sequences, as Keras does (and writes)
    assert bidi["config"]["layer"]["config"]["zero_output_for_mask"] is True
    assert config["compile_config"]["metrics"] == ["mse"]
    loaded = R.model_from_keras(config)
    assert [type(x) for x in loaded.layers] == [type(x) for x in model.layers]
    assert loaded.count_params() == model.count_params()
    assert "dropout" in by_name or any(c["class_name"] == "Dropout" for c in by_name.values())


@pytest.mark.parametrize("cell", [SimpleRNNCell(3), LSTMCell(3, unit_forget_bias=False),
                                  GRUCell(3, reset_after=False)])  # fmt: skip
def test_rnn_with_builtin_cell_is_keras_rnn_with_keras_cell(cell):
    model = rnnlab.Sequential([L.RNN(cell, dropout=0.25, input_shape=(None, 2))])
    config = round_trip(model)
    rnn = config["config"]["layers"][1]
    assert rnn["class_name"] == "RNN"
    assert rnn["config"]["cell"]["class_name"] == type(cell).__name__
    assert rnn["config"]["cell"]["config"]["dropout"] == 0.25
    loaded = R.model_from_keras(config).layers[0]
    assert loaded.cell == cell and loaded.dropout == 0.25


OPTIMIZERS = [
    optimizers.Adam(0.002, beta_1=0.8),
    optimizers.Adam(amsgrad=True),
    optimizers.AdamW(weight_decay=0.01),
    optimizers.Adamax(0.003),
    optimizers.Nadam(epsilon=1e-6),
    optimizers.SGD(0.1),
    optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    optimizers.RMSprop(centered=True, momentum=0.5),
    optimizers.Adagrad(initial_accumulator_value=0.2),
]


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=repr)
def test_optimizer_configs_round_trip(opt):
    config = O.optimizer_to_keras(opt)
    back = O.optimizer_from_keras(copy.deepcopy(config), {})
    assert type(back) is type(opt)
    assert O.optimizer_to_keras(back) == config
    assert list(config["config"])[:2] == ["name", "learning_rate"]


def test_optax_optimizer_has_no_keras_config():
    import optax

    assert O.optimizer_to_keras(optimizers.OptaxOptimizer(optax.sgd(0.1))) is None


def test_losses_and_metrics():
    assert O.loss_to_keras(losses.get("mse")) == "mse"
    assert O.loss_to_keras(losses.get("huber")) == "huber"
    huber = O.loss_from_keras(O.loss_to_keras(losses.Huber(0.25)), {})
    assert isinstance(huber, losses.Huber) and huber.delta == 0.25
    keras_mse = {"module": "keras.losses", "class_name": "MeanSquaredError",
                 "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size"},
                 "registered_name": None}  # fmt: skip
    assert O.loss_from_keras(keras_mse, {}) == "mean_squared_error"
    assert O.metrics_from_keras(None, {}) == []


def my_loss(y_true, y_pred):
    return losses.mean_absolute_error(y_true, y_pred)


def test_custom_loss_saves_a_config_naming_it_and_needs_custom_objects():
    config = O.loss_to_keras(my_loss)
    assert config == {"module": __name__, "class_name": "function", "config": "my_loss",
                      "registered_name": "my_loss"}  # fmt: skip
    assert O.loss_from_keras(config, {"my_loss": my_loss}) is my_loss
    with pytest.raises(ConfigError) as err:
        O.loss_from_keras(config, {})
    assert str(err.value) == (
        f"loss: the file names the function 'my_loss' (module '{__name__}'), which is not "
        "one of rnnlab's; pass it when loading: custom_objects={'my_loss': my_loss}"
    )


def test_lambda_loss_is_refused_at_save():
    with pytest.raises(ConfigError, match="only named functions"):
        O.loss_to_keras(lambda t, p: t - p)


def test_lambda_layer_is_refused_anywhere():
    config = fixture_config("basic_rnn")
    config["config"]["layers"].append(
        {"module": "keras.layers", "class_name": "Lambda",
         "config": {"function": {"class_name": "__lambda__", "config": {"value": "..."}}}}
    )  # fmt: skip
    with pytest.raises(ConfigError) as err:
        R.model_from_keras(config)
    assert str(err.value).startswith("the config names a Lambda layer, which holds Python code")


def test_unknown_layer_class_names_it_and_lists_what_rnnlab_has():
    config = fixture_config("basic_rnn")
    config["config"]["layers"][1]["class_name"] = "Conv2D"
    with pytest.raises(ConfigError) as err:
        R.model_from_keras(config)
    assert str(err.value) == (
        "unknown layer class 'Conv2D': rnnlab has Activation, Add, AdditiveAttention, "
        "Attention, Average, BatchNormalization, Bidirectional, Concatenate, Conv1D, Dense, "
        "Dot, Dropout, Embedding, Flatten, GRU, InputLayer, LSTM, LayerNormalization, Masking, "
        "Maximum, Minimum, Multiply, RNN, RepeatVector, Reshape, SimpleRNN, Subtract, "
        "TimeDistributed; "
        "for a class of your own, pass custom_objects={'Conv2D': Conv2D}"
    )


def test_a_functional_config_without_layers_is_refused():
    # (functional models load: tests/saving/test_functional_files.py)
    with pytest.raises(ConfigError, match=r"^the Functional config has no list of layers$"):
        R.model_from_keras({"class_name": "Functional", "config": {}})


def test_a_broken_model_nested_as_a_layer_is_named():
    # (well-formed nested models load: tests/saving/test_functional_interop.py)
    config = fixture_config("basic_rnn")
    config["config"]["layers"][1]["class_name"] = "Functional"
    with pytest.raises(ConfigError) as err:
        R.model_from_keras(config)
    assert str(err.value) == (
        "the Functional model 'simple_rnn' used as a layer: the Functional config has no "
        "list of layers"
    )
    config["config"]["layers"][1]["class_name"] = "Model"
    with pytest.raises(ConfigError) as err:
        R.model_from_keras(config)
    assert str(err.value) == (
        "a Model used as a layer that is neither Functional nor Sequential (a subclassed "
        "model): rnnlab cannot load it from a file; build it in code"
    )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("stateful", True, "stateful=True is not supported by rnnlab"),
        ("kernel_regularizer", {"class_name": "L2", "config": {"l2": 0.01}}, "kernel_regularizer"),
        ("dtype", "mixed_float16", "rnnlab computes in float32 only"),
    ],
)
def test_keras_settings_rnnlab_lacks_are_refused_by_name(key, value, message):
    config = fixture_config("basic_rnn")
    config["config"]["layers"][1]["config"][key] = value
    with pytest.raises(ConfigError, match=message):
        R.model_from_keras(config)


def test_optimizer_settings_rnnlab_lacks_are_refused():
    config = fixture_config("basic_rnn")["compile_config"]
    config["optimizer"]["config"]["clipnorm"] = 1.0
    with pytest.raises(ConfigError, match=r"optimizer Adam: clipnorm=1.0 has no rnnlab"):
        R.compile_from_keras(config, {})


def test_tf_keras_2_style_config():
    # tf.keras 2: no module/registered_name, batch_input_shape, dtype strings, implementation.
    config = {"class_name": "Sequential", "config": {"name": "seq", "layers": [
        {"class_name": "LSTM", "config": {
            "name": "lstm", "trainable": True, "batch_input_shape": [None, None, 1],
            "dtype": "float32", "return_sequences": True, "units": 3, "time_major": False,
            "implementation": 2, "kernel_initializer": {"class_name": "GlorotUniform",
                                                        "config": {"seed": None}}}},
        {"class_name": "Dense", "config": {"name": "dense", "units": 1, "dtype": "float32"}},
    ]}}  # fmt: skip
    training = {"loss": "mse", "metrics": ["mae"],
                "optimizer_config": {"class_name": "Adam", "config": {
                    "name": "Adam", "learning_rate": 0.01, "decay": 0.0, "beta_1": 0.9,
                    "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}}}  # fmt: skip
    model = R.model_from_keras(config, compile_config=training)
    assert model.input_shape == (None, None, 1) and model.output_shape == (None, None, 1)
    assert model.optimizer.learning_rate == 0.01 and model.metrics_names == ["loss", "mae"]


def test_zero_output_for_mask_travels():
    config = fixture_config("toolbox")
    model = R.model_from_keras(config)
    bidi, gru = model.get_layer("bidirectional"), model.get_layer("gru")
    assert bidi.forward_layer.zero_output_for_mask and bidi.backward_layer.zero_output_for_mask
    assert gru.zero_output_for_mask is False
    lstm = L.LSTM(2, return_sequences=True, zero_output_for_mask=True, name="z")
    assert C.layer_to_keras(lstm)["config"]["zero_output_for_mask"] is True
    assert R.layer_from_keras(C.layer_to_keras(lstm)).zero_output_for_mask is True
