"""Forecasting application on rnnlab: real series in, backtested probabilistic forecasts out.

Its public face is :mod:`rnnlab.forecast` (``from rnnlab.forecast import Forecaster,
datasets, evaluate``) and the ``rnnlab forecast`` command. ``import rnnlab`` loads
none of it (nor pandas).

- :mod:`.frame` and :mod:`.calendar`: data in — checked long-format series, frequencies,
  calendar features;
- :mod:`.windows`, :mod:`.scaling`, :mod:`.inputs`: windows, per-series scaling and what
  the network sees for each multi-step strategy;
- :mod:`.models`: the chapter's kinds as presets, quantile loss;
- :mod:`.engine`, :mod:`.forecaster`, :mod:`.backtest`, :mod:`.persist`: training,
  forecasting, rolling-origin backtests and saved forecasters;
- :mod:`.metrics` and :mod:`.baselines`: evaluation beside naive forecasts.
"""

from rnnlab.apps.forecast.backtest import backtest
from rnnlab.apps.forecast.forecaster import Forecaster
from rnnlab.apps.forecast.frame import ForecastDataError, Panel, prepare
from rnnlab.apps.forecast.metrics import evaluate

__all__ = ["ForecastDataError", "Forecaster", "Panel", "backtest", "evaluate", "prepare"]
