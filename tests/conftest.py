"""Shared fixtures for the core-library tests."""

import os

# The suite compiles about two thousand small XLA programs and runs each for milliseconds,
# so compilation is most of its time (68% of tests/test_models.py + test_remat.py, by
# cProfile). XLA's CPU fusion emitters and LLVM's -O2 are what cost there: without them
# tests/test_remat.py takes 18 s instead of 35 s and the whole suite 4 min 12 s instead of
# 5 min 56 s (2 cores). They change how kernels are generated, not what they compute (the
# same float32 operations; rounding may differ in the last place). Set before JAX starts,
# and inherited by the tests' subprocesses; RNNLAB_TEST_XLA_DEFAULTS=1 keeps XLA's defaults.
TEST_XLA_FLAGS = "--xla_cpu_use_fusion_emitters=false --xla_backend_optimization_level=0"
if os.environ.get("RNNLAB_TEST_XLA_DEFAULTS") != "1":
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {TEST_XLA_FLAGS}".strip()

import jax  # noqa: E402
import pytest  # noqa: E402

import rnnlab  # noqa: E402

# The Keras fixture generator runs with a Keras install of its own, never in the suite.
collect_ignore_glob = ["fixtures/*"]


@pytest.fixture
def x64():
    """Enable float64 in JAX for the duration of one test, then restore the setting."""
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", previous)


@pytest.fixture
def fresh_names():
    """Reset Keras-style layer/model name counters so automatic names are predictable."""
    rnnlab.utils.clear_session()
    yield
    rnnlab.utils.clear_session()


@pytest.fixture(autouse=True, scope="session")
def _private_compilation_cache(tmp_path_factory):
    """`rnnlab chapter` turns on JAX's persistent compilation cache; keep the tests'
    entries out of the user's ~/.cache."""
    previous = os.environ.get("RNNLAB_CACHE_DIR")
    os.environ["RNNLAB_CACHE_DIR"] = str(tmp_path_factory.mktemp("jax-cache"))
    yield
    if previous is None:
        os.environ.pop("RNNLAB_CACHE_DIR", None)
    else:
        os.environ["RNNLAB_CACHE_DIR"] = previous
