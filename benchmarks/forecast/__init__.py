"""Forecasting benchmarks: rnnlab against its peers, and the cost of windowing a panel."""
