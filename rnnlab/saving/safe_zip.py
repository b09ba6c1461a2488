"""Read an untrusted ``.keras`` zip archive safely.

Checked when the archive is opened, from its central directory, before any member
is read:

- member names are plain relative paths: no absolute paths, drive letters,
  backslashes, ``..`` or ``.`` components, empty components or NUL characters;
- no two members share a name (zipfile would silently keep the last one);
- no symbolic-link members, no encrypted members, only stored or deflated data
  (what Keras writes: stored);
- no zip bomb: each member's declared size at most ``max_member_bytes`` and at
  most ``max_ratio`` x its compressed size + 1 MiB; all members together at most
  ``max_total_bytes`` and ``max_ratio`` x the archive's size + 1 MiB; members
  do not overlap in the file (the "overlapping files" bomb); at most
  ``max_members`` members.

Reading a member counts the bytes actually produced and stops at the declared
size and at the caller's cap, whatever the headers claim; a short or corrupt
member (CRC mismatch) is an error. Every failure raises
:class:`~rnnlab.saving.errors.UnsafeFileError`.

Example:
    >>> import pathlib, tempfile, zipfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "m.keras"
    >>> with zipfile.ZipFile(path, "w") as z:
    ...     z.writestr("metadata.json", '{"keras_version": "3.15.1"}')
    >>> with open_zip(path) as zf:
    ...     zf.names(), zf.read_json("metadata.json")
    (['metadata.json'], {'keras_version': '3.15.1'})
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from rnnlab.saving.errors import UnsafeFileError

__all__ = ["SafeZip", "UnsafeFileError", "open_zip", "read_member"]

DEFAULT_MAX_MEMBER_BYTES = 4 << 30  # 4 GiB
DEFAULT_MAX_TOTAL_BYTES = 4 << 30
DEFAULT_MAX_RATIO = 200  # deflate tops out near 1032:1; real weights compress ~1.1:1
DEFAULT_MAX_MEMBERS = 10_000
#: Cap for JSON members (config.json of a huge model is a few MiB).
DEFAULT_MAX_JSON_BYTES = 64 << 20
_SLACK = 1 << 20
_LOCAL_HEADER = 30  # fixed part of a local file header
_CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")

Source = str | os.PathLike[str] | bytes | bytearray | memoryview


def _check_name(name: str) -> str | None:
    """Why a member name is unsafe, or ``None`` if it is a plain relative path."""
    if not name:
        return "empty member name"
    if "\x00" in name:
        return "member name contains a NUL character"
    if "\\" in name:
        return "member name contains a backslash"
    if name.startswith("/"):
        return "absolute member path"
    if _DRIVE.match(name):
        return "member path starts with a drive letter"
    parts = name.split("/")
    if parts[-1] == "":  # a folder entry, "assets/"
        parts = parts[:-1]
    for part in parts:
        if part == "..":
            return "member path escapes the archive ('..')"
        if part in ("", "."):
            return "member path has an empty or '.' component"
    return None


class SafeZip:
    """A zip archive opened read-only and checked whole (see the module's rules).

    Use :func:`open_zip` to get one.

    Args:
        source: a path, or the archive's bytes.
        max_member_bytes: cap on any member's uncompressed size.
        max_total_bytes: cap on all members' uncompressed sizes together.
        max_ratio: how many times its compressed size a member may expand to
            (plus 1 MiB); the same bounds the total against the archive's size.
        max_members: cap on the number of members.
        name: what to call the archive in messages.

    Example:
        >>> buf = io.BytesIO()
        >>> with zipfile.ZipFile(buf, "w") as z:
        ...     z.writestr("config.json", "{}")
        >>> with open_zip(buf.getvalue()) as zf:
        ...     zf.read("config.json")
        b'{}'
    """

    def __init__(
        self,
        source: Source,
        *,
        max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
        max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
        max_ratio: float = DEFAULT_MAX_RATIO,
        max_members: int = DEFAULT_MAX_MEMBERS,
        name: str | None = None,
    ) -> None:
        if isinstance(source, bytes | bytearray | memoryview):
            self.name = name if name is not None else "<bytes>"
            data = bytes(source)
            size = len(data)
            head = data[:8]
            target: Any = io.BytesIO(data)
        else:
            path = os.fspath(source)
            self.name = name if name is not None else path
            try:
                if os.path.isdir(path):
                    raise IsADirectoryError(path)
                size = os.path.getsize(path)
                with open(path, "rb") as f:
                    head = f.read(8)
            except FileNotFoundError:
                raise UnsafeFileError(self.name, None, "no such file") from None
            except OSError as e:
                raise UnsafeFileError(self.name, None, f"cannot be read: {e}") from None
            target = path
        if size == 0:
            raise UnsafeFileError(self.name, None, "empty file (0 bytes), not a zip archive")
        if head.startswith(b"\x89HDF\r\n\x1a\n"):
            raise UnsafeFileError(
                self.name, None, "is an HDF5 file (a .weights.h5 or legacy .h5?), not a zip"
            )
        self.archive_size = size
        self.max_member_bytes = int(max_member_bytes)
        try:
            self._zip = zipfile.ZipFile(target, "r")
        except zipfile.BadZipFile as e:
            raise UnsafeFileError(
                self.name, None, f"not a zip archive, or truncated (no central directory): {e}"
            ) from None
        except (OSError, ValueError, EOFError) as e:
            raise UnsafeFileError(self.name, None, f"not a readable zip archive: {e}") from None
        try:
            self._check(max_total_bytes, max_ratio, max_members)
        except BaseException:
            self._zip.close()
            raise

    def _fail(self, inner: str | None, problem: str) -> UnsafeFileError:
        return UnsafeFileError(self.name, inner, problem)

    def _check(self, max_total_bytes: int, max_ratio: float, max_members: int) -> None:
        infos = self._zip.infolist()
        if len(infos) > max_members:
            raise self._fail(None, f"{len(infos)} members, more than the limit of {max_members}")
        seen: set[str] = set()
        total = 0
        total_limit = min(int(max_total_bytes), int(max_ratio * self.archive_size) + _SLACK)
        for info in infos:
            name = info.filename
            why = _check_name(name)
            if why is None and (info.orig_filename != name and "\\" in info.orig_filename):
                why = "member name contains a backslash"
            if why:
                raise self._fail(name, why)
            if name in seen:
                raise self._fail(name, "duplicate member name")
            seen.add(name)
            mode = info.external_attr >> 16
            if info.create_system == 3 and stat.S_ISLNK(mode):
                raise self._fail(name, "symbolic-link member")
            if info.flag_bits & 0x1:
                raise self._fail(name, "encrypted member")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise self._fail(
                    name, f"compression method {info.compress_type} (only stored or deflate)"
                )
            if info.file_size > self.max_member_bytes:
                raise self._fail(
                    name,
                    f"declares {info.file_size} bytes uncompressed, more than the limit of "
                    f"{self.max_member_bytes}",
                )
            if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
                raise self._fail(
                    name,
                    f"stored member declares {info.file_size} bytes but stores "
                    f"{info.compress_size}",
                )
            if info.file_size > max_ratio * info.compress_size + _SLACK:
                raise self._fail(
                    name,
                    f"declares {info.file_size} bytes from {info.compress_size} compressed "
                    f"(ratio above {max_ratio}: a zip bomb?)",
                )
            total += info.file_size
            if total > total_limit:
                raise self._fail(
                    name,
                    f"members declare {total} bytes in all, more than the limit of "
                    f"{total_limit} for an archive of {self.archive_size} bytes",
                )
            if info.header_offset + _LOCAL_HEADER + info.compress_size > self.archive_size:
                raise self._fail(name, "member data runs past the end of the archive (truncated?)")
        # Members must not share bytes (overlapping-files bombs reuse one deflate stream).
        spans = sorted(
            (
                (
                    i.header_offset,
                    i.header_offset + _LOCAL_HEADER + len(i.filename) + i.compress_size,
                    i,
                )
                for i in infos
            ),
            key=lambda span: span[0],
        )
        for (_, end, first), (start, _, second) in itertools.pairwise(spans):
            if start < end:
                raise self._fail(second.filename, f"member overlaps the data of {first.filename!r}")

    def names(self) -> list[str]:
        """Member names, in the archive's order.

        Example:
            >>> buf = io.BytesIO()
            >>> with zipfile.ZipFile(buf, "w") as z:
            ...     z.writestr("a.json", "1"); z.writestr("b.h5", "")
            >>> with open_zip(buf.getvalue()) as zf:
            ...     zf.names()
            ['a.json', 'b.h5']
        """
        return [i.filename for i in self._zip.infolist()]

    def size(self, member: str) -> int:
        """The declared uncompressed size of ``member`` (already checked against the limits)."""
        return self._info(member).file_size

    def _info(self, member: str) -> zipfile.ZipInfo:
        try:
            return self._zip.getinfo(member)
        except KeyError:
            raise self._fail(member, "no such member in the archive") from None

    def read(self, member: str, max_bytes: int | None = None) -> bytes:
        """The bytes of ``member``, reading at most its declared size and ``max_bytes``.

        Args:
            member: the member's name.
            max_bytes: refuse a member that would give more than this many bytes
                (defaults to the archive's ``max_member_bytes``).

        Raises:
            UnsafeFileError: no such member, too big, shorter or longer than
                declared, or corrupt (bad CRC, bad deflate data).

        Example:
            >>> buf = io.BytesIO()
            >>> with zipfile.ZipFile(buf, "w") as z:
            ...     z.writestr("config.json", "x" * 100)
            >>> with open_zip(buf.getvalue()) as zf:  # doctest: +ELLIPSIS
            ...     zf.read("config.json", max_bytes=10)
            Traceback (most recent call last):
            ...
            rnnlab.saving.errors.UnsafeFileError: <bytes>: 'config.json': declares 100 bytes, ...
        """
        info = self._info(member)
        cap = self.max_member_bytes if max_bytes is None else min(max_bytes, self.max_member_bytes)
        if info.file_size > cap:
            raise self._fail(member, f"declares {info.file_size} bytes, more than the cap of {cap}")
        want = info.file_size
        chunks: list[bytes] = []
        got = 0
        try:
            with self._zip.open(info, "r") as f:
                while got < want:
                    chunk = f.read(min(_CHUNK, want - got))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    got += len(chunk)
                # One more byte would mean the data is longer than declared.
                extra = f.read(1) if got == want else b""
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as e:
            raise self._fail(member, f"corrupt member data: {e}") from None
        if got < want:
            raise self._fail(member, f"member data ends after {got} of {want} bytes (truncated?)")
        if extra:
            raise self._fail(member, "member data is longer than declared")
        return b"".join(chunks)

    def read_text(self, member: str, max_bytes: int = DEFAULT_MAX_JSON_BYTES) -> str:
        """A UTF-8 text member, capped at ``max_bytes``.

        Example:
            >>> buf = io.BytesIO()
            >>> with zipfile.ZipFile(buf, "w") as z:
            ...     z.writestr("notes.txt", "héllo")
            >>> with open_zip(buf.getvalue()) as zf:
            ...     zf.read_text("notes.txt")
            'héllo'
        """
        data = self.read(member, max_bytes)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise self._fail(member, f"not UTF-8 text: {e}") from None

    def read_json(self, member: str, max_bytes: int = DEFAULT_MAX_JSON_BYTES) -> Any:
        """A JSON member (``config.json``, ``metadata.json``), parsed with :mod:`json` only.

        Example:
            >>> buf = io.BytesIO()
            >>> with zipfile.ZipFile(buf, "w") as z:
            ...     z.writestr("metadata.json", '{"keras_version": "3.15.1"}')
            >>> with open_zip(buf.getvalue()) as zf:
            ...     zf.read_json("metadata.json")["keras_version"]
            '3.15.1'
        """
        text = self.read_text(member, max_bytes)
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as e:
            raise self._fail(member, f"not valid JSON: {e}") from None

    def close(self) -> None:
        """Close the archive (also done by the ``with`` block)."""
        self._zip.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def open_zip(source: Source, **limits: Any) -> Iterator[SafeZip]:
    """Open and check a zip archive; the ``with`` block gets a :class:`SafeZip`.

    ``limits`` are :class:`SafeZip`'s keyword arguments (``max_member_bytes=``, ...).

    Example:
        >>> import pathlib, tempfile
        >>> with open_zip(pathlib.Path(tempfile.mkdtemp()) / "missing.keras"):  # doctest: +ELLIPSIS
        ...     pass
        Traceback (most recent call last):
        ...
        rnnlab.saving.errors.UnsafeFileError: ...missing.keras: no such file
    """
    zf = SafeZip(source, **limits)
    try:
        yield zf
    finally:
        zf.close()


def read_member(source: Source, member: str, max_bytes: int | None = None) -> bytes:
    """One member of a checked archive (see :meth:`SafeZip.read`).

    Example:
        >>> buf = io.BytesIO()
        >>> with zipfile.ZipFile(buf, "w") as z:
        ...     z.writestr("config.json", "{}")
        >>> read_member(buf.getvalue(), "config.json")
        b'{}'
    """
    with open_zip(source) as zf:
        return zf.read(member, max_bytes)
