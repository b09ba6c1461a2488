"""Old path, kept working: the code lives in the app, :mod:`rnnlab.apps.chapter.baselines`."""

from rnnlab.apps.chapter.baselines import mse, naive_forecast

__all__ = ["mse", "naive_forecast"]
