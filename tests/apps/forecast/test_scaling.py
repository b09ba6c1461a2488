"""Per-series scalers: statistics of the training part only, exact inverse, exact errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rnnlab.apps.forecast.scaling import SCALER_KINDS, Scaler, check_kind, fit_scaler


def ragged(seed=0, n=6):
    rng = np.random.default_rng(seed)
    y = [rng.normal(10.0 * i, 1.0 + i, size=int(rng.integers(8, 30))) for i in range(n)]
    ends = np.array([int(rng.integers(3, len(s) + 1)) for s in y])
    return y, ends


def expected_stats(kind, train):
    """numpy's statistics of one training part, written out independently of the module."""
    if kind == "standard":
        return train.mean(), train.std()
    if kind == "robust":
        q1, q3 = np.quantile(train, 0.25), np.quantile(train, 0.75)
        return np.median(train), (q3 - q1) / 1.349
    if kind == "minmax":
        return train.min(), train.max() - train.min()
    return 0.0, 1.0


def shared_ends(seed=0):
    """Series of different lengths, several cut at the same step (fitted as one block)."""
    y, _ = ragged(seed, n=8)
    ends = np.array([min(7, len(s)) if i % 3 else min(len(s) for s in y) for i, s in enumerate(y)])
    return y, ends


@pytest.mark.parametrize("kind", SCALER_KINDS)
@pytest.mark.parametrize("data", [ragged, shared_ends])
def test_statistics_of_the_training_part_only(kind, data):
    y, ends = data()
    scaler = fit_scaler(kind, y, ends)
    assert scaler.kind == kind and scaler.center.dtype == np.float64
    for i, (series, end) in enumerate(zip(y, ends, strict=True)):
        center, scale = expected_stats(kind, series[:end])
        assert scaler.center[i] == pytest.approx(center, rel=1e-12, abs=1e-12)
        assert scaler.scale[i] == pytest.approx(scale, rel=1e-12)


@pytest.mark.parametrize("kind", SCALER_KINDS)
def test_no_look_ahead(kind):
    y, ends = ragged(1)
    before = fit_scaler(kind, y, ends)
    changed = [s.copy() for s in y]
    for s, end in zip(changed, ends, strict=True):
        s[end:] = 1e6  # everything after the cutoff
    after = fit_scaler(kind, changed, ends)
    np.testing.assert_array_equal(after.center, before.center)
    np.testing.assert_array_equal(after.scale, before.scale)
    if kind != "none":  # the last step before the cutoff is seen: the lowest, then the highest
        low, high = [s.copy() for s in y], [s.copy() for s in y]
        low[0][ends[0] - 1], high[0][ends[0] - 1] = -1e6, 1e6
        low, high = fit_scaler(kind, low, ends), fit_scaler(kind, high, ends)
        assert (low.center[0], low.scale[0]) != (high.center[0], high.scale[0])


def test_minmax_maps_the_training_part_onto_unit_interval():
    y, ends = ragged(2)
    scaler = fit_scaler("minmax", y, ends)
    for i, (series, end) in enumerate(zip(y, ends, strict=True)):
        z = scaler.transform(series[:end], series=i)
        assert z.min() == 0.0 and z.max() == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("kind", SCALER_KINDS)
def test_inverse_is_exact(kind):
    y, ends = ragged(3)
    scaler = fit_scaler(kind, y, ends)
    # ragged list
    back = scaler.inverse(scaler.transform(y))
    for a, b in zip(back, y, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-12)
    # (S, T, K) array, broadcast over trailing axes, against a per-series formula
    panel = np.random.default_rng(4).normal(50.0, 20.0, size=(len(y), 5, 3))
    z = scaler.transform(panel)
    for i in range(len(y)):
        np.testing.assert_allclose(
            z[i], (panel[i] - scaler.center[i]) / scaler.scale[i], rtol=1e-15
        )
    np.testing.assert_allclose(scaler.inverse(z), panel, rtol=1e-14)
    # one series, and a batch of windows tagged with their series
    rows = np.array([2, 0, 2, 5])
    batch = panel[rows]
    z = scaler.transform(batch, series=rows)
    np.testing.assert_allclose(z[1], scaler.transform(batch[1], series=0), rtol=1e-15)
    np.testing.assert_allclose(scaler.inverse(z, series=rows), batch, rtol=1e-14)


def test_constant_series_get_scale_one():
    # 0.1 repeated: its mean and std are not exactly 0.1 and 0 in floating point
    y = [np.full(7, 0.1), np.array([3.0, 3.0, 3.0, 9.0]), np.array([1.0, 2.0, 2.0, 2.0, 2.0, 5.0])]
    ends = np.array([7, 3, 6])
    for kind in ("standard", "robust", "minmax"):
        scaler = fit_scaler(kind, y, ends)
        assert scaler.scale[:2].tolist() == [1.0, 1.0], kind
        assert scaler.transform(y[1][:3], series=1).tolist() == [0.0, 0.0, 0.0]
    # series 2: quartiles 2 and 2 (IQR 0) but not constant -> robust falls back to the std
    robust = fit_scaler("robust", y, ends)
    assert robust.center[2] == 2.0 and robust.scale[2] == pytest.approx(np.std(y[2]))


def test_none_is_identity():
    y, ends = ragged(5)
    scaler = fit_scaler("none", y, ends)
    assert not scaler.center.any() and (scaler.scale == 1.0).all()
    assert scaler.transform(y[0], series=0).tolist() == y[0].tolist()


def test_unknown_kind():
    message = "scaler must be one of 'standard', 'robust', 'minmax', 'none', got 'zscore'"
    with pytest.raises(ValueError, match=re.escape(message)):
        fit_scaler("zscore", [np.ones(3)], np.array([3]))
    with pytest.raises(ValueError, match=re.escape(message)):
        check_kind("zscore")
    with pytest.raises(ValueError, match=re.escape("got 'zscore'")):
        Scaler("zscore", np.zeros(1), np.ones(1))


def test_fit_errors():
    y = [np.arange(5.0), np.arange(3.0)]
    with pytest.raises(ValueError, match=re.escape("fit_scaler: ends[1] must be in [1, 3], got 4")):
        fit_scaler("standard", y, np.array([5, 4]))
    with pytest.raises(ValueError, match=re.escape("fit_scaler: ends[0] must be in [1, 5], got 0")):
        fit_scaler("standard", y, np.array([0, 3]))
    with pytest.raises(
        ValueError,
        match=re.escape(
            "fit_scaler: ends must be an integer array of shape (2,) (one per series), "
            "got shape (1,) and dtype int64"
        ),
    ):
        fit_scaler("standard", y, np.array([5]))
    with pytest.raises(
        ValueError, match=re.escape("fit_scaler: y[1] has a non-finite value at step 1")
    ):
        fit_scaler("standard", [np.arange(5.0), np.array([1.0, np.nan, 2.0])], np.array([5, 3]))
    # a NaN after the cutoff is never read
    fit_scaler("standard", [np.arange(5.0), np.array([1.0, 2.0, np.nan])], np.array([5, 2]))
    with pytest.raises(
        ValueError, match=re.escape("fit_scaler: y[0] must have shape (T,), got (5, 1)")
    ):
        fit_scaler("standard", [np.ones((5, 1))], np.array([5]))


def test_transform_errors():
    scaler = Scaler("standard", np.zeros(3), np.ones(3))
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Scaler.transform: y must have shape (S, ...) with S = 3 series, got (2, 4); "
            "pass series= for one series"
        ),
    ):
        scaler.transform(np.zeros((2, 4)))
    with pytest.raises(
        ValueError, match=re.escape("Scaler.inverse: y must hold one array per series (3), got 2")
    ):
        scaler.inverse([np.zeros(2), np.zeros(2)])
    with pytest.raises(
        ValueError, match=re.escape("Scaler.transform: series must be in [0, 3), got 3")
    ):
        scaler.transform(np.zeros(4), series=3)
    with pytest.raises(
        ValueError, match=re.escape("Scaler.transform: series has 2 entries but y has 4 rows")
    ):
        scaler.transform(np.zeros((4, 2)), series=np.array([0, 1]))
    with pytest.raises(
        ValueError, match=re.escape("Scaler: center must be finite and scale finite and > 0")
    ):
        Scaler("standard", np.zeros(2), np.array([1.0, 0.0]))
