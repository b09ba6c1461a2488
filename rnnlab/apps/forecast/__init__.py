"""Forecasting application on rnnlab: real series in, backtested probabilistic forecasts out."""
