"""Applications built on rnnlab: each one a package, using only rnnlab's public API.

The library (``rnnlab.models``, ``rnnlab.layers``, ``rnnlab.callbacks``, …) knows
nothing of them, and ``import rnnlab`` imports none of them. Each application
owns its data, reports and figures and its ``rnnlab <name>`` subcommand, which
the top-level :mod:`rnnlab.cli` imports only when that subcommand runs.

* :mod:`rnnlab.apps.chapter`: the RNN chapter reproduced (``rnnlab chapter``).
* A forecasting application (``rnnlab forecast`` and ``rnnlab predict``) will sit
  beside ``chapter/`` as ``rnnlab/apps/forecast/``.
"""
