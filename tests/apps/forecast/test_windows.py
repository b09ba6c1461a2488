"""Window index tables and gathers against hand-written loops over every (series, t)."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnlab.apps.forecast.windows import (
    last_windows,
    numpy_windows,
    pad_panel,
    take_windows,
    validation_split,
    window_index,
)


def loop_index(lengths, ends, lookback, horizon, start=None):
    """Every (s, t) whose window t .. t+lookback+horizon-1 lies in [start[s], ends[s])."""
    rows = []
    for s in range(len(lengths)):
        first = 0 if start is None else start[s]
        for t in range(lengths[s]):
            if t >= first and t + lookback + horizon - 1 < ends[s]:
                rows.append((s, t))
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def random_panel(rng, n_series, max_len, channels, min_len=0):
    lengths = rng.integers(min_len, max_len + 1, n_series)
    arrays = [rng.normal(size=(n, channels)) for n in lengths]
    return arrays, lengths


@pytest.mark.parametrize("seed", range(5))
def test_window_index_equals_loop(seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 40, 12)
    ends = (lengths * rng.uniform(0.3, 1.0, 12)).astype(np.int64)
    ends[0] = lengths[0]  # one series used to its end
    start = rng.integers(0, 10, 12)
    lookback, horizon = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    for begin in (None, start):
        got = window_index(lengths, ends, lookback, horizon, start=begin)
        assert got.dtype == np.int32 and got.shape[1] == 2
        np.testing.assert_array_equal(got, loop_index(lengths, ends, lookback, horizon, begin))


def test_window_index_hand_example():
    # series 0: length 6, windows of 3 end before step 5 -> t in {0, 1, 2}; with start 1 -> {1, 2}
    # series 1: too short; series 2: exactly one window
    lengths, ends = np.array([6, 2, 3]), np.array([5, 2, 3])
    assert window_index(lengths, ends, 2, 1).tolist() == [[0, 0], [0, 1], [0, 2], [2, 0]]
    got = window_index(lengths, ends, 2, 1, start=np.array([1, 0, 1]))
    assert got.tolist() == [[0, 1], [0, 2]]
    assert window_index(lengths, np.zeros(3, int), 1, 1).shape == (0, 2)


def test_window_index_errors():
    with pytest.raises(
        ValueError, match=re.escape("window_index: ends[1] = 4 is past lengths[1] = 3")
    ):
        window_index(np.array([5, 3]), np.array([5, 4]), 1, 1)
    with pytest.raises(
        ValueError, match=re.escape("window_index: ends must have one entry per series (2), got 1")
    ):
        window_index(np.array([5, 3]), np.array([5]), 1, 1)
    with pytest.raises(
        ValueError, match=re.escape("window_index: horizon must be an integer >= 1, got 0")
    ):
        window_index(np.array([5]), np.array([5]), 2, 0)
    with pytest.raises(
        TypeError, match=re.escape("window_index: lookback must be an integer, got 2.0")
    ):
        window_index(np.array([5]), np.array([5]), 2.0, 1)
    with pytest.raises(ValueError, match=re.escape("window_index: start[0] must be >= 0, got -1")):
        window_index(np.array([5]), np.array([5]), 1, 1, start=np.array([-1]))


def test_pad_panel():
    rng = np.random.default_rng(0)
    arrays, _ = random_panel(rng, 6, 9, 3)
    arrays[2] = np.zeros((0, 3))
    values, got_lengths = pad_panel(arrays)
    assert values.dtype == np.float32 and got_lengths.dtype == np.int64
    assert values.shape == (6, max(len(a) for a in arrays), 3)
    np.testing.assert_array_equal(got_lengths, [len(a) for a in arrays])
    for s, a in enumerate(arrays):
        np.testing.assert_array_equal(values[s, : len(a)], a.astype(np.float32))
        assert not values[s, len(a) :].any()


def test_pad_panel_errors():
    with pytest.raises(
        ValueError, match=re.escape("pad_panel: arrays[1] must have shape (T, 2), got (4, 3)")
    ):
        pad_panel([np.ones((3, 2)), np.ones((4, 3))])
    with pytest.raises(
        ValueError, match=re.escape("pad_panel: arrays[0] must have shape (T, C), got (3,)")
    ):
        pad_panel([np.ones(3)])
    with pytest.raises(
        ValueError, match=re.escape("pad_panel: arrays must hold at least one series")
    ):
        pad_panel([])


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(1)
    arrays, _ = random_panel(rng, 7, 30, 2, min_len=5)
    values, lengths = pad_panel(arrays)
    index = window_index(lengths, lengths, 4, 3)
    return values, lengths, index


def loop_windows(values, index, length):
    return np.stack([values[s, t : t + length] for s, t in index.tolist()])


def test_numpy_windows_equals_loop(panel):
    values, _, index = panel
    got = numpy_windows(values, index, 7)
    assert got.shape == (len(index), 7, 2) and got.dtype == np.float32
    np.testing.assert_array_equal(got, loop_windows(values, index, 7))
    # a shuffled batch of rows, and a shorter length (the inputs of each window only)
    batch = index[np.random.default_rng(2).permutation(len(index))[:9]]
    np.testing.assert_array_equal(numpy_windows(values, batch, 4), loop_windows(values, batch, 4))


def test_numpy_windows_errors(panel):
    values, _, _ = panel
    bad = np.array([[0, 0], [1, values.shape[1] - 2]])
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"numpy_windows: index row 1 (series 1, t {values.shape[1] - 2}) with length 3 is "
            f"outside values of shape {values.shape}"
        ),
    ):
        numpy_windows(values, bad, 3)
    with pytest.raises(ValueError, match=re.escape("numpy_windows: index row 0 (series -1, t 0)")):
        numpy_windows(values, np.array([[-1, 0]]), 3)
    with pytest.raises(
        ValueError, match=re.escape("numpy_windows: index must be an integer array")
    ):
        numpy_windows(values, np.zeros((2, 3), int), 3)


def test_take_windows_jitted_equals_loop(panel):
    values, _, index = panel
    expected = loop_windows(values, index, 7)
    got = take_windows(jnp.asarray(values), jnp.asarray(index), 7)
    np.testing.assert_array_equal(np.asarray(got), expected)
    # inside a user's compiled function, with the batch chosen there
    gather = jax.jit(lambda v, i: take_windows(v, i[::2], 7).sum(axis=1))
    got = gather(jnp.asarray(values), jnp.asarray(index))
    np.testing.assert_allclose(np.asarray(got), expected[::2].sum(axis=1), rtol=1e-6)


def test_last_windows(panel):
    values, lengths, _ = panel
    got = last_windows(values, lengths, 5)
    for s, n in enumerate(lengths):
        np.testing.assert_array_equal(got[s], values[s, n - 5 : n])
    cut = lengths - 3  # >= 2
    got = last_windows(values, cut, 2)
    for s, n in enumerate(cut):
        np.testing.assert_array_equal(got[s], values[s, n - 2 : n])
    with pytest.raises(
        ValueError, match=re.escape("last_windows: series 1 ends at step 1, before a window of 2")
    ):
        last_windows(values, np.where(np.arange(len(lengths)) == 1, 1, lengths), 2)
    with pytest.raises(ValueError, match=re.escape("last_windows: ends[0] = 99 is past the")):
        last_windows(values, np.full(len(lengths), 99), 2)


def test_validation_split_hand_example():
    # lookback 3, horizon 2, tail of 4 steps; series of 12 has a tail [8, 12): training windows'
    # targets end before 8 (t <= 3); validation windows' targets lie in [8, 12): t in {5, 6, 7}.
    # A series of 8 < 4 + 3 + 2 keeps all its steps for training and has no validation window.
    lengths = np.array([12, 8, 9])
    train_ends, val_start = validation_split(lengths, 3, 2, val_size=4)
    assert train_ends.tolist() == [8, 8, 5] and val_start.tolist() == [5, 8, 2]
    train = window_index(lengths, train_ends, 3, 2)
    val = window_index(lengths, lengths, 3, 2, start=val_start)
    assert train.tolist() == [
        [0, 0],
        [0, 1],
        [0, 2],
        [0, 3],
        [1, 0],
        [1, 1],
        [1, 2],
        [1, 3],
        [2, 0],
    ]
    assert val.tolist() == [[0, 5], [0, 6], [0, 7], [2, 2], [2, 3], [2, 4]]
    for s, t in val.tolist():  # every target step inside the tail, every input before its end
        assert t + 3 >= lengths[s] - 4 and t + 5 <= lengths[s]
    for s, t in train.tolist():
        assert t + 5 <= train_ends[s]


def test_validation_split_errors():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "validation_split: val_size must be >= horizon (3) so that a validation window's "
            "targets fit in the tail, got 2"
        ),
    ):
        validation_split(np.array([20]), 4, 3, val_size=2)


def test_large_panel_functional():
    # 1,000 series x 1,000 steps: the index is (N, 2) int32 and nothing else grows with N
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(1000, 3)).astype(np.float32) for _ in range(1000)]
    values, lengths = pad_panel(arrays)
    train_ends, _ = validation_split(lengths, 48, 24, val_size=24)
    index = window_index(lengths, train_ends, 48, 24)
    assert values.shape == (1000, 1000, 3)
    assert index.shape == (1000 * (976 - 72 + 1), 2) and index.dtype == np.int32
    assert index[-1].tolist() == [999, 976 - 72]
    batch = numpy_windows(values, index[::100_000], 72)
    np.testing.assert_array_equal(batch[3], arrays[index[300_000, 0]][index[300_000, 1] :][:72])
