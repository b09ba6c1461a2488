"""rnnlab's row: :class:`rnnlab.forecast.Forecaster` on the protocol of :mod:`.protocol`.

The one plug-in point for rnnlab in the forecasting benchmark. ``run.py`` calls
:func:`available` first and skips rnnlab with its message when the forecaster cannot be
imported; otherwise :func:`rnnlab_lstm` trains once on the data before the first cutoff and
forecasts every window (``backtest(..., refit=False)``), timed like the peers (JAX's compile
time included). To benchmark another preset or setting, add a function here and list it in
:data:`CONTENDERS`.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from benchmarks.forecast.protocol import BenchSpec, Result

__all__ = ["CONTENDERS", "available", "rnnlab_lstm"]


def available() -> str | None:
    """``None`` when ``rnnlab.forecast.Forecaster`` imports, else why it does not."""
    try:
        from rnnlab.forecast import Forecaster  # noqa: F401
    except Exception as exc:  # any failure to import means: no rnnlab row this run
        return f"rnnlab.forecast.Forecaster unavailable ({type(exc).__name__}: {exc})"
    return None


def _forecaster(spec: BenchSpec, model: str, **extra: Any) -> Any:
    from rnnlab.forecast import Forecaster

    if spec.quick:
        extra.setdefault("max_steps", 20)
    return Forecaster(
        model=model,
        horizon=spec.horizon,
        lookback=spec.lookback,
        quantiles=list(spec.quantiles),
        seed=spec.seed,
        freq=spec.freq,
        **extra,
    )


def _run(df: pd.DataFrame, spec: BenchSpec, model: str) -> Result:
    fc = _forecaster(spec, model)
    t0 = time.perf_counter()
    cv = fc.backtest(df, windows=spec.windows, step=spec.step, refit=False)
    seconds = time.perf_counter() - t0
    s = fc.settings
    settings = (
        f"Forecaster(model={model!r}, lookback={spec.lookback}, horizon={spec.horizon}, "
        f"strategy={s['strategy']!r}, units={s['units']}, batch_size={s['batch_size']}, "
        f"max_steps={s['max_steps']}, epochs={s['epochs']}, lr={s['learning_rate']}, "
        f"scaler={s['scaler']!r}, calendar={s['calendar']}, patience={s['patience']}, "
        f"quantiles={list(s['quantiles'])})"
    )
    return Result(cv, seconds, settings)


def rnnlab_lstm(df: pd.DataFrame, spec: BenchSpec) -> Result:
    """rnnlab ``Forecaster(model="lstm")`` at its defaults, backtested with ``refit=False``."""
    return _run(df, spec, "lstm")


CONTENDERS = {"rnnlab_lstm": rnnlab_lstm}
