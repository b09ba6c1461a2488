"""The error raised for a model file that cannot be read safely.

Example:
    >>> from rnnlab.saving.errors import UnsafeFileError
    >>> err = UnsafeFileError("m.keras", "config.json", "member is larger than 64 MiB")
    >>> str(err)
    "m.keras: 'config.json': member is larger than 64 MiB"
    >>> isinstance(err, ValueError)
    True
"""

from __future__ import annotations

import os

__all__ = ["UnsafeFileError"]


class UnsafeFileError(ValueError):
    """A model file is missing, malformed, or asks for something unsafe.

    One class for every reason (not an HDF5/zip file, truncated, an external link,
    a decompression bomb, ...), so callers catch one thing. The message names the
    file, the path inside it (when there is one) and what was wrong; the three
    parts are also kept as attributes.

    Args:
        file: the file on disk (or a description such as ``"<bytes>"``).
        inner: the path inside the file (an HDF5 object or zip member), or ``None``.
        problem: what was wrong, in words.

    Example:
        >>> UnsafeFileError("w.h5", None, "not an HDF5 file").problem
        'not an HDF5 file'
    """

    def __init__(self, file: str | os.PathLike[str], inner: str | None, problem: str) -> None:
        self.file = os.fspath(file)
        self.inner = inner
        self.problem = problem
        where = f"{self.file}: {inner!r}: " if inner is not None else f"{self.file}: "
        super().__init__(where + problem)
