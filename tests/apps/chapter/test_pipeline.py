"""Tests of the chapter app's recipes and pipeline (run_chapter); small_run is in conftest."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnlab import utils
from rnnlab.apps.chapter import baselines, data, pipeline, recipes
from rnnlab.cli import main
from rnnlab.optimizers import Adam

PARAMS = {
    "basic_rnn": 3,
    "stacked_rnn": 1281,
    "multistep_rnn": 1470,
    "lstm": 5250,
    "gru": 4110,
    "conv1d_gru": 5350,
}


# --- recipes ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", recipes.MODEL_NAMES)
def test_recipes_have_the_chapters_parameter_counts_and_outputs(name):
    model = recipes.build_model(name)
    assert model.count_params() == PARAMS[name]
    assert model.output_shape == (None, recipes.RECIPES[name].horizon)
    assert model.input_shape == (None, None, 1)
    assert model.predict(np.zeros((2, 50, 1), np.float32)).shape == (2, model.output_shape[1])


def test_recipes_optimizers_and_order():
    assert tuple(PARAMS) == recipes.MODEL_NAMES
    basic = recipes.build_model("basic_rnn")
    assert isinstance(basic.optimizer, Adam) and basic.optimizer.learning_rate == 0.005
    for name in recipes.MODEL_NAMES[1:]:
        opt = recipes.build_model(name).optimizer
        assert isinstance(opt, Adam) and opt.learning_rate == 0.001
    assert set(recipes.CHAPTER_MSE) == {"naive", *recipes.MODEL_NAMES}


def test_layer_names_follow_the_chapter_after_clear_session():
    utils.clear_session()
    models = [recipes.build_model(name) for name in recipes.MODEL_NAMES[:3]]
    assert [m.name for m in models] == ["sequential", "sequential_1", "sequential_2"]
    assert [layer.name for layer in models[1].layers] == ["simple_rnn_1", "simple_rnn_2", "dense"]
    assert [layer.name for layer in models[2].layers] == ["simple_rnn_3", "simple_rnn_4", "dense_1"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, recipes.MODEL_NAMES),
        ("all", recipes.MODEL_NAMES),
        ("naive", ()),
        ("lstm,all", recipes.MODEL_NAMES),
        ("gru, lstm", ("lstm", "gru")),
        ("lstm,lstm,", ("lstm",)),
        (["conv1d_gru", "basic_rnn"], ("basic_rnn", "conv1d_gru")),
    ],
)
def test_parse_models(text, expected):
    assert recipes.parse_models(text) == expected


def test_parse_models_rejects_unknown_names_listing_valid_ones():
    with pytest.raises(ValueError, match="rnn_x") as info:
        recipes.parse_models("lstm,rnn_x")
    assert all(name in str(info.value) for name in recipes.MODEL_NAMES)


@pytest.mark.parametrize("text", ["", " , ", []])
def test_parse_models_rejects_an_empty_selection(text):
    with pytest.raises(ValueError, match="no model name"):
        recipes.parse_models(text)


def test_model_seed_is_stable_and_distinct():
    seeds = [recipes.model_seed(42, name) for name in recipes.MODEL_NAMES]
    assert seeds == [recipes.model_seed(42, name) for name in recipes.MODEL_NAMES]
    assert len(set(seeds)) == len(seeds)
    assert recipes.model_seed(42, "lstm") != recipes.model_seed(43, "lstm")


# --- run_chapter --------------------------------------------------------------------------


def test_run_chapter_reports_each_step(small_run):
    # Summaries come first, in the chapter's order; then the costliest model trains first.
    _, recorder = small_run
    keys = ["loss", "val_loss"]
    assert recorder.events == [
        ("done", "naive"),
        ("start", "basic_rnn", 1, 2, 'Model: "sequential"'),
        ("start", "gru", 2, 2, 'Model: "sequential_1"'),
        ("epoch", "gru", 0, keys),
        ("epoch", "gru", 1, keys),
        ("done", "gru"),
        ("epoch", "basic_rnn", 0, keys),
        ("epoch", "basic_rnn", 1, keys),
        ("done", "basic_rnn"),
    ]


def test_run_chapter_results(small_run):
    run, _ = small_run
    assert [r.name for r in run.results] == ["naive", "basic_rnn", "gru"]
    naive, basic, gru = run.results
    single, multi = data.chapter_datasets(42, n_series=pipeline.QUICK_SERIES)
    np.testing.assert_array_equal(run.single.x_val, single.x_val)
    np.testing.assert_array_equal(run.multi.y_test, multi.y_test)
    expected = baselines.mse(single.y_val, baselines.naive_forecast(single.x_val))
    assert naive.val_mse == expected and naive.params == 0 and naive.train_seconds == 0
    assert basic.params == 3 and gru.params == 4110
    assert basic.forecast.shape == (1,) and gru.forecast.shape == (10,)
    assert naive.forecast.shape == (1,)
    for r in (basic, gru):
        assert len(r.history["loss"]) == 2 and len(r.history["val_loss"]) == 2
        assert r.val_mse == pytest.approx(r.history["val_loss"][-1], rel=1e-4)
        assert np.isfinite(r.test_mse) and r.train_seconds > 0
        assert "Total params" in r.summary
    assert run.total_train_seconds == pytest.approx(basic.train_seconds + gru.train_seconds)
    # One at a time: the training wall time covers both fits (and their scoring).
    assert run.train_wall_seconds >= run.total_train_seconds
    assert run.config.effective_workers == 1
    assert set(run.versions) == {"rnnlab", "jax", "optax", "numpy", "python"}


def test_models_trained_at_once_give_the_same_results(small_run):
    run, _ = small_run
    config = pipeline.ChapterConfig(epochs=2, models=("basic_rnn", "gru"), quick=True, workers=2)
    together = pipeline.run_chapter(config)
    assert together.config.effective_workers == 2
    assert [r.name for r in together.results] == ["naive", "basic_rnn", "gru"]
    for a, b in zip(together.results, run.results, strict=True):
        assert a.val_mse == b.val_mse and a.test_mse == b.test_mse and a.history == b.history
        np.testing.assert_array_equal(a.forecast, b.forecast)


def test_a_model_trains_the_same_whatever_the_subset(small_run):
    run, _ = small_run
    config = pipeline.ChapterConfig(epochs=2, models=("basic_rnn",), quick=True)
    alone = pipeline.run_chapter(config).results[1]
    assert alone.val_mse == run.results[1].val_mse
    np.testing.assert_array_equal(alone.forecast, run.results[1].forecast)


# --- the full chapter ---------------------------------------------------------------------


@pytest.mark.slow
def test_full_chapter_matches_the_chapters_accuracy(tmp_path):
    out = tmp_path / "chapter"
    assert main(["chapter", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["epochs"] == 15 and results["quick"] is False
    for m in results["models"]:
        assert m["params"] == PARAMS.get(m["name"], 0)
        assert m["val_mse"] <= 1.25 * recipes.CHAPTER_MSE[m["name"]], m
