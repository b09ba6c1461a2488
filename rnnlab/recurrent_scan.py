"""``scan``, at the path the README documents; it lives in :mod:`rnnlab.core.scan`."""

from rnnlab.core.scan import scan

__all__ = ["scan"]
