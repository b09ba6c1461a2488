"""The scripts in examples/ run in quick mode (500 series, 2 epochs) and report finite metrics.

Each example is imported from its path and its ``main(["--quick"])`` called in-process,
so compiled functions are shared with the rest of the session where shapes repeat.
The accuracy at the defaults (20 epochs, 10,000 series) is in examples/README.md.
"""

import functools
import importlib.util
import math
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
QUICK = ["--quick", "--verbose", "0"]


@functools.cache
def load(name):
    """Import examples/<name>.py as a module (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"rnnlab_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


def check_finite(result, *keys):
    for key in keys:
        assert math.isfinite(result[key]), (key, result[key])
    assert result["naive_mse"] > 0


def check_seq2seq_history(result, epochs=2):
    history = result["history"]
    for key in ("loss", "val_loss", "last_time_step_mse", "val_last_time_step_mse"):
        assert len(history[key]) == epochs, key
        assert all(math.isfinite(v) for v in history[key]), key
    assert result["val_last_step_mse"] == history["val_last_time_step_mse"][-1]


def test_every_example_is_tested():
    scripts = {p.stem for p in EXAMPLES.glob("*.py")}
    assert scripts == {
        "sequence_to_vector",
        "sequence_to_sequence",
        "vector_to_sequence",
        "encoder_decoder",
        "encoder_decoder_states",
        "conv1d_gru_seq2seq",
        "wavenet",
        "custom_cell",
        "iterative_forecast",
        "many_models",
    }


def test_many_models_trains_every_cell_and_seed():
    result = load("many_models").main([*QUICK, "--seeds", "2", "--workers", "3"])
    assert result["n_models"] == 6
    assert set(result["val_mse"]) == {"simple_rnn", "lstm", "gru"}
    for mean, low, high in result["val_mse"].values():
        assert math.isfinite(mean) and low <= mean <= high
    assert result["naive_mse"] > 0 and result["wall_seconds"] > 0


def test_sequence_to_vector():
    result = load("sequence_to_vector").main(QUICK)
    check_finite(result, "val_mse")
    assert result["params"] == 1281  # the chapter's 440 + 820 + 21


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru"])
def test_sequence_to_sequence(cell):
    result = load("sequence_to_sequence").main([*QUICK, "--cell", cell])
    assert result["name"] == f"seq2seq_{cell}"
    check_finite(result, "val_last_step_mse")
    check_seq2seq_history(result)


def test_vector_to_sequence():
    check_finite(load("vector_to_sequence").main(QUICK), "val_mse")


def test_encoder_decoder():
    check_finite(load("encoder_decoder").main(QUICK), "val_mse")


def test_encoder_decoder_with_states_beats_the_naive_forecast():
    """Teacher-forced training, then forecasts fed back step by step; even in quick mode
    (500 series, 2 epochs) it must beat the last value repeated, by a margin."""
    result = load("encoder_decoder_states").main(QUICK)
    check_finite(result, "val_mse")
    assert result["val_mse"] < 0.6 * result["naive_mse"]
    assert len(result["history"]["val_loss"]) == 2


def test_conv1d_gru_seq2seq():
    result = load("conv1d_gru_seq2seq").main(QUICK)
    check_finite(result, "val_last_step_mse")
    check_seq2seq_history(result)


def test_wavenet():
    result = load("wavenet").main(QUICK)
    check_finite(result, "val_last_step_mse")
    check_seq2seq_history(result)
    assert result["params"] == 60 + 7 * 820 + 210  # first conv, 7 more, Conv1D(10, 1)


def test_iterative_forecast_compiles_predict_once():
    result = load("iterative_forecast").main(QUICK)
    check_finite(result, "val_mse")
    assert result["predict_compilations"] == 1


# --- the custom cell ---------------------------------------------------------------------


def test_custom_cell_trains():
    result = load("custom_cell").main(QUICK)
    check_finite(result, "val_last_step_mse")
    check_seq2seq_history(result)
    assert result["params"] == 1550


def test_custom_cell_rnn_matches_a_python_loop():
    module = load("custom_cell")
    model = module.build_model(seed=0)
    layer, cell = model.layers[1], model.layers[1].cell
    params = model.params[layer.name]
    x = jnp.asarray(np.random.default_rng(0).normal(size=(3, 7, 20)), jnp.float32)

    carry, outputs = cell.initial_carry(3), []
    for t in range(x.shape[1]):
        carry, y = cell(params, carry, x[:, t])
        outputs.append(y)
    expected = jnp.stack(outputs, axis=1)

    np.testing.assert_allclose(layer.apply(params, x), expected, rtol=1e-5, atol=1e-6)
    # Layer norm: before tanh each step's pre-activation has mean beta (0) over units.
    z = jnp.arctanh(expected)
    np.testing.assert_allclose(jnp.mean(z, axis=-1), 0.0, atol=1e-3)


def test_custom_cell_parameters():
    model = load("custom_cell").build_model(seed=0)
    first, second = (model.params[layer.name] for layer in model.layers[:2])
    assert sorted(first) == ["beta", "bias", "gamma", "kernel", "recurrent_kernel"]
    # kernel (in, 20), recurrent_kernel (20, 20), bias, gamma, beta (20,)
    assert sum(w.size for w in jax.tree.leaves(first)) == 20 * (1 + 20 + 1) + 2 * 20  # 480
    assert sum(w.size for w in jax.tree.leaves(second)) == 20 * (20 + 20 + 1) + 2 * 20  # 860


def test_custom_cell_count_params():
    model = load("custom_cell").build_model(seed=0)
    assert model.count_params() == 480 + 860 + 210
