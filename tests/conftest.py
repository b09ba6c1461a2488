"""Shared fixtures for the core-library tests."""

import os

import jax
import pytest

import rnnlab

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
