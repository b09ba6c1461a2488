"""Tests for rnnlab.apps.forecast.metrics: evaluate and to_json_dict against hand numbers.

The per-array metrics are tested in test_metrics_point and test_metrics_interval.
"""

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from rnnlab.apps.forecast import metrics, metrics_interval, metrics_point
from rnnlab.apps.forecast.baselines import baseline_columns
from rnnlab.apps.forecast.metrics import evaluate, to_json_dict

from .hand_numbers import approx


def test_per_array_metrics_are_importable_from_metrics():
    # They moved to metrics_point and metrics_interval; metrics.py is still their public path.
    for module in (metrics_point, metrics_interval):
        for name in module.__all__:
            assert getattr(metrics, name) is getattr(module, name) and name in metrics.__all__


# ---------------------------------------------------------------- evaluate on a hand-made cv
# Two daily series, season 2, cutoffs on day 4 and day 6, horizon 2.
DAYS = pd.date_range("2024-01-01", periods=8, freq="D")
TRAIN_Y = {
    "a": [1.0, 3.0, 2.0, 4.0, 3.0, 5.0, 4.0, 6.0],
    "b": [10.0, 10.0, 12.0, 8.0, 0.0, 14.0, 10.0, 10.0],
}
# In-sample season-2 naive MAE up to each cutoff:
#   a, day 4: [1,3,2,4] -> |2-1|, |4-3| = 1        a, day 6: 1, 1, 1, 1 -> 1
#   b, day 4: [10,10,12,8] -> 2, 2 = 2             b, day 6: 2, 2, |0-12|, |14-8| -> 22/4
SCALE = {("a", 4): 1.0, ("a", 6): 1.0, ("b", 4): 2.0, ("b", 6): 22 / 4}
Y_HAT = {"a": [4.0, 4.0, 4.0, 8.0], "b": [1.0, 12.0, 12.0, 9.0]}
NAIVE = {"a": [4.0, 4.0, 5.0, 5.0], "b": [8.0, 8.0, 14.0, 14.0]}
SNAIVE = {"a": [2.0, 4.0, 3.0, 5.0], "b": [12.0, 8.0, 0.0, 14.0]}


def make_train():
    return pd.DataFrame(
        {
            "unique_id": np.repeat(["a", "b"], 8),
            "ds": np.tile(DAYS, 2),
            "y": TRAIN_Y["a"] + TRAIN_Y["b"],
        }
    )


def make_cv(with_scale=True):
    rows = []
    for uid in ("a", "b"):
        for k, (cut, steps) in enumerate(((4, (5, 6)), (6, (7, 8)))):
            for j, day in enumerate(steps):
                i = 2 * k + j
                rows.append(
                    {
                        "unique_id": uid,
                        "ds": DAYS[day - 1],
                        "cutoff": DAYS[cut - 1],
                        "y": TRAIN_Y[uid][day - 1],
                        "y_hat": Y_HAT[uid][i],
                        # asymmetric band: lo = y_hat - 1, hi = y_hat + 2
                        "y_hat_q10": Y_HAT[uid][i] - 1.0,
                        "y_hat_q50": Y_HAT[uid][i],
                        "y_hat_q90": Y_HAT[uid][i] + 2.0,
                        "naive": NAIVE[uid][i],
                        "seasonal_naive": SNAIVE[uid][i],
                        "mase_scale": SCALE[(uid, cut)],
                    }
                )
    cv = pd.DataFrame(rows)
    return cv if with_scale else cv.drop(columns="mase_scale")


# Hand computation per (series, model). y: a = 3, 5, 4, 6 ; b = 0, 14, 10, 10.
EXPECTED = {
    ("a", "y_hat"): {  # errors 1, 1, 0, 2 ; forecasts 4, 4, 4, 8
        "MAE": 4 / 4,
        "RMSE": math.sqrt((1 + 1 + 0 + 4) / 4),
        "MAPE": 100 * (1 / 3 + 1 / 5 + 0 / 4 + 2 / 6) / 4,
        "MAPE_skipped": 0,
        "sMAPE": (200 * 1 / 7 + 200 * 1 / 9 + 0 + 200 * 2 / 14) / 4,
        "MASE": ((1 + 1) / 2 / 1.0 + (0 + 2) / 2 / 1.0) / 2,
        "MASE_skipped": 0,
        # y - y_hat = -1, 1, 0, -2
        "pinball_q10": (0.9 * 0 + 0.1 * 2 + 0.1 * 1 + 0.9 * 1) / 4,  # y - lo = 0, 2, 1, -1
        "pinball_q50": (0.5 + 0.5 + 0 + 1.0) / 4,
        "pinball_q90": (0.1 * 3 + 0.1 * 1 + 0.1 * 2 + 0.1 * 4) / 4,  # y - hi = -3, -1, -2, -4
        "coverage_80": 3 / 4,  # -1 <= y - y_hat <= 2 fails only for -2
        "width_80": 3.0,
    },
    ("b", "y_hat"): {  # errors 1, 2, 2, 1 ; forecasts 1, 12, 12, 9
        "MAE": 6 / 4,
        "RMSE": math.sqrt((1 + 4 + 4 + 1) / 4),
        "MAPE": 100 * (2 / 14 + 2 / 10 + 1 / 10) / 3,
        "MAPE_skipped": 1,
        "sMAPE": (200 * 1 / 1 + 200 * 2 / 26 + 200 * 2 / 22 + 200 * 1 / 19) / 4,
        "MASE": ((1 + 2) / 2 / 2.0 + (2 + 1) / 2 / 5.5) / 2,
        "MASE_skipped": 0,
        # y - y_hat = -1, 2, -2, 1
        "pinball_q10": (0 + 0.1 * 3 + 0.9 * 1 + 0.1 * 2) / 4,  # y - lo = 0, 3, -1, 2
        "pinball_q50": (0.5 + 1.0 + 1.0 + 0.5) / 4,
        "pinball_q90": (0.1 * 3 + 0 + 0.1 * 4 + 0.1 * 1) / 4,  # y - hi = -3, 0, -4, -1
        "coverage_80": 3 / 4,
        "width_80": 3.0,
    },
    ("a", "naive"): {  # forecasts 4, 4, 5, 5 ; errors 1, 1, 1, 1
        "MAE": 1.0,
        "RMSE": 1.0,
        "MAPE": 100 * (1 / 3 + 1 / 5 + 1 / 4 + 1 / 6) / 4,
        "MAPE_skipped": 0,
        "sMAPE": (200 / 7 + 200 / 9 + 200 / 9 + 200 / 11) / 4,
        "MASE": (1.0 + 1.0) / 2,
        "MASE_skipped": 0,
    },
    ("b", "naive"): {  # forecasts 8, 8, 14, 14 ; errors 8, 6, 4, 4
        "MAE": 22 / 4,
        "RMSE": math.sqrt((64 + 36 + 16 + 16) / 4),
        "MAPE": 100 * (6 / 14 + 4 / 10 + 4 / 10) / 3,
        "MAPE_skipped": 1,
        "sMAPE": (200 * 8 / 8 + 200 * 6 / 22 + 200 * 4 / 24 + 200 * 4 / 24) / 4,
        "MASE": ((8 + 6) / 2 / 2.0 + (4 + 4) / 2 / 5.5) / 2,
        "MASE_skipped": 0,
    },
    ("a", "seasonal_naive"): {  # forecasts 2, 4, 3, 5 ; errors 1, 1, 1, 1
        "MAE": 1.0,
        "RMSE": 1.0,
        "MAPE": 100 * (1 / 3 + 1 / 5 + 1 / 4 + 1 / 6) / 4,
        "MAPE_skipped": 0,
        "sMAPE": (200 / 5 + 200 / 9 + 200 / 7 + 200 / 11) / 4,
        "MASE": 1.0,
        "MASE_skipped": 0,
    },
    ("b", "seasonal_naive"): {  # forecasts 12, 8, 0, 14 ; errors 12, 6, 10, 4
        "MAE": 32 / 4,
        "RMSE": math.sqrt((144 + 36 + 100 + 16) / 4),
        "MAPE": 100 * (6 / 14 + 10 / 10 + 4 / 10) / 3,
        "MAPE_skipped": 1,
        "sMAPE": (200 * 12 / 12 + 200 * 6 / 22 + 200 * 10 / 10 + 200 * 4 / 24) / 4,
        "MASE": ((12 + 6) / 2 / 2.0 + (10 + 4) / 2 / 5.5) / 2,
        "MASE_skipped": 0,
    },
}
COLUMNS = [
    "MAE",
    "RMSE",
    "MAPE",
    "MAPE_skipped",
    "sMAPE",
    "MASE",
    "MASE_skipped",
    "pinball_q10",
    "pinball_q50",
    "pinball_q90",
    "coverage_80",
    "width_80",
]


def check(frame_row, expected):
    for col in COLUMNS:
        want = expected.get(col, float("nan"))
        got = frame_row[col]
        if isinstance(want, float) and math.isnan(want):
            assert math.isnan(got), col
        else:
            assert got == approx(want), col


def test_hand_cv_baselines_match_baseline_columns():
    # The hand-written baselines are those baselines.py makes from the train histories.
    hist = [np.array(TRAIN_Y[u][:c]) for u in ("a", "b") for c in (4, 6)]
    cols = baseline_columns(hist, horizon=2, season=2)
    cv = make_cv()
    np.testing.assert_array_equal(cols["naive"].ravel(), cv["naive"])
    np.testing.assert_array_equal(cols["seasonal_naive"].ravel(), cv["seasonal_naive"])
    np.testing.assert_array_equal(cols["mase_scale"].repeat(2), cv["mase_scale"])


def test_evaluate_by_series_matches_hand_computation():
    out = evaluate(make_cv(), by_series=True)
    assert list(out.index.names) == ["unique_id", "model"]
    assert out.index.tolist() == [
        ("a", "y_hat"),
        ("a", "naive"),
        ("a", "seasonal_naive"),
        ("b", "y_hat"),
        ("b", "naive"),
        ("b", "seasonal_naive"),
    ]
    assert out.columns.tolist() == COLUMNS
    for key, expected in EXPECTED.items():
        check(out.loc[key], expected)
    assert out["MAPE_skipped"].dtype == np.int64


def test_evaluate_aggregate_is_mean_over_series():
    out = evaluate(make_cv())
    assert out.index.name == "model"
    assert out.index.tolist() == ["y_hat", "naive", "seasonal_naive"]
    assert out.columns.tolist() == COLUMNS
    for model in ("y_hat", "naive", "seasonal_naive"):
        a, b = EXPECTED[("a", model)], EXPECTED[("b", model)]
        want = {c: (a[c] + b[c]) / 2 for c in a}
        want["MAPE_skipped"] = a["MAPE_skipped"] + b["MAPE_skipped"]  # counts add up
        check(out.loc[model], want)
    # the model beats both baselines on MASE here
    assert out.loc["y_hat", "MASE"] < out.loc["seasonal_naive", "MASE"]


def test_evaluate_without_baselines_or_quantiles():
    cv = make_cv()[["unique_id", "ds", "cutoff", "y", "y_hat", "mase_scale"]]
    out = evaluate(cv)
    assert out.index.tolist() == ["y_hat"]
    assert out.columns.tolist() == COLUMNS[:7]
    assert out.loc["y_hat", "MASE"] == approx(
        (EXPECTED[("a", "y_hat")]["MASE"] + EXPECTED[("b", "y_hat")]["MASE"]) / 2
    )


def test_evaluate_levels_select_intervals():
    cv = make_cv()
    cv["y_hat_q5"] = cv["y_hat"] - 3.0
    cv["y_hat_q95"] = cv["y_hat"] + 3.0
    out = evaluate(cv)
    assert out.columns.tolist()[7:] == [
        "pinball_q5",
        "pinball_q10",
        "pinball_q50",
        "pinball_q90",
        "pinball_q95",
        "coverage_80",
        "width_80",
        "coverage_90",
        "width_90",
    ]
    assert out.loc["y_hat", "coverage_90"] == 1.0  # every |y - y_hat| <= 2 < 3
    assert out.loc["y_hat", "width_90"] == 6.0
    only = evaluate(cv, levels=[90])
    assert [c for c in only.columns if c.startswith(("coverage", "width"))] == [
        "coverage_90",
        "width_90",
    ]
    assert [c for c in evaluate(cv, levels=[]).columns if c.startswith("coverage")] == []


def test_evaluate_mase_from_train_uses_only_data_up_to_each_cutoff():
    want = evaluate(make_cv())
    train = make_train()
    got = evaluate(make_cv(with_scale=False), season=2, train=train)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)
    # values after the last cutoff (days 7, 8) cannot change the scales
    train.loc[train["ds"] > DAYS[5], "y"] = 1e6
    pd.testing.assert_frame_equal(
        evaluate(make_cv(with_scale=False), season=2, train=train), want, rtol=1e-12
    )
    # ... but a value before a cutoff does: b's day-2 value enters both of b's scales
    train.loc[(train["unique_id"] == "b") & (train["ds"] == DAYS[1]), "y"] = 0.0
    moved = evaluate(make_cv(with_scale=False), season=2, train=train)
    assert moved.loc["y_hat", "MASE"] != approx(want.loc["y_hat", "MASE"])
    assert moved.loc["y_hat", "MAE"] == approx(want.loc["y_hat", "MAE"])


def test_evaluate_season_inferred_from_train_frequency():
    # calendar.py (frequency -> season) is another module of the app; skip until it has it
    calendar = pytest.importorskip("rnnlab.apps.forecast.calendar")
    season_length = getattr(calendar, "season_length", None)
    if season_length is None:
        pytest.skip("rnnlab.apps.forecast.calendar has no season_length yet")
    train = make_train()
    got = evaluate(make_cv(with_scale=False), train=train)
    want = evaluate(make_cv(with_scale=False), season=season_length("D"), train=train)
    pd.testing.assert_frame_equal(got, want)
    one_step = train[train["ds"] == DAYS[0]]  # one timestamp per series: no frequency
    with pytest.raises(
        ValueError,
        match=r"^evaluate: cannot infer the MASE season from train \(.*\); pass season=$",
    ):
        evaluate(make_cv(with_scale=False).assign(cutoff=DAYS[0]), train=one_step)


def test_evaluate_undefined_scales_are_skipped_and_counted():
    cv = make_cv()
    cv.loc[(cv["unique_id"] == "b") & (cv["cutoff"] == DAYS[5]), "mase_scale"] = 0.0
    cv.loc[(cv["unique_id"] == "a") & (cv["cutoff"] == DAYS[3]), "mase_scale"] = np.nan
    out = evaluate(cv, by_series=True)
    assert out.loc[("a", "y_hat"), "MASE"] == approx((0 + 2) / 2 / 1.0)  # day-6 cutoff only
    assert out.loc[("b", "y_hat"), "MASE"] == approx((1 + 2) / 2 / 2.0)  # day-4 cutoff only
    assert out["MASE_skipped"].tolist() == [1, 1, 1, 1, 1, 1]
    assert evaluate(cv).loc["naive", "MASE_skipped"] == 2
    # every scale undefined: MASE is NaN, not an error
    cv["mase_scale"] = np.nan
    assert math.isnan(evaluate(cv).loc["y_hat", "MASE"])


def test_evaluate_does_not_depend_on_row_order():
    cv = make_cv()
    shuffled = cv.sample(frac=1.0, random_state=0)
    pd.testing.assert_frame_equal(evaluate(shuffled), evaluate(cv), rtol=1e-12)


def test_to_json_dict_plain_values():
    agg = evaluate(make_cv())
    d = to_json_dict(agg)
    assert list(d) == ["y_hat", "naive", "seasonal_naive"]
    assert d["naive"]["pinball_q10"] is None
    assert d["y_hat"]["MAPE_skipped"] == 1 and isinstance(d["y_hat"]["MAPE_skipped"], int)
    assert d["y_hat"]["MAE"] == agg.loc["y_hat", "MAE"] and type(d["y_hat"]["MAE"]) is float
    json.dumps(d, allow_nan=False)
    per = to_json_dict(evaluate(make_cv(), by_series=True))
    assert list(per) == ["a", "b"] and list(per["a"]) == ["y_hat", "naive", "seasonal_naive"]
    assert per["b"]["naive"]["MAE"] == approx(22 / 4)
    json.dumps(per, allow_nan=False)


# ---------------------------------------------------------------- evaluate errors
def raises(match, exc=ValueError):
    return pytest.raises(exc, match=re.escape(match))


def test_evaluate_missing_columns_lists_present():
    cv = make_cv().drop(columns=["y_hat", "cutoff"])
    with raises(
        "evaluate: cv is missing column(s) ['cutoff', 'y_hat']; columns present: "
        "['unique_id', 'ds', 'y', 'y_hat_q10', 'y_hat_q50', 'y_hat_q90', 'naive', "
        "'seasonal_naive', 'mase_scale']"
    ):
        evaluate(cv)
    with raises("evaluate: cv must be a pandas DataFrame, got dict", TypeError):
        evaluate({"y": [1.0]})
    with raises("evaluate: cv has no rows"):
        evaluate(make_cv().iloc[:0])


def test_evaluate_bad_values():
    cv = make_cv()
    cv.loc[[2, 5], "y"] = np.nan
    with raises("evaluate: cv column 'y' has 2 NaN or infinite value(s), first at rows [2, 5]"):
        evaluate(cv)
    cv = make_cv()
    cv["naive"] = pd.Series(["4.0"] * len(cv), dtype=object)
    with raises("evaluate: cv column 'naive' must be numeric, got dtype object"):
        evaluate(cv)
    cv = make_cv().rename(columns={"y_hat_q50": "y_hat_q050"})
    with raises(
        "evaluate: column 'y_hat_q050' is not a quantile column name; quantile q is named "
        "quantile_column(q), e.g. 'y_hat_q10' for 0.1, 'y_hat_q97.5' for 0.975"
    ):
        evaluate(cv)
    cv = make_cv()
    cv.loc[3, "y_hat_q10"] = 100.0
    with raises(
        "evaluate: y_hat_q10 > y_hat_q90 in 1 row(s), first at rows [3]; quantiles must not cross"
    ):
        evaluate(cv)


def test_evaluate_level_without_its_quantiles():
    with raises(
        "evaluate: level 95 needs quantile columns 'y_hat_q2.5' and 'y_hat_q97.5'; quantile "
        "columns present: ['y_hat_q10', 'y_hat_q50', 'y_hat_q90']"
    ):
        evaluate(make_cv(), levels=[80, 95])
    with raises(
        "evaluate: level 0.8 needs quantile columns 'y_hat_q49.6' and 'y_hat_q50.4'; quantile "
        "columns present: ['y_hat_q10', 'y_hat_q50', 'y_hat_q90'] (levels are percentages: 80 "
        "for an 80% interval)"
    ):
        evaluate(make_cv(), levels=[0.8])
    for bad in (0, 100, "80"):
        with raises(
            f"evaluate: levels must be percentages strictly between 0 and 100, got {bad!r}"
        ):
            evaluate(make_cv(), levels=[bad])


def test_evaluate_mase_scale_sources():
    with raises(
        "evaluate: MASE needs each series' in-sample scale: give cv a 'mase_scale' column "
        "(Forecaster.backtest adds it) or pass train= (the long frame unique_id, ds, y the "
        "backtest ran on) with season="
    ):
        evaluate(make_cv(with_scale=False), season=2)
    cv = make_cv()
    cv.loc[1, "mase_scale"] = 3.0
    with raises(
        "evaluate: cv column 'mase_scale' must be constant within each (unique_id, cutoff); "
        "it varies for ('a', 2024-01-04 00:00:00)"
    ):
        evaluate(cv)
    cv["mase_scale"] = -1.0
    with raises("evaluate: cv column 'mase_scale' has negative values"):
        evaluate(cv)
    train = make_train()
    with raises("evaluate: series ['b'] of cv are not in train"):
        evaluate(make_cv(with_scale=False), season=2, train=train[train["unique_id"] == "a"])
    with raises("evaluate: train is missing column(s) ['ds']; columns present: ['unique_id', 'y']"):
        evaluate(make_cv(with_scale=False), season=2, train=train.drop(columns="ds"))
    train.loc[4, "y"] = np.nan
    with raises("evaluate: train column 'y' has 1 NaN or infinite value(s), first at rows [4]"):
        evaluate(make_cv(with_scale=False), season=2, train=train)
    with raises("evaluate: season must be a positive integer, got 0"):
        evaluate(make_cv(), season=0)


def test_to_json_dict_rejects_other_frames():
    with raises(
        "to_json_dict: expected a frame returned by evaluate (index 'model' or "
        "('unique_id', 'model')), got index names [None]"
    ):
        to_json_dict(pd.DataFrame({"MAE": [1.0]}))
    with raises(
        "to_json_dict: expected a frame returned by evaluate (index 'model' or "
        "('unique_id', 'model')), got dict"
    ):
        to_json_dict({})
