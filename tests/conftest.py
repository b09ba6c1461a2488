"""Shared fixtures for the core-library tests."""

import jax
import pytest

import rnnlab


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
