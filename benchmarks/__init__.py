"""Benchmark harness: rnnlab against Keras 3 (JAX and TensorFlow backends) and PyTorch.

Run ``python -m benchmarks.run --help``. Each framework trains in its own fresh
subprocess (``python -m benchmarks.keras_runner`` / ``python -m benchmarks.torch_runner``;
``benchmarks.fit_many_runner`` for rnnlab's whole-chapter job) on the same data, generated
once by the orchestrator. See ``benchmarks/METHOD.md``.
"""
