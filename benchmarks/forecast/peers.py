"""The peers rnnlab's forecaster is measured against, each following :mod:`.protocol`.

Seasonal naive (NumPy), Darts ``BlockRNNModel`` and ``RNNModel`` (LSTM), NeuralForecast
``LSTM`` and ``GRU``, all on PyTorch CPU. Every peer trains once on each series up to its first
cutoff and forecasts every window from that one model (Darts
``historical_forecasts(retrain=False)``, NeuralForecast ``cross_validation(refit=False)``),
with ``lookback`` steps in (``input_chunk_length`` / ``input_size``) and ``horizon`` out.

Two budgets (``PROFILES``): ``"default"`` the libraries' documented defaults (Darts:
``hidden_dim=25``, one layer, ``batch_size=32``, ``n_epochs=100``; NeuralForecast LSTM: two
encoder layers of 128, GRU of 200, ``max_steps=1000``, ``windows_batch_size=128``) and
``"matched"`` rnnlab's ``Forecaster`` network and batches (two recurrent layers of 32 units,
batches of 32 windows) at NeuralForecast's default budget of about 1,000 gradient steps
(rnnlab's own default is 500 with early stopping on a validation tail, which the peers here
do not use); each library's own learning rate and scaler. Neither
uses calendar covariates (the peers' defaults add none). Each ``Result.settings`` says what ran.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.forecast.protocol import BenchSpec, Result, cutoff_ends, limit_threads

__all__ = [
    "PEERS",
    "PROFILES",
    "darts_block_rnn",
    "darts_rnn",
    "nf_gru",
    "nf_lstm",
    "seasonal_naive",
]

PROFILES = ("default", "matched")
PROFILE = {"name": "matched"}  # set by run.py before the peers run


def _quiet() -> None:
    # Lightning prints a banner per fit; Darts and NeuralForecast warn about defaults.
    warnings.filterwarnings("ignore")
    for name in ("pytorch_lightning", "lightning", "lightning.pytorch", "darts", "neuralforecast"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _trainer() -> dict[str, Any]:
    return dict(
        accelerator="cpu",
        devices=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        logger=False,
    )


# -- seasonal naive -------------------------------------------------------------------------
def seasonal_naive(df: pd.DataFrame, spec: BenchSpec) -> Result:
    """Each window repeats the last ``season`` values before its cutoff; the 80% interval
    from the in-sample seasonal-naive errors of the training part (normal, widening with
    the number of seasons ahead, as in Hyndman & Athanasopoulos 5.5)."""
    t0 = time.perf_counter()
    z = 1.2815515655446004  # standard normal 0.9 quantile
    m, h = spec.season, spec.horizon
    parts = []
    for uid, g in df.groupby("unique_id", sort=True):
        y, ds = g["y"].to_numpy(float), g["ds"].to_numpy()
        ends = cutoff_ends(np.array([len(y)]), h, spec.windows, spec.step)[0]
        resid = y[m : ends[0]] - y[: ends[0] - m]
        sigma = float(np.sqrt(np.mean(resid**2))) if len(resid) else 0.0
        k = np.arange(h) // m + 1  # seasons ahead of the cutoff
        for e in ends:
            hist = y[:e]
            fc = hist[len(hist) - m + (np.arange(h) % m)]
            half = z * sigma * np.sqrt(k)
            parts.append(
                pd.DataFrame(
                    {
                        "unique_id": str(uid),
                        "ds": ds[e : e + h],
                        "cutoff": ds[e - 1],
                        "y": y[e : e + h],
                        "y_hat": fc,
                        "y_hat_q10": fc - half,
                        "y_hat_q50": fc,
                        "y_hat_q90": fc + half,
                    }
                )
            )
    cv = pd.concat(parts, ignore_index=True)
    return Result(cv, time.perf_counter() - t0, f"season={m}; 80% band ±1.28 σ√k (k seasons)")


# -- Darts ----------------------------------------------------------------------------------
def _darts_budget(spec: BenchSpec, n_windows: int) -> tuple[dict[str, Any], str]:
    if spec.quick:
        return dict(hidden_dim=16, n_rnn_layers=1, batch_size=32, n_epochs=2), "quick"
    if PROFILE["name"] == "default":
        kw = dict(hidden_dim=25, n_rnn_layers=1, batch_size=32, n_epochs=100)
    else:  # about 1,000 gradient steps of 32 windows, as rnnlab's Forecaster
        kw = dict(hidden_dim=32, n_rnn_layers=2, batch_size=32)
        kw["n_epochs"] = max(1, math.ceil(1000 / max(1, math.ceil(n_windows / 32))))
    if spec.epochs is not None:
        kw["n_epochs"] = spec.epochs
    return kw, PROFILE["name"]


def _darts(df: pd.DataFrame, spec: BenchSpec, kind: str) -> Result:
    _quiet()
    limit_threads(spec.threads)
    from darts import TimeSeries
    from darts.dataprocessing.transformers import Scaler
    from darts.models import BlockRNNModel, RNNModel
    from darts.utils.likelihood_models import QuantileRegression

    ids = sorted(df["unique_id"].astype(str).unique())
    frames = [df[df["unique_id"].astype(str) == u] for u in ids]
    series = [
        TimeSeries.from_dataframe(f, time_col="ds", value_cols="y", freq=spec.freq).astype(
            np.float32
        )
        for f in frames
    ]
    ends = [
        cutoff_ends(np.array([len(s)]), spec.horizon, spec.windows, spec.step)[0] for s in series
    ]
    h, lb = spec.horizon, spec.lookback
    # both train on lookback + horizon steps per sample (RNNModel: its training_length)
    n_windows = sum(max(0, int(e[0]) - lb - h + 1) for e in ends)
    kw, profile = _darts_budget(spec, n_windows)
    common = dict(
        model="LSTM",
        likelihood=QuantileRegression(list(spec.quantiles)),
        random_state=spec.seed,
        pl_trainer_kwargs=_trainer(),
        **kw,
    )
    t0 = time.perf_counter()
    # Darts's examples scale with its Scaler (min-max) fitted on the training part only.
    train = [s[: int(e[0])] for s, e in zip(series, ends, strict=True)]
    scaler = Scaler(global_fit=False).fit(train)
    if kind == "block":
        model = BlockRNNModel(input_chunk_length=lb, output_chunk_length=h, **common)
    else:
        model = RNNModel(input_chunk_length=lb, training_length=lb + h, **common)
    model.fit(scaler.transform(train))
    full = scaler.transform(series)
    hf_kw = dict(
        start_format="value",
        forecast_horizon=h,
        stride=spec.step,
        retrain=False,
        last_points_only=False,
        verbose=False,
    )
    if kind == "block":
        # output_chunk_length == horizon: the quantile head's values come out directly.
        hfs = [
            model.historical_forecasts(
                s, start=s.time_index[int(e[0])], predict_likelihood_parameters=True, **hf_kw
            )
            for s, e in zip(full, ends, strict=True)
        ]
    else:
        # a one-step model forecast recursively: quantiles only by sampling its outputs.
        hfs = [
            model.historical_forecasts(s, start=s.time_index[int(e[0])], num_samples=200, **hf_kw)
            for s, e in zip(full, ends, strict=True)
        ]
    seconds = time.perf_counter() - t0
    parts = []
    for i, (uid, f, hf) in enumerate(zip(ids, frames, hfs, strict=True)):
        y = f.set_index("ds")["y"]
        for fc in hf:
            if kind == "block":
                # inverse min-max per column: the quantile values are in the target's scale
                vals = np.stack(
                    [
                        scaler.inverse_transform(fc[c].with_columns_renamed(c, "y"), series_idx=i)
                        .values()
                        .ravel()
                        for c in fc.components
                    ],
                    axis=1,
                )
                q = dict(zip(spec.quantiles, vals.T, strict=True))
            else:
                inv = scaler.inverse_transform(fc, series_idx=i)
                q = {p: inv.quantile(p).values().ravel() for p in spec.quantiles}
            ds = fc.time_index
            parts.append(
                pd.DataFrame(
                    {
                        "unique_id": uid,
                        "ds": ds,
                        "cutoff": ds[0] - ds.freq,
                        "y": y.reindex(ds).to_numpy(),
                        "y_hat": q[0.5],
                        "y_hat_q10": q[0.1],
                        "y_hat_q50": q[0.5],
                        "y_hat_q90": q[0.9],
                    }
                )
            )
    cv = pd.concat(parts, ignore_index=True)
    extra = (
        "predict_likelihood_parameters"
        if kind == "block"
        else f"training_length={lb + h}, 200 samples"
    )
    settings = (
        f"{profile}: input_chunk_length={lb}, "
        + (f"output_chunk_length={h}, " if kind == "block" else "")
        + f"hidden_dim={kw['hidden_dim']}, n_rnn_layers={kw['n_rnn_layers']}, "
        f"batch_size={kw['batch_size']}, n_epochs={kw['n_epochs']} "
        f"(~{kw['n_epochs'] * math.ceil(n_windows / kw['batch_size'])} steps), lr=1e-3, "
        f"QuantileRegression{list(spec.quantiles)}, min-max Scaler on train, {extra}"
    )
    return Result(cv, seconds, settings, {"train_windows": n_windows})


def darts_block_rnn(df: pd.DataFrame, spec: BenchSpec) -> Result:
    """Darts ``BlockRNNModel(model="LSTM")``: reads ``lookback`` steps, outputs ``horizon``."""
    return _darts(df, spec, "block")


def darts_rnn(df: pd.DataFrame, spec: BenchSpec) -> Result:
    """Darts ``RNNModel(model="LSTM")``: a one-step model forecast recursively."""
    return _darts(df, spec, "rnn")


# -- NeuralForecast -------------------------------------------------------------------------
def _nf(df: pd.DataFrame, spec: BenchSpec, kind: str) -> Result:
    _quiet()
    limit_threads(spec.threads)
    from neuralforecast import NeuralForecast
    from neuralforecast.losses.pytorch import MQLoss
    from neuralforecast.models import GRU, LSTM

    cls = {"lstm": LSTM, "gru": GRU}[kind]
    if spec.quick:
        kw, profile = dict(encoder_hidden_size=16, max_steps=10, windows_batch_size=32), "quick"
    elif PROFILE["name"] == "default":
        kw, profile = dict(max_steps=1000), "default"
    else:
        kw = dict(encoder_hidden_size=32, encoder_n_layers=2, windows_batch_size=32)
        kw["max_steps"], profile = 1000, "matched"
    if spec.max_steps is not None:
        kw["max_steps"] = spec.max_steps
    model = cls(
        h=spec.horizon,
        input_size=spec.lookback,
        loss=MQLoss(quantiles=list(spec.quantiles)),
        random_seed=spec.seed,
        **kw,
        **_trainer(),
    )
    nf = NeuralForecast(models=[model], freq=spec.freq)
    data = df.assign(unique_id=df["unique_id"].astype(str))
    t0 = time.perf_counter()
    out = nf.cross_validation(data, n_windows=spec.windows, step_size=spec.step, refit=False)
    seconds = time.perf_counter() - t0
    name = type(model).__name__
    # MQLoss names the 0.1/0.5/0.9 outputs "<name>-lo-80.0", "<name>-median", "<name>-hi-80.0"
    cols = {f"{name}-lo-80.0": "y_hat_q10", f"{name}-median": "y_hat_q50"}
    cols[f"{name}-hi-80.0"] = "y_hat_q90"
    cv = out.rename(columns=cols)
    cv["y_hat"] = cv["y_hat_q50"]
    defaults = {"lstm": (2, 128), "gru": (2, 200)}[kind]
    settings = (
        f"{profile}: input_size={spec.lookback}, h={spec.horizon}, "
        f"encoder_n_layers={kw.get('encoder_n_layers', defaults[0])}, "
        f"encoder_hidden_size={kw.get('encoder_hidden_size', defaults[1])}, "
        f"decoder MLP 2x128, batch_size=32 series, "
        f"windows_batch_size={kw.get('windows_batch_size', 128)}, max_steps={kw['max_steps']}, "
        f"lr=1e-3, scaler_type='robust', MQLoss{list(spec.quantiles)}, no early stopping"
    )
    return Result(cv, seconds, settings)


def nf_lstm(df: pd.DataFrame, spec: BenchSpec) -> Result:
    """NeuralForecast ``LSTM`` (an LSTM encoder, an MLP decoder for the horizon)."""
    return _nf(df, spec, "lstm")


def nf_gru(df: pd.DataFrame, spec: BenchSpec) -> Result:
    """NeuralForecast ``GRU``."""
    return _nf(df, spec, "gru")


PEERS = {
    "seasonal_naive": seasonal_naive,
    "darts_block_lstm": darts_block_rnn,
    "darts_rnn_lstm": darts_rnn,
    "nf_lstm": nf_lstm,
    "nf_gru": nf_gru,
}
