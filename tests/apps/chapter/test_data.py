"""Tests for rnnlab.apps.chapter.data: the chapter's series generator and data splits."""

import dataclasses

import numpy as np
import pytest

from rnnlab.apps.chapter.data import (
    SeriesSplit,
    chapter_datasets,
    generate_time_series,
    split_series,
)


def _reference_series(rng: np.random.Generator, batch_size: int, n_steps: int) -> np.ndarray:
    """The chapter's formula, written out independently of the library."""
    draws = rng.random((4, batch_size, 1))
    time = np.linspace(0.0, 1.0, n_steps)
    wave1 = 0.5 * np.sin((time - draws[2]) * (draws[0] * 10 + 10))
    wave2 = 0.2 * np.sin((time - draws[3]) * (draws[1] * 20 + 20))
    noise = 0.1 * (rng.random((batch_size, n_steps)) - 0.5)
    return (wave1 + wave2 + noise)[:, :, None].astype(np.float32)


# --- generate_time_series ---------------------------------------------------------------


def test_generate_shape_dtype_and_range():
    series = generate_time_series(64, 51, seed=0)
    assert series.shape == (64, 51, 1)
    assert series.dtype == np.float32
    assert np.all(np.abs(series) <= 0.75)
    assert series.std() > 0.1  # really two waves, not zeros or pure noise


def test_generate_matches_independent_recomputation():
    expected = _reference_series(np.random.default_rng(123), 8, 30)
    np.testing.assert_array_equal(generate_time_series(8, 30, seed=123), expected)


def test_generate_same_seed_identical_different_seeds_differ():
    a = generate_time_series(5, 20, seed=7)
    b = generate_time_series(5, 20, seed=7)
    c = generate_time_series(5, 20, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_generate_accepts_generator_and_advances_it():
    rng = np.random.default_rng(3)
    first = generate_time_series(4, 10, seed=rng)
    second = generate_time_series(4, 10, seed=rng)
    ref_rng = np.random.default_rng(3)
    np.testing.assert_array_equal(first, _reference_series(ref_rng, 4, 10))
    np.testing.assert_array_equal(second, _reference_series(ref_rng, 4, 10))
    assert not np.array_equal(first, second)


def test_generate_without_seed_is_fresh():
    assert not np.array_equal(generate_time_series(3, 10), generate_time_series(3, 10))


def test_generate_accepts_numpy_integers():
    assert generate_time_series(np.int64(2), np.int32(5), seed=np.int64(1)).shape == (2, 5, 1)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"batch_size": 4, "n_steps": 0},
            ValueError,
            r"^generate_time_series: n_steps must be a positive integer, got 0$",
        ),
        (
            {"batch_size": -2, "n_steps": 5},
            ValueError,
            r"^generate_time_series: batch_size must be a positive integer, got -2$",
        ),
        (
            {"batch_size": 2.0, "n_steps": 5},
            TypeError,
            r"^generate_time_series: batch_size must be a positive integer, got 2\.0 \(float\)$",
        ),
        (
            {"batch_size": True, "n_steps": 5},
            TypeError,
            r"^generate_time_series: batch_size must be a positive integer, got True \(bool\)$",
        ),
        (
            {"batch_size": 2, "n_steps": 5, "seed": "abc"},
            TypeError,
            r"^generate_time_series: seed must be an int, a numpy\.random\.Generator or None, "
            r"got 'abc' \(str\)$",
        ),
    ],
)
def test_generate_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        generate_time_series(**kwargs)


# --- split_series -----------------------------------------------------------------------


def test_split_single_step_matches_chapter_slicing():
    series = generate_time_series(100, 51, seed=0)
    split = split_series(series, horizon=1, n_train=70, n_val=20)
    assert split.shapes() == {
        "x_train": (70, 50, 1),
        "y_train": (70, 1),
        "x_val": (20, 50, 1),
        "y_val": (20, 1),
        "x_test": (10, 50, 1),
        "y_test": (10, 1),
    }
    np.testing.assert_array_equal(split.x_train, series[:70, :50])
    np.testing.assert_array_equal(split.y_train, series[:70, -1])
    np.testing.assert_array_equal(split.x_val, series[70:90, :50])
    np.testing.assert_array_equal(split.y_val, series[70:90, -1])
    np.testing.assert_array_equal(split.x_test, series[90:, :50])
    np.testing.assert_array_equal(split.y_test, series[90:, -1])
    # The target really is the step after the inputs: column 50 of the series.
    assert split.y_val[3, 0] == series[73, 50, 0]


def test_split_multi_step_matches_chapter_slicing():
    series = generate_time_series(100, 60, seed=1)
    split = split_series(series, horizon=10, n_train=70, n_val=20)
    assert split.x_train.shape == (70, 50, 1)
    assert split.y_train.shape == (70, 10)
    np.testing.assert_array_equal(split.y_train, series[:70, -10:, 0])
    np.testing.assert_array_equal(split.y_val, series[70:90, -10:, 0])
    np.testing.assert_array_equal(split.y_test, series[90:, -10:, 0])
    np.testing.assert_array_equal(split.x_test, series[90:, :50])


def test_split_with_explicit_n_test_leaves_rest_out():
    series = np.arange(10 * 4, dtype=np.float32).reshape(10, 4, 1)
    split = split_series(series, horizon=2, n_train=5, n_val=2, n_test=1)
    assert split.x_test.shape == (1, 2, 1)
    np.testing.assert_array_equal(split.y_test, [[30.0, 31.0]])  # row 7, steps 2 and 3


def test_split_multivariate_targets():
    # Inputs keep every feature; horizon 1 targets keep every feature (series[:, -1]),
    # multi-step targets are the first feature only (series[:, -h:, 0]), as in the chapter.
    series = np.arange(6 * 5 * 2, dtype=np.float32).reshape(6, 5, 2)
    single = split_series(series, horizon=1, n_train=3, n_val=2)
    assert single.x_train.shape == (3, 4, 2)
    np.testing.assert_array_equal(single.y_test, [[58.0, 59.0]])
    multi = split_series(series, horizon=2, n_train=3, n_val=2)
    assert multi.x_train.shape == (3, 3, 2)
    np.testing.assert_array_equal(multi.y_test, [[56.0, 58.0]])


def test_split_is_frozen():
    split = split_series(generate_time_series(10, 5, seed=0), n_train=6, n_val=2)
    assert isinstance(split, SeriesSplit)
    with pytest.raises(dataclasses.FrozenInstanceError):
        split.x_train = np.zeros(1)


@pytest.mark.parametrize(
    ("series_shape", "kwargs", "message"),
    [
        ((10, 5), {}, r"series must be 3-D .*got shape \(10, 5\)"),
        ((10, 5, 1), {"horizon": 5}, r"horizon must be smaller than .* \(5\) .*got 5$"),
        ((10, 5, 1), {"horizon": 0}, r"horizon must be a positive integer, got 0$"),
        (
            (10, 5, 1),
            {"n_train": 8, "n_val": 2},
            r"n_train \+ n_val must leave at least one row .*\(series has 10 rows\), "
            r"got n_train=8, n_val=2$",
        ),
        (
            (10, 5, 1),
            {"n_train": 5, "n_val": 3, "n_test": 3},
            r"n_train \+ n_val \+ n_test must be <= .*\(10\), got 5 \+ 3 \+ 3 = 11$",
        ),
        ((10, 5, 1), {"n_train": 0, "n_val": 3}, r"n_train must be a positive integer, got 0$"),
        ((10, 5, 1), {"n_train": 5, "n_val": 0}, r"n_val must be a positive integer, got 0$"),
    ],
)
def test_split_rejects_bad_arguments(series_shape, kwargs, message):
    with pytest.raises(ValueError, match=r"^split_series: " + message):
        split_series(np.zeros(series_shape, dtype=np.float32), **kwargs)


# --- chapter_datasets -------------------------------------------------------------------


def test_chapter_datasets_shapes_and_sizes():
    single, multi = chapter_datasets(seed=0, n_series=100)
    assert single.shapes() == {
        "x_train": (70, 50, 1),
        "y_train": (70, 1),
        "x_val": (20, 50, 1),
        "y_val": (20, 1),
        "x_test": (10, 50, 1),
        "y_test": (10, 1),
    }
    assert multi.shapes()["x_val"] == (20, 50, 1)
    assert multi.shapes()["y_val"] == (20, 10)
    assert multi.shapes()["y_test"] == (10, 10)
    sizes = chapter_datasets(seed=0, n_series=500, n_steps=20)[0].shapes()
    assert (sizes["x_train"], sizes["x_val"], sizes["x_test"]) == (
        (350, 20, 1),
        (100, 20, 1),
        (50, 20, 1),
    )


def test_chapter_datasets_draws_both_sets_from_one_stream():
    single, multi = chapter_datasets(seed=5, n_series=100, n_steps=12)
    rng = np.random.default_rng(5)
    first = _reference_series(rng, 100, 13)
    second = _reference_series(rng, 100, 22)
    np.testing.assert_array_equal(single.x_train, first[:70, :12])
    np.testing.assert_array_equal(single.y_val, first[70:90, -1])
    np.testing.assert_array_equal(multi.x_test, second[90:, :12])
    np.testing.assert_array_equal(multi.y_train, second[:70, -10:, 0])


def test_chapter_datasets_reproducible():
    a_single, a_multi = chapter_datasets(seed=9, n_series=50)
    b_single, b_multi = chapter_datasets(seed=9, n_series=50)
    np.testing.assert_array_equal(a_single.x_train, b_single.x_train)
    np.testing.assert_array_equal(a_multi.y_test, b_multi.y_test)
    c_single, _ = chapter_datasets(seed=10, n_series=50)
    assert not np.array_equal(a_single.x_train, c_single.x_train)


def test_chapter_datasets_rejects_too_few_series():
    with pytest.raises(
        ValueError, match=r"^chapter_datasets: n_series must be an integer >= 10, got 9$"
    ):
        chapter_datasets(seed=0, n_series=9)


def test_seq2seq_targets_are_the_next_values_at_every_step():
    from rnnlab.apps.chapter.data import seq2seq_targets

    series = np.arange(2 * 8, dtype=np.float32).reshape(2, 8, 1)
    y = seq2seq_targets(series, n_steps=5, horizon=3)
    assert y.shape == (2, 5, 3)
    # step t forecasts series[t+1 .. t+3]
    np.testing.assert_array_equal(y[1, 2], [11.0, 12.0, 13.0])
    np.testing.assert_array_equal(y[:, -1], series[:, 5:8, 0])


def test_seq2seq_targets_rejects_short_series():
    from rnnlab.apps.chapter.data import seq2seq_targets

    with pytest.raises(ValueError, match="need at least n_steps \\+ horizon = 12"):
        seq2seq_targets(np.zeros((1, 11, 1)), n_steps=2, horizon=10)


def test_seq2seq_datasets_split_and_last_step_targets():
    from rnnlab.apps.chapter.data import generate_time_series, seq2seq_datasets

    d = seq2seq_datasets(seed=3, n_series=100, n_steps=20, horizon=4)
    assert d.x_train.shape == (70, 20, 1) and d.y_val.shape == (20, 20, 4)
    series = generate_time_series(100, 24, seed=3)
    np.testing.assert_array_equal(d.y_test[:, -1], series[90:, 20:24, 0])
