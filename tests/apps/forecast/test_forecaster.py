"""Tests for Forecaster and backtest: no look-ahead, reproducibility, files, cutoffs, errors."""

import re

import numpy as np
import pandas as pd
import pytest

from rnnlab.apps.forecast.backtest import backtest_ends, refit_groups
from rnnlab.apps.forecast.forecaster import Forecaster

H, L = 4, 8
SMALL = dict(horizon=H, lookback=L, units=4, epochs=3, seed=0)


def _panel(n=120, shift=0.0):
    t = np.arange(n)
    rows = []
    for k, sid in enumerate(["a", "b"]):
        y = 5 + k + np.sin(2 * np.pi * t / 7) + 0.01 * t + shift
        rows.append(
            pd.DataFrame(
                {
                    "unique_id": sid,
                    "ds": pd.date_range("2024-01-01", periods=n, freq="D"),
                    "y": y,
                    "promo": (t % 5 == 0).astype(float),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def df():
    return _panel()


@pytest.fixture(scope="module")
def fitted(df):
    return Forecaster(model="gru", quantiles=[0.1, 0.5, 0.9], **SMALL).fit(df)


def test_predict_has_the_future_timestamps_and_monotone_quantiles(fitted, df):
    out = fitted.predict()
    assert out.columns.tolist() == [
        "unique_id",
        "ds",
        "y_hat",
        "y_hat_q10",
        "y_hat_q50",
        "y_hat_q90",
    ]
    assert out["unique_id"].tolist() == ["a"] * H + ["b"] * H
    want = pd.date_range(df["ds"].max() + pd.Timedelta(days=1), periods=H, freq="D")
    assert list(out["ds"][:H]) == list(want)
    assert np.all(out["y_hat_q10"] <= out["y_hat_q50"]) and np.all(
        out["y_hat_q50"] <= out["y_hat_q90"]
    )
    np.testing.assert_array_equal(out["y_hat"], out["y_hat_q50"])


def test_same_data_seed_and_arguments_give_bit_identical_forecasts(fitted, df):
    again = Forecaster(model="gru", quantiles=[0.1, 0.5, 0.9], **SMALL).fit(df)
    pd.testing.assert_frame_equal(again.predict(), fitted.predict(), check_exact=True)


def test_predict_after_load_equals_predict_before_save(fitted, tmp_path):
    fitted.save(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == [
        "forecaster.json",
        "history.csv.gz",
        "model.keras",
    ]
    loaded = Forecaster.load(tmp_path / "model")
    pd.testing.assert_frame_equal(loaded.predict(), fitted.predict(), check_exact=True)
    with pytest.raises(FileNotFoundError, match="holds no saved forecaster"):
        Forecaster.load(tmp_path)


def test_a_point_forecaster_loads_too(df, tmp_path):
    # No quantiles: saved as an empty list, which the constructor refuses as a setting.
    fc = Forecaster(model="lstm", **SMALL).fit(df)
    fc.save(tmp_path / "point")
    loaded = Forecaster.load(tmp_path / "point")
    assert loaded.settings["quantiles"] == () and loaded.settings["intervals"] is None
    pd.testing.assert_frame_equal(loaded.predict(), fc.predict(), check_exact=True)


def test_backtest_does_not_look_past_a_cutoff(df):
    fc = Forecaster(model="lstm", **SMALL)
    cv = fc.backtest(df, windows=2, step=H)
    changed = df.copy()
    last = changed.groupby("unique_id")["ds"].transform("max")
    late = changed["ds"] > last - pd.Timedelta(days=H)  # only the last window's targets
    changed.loc[late, "y"] += 1000.0
    cv2 = fc.backtest(changed, windows=2, step=H)
    np.testing.assert_array_equal(cv["y_hat"], cv2["y_hat"])  # forecasts unchanged
    assert not np.array_equal(cv["y"], cv2["y"])  # the actuals did change


def test_backtest_cutoffs_are_before_their_forecasts_and_refit_groups(df):
    fc = Forecaster(model="gru", **SMALL)
    cv = fc.backtest(df, windows=3, step=2, refit=2)
    assert cv.columns.tolist() == [
        "unique_id",
        "ds",
        "cutoff",
        "y",
        "y_hat",
        "naive",
        "seasonal_naive",
        "mase_scale",
    ]
    assert len(cv) == 2 * 3 * H
    assert (cv["ds"] > cv["cutoff"]).all()
    first = cv.groupby(["unique_id", "cutoff"])["ds"].min()
    gap = first.reset_index().apply(lambda r: (r["ds"] - r["cutoff"]).days, axis=1)
    assert (gap == 1).all()
    cutoffs = sorted(cv["cutoff"].unique())
    # 120 days from 2024-01-01 end on Apr 29; the last window forecasts Apr 26-29.
    assert [str(pd.Timestamp(c).date()) for c in cutoffs] == [
        "2024-04-21",
        "2024-04-23",
        "2024-04-25",
    ]
    assert backtest_ends(np.array([120]), H, 3, 2).tolist() == [[112, 114, 116]]
    assert refit_groups(3, 2) == [[0, 1], [2]] and refit_groups(3, True) == [[0], [1], [2]]
    # naive = the last value before the cutoff
    row = cv.iloc[0]
    y = df[(df.unique_id == row.unique_id) & (df.ds == row.cutoff)]["y"].item()
    assert row["naive"] == y


def test_future_covariates_are_required_for_the_horizon(df):
    fc = Forecaster(model="gru", futr_exog=["promo"], **SMALL).fit(df)
    with pytest.raises(ValueError, match=re.escape("pass futr_df with them for the next 4 steps")):
        fc.predict()
    last = df["ds"].max()
    futr = pd.DataFrame(
        {
            "unique_id": ["a"] * H + ["b"] * (H - 1),
            "ds": list(pd.date_range(last + pd.Timedelta(days=1), periods=H))
            + list(pd.date_range(last + pd.Timedelta(days=1), periods=H - 1)),
            "promo": 1.0,
        }
    )
    with pytest.raises(
        ValueError,
        match=re.escape(
            "futr_df lacks future covariates ['promo'] of series 'b' at 1 of its next 4 "
            "timestamps (first: 2024-05-03 00:00:00)"
        ),
    ):
        fc.predict(futr)
    full = pd.concat([futr, futr.iloc[-1:].assign(ds=last + pd.Timedelta(days=H))])
    assert len(fc.predict(full)) == 2 * H


def test_conformal_intervals_are_symmetric_around_the_point_forecast(df):
    fc = Forecaster(model="gru", quantiles=[0.1, 0.9], intervals="conformal", **SMALL).fit(df)
    out = fc.predict()
    assert out.columns.tolist() == ["unique_id", "ds", "y_hat", "y_hat_q10", "y_hat_q90"]
    np.testing.assert_allclose(out["y_hat"] - out["y_hat_q10"], out["y_hat_q90"] - out["y_hat"])
    assert (out["y_hat_q90"] > out["y_hat_q10"]).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(horizon=0), "Forecaster: horizon must be a positive integer, got 0"),
        (dict(model="tcn"), "Forecaster: model must be one of simple_rnn, lstm, gru"),
        (dict(strategy="mimo"), "Forecaster: strategy must be one of direct, recursive, seq2seq"),
        (dict(quantiles=[0.1, 1.5]), "Forecaster: quantiles must be levels strictly between 0"),
        (
            dict(quantiles=[0.1, 0.8], intervals="conformal"),
            "quantiles must come in pairs q, 1 - q (such as 0.1, 0.9), got [0.1, 0.8]",
        ),
        (
            dict(strategy="recursive", hist_exog=["x"]),
            "cannot advance past-only covariates; got hist_exog=['x']",
        ),
        (dict(horizon=4, val_size=2), "Forecaster: val_size must be at least horizon (4), got 2"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Forecaster(**kwargs)


def test_backtest_needs_room_for_its_windows(df):
    fc = Forecaster(model="gru", **SMALL)
    with pytest.raises(ValueError, match="backtest: windows must be a positive integer, got 0"):
        fc.backtest(df, windows=0)
    with pytest.raises(ValueError, match="backtest windows"):
        fc.backtest(df, windows=40, step=3)


@pytest.mark.parametrize("strategy", ["recursive", "seq2seq"])
def test_every_strategy_forecasts_its_horizon_with_monotone_quantiles(df, strategy):
    fc = Forecaster(model="simple_rnn", strategy=strategy, quantiles=[0.2, 0.8], **SMALL)
    out = fc.fit(df).predict()
    assert out.shape == (2 * H, 5)
    assert np.isfinite(out[["y_hat", "y_hat_q20", "y_hat_q80"]].to_numpy()).all()
    assert (out["y_hat_q20"] <= out["y_hat"]).all() and (out["y_hat"] <= out["y_hat_q80"]).all()


def test_a_users_model_and_past_only_covariates(df):
    from rnnlab import layers
    from rnnlab.models import Sequential

    def build():  # direct: input (lookback + horizon, channels + 1), output (horizon, 1)
        return Sequential([layers.GRU(3), layers.Dense(H), layers.Reshape((H, 1))])

    fc = Forecaster(model=build, hist_exog=["promo"], calendar=False, **SMALL).fit(df)
    # channels: y, promo (past only), and the horizon flag
    assert fc.model_.input_shape == (None, L + H, 3)
    assert fc.model_.layers[0].units == 3
    assert len(fc.predict()) == 2 * H


def test_every_window_of_a_fitted_model_is_forecast_in_one_compiled_call(df, monkeypatch, caplog):
    import jax

    from rnnlab.apps.forecast import engine

    calls = []
    real = engine.forecast

    def counting(spec, trained, panel, origins, *args, **kwargs):
        with caplog.at_level("WARNING"), jax.log_compiles():
            caplog.clear()
            out = real(spec, trained, panel, origins, *args, **kwargs)
            predict = [m for m in caplog.messages if "compilation of jit(_predict" in m]
        calls.append((len(origins), len(predict)))
        return out

    monkeypatch.setattr(engine, "forecast", counting)
    Forecaster(model="gru", **SMALL).backtest(df, windows=4, step=2)
    # One call for the 2 series x 4 windows, compiling the network's forward pass once.
    assert calls == [(8, 1)]


def test_refit_trains_each_window_only_on_data_before_its_cutoff(df):
    fc = Forecaster(model="gru", **SMALL)
    cv = fc.backtest(df, windows=2, step=H, refit=True)
    first, second = sorted(cv["cutoff"].unique())
    changed = df.copy()
    changed.loc[changed["ds"] > first, "y"] += 50.0  # after the first cutoff only
    cv2 = fc.backtest(changed, windows=2, step=H, refit=True)
    one, two = cv["cutoff"] == first, cv["cutoff"] == second
    np.testing.assert_array_equal(cv.loc[one, "y_hat"], cv2.loc[one, "y_hat"])
    # The second window reads (and its model trained on) the changed steps: it moved.
    assert np.abs(cv2.loc[two, "y_hat"].to_numpy() - cv.loc[two, "y_hat"].to_numpy()).max() > 1
