"""Replace a file all at once: readers see the old bytes or the new ones, never half.

The new content goes to a temporary file in the target's folder, named
``.<name>.tmp-<pid>-<random>`` so that a leftover (from a process killed mid-write)
is recognisable and never mistaken for a model file; it is flushed and
``fsync``-ed, then ``os.replace``-d over the target, and the folder is ``fsync``-ed
so the rename itself survives a power cut. If anything fails before the rename,
the temporary file is removed and the target is untouched.

Example:
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "model.keras"
    >>> with atomic_write(target) as f:
    ...     _ = f.write(b"new bytes")
    >>> target.read_bytes()
    b'new bytes'
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from typing import IO, Any

__all__ = ["TEMP_NAME_RE", "atomic_write", "is_temp_name", "write_bytes_atomic"]

#: Names of this module's temporary files: ``.<target name>.tmp-<pid>-<8 hex digits>``.
TEMP_NAME_RE = re.compile(r"^\.(?P<target>.+)\.tmp-(?P<pid>\d+)-(?P<rand>[0-9a-f]{8})$")


def is_temp_name(name: str | os.PathLike[str]) -> bool:
    """Whether a file name is one of :func:`atomic_write`'s temporary files.

    Readers that list a folder (for checkpoints, say) skip these: they are the
    remains of a write that never finished.

    Example:
        >>> is_temp_name(".model.keras.tmp-4242-0a1b2c3d")
        True
        >>> is_temp_name("model.keras")
        False
    """
    return TEMP_NAME_RE.match(os.path.basename(os.fspath(name))) is not None


def _temp_path(target: str) -> str:
    folder, name = os.path.split(target)
    return os.path.join(folder, f".{name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


def _fsync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder or ".", os.O_RDONLY)
    except OSError:  # Windows, or no permission to open the folder
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str], mode: str = "wb", **open_kwargs: Any
) -> Iterator[IO[Any]]:
    """Open a temporary file that replaces ``path`` when the ``with`` block succeeds.

    Args:
        path: the file to write (or replace). Its folder must exist.
        mode: ``"wb"`` (default) or ``"w"``, or ``"xb"``/``"x"`` to refuse to
            replace an existing file (checked when the block ends).
        **open_kwargs: passed to :func:`open` (``encoding=``, ``newline=``, ...).

    Yields:
        the open temporary file. Write to it; do not close or rename it.

    Raises:
        ValueError: for a mode that is not a plain write mode.
        FileExistsError: with an ``x`` mode, when ``path`` exists at the end.

    If the block raises, the temporary file is deleted, the exception propagates
    and ``path`` keeps its old bytes (or stays absent). The new file gets the
    permissions an ordinary ``open(path, "w")`` would give it (``0o666`` less
    the umask), or the old file's permissions when it replaces one.

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
        >>> _ = target.write_text("old")
        >>> try:
        ...     with atomic_write(target, "w") as f:
        ...         _ = f.write("half")
        ...         raise RuntimeError("disk on fire")
        ... except RuntimeError:
        ...     pass
        >>> target.read_text()
        'old'
    """
    if mode not in ("wb", "w", "xb", "x"):
        raise ValueError(f"atomic_write: mode must be 'wb', 'w', 'xb' or 'x', got {mode!r}")
    target = os.path.abspath(os.fspath(path))
    exclusive = mode.startswith("x")
    temp = _temp_path(target)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            os.chmod(temp, os.stat(target).st_mode & 0o7777)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp, 0o666 & ~umask)
        f = os.fdopen(fd, mode.replace("x", "w"), **open_kwargs)
    except BaseException:
        os.close(fd)
        os.unlink(temp)
        raise
    try:
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if exclusive:
            # os.link fails if the target exists; then the temp file is removed.
            os.link(temp, target)
            os.unlink(temp)
        else:
            os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _fsync_folder(os.path.dirname(target))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`).

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "w.h5"
        >>> write_bytes_atomic(target, b"\\x89HDF")
        >>> target.read_bytes()
        b'\\x89HDF'
    """
    with atomic_write(path, "wb") as f:
        f.write(data)
