"""``Forecaster``: one global network over one or many series — fit, predict, backtest.

The settings follow NeuralForecast's and Darts's (long format ``unique_id, ds, y``,
``horizon``, ``lookback`` = their ``input_size``/``input_chunk_length``); the
network is one of the chapter's kinds (:data:`~rnnlab.apps.forecast.models.PRESETS`)
or any rnnlab model, trained by rnnlab's compiled ``fit`` on windows gathered inside
the compiled epoch (:mod:`~rnnlab.apps.forecast.inputs`).

Example:
    >>> import numpy as np, pandas as pd
    >>> t = np.arange(120)
    >>> df = pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=120, freq="D"),
    ...                    "y": 10 + np.sin(2 * np.pi * t / 7)})
    >>> fc = Forecaster(model="gru", horizon=7, lookback=14, epochs=2, units=8, seed=0)
    >>> fc.fit(df).predict().columns.tolist()
    ['unique_id', 'ds', 'y_hat']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from rnnlab.apps.forecast import engine
from rnnlab.apps.forecast.calendar import season_length
from rnnlab.apps.forecast.frame import Panel, future_ds, prepare
from rnnlab.apps.forecast.metrics import quantile_column
from rnnlab.apps.forecast.models import PRESETS, STRATEGIES
from rnnlab.apps.forecast.scaling import SCALER_KINDS

__all__ = ["Forecaster"]

INTERVALS = ("quantile", "conformal")


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"Forecaster: {name} must be a positive integer, got {value!r}")
    return int(value)


def _quantiles(quantiles: Sequence[float] | None, intervals: str | None) -> tuple[float, ...]:
    if quantiles is None:
        return ()
    qs = tuple(sorted({float(q) for q in quantiles}))
    if not qs or any(not 0.0 < q < 1.0 for q in qs):
        raise ValueError(
            f"Forecaster: quantiles must be levels strictly between 0 and 1, got {quantiles!r}"
        )
    if intervals == "conformal":
        lower = {round(q, 10) for q in qs if q < 0.5}
        upper = {round(1 - q, 10) for q in qs if q > 0.5}
        if lower != upper or not lower:
            raise ValueError(
                "Forecaster: intervals='conformal' makes symmetric intervals, so quantiles "
                f"must come in pairs q, 1 - q (such as 0.1, 0.9), got {list(qs)}"
            )
    return qs


class Forecaster:
    """A global forecasting model over every series of a long-format frame.

    Args:
        model: a preset (``"simple_rnn"``, ``"lstm"``, ``"gru"``, ``"conv1d_gru"``,
            ``"wavenet"``) or a function returning an uncompiled rnnlab model that
            takes ``(window, channels)`` inputs and outputs ``(steps, outputs)``
            (see :func:`rnnlab.apps.forecast.inputs.input_shape`).
        horizon: steps to forecast (``h``).
        lookback: past steps each forecast reads (default ``3 * horizon``).
        strategy: ``"direct"`` (a head for all ``horizon`` steps), ``"recursive"`` (a
            one-step model fed its own forecasts) or ``"seq2seq"`` (targets at every step).
        quantiles: levels to forecast (e.g. ``[0.1, 0.5, 0.9]``); ``None``: a point forecast.
        intervals: ``"quantile"`` (a quantile head trained with the pinball loss) or
            ``"conformal"`` (a point model; intervals from its validation residuals).
        scaler: per-series target scaling, ``"standard"`` (default), ``"robust"``,
            ``"minmax"`` or ``"none"``; fitted on the data before each forecast origin.
            Standard measured best on the bundled data (backtest MASE, LSTM, 5 windows:
            us_employment 0.85 against robust's 1.90, seattle_temps 0.69 against 0.90,
            co2 0.38 against 0.41; elnino 1.16 against 0.96).
        calendar: add calendar features of the frequency (sin/cos of hour, day, …).
        futr_exog / hist_exog: covariate columns known in the future / only in the past.
        freq: the series' frequency (inferred when ``None``).
        fill: ``"interpolate"``, ``"ffill"`` or ``"zero"`` to fill gaps and NaN.
        drop_short: skip series too short to train on instead of refusing them.
        units, dropout: size of each layer and input dropout of the recurrent layers.
        epochs: passes over every training window; ``None``: enough for about
            ``max_steps`` gradient steps (1 to 500 epochs).
        batch_size, learning_rate, patience: training (Adam; early stopping on the
            validation tail after ``patience`` epochs without progress, the best
            epoch's weights kept).
        val_size: steps at the end of each series held out for early stopping (default
            ``horizon``; ``2 * horizon`` with conformal intervals, which calibrate on it).
        seed: the seed of weights, sample order and dropout: same data, seed and
            arguments give bit-identical forecasts.
        verbose: 0 silent, 1 a progress bar per fit, 2 a line per epoch.
        time_col / target_col / id_col: column names of the data.

    Attributes (after ``fit``): ``model_`` the trained rnnlab model, ``history_`` its
    History, ``panel_`` the checked training data.
    """

    def __init__(
        self,
        model: str | Callable[[], Any] = "lstm",
        horizon: int = 1,
        lookback: int | None = None,
        *,
        strategy: str = "direct",
        quantiles: Sequence[float] | None = None,
        intervals: str = "quantile",
        scaler: str = "standard",
        calendar: bool = True,
        futr_exog: Sequence[str] = (),
        hist_exog: Sequence[str] = (),
        freq: str | None = None,
        fill: str | None = None,
        drop_short: bool = False,
        units: int = 32,
        dropout: float = 0.0,
        epochs: int | None = None,
        max_steps: int = 500,
        batch_size: int = 32,
        learning_rate: float = 3e-3,
        patience: int = 10,
        val_size: int | None = None,
        seed: int = 0,
        verbose: int = 0,
        time_col: str = "ds",
        target_col: str = "y",
        id_col: str = "unique_id",
    ) -> None:
        if not (callable(model) or model in PRESETS):
            raise ValueError(
                f"Forecaster: model must be one of {', '.join(PRESETS)} or a function "
                f"returning an rnnlab model, got {model!r}"
            )
        horizon = _positive(horizon, "horizon")
        if strategy not in STRATEGIES:
            raise ValueError(
                f"Forecaster: strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}"
            )
        if intervals not in INTERVALS:
            raise ValueError(
                f"Forecaster: intervals must be one of {', '.join(INTERVALS)}, got {intervals!r}"
            )
        if scaler not in SCALER_KINDS:
            raise ValueError(
                f"Forecaster: scaler must be one of {', '.join(SCALER_KINDS)}, got {scaler!r}"
            )
        if strategy == "recursive" and hist_exog:
            raise ValueError(
                "Forecaster: strategy='recursive' feeds the model its own forecasts and "
                f"cannot advance past-only covariates; got hist_exog={list(hist_exog)}"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"Forecaster: dropout must be in [0, 1), got {dropout!r}")
        if not (isinstance(learning_rate, int | float) and learning_rate > 0):
            raise ValueError(f"Forecaster: learning_rate must be > 0, got {learning_rate!r}")
        qs = _quantiles(quantiles, intervals)
        default_val = 2 * horizon if intervals == "conformal" and qs else horizon
        self.settings = dict(
            model=model,
            horizon=horizon,
            lookback=_positive(3 * horizon if lookback is None else lookback, "lookback"),
            strategy=strategy,
            quantiles=qs,
            intervals=intervals if qs else None,
            scaler=scaler,
            calendar=bool(calendar),
            futr_exog=tuple(futr_exog),
            hist_exog=tuple(hist_exog),
            units=_positive(units, "units"),
            dropout=float(dropout),
            epochs=None if epochs is None else _positive(epochs, "epochs"),
            max_steps=_positive(max_steps, "max_steps"),
            batch_size=_positive(batch_size, "batch_size"),
            learning_rate=float(learning_rate),
            patience=_positive(patience, "patience"),
            val_size=_positive(default_val if val_size is None else val_size, "val_size"),
            seed=int(seed),
            verbose=int(verbose),
        )
        if self.settings["val_size"] < horizon:
            raise ValueError(
                f"Forecaster: val_size must be at least horizon ({horizon}), got {val_size}"
            )
        self.data_args = dict(
            time_col=time_col, target_col=target_col, id_col=id_col, freq=freq, fill=fill
        )
        self.drop_short = bool(drop_short)
        self.spec_: engine.Spec | None = None
        self.trained_: engine.Trained | None = None
        self.panel_: Panel | None = None

    # -- data -------------------------------------------------------------------------------
    @property
    def horizon(self) -> int:
        """Steps forecast."""
        return self.settings["horizon"]

    @property
    def lookback(self) -> int:
        """Past steps read by each forecast."""
        return self.settings["lookback"]

    def _min_length(self, extra: int = 0, what: str | None = None) -> dict[str, int]:
        need = {"lookback": self.lookback, "horizon": self.horizon}
        if extra:
            need[what or "backtest windows"] = extra
        return need

    def prepare(self, data: Any, min_length: dict[str, int] | None = None) -> Panel:
        """Check ``data`` (a frame or CSV path) as this forecaster reads it; a Panel."""
        return prepare(
            data,
            **self.data_args,
            futr_exog=self.settings["futr_exog"],
            hist_exog=self.settings["hist_exog"],
            min_length=min_length or self._min_length(),
            drop_short=self.drop_short,
        )

    def spec(self, panel: Panel) -> engine.Spec:
        """The engine's settings for data of ``panel``'s frequency."""
        return engine.Spec(freq=panel.freq, **self.settings)

    @property
    def season(self) -> int:
        """Season length of the fitted data's frequency (for MASE and seasonal naive)."""
        self._require_fit("season")
        return season_length(self.panel_.freq)

    # -- fit / predict ----------------------------------------------------------------------
    def fit(self, df: Any) -> Forecaster:
        """Train on every series of ``df`` (long format; a frame or CSV path). Returns self."""
        panel = self.prepare(df)
        self.spec_ = self.spec(panel)
        self.trained_ = engine.train(self.spec_, panel, panel.lengths)
        self.panel_ = panel
        return self

    @property
    def model_(self) -> Any:
        """The trained rnnlab model."""
        self._require_fit("model_")
        return self.trained_.model

    @property
    def history_(self) -> Any:
        """The training History (``loss``, ``val_loss`` per epoch)."""
        self._require_fit("history_")
        return self.trained_.history

    def _require_fit(self, what: str) -> None:
        if self.trained_ is None:
            raise RuntimeError(f"Forecaster.{what}: call fit(df) (or Forecaster.load) first")

    def predict(self, futr_df: Any = None, df: Any = None) -> pd.DataFrame:
        """Forecast ``horizon`` steps past the end of every series.

        Args:
            futr_df: the future covariates (``futr_exog`` columns) for each series'
                next ``horizon`` timestamps; required when the forecaster has any.
            df: new history to forecast from (default: the data given to ``fit``).

        Returns:
            Long frame ``unique_id, ds, y_hat[, y_hat_q10, …]`` of ``S * horizon`` rows.
        """
        self._require_fit("predict")
        panel = self.panel_ if df is None else self.prepare(df, {"lookback": self.lookback})
        futr = self._future_covariates(panel, futr_df)
        origins = np.stack([np.arange(len(panel)), panel.lengths], axis=1)
        values = engine.forecast(self.spec_, self.trained_, panel, origins, futr)
        ds = [future_ds(panel.ds(i)[-1], panel.freq, self.horizon) for i in range(len(panel))]
        return self._frame(panel, origins[:, 0], ds, values)

    def _frame(self, panel, series, ds, values) -> pd.DataFrame:
        h = self.horizon
        out = pd.DataFrame(
            {
                "unique_id": np.repeat(np.asarray(panel.ids, dtype=object)[series], h),
                "ds": np.concatenate([np.asarray(d) for d in ds]),
                "y_hat": values[..., 0].ravel(),
            }
        )
        for k, q in enumerate(self.settings["quantiles"]):
            out[quantile_column(q)] = values[..., k + 1].ravel()
        return out

    def _future_covariates(self, panel: Panel, futr_df: Any) -> list[np.ndarray] | None:
        names = list(self.settings["futr_exog"])
        if not names:
            return None
        if futr_df is None:
            raise ValueError(
                f"Forecaster.predict: the forecaster uses future covariates {names}; pass "
                f"futr_df with them for the next {self.horizon} steps of every series"
            )
        frame = pd.read_csv(futr_df) if isinstance(futr_df, str | os.PathLike) else futr_df
        t, i = self.data_args["time_col"], self.data_args["id_col"]
        missing = [c for c in (t, *names) if c not in frame.columns]
        if missing:
            raise ValueError(
                f"Forecaster.predict: futr_df has no column {missing[0]!r}; its columns are "
                f"{list(frame.columns)}"
            )
        frame = frame.assign(**{t: pd.to_datetime(frame[t])})
        ids = frame[i].astype(str) if i in frame.columns else pd.Series(panel.ids[0], frame.index)
        out = []
        for k, sid in enumerate(panel.ids):
            want = future_ds(panel.ds(k)[-1], panel.freq, self.horizon)
            rows = frame[ids == sid].set_index(t).reindex(want)[names]
            if rows.isna().any().any():
                absent = want[rows.isna().any(axis=1).to_numpy()]
                shown = ", ".join(str(d) for d in absent[:3])
                raise ValueError(
                    f"Forecaster.predict: futr_df lacks future covariates {names} of series "
                    f"{sid!r} at {len(absent)} of its next {self.horizon} timestamps "
                    f"(first: {shown})"
                )
            out.append(rows.to_numpy(np.float64))
        return out

    # -- files ------------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write the fitted forecaster into ``directory`` (``model.keras``, ``forecaster.json``,
        ``history.csv.gz``; each written atomically). See :mod:`rnnlab.apps.forecast.persist`."""
        from rnnlab.apps.forecast.persist import save_forecaster

        save_forecaster(self, directory)

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> Forecaster:
        """A fitted forecaster read from ``directory`` (written by :meth:`save`):
        ``predict()`` gives the same forecast as before saving."""
        from rnnlab.apps.forecast.persist import load_forecaster

        return load_forecaster(cls, directory)

    # -- backtest ---------------------------------------------------------------------------
    def backtest(
        self, df: Any, windows: int = 1, step: int | None = None, refit: bool | int = False
    ) -> pd.DataFrame:
        """Rolling-origin evaluation, training its own models on the data before each cutoff.

        See :func:`rnnlab.apps.forecast.backtest.backtest`; ``self`` only lends its settings
        (a fitted model is never reused, so the result is the same before and after ``fit``).
        """
        from rnnlab.apps.forecast.backtest import backtest

        return backtest(self, df, windows=windows, step=step, refit=refit)

    def __repr__(self) -> str:
        s = self.settings
        name = s["model"] if isinstance(s["model"], str) else getattr(s["model"], "__name__", "")
        return f"Forecaster(model={name!r}, horizon={s['horizon']}, lookback={s['lookback']})"
