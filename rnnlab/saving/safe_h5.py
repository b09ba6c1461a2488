"""Read an untrusted HDF5 file (a ``.weights.h5``, a legacy ``.h5``) safely.

Everything is checked while walking the file, before any dataset is read:

- every link must be a hard link: external links (another file), soft links
  (Keras never writes them; they can dangle, loop, or reach an external link)
  and user-defined links are refused, and so is an object linked twice (a cycle);
- a dataset must store its data in this file (no ``dataset.external`` raw files,
  no virtual datasets mapping other files), use only HDF5's built-in filters
  (so no filter plugin is ever loaded from disk), and hold numbers (bool, int,
  float, complex: not strings, vlen, object references, compound or opaque);
- declared sizes (shape x itemsize) must be plausible for the file: each
  dataset, and all of them together, at most ``max_expansion`` x the file size
  + 1 MiB (compressed weights never come close), and never above ``max_bytes``.

Every failure raises :class:`~rnnlab.saving.errors.UnsafeFileError` naming the
file, the path inside it and what was wrong.

Example:
    >>> import pathlib, tempfile, h5py, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "w.h5"
    >>> with h5py.File(path, "w") as f:
    ...     f["layers/dense/vars/0"] = np.ones((2, 3), "float32")
    ...     f["layers/dense/vars"].attrs["name"] = "dense"
    >>> arrays = read_arrays(path)
    >>> list(arrays), arrays["layers/dense/vars/0"].shape
    (['layers/dense/vars/0'], (2, 3))
    >>> read_attrs(path, "layers/dense/vars")
    {'name': 'dense'}
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import os
from collections.abc import Iterator
from typing import Any

import h5py
import numpy as np

from rnnlab.saving.errors import UnsafeFileError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "H5Entry",
    "SafeH5",
    "UnsafeFileError",
    "open_h5",
    "read_arrays",
    "read_attrs",
]

#: Absolute cap on what one file may make us allocate (all datasets together).
DEFAULT_MAX_BYTES = 4 << 30  # 4 GiB
#: How far the declared sizes may exceed the file's own size (compression).
DEFAULT_MAX_EXPANSION = 64
_SLACK = 1 << 20  # 1 MiB on top, so tiny files may hold a few zero-filled arrays
_MAX_OBJECTS = 100_000
_MAX_DEPTH = 64

# HDF5's built-in filters and h5py's LZF: none of them loads a plugin.
_SAFE_FILTERS = {
    h5py.h5z.FILTER_DEFLATE: "gzip",
    h5py.h5z.FILTER_SHUFFLE: "shuffle",
    h5py.h5z.FILTER_FLETCHER32: "fletcher32",
    h5py.h5z.FILTER_SZIP: "szip",
    h5py.h5z.FILTER_NBIT: "nbit",
    h5py.h5z.FILTER_SCALEOFFSET: "scaleoffset",
    32000: "lzf",
}
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

Source = str | os.PathLike[str] | bytes | bytearray | memoryview


@dataclasses.dataclass(frozen=True)
class H5Entry:
    """One checked object of the file: a group, or a dataset with its shape and dtype.

    Example:
        >>> H5Entry("vars/0", "dataset", (2,), np.dtype("float32")).nbytes
        8
    """

    path: str
    kind: str  # "group" or "dataset"
    shape: tuple[int, ...] | None = None
    dtype: np.dtype | None = None

    @property
    def nbytes(self) -> int:
        """Declared size in bytes (0 for a group)."""
        if self.kind != "dataset" or self.shape is None or self.dtype is None:
            return 0
        return math.prod(self.shape) * self.dtype.itemsize


def _describe(source: Source) -> str:
    if isinstance(source, bytes | bytearray | memoryview):
        return "<bytes>"
    return os.fspath(source)


_SNIFF_BYTES = (1 << 20) + 8  # user blocks larger than 1 MiB are not supported


def _sniff(name: str, head: bytes, size: int) -> None:
    """Clear messages for the common wrong inputs, before h5py sees the file.

    ``head`` is the file's first ``_SNIFF_BYTES`` bytes (or all of it).
    """
    if size == 0:
        raise UnsafeFileError(name, None, "empty file (0 bytes), not an HDF5 file")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise UnsafeFileError(
            name, None, "is a zip archive (a .keras model file?), not an HDF5 file"
        )
    # The signature sits at offset 0, or after a user block of 512, 1024, 2048, ... bytes.
    offsets = [0] + [512 << i for i in range(12)]
    if not any(head[o : o + 8] == _HDF5_SIGNATURE for o in offsets):
        raise UnsafeFileError(name, None, "not an HDF5 file (no HDF5 signature)")


class SafeH5:
    """An HDF5 file opened read-only and checked whole (see the module's rules).

    Use :func:`open_h5` to get one. ``entries`` lists every object by path (no
    leading slash, ``""`` is the root group), in sorted walk order.

    Args:
        source: a path, or the file's bytes (e.g. ``model.weights.h5`` read from a zip).
        max_bytes: absolute cap on all declared dataset sizes together.
        max_expansion: the declared sizes may reach ``max_expansion`` x the file
            size + 1 MiB, no more.
        name: what to call the file in messages (defaults to the path, or ``"<bytes>"``).

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "w.h5"
        >>> with h5py.File(path, "w") as f:
        ...     f["vars/0"] = np.arange(3.0)
        >>> with open_h5(path) as h5:
        ...     [e.path for e in h5.entries], h5.read("vars/0").tolist()
        (['', 'vars', 'vars/0'], [0.0, 1.0, 2.0])
    """

    def __init__(
        self,
        source: Source,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_expansion: float = DEFAULT_MAX_EXPANSION,
        name: str | None = None,
    ) -> None:
        self.name = name if name is not None else _describe(source)
        if isinstance(source, bytes | bytearray | memoryview):
            data = bytes(source)
            size = len(data)
            _sniff(self.name, data[:_SNIFF_BYTES], size)
            target: Any = io.BytesIO(data)
        else:
            path = os.fspath(source)
            try:
                size = os.path.getsize(path)
                if os.path.isdir(path):
                    raise IsADirectoryError(path)
                with open(path, "rb") as f:
                    head = f.read(_SNIFF_BYTES)
            except FileNotFoundError:
                raise UnsafeFileError(self.name, None, "no such file") from None
            except OSError as e:
                raise UnsafeFileError(self.name, None, f"cannot be read: {e}") from None
            _sniff(self.name, head, size)
            target = path
        self.file_size = size
        self.limit = min(int(max_bytes), int(max_expansion * size) + _SLACK)
        try:
            self._file = h5py.File(target, "r")
        except OSError as e:
            raise UnsafeFileError(
                self.name, None, f"not a readable HDF5 file (truncated or corrupt?): {e}"
            ) from None
        try:
            self.entries: list[H5Entry] = []
            self._by_path: dict[str, H5Entry] = {}
            self._walk()
        except BaseException:
            self._file.close()
            raise

    # -- checking ---------------------------------------------------------------

    def _fail(self, inner: str | None, problem: str) -> UnsafeFileError:
        return UnsafeFileError(self.name, inner if inner else "/", problem)

    def _add(self, entry: H5Entry) -> None:
        if len(self.entries) >= _MAX_OBJECTS:
            raise self._fail(entry.path, f"more than {_MAX_OBJECTS} objects in the file")
        self.entries.append(entry)
        self._by_path[entry.path] = entry

    def _walk(self) -> None:
        seen: set[int] = set()
        total = 0
        root = self._file["/"]
        seen.add(h5py.h5o.get_info(root.id).addr)
        self._add(H5Entry("", "group"))
        stack: list[tuple[str, h5py.Group, int]] = [("", root, 0)]
        while stack:
            prefix, group, depth = stack.pop()
            if depth >= _MAX_DEPTH:
                raise self._fail(prefix, f"groups nested deeper than {_MAX_DEPTH}")
            try:
                names = sorted(group.keys())
            except (OSError, RuntimeError) as e:
                raise self._fail(prefix, f"cannot list the group: {e}") from None
            children: list[tuple[str, h5py.Group, int]] = []
            for child in names:
                path = f"{prefix}/{child}" if prefix else child
                try:
                    link = group.get(child, getlink=True)
                except (OSError, RuntimeError, KeyError) as e:
                    raise self._fail(path, f"cannot read the link: {e}") from None
                if isinstance(link, h5py.ExternalLink):
                    raise self._fail(
                        path,
                        f"external link to {link.filename!r}:{link.path!r} (links to other "
                        "files are not allowed)",
                    )
                if isinstance(link, h5py.SoftLink):
                    raise self._fail(
                        path, f"soft link to {link.path!r} (only hard links are allowed)"
                    )
                if not isinstance(link, h5py.HardLink):
                    raise self._fail(path, f"unsupported link type {type(link).__name__}")
                try:
                    obj = group[child]
                    addr = h5py.h5o.get_info(obj.id).addr
                except (OSError, RuntimeError, KeyError) as e:
                    raise self._fail(path, f"cannot open the object: {e}") from None
                if addr in seen:
                    raise self._fail(
                        path, "object linked more than once (a cycle or an aliased dataset)"
                    )
                seen.add(addr)
                if isinstance(obj, h5py.Group):
                    self._add(H5Entry(path, "group"))
                    children.append((path, obj, depth + 1))
                elif isinstance(obj, h5py.Dataset):
                    entry = self._check_dataset(path, obj)
                    total += entry.nbytes
                    if total > self.limit:
                        raise self._fail(
                            path,
                            f"datasets declare {total} bytes in all, more than the limit of "
                            f"{self.limit} for a file of {self.file_size} bytes",
                        )
                    self._add(entry)
                else:
                    raise self._fail(path, f"unsupported object type {type(obj).__name__}")
            stack.extend(reversed(children))
        # Depth-first order with each group's members sorted.
        self.entries.sort(key=lambda e: e.path.split("/") if e.path else [])

    def _check_dataset(self, path: str, ds: h5py.Dataset) -> H5Entry:
        try:
            external = ds.external
            virtual = ds.is_virtual
            shape = ds.shape
            dtype = ds.dtype
            plist = ds.id.get_create_plist()
            filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
        except (OSError, RuntimeError, ValueError) as e:
            raise self._fail(path, f"cannot inspect the dataset: {e}") from None
        if external:
            raise self._fail(path, f"dataset stored in external raw file(s) {external!r}")
        if virtual:
            raise self._fail(path, "virtual dataset (maps data from other files)")
        for code in filters:
            if code not in _SAFE_FILTERS:
                raise self._fail(
                    path, f"dataset uses filter {code}, not one of HDF5's built-in filters"
                )
        if h5py.check_vlen_dtype(dtype) is not None or h5py.check_string_dtype(dtype):
            raise self._fail(path, f"dataset of {dtype} (strings/vlen), numbers expected")
        if dtype.kind not in "biufc" or dtype.fields is not None or dtype.subdtype is not None:
            raise self._fail(path, f"dataset of dtype {dtype!r}, numbers expected")
        if shape is None:
            raise self._fail(path, "dataset with an empty (null) dataspace")
        entry = H5Entry(path, "dataset", tuple(int(n) for n in shape), dtype)
        if entry.nbytes > self.limit:
            raise self._fail(
                path,
                f"dataset declares {entry.nbytes} bytes (shape {entry.shape}, {dtype}), more "
                f"than the limit of {self.limit} for a file of {self.file_size} bytes",
            )
        return entry

    # -- reading ----------------------------------------------------------------

    def _entry(self, inner: str) -> H5Entry:
        key = inner.strip("/")
        if key not in self._by_path:
            raise self._fail(inner, "no such object in the file")
        return self._by_path[key]

    def read(self, inner: str) -> np.ndarray:
        """The checked dataset at ``inner`` as a NumPy array (a 0-d array for a scalar).

        Example:
            >>> import pathlib, tempfile
            >>> path = pathlib.Path(tempfile.mkdtemp()) / "w.h5"
            >>> with h5py.File(path, "w") as f:
            ...     f["optimizer/vars/0"] = np.int32(7)
            >>> with open_h5(path) as h5:
            ...     int(h5.read("optimizer/vars/0"))
            7
        """
        entry = self._entry(inner)
        if entry.kind != "dataset":
            raise self._fail(inner, "is a group, a dataset was expected")
        try:
            value = self._file[entry.path][()]
        except (OSError, RuntimeError, ValueError) as e:
            raise self._fail(entry.path, f"cannot read the data (corrupt?): {e}") from None
        return np.asarray(value)

    def read_arrays(self, under: str = "") -> dict[str, np.ndarray]:
        """Every dataset at or below the group ``under``, keyed by its full path.

        Example:
            >>> import pathlib, tempfile
            >>> path = pathlib.Path(tempfile.mkdtemp()) / "w.h5"
            >>> with h5py.File(path, "w") as f:
            ...     f["a/0"], f["b/0"] = np.zeros(1), np.ones(1)
            >>> with open_h5(path) as h5:
            ...     sorted(h5.read_arrays("b"))
            ['b/0']
        """
        base = self._entry(under).path
        prefix = base + "/" if base else ""
        return {
            e.path: self.read(e.path)
            for e in self.entries
            if e.kind == "dataset" and (e.path == base or e.path.startswith(prefix))
        }

    def attrs(self, inner: str = "") -> dict[str, Any]:
        """The attributes of the object at ``inner``, checked and decoded.

        Strings (fixed or variable length, bytes or str) come back as ``str``,
        arrays of them as lists of ``str``, numbers as NumPy scalars or arrays.
        Other kinds (object references, compound, opaque) are refused, and so is
        an attribute declaring more bytes than the file's limit.

        Example:
            >>> import pathlib, tempfile
            >>> path = pathlib.Path(tempfile.mkdtemp()) / "w.h5"
            >>> with h5py.File(path, "w") as f:
            ...     f.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
            >>> with open_h5(path) as h5:
            ...     h5.attrs()
            {'weight_names': ['dense/kernel:0', 'dense/bias:0']}
        """
        entry = self._entry(inner)
        obj = self._file[entry.path] if entry.path else self._file["/"]
        out: dict[str, Any] = {}
        try:
            names = list(obj.attrs.keys())
        except (OSError, RuntimeError) as e:
            raise self._fail(entry.path, f"cannot list attributes: {e}") from None
        for key in names:
            where = f"{entry.path}@{key}" if entry.path else f"@{key}"
            try:
                aid = h5py.h5a.open(obj.id, key.encode())
                dtype = aid.dtype
                shape = aid.shape
                # An empty attribute (Keras writes weight_names = [] for a layer without
                # weights) has no storage to measure: HDF5 refuses the query.
                storage = aid.get_storage_size() if shape is None or math.prod(shape) else 0
            except (OSError, RuntimeError, KeyError) as e:
                raise self._fail(where, f"cannot open the attribute: {e}") from None
            n = math.prod(shape) if shape else 1
            if n * dtype.itemsize > self.limit or storage > self.limit:
                raise self._fail(where, "attribute larger than the file's limit")
            is_str = h5py.check_string_dtype(dtype) is not None
            vlen = h5py.check_vlen_dtype(dtype)
            if not is_str and (vlen is not None or dtype.kind not in "biufcS"):
                raise self._fail(
                    where, f"attribute of dtype {dtype!r}, strings or numbers expected"
                )
            if dtype.fields is not None:
                raise self._fail(where, "compound attribute, strings or numbers expected")
            try:
                value = obj.attrs[key]
            except (OSError, RuntimeError, ValueError, TypeError) as e:
                raise self._fail(where, f"cannot read the attribute: {e}") from None
            out[key] = _decode(value)
        return out

    def close(self) -> None:
        """Close the file (also done by the ``with`` block)."""
        self._file.close()

    def __enter__(self) -> SafeH5:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _decode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray) and (value.dtype.kind in "SOU"):
        return [_decode(v) if isinstance(v, bytes) else str(v) for v in value.ravel().tolist()]
    return value


@contextlib.contextmanager
def open_h5(
    source: Source,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_expansion: float = DEFAULT_MAX_EXPANSION,
    name: str | None = None,
) -> Iterator[SafeH5]:
    """Open and check an HDF5 file; the ``with`` block gets a :class:`SafeH5`.

    Raises :class:`UnsafeFileError` if the file is missing, not HDF5, truncated,
    or breaks any of the module's rules.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "w.h5"
        >>> with h5py.File(path, "w") as f:
        ...     f["x"] = np.ones(2)
        >>> with open_h5(path) as h5:
        ...     [(e.path, e.kind, e.shape) for e in h5.entries]
        [('', 'group', None), ('x', 'dataset', (2,))]
    """
    h5 = SafeH5(source, max_bytes=max_bytes, max_expansion=max_expansion, name=name)
    try:
        yield h5
    finally:
        h5.close()


def read_arrays(
    source: Source,
    under: str = "",
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> dict[str, np.ndarray]:
    """Every dataset of a checked HDF5 file (or of one group of it), keyed by path.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "w.h5"
        >>> with h5py.File(path, "w") as f:
        ...     f["optimizer/vars/0"] = np.int32(2)
        ...     f["optimizer/vars/1"] = np.float32(0.001)
        >>> sorted(read_arrays(path, "optimizer"))
        ['optimizer/vars/0', 'optimizer/vars/1']
    """
    with open_h5(source, max_bytes=max_bytes, name=name) as h5:
        return h5.read_arrays(under)


def read_attrs(source: Source, inner: str = "", *, name: str | None = None) -> dict[str, Any]:
    """The decoded attributes of one object of a checked HDF5 file (the root by default).

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "w.h5"
        >>> with h5py.File(path, "w") as f:
        ...     f.attrs["keras_version"] = "3.15.1"
        >>> read_attrs(path)
        {'keras_version': '3.15.1'}
    """
    with open_h5(source, name=name) as h5:
        return h5.attrs(inner)
