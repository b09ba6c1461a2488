"""Report folders replaced all at once, shared by the applications' commands.

:func:`stage_folder` makes an empty sibling ``<out>.tmp-<pid>``; the command writes
every file there; :func:`publish_folder` swaps it into place — the previous folder
moved aside, the new one renamed in, the old one deleted — so a report that looks
complete always is, and an old one survives until then. :func:`discard_folder`
removes the staging folder after a failure.

Example:
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> staging = stage_folder(out, ("results.json",), "rnnlab report")
    >>> _ = (staging / "results.json").write_text("{}")
    >>> sorted(p.name for p in publish_folder(staging, out).iterdir())
    ['results.json']
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

__all__ = ["discard_folder", "publish_folder", "stage_folder"]


def _is_replaceable(path: Path, markers: Sequence[str]) -> bool:
    """An existing folder may be replaced only if it is empty or an earlier report."""
    return not any(path.iterdir()) or any((path / m).is_file() for m in markers)


def stage_folder(out: str | os.PathLike[str], markers: Sequence[str], kind: str) -> Path:
    """Create the empty staging folder ``<out>.tmp-<pid>`` beside ``out`` (parents too).

    ``markers``: files of which one marks an existing folder as an earlier report
    (only such a folder, or an empty one, may be replaced); ``kind``: what the
    message calls such a report.

    Raises:
        ValueError: ``out`` is a file, or a folder that is neither empty nor a report.
        OSError: the place cannot be written (read-only, a parent is a file, …).
    """
    out = Path(out).absolute()
    existing = next(p for p in (out, *out.parents) if p.exists())
    if not existing.is_dir():
        raise ValueError(f"{existing} is a file, not a folder")
    if out.is_dir() and not _is_replaceable(out, markers):
        raise ValueError(
            f"{out} exists and is not an {kind} (no {markers[0]}); "
            "choose another folder or remove it first"
        )
    staging = out.with_name(f"{out.name}.tmp-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging.mkdir()
    return staging


def publish_folder(staging: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Replace ``out`` by ``staging``: the old folder aside, the new one in, the old deleted."""
    staging, out = Path(staging), Path(out).absolute()
    old = None
    if out.exists():
        old = out.with_name(f"{out.name}.old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        os.rename(out, old)
    try:
        os.rename(staging, out)
    except BaseException:
        if old is not None:
            os.rename(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out


def discard_folder(staging: str | os.PathLike[str] | None) -> None:
    """Delete a staging folder after a failure (``None`` or a missing folder: nothing)."""
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)
