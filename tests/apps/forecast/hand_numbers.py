"""Comparing the forecast metrics with numbers the tests compute by hand."""

import pytest

approx = lambda x: pytest.approx(x, rel=1e-12, abs=1e-12)  # noqa: E731
