"""safe_zip: real .keras archives read; every crafted attack is refused with a clear message."""

from __future__ import annotations

import glob
import io
import stat
import struct
import warnings
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from rnnlab.saving.errors import UnsafeFileError
from rnnlab.saving.safe_zip import _check_name, open_zip, read_member

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"


def _zip(members, *, compression=zipfile.ZIP_STORED, tweak=None) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name"
        with zipfile.ZipFile(buf, "w", compression=compression) as z:
            for name, data in members:
                z.writestr(name, data)
            if tweak:
                tweak(z)
    return buf.getvalue()


def _refused(data: bytes, *match: str, **limits) -> UnsafeFileError:
    with pytest.raises(UnsafeFileError) as info, open_zip(data, **limits) as zf:
        for name in zf.names():
            zf.read(name)
    for m in match:
        assert m in str(info.value), str(info.value)
    return info.value


@pytest.mark.parametrize("name", sorted(Path(p).name for p in glob.glob(str(FIXTURES / "*.keras"))))
def test_real_keras_archives_pass(name):
    with open_zip(FIXTURES / name) as zf:
        assert zf.names() == ["metadata.json", "config.json", "model.weights.h5"]
        assert zf.read_json("metadata.json")["keras_version"] == "3.15.1"
        config = zf.read_json("config.json")
        assert config["class_name"] == "Sequential" and config["module"] == "keras"
        weights = zf.read("model.weights.h5")
        assert len(weights) == zf.size("model.weights.h5")
        with h5py.File(io.BytesIO(weights), "r") as f:
            assert "optimizer" in f


def test_read_member_and_text():
    data = _zip([("a/b.json", '{"x": [1, 2]}'), ("assets/", "")])
    assert read_member(data, "a/b.json") == b'{"x": [1, 2]}'
    with open_zip(data) as zf:
        assert zf.read_json("a/b.json") == {"x": [1, 2]}
        assert zf.read("assets/") == b""


def test_missing_member_is_named():
    with pytest.raises(UnsafeFileError, match=r"'config.json'.*no such member"):
        read_member(_zip([("metadata.json", "{}")]), "config.json")


def test_bad_json_and_utf8():
    with open_zip(_zip([("c.json", "{nope"), ("t.txt", b"\xff\xfe")])) as zf:
        with pytest.raises(UnsafeFileError, match="not valid JSON"):
            zf.read_json("c.json")
        with pytest.raises(UnsafeFileError, match="not UTF-8"):
            zf.read_text("t.txt")


def test_deeply_nested_json_is_an_error_not_a_crash():
    deep = "[" * 100_000 + "]" * 100_000
    with open_zip(_zip([("c.json", deep)])) as zf, pytest.raises(UnsafeFileError, match="JSON"):
        zf.read_json("c.json")


# -- names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, why",
    [
        ("/etc/passwd", "absolute"),
        ("../evil.py", "escapes"),
        ("assets/../../evil", "escapes"),
        ("a\\..\\evil", "backslash"),
        ("C:/Windows/evil", "drive letter"),
        ("c:evil", "drive letter"),
        ("a//b", "empty or '.'"),
        ("./config.json", "empty or '.'"),
    ],
)
def test_escaping_member_names(name, why):
    err = _refused(_zip([(name, "x")]), why)
    assert err.inner == name


def test_name_rules_directly():
    assert _check_name("config.json") is None
    assert _check_name("assets/vocab/") is None
    assert "NUL" in _check_name("a\x00b")
    assert "empty" in _check_name("")


def test_duplicate_names():
    _refused(_zip([("config.json", "{}"), ("config.json", '{"evil": 1}')]), "duplicate")


def test_symlink_member():
    info = zipfile.ZipInfo("model.weights.h5")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(info, "/etc/passwd")
    _refused(buf.getvalue(), "symbolic-link")


def test_encrypted_member():
    data = bytearray(_zip([("config.json", "{}")]))
    at = _central_entry(bytes(data), b"config.json")
    struct.pack_into("<H", data, at + 8, struct.unpack_from("<H", data, at + 8)[0] | 0x1)
    _refused(bytes(data), "encrypted")


def test_unsupported_compression():
    _refused(_zip([("config.json", "{}" * 10)], compression=zipfile.ZIP_BZIP2), "compression")


# -- sizes -------------------------------------------------------------------------


def test_zip_bomb_by_ratio():
    data = _zip([("model.weights.h5", b"\0" * (20 << 20))], compression=zipfile.ZIP_DEFLATED)
    assert len(data) < 100_000
    _refused(data, "'model.weights.h5'", "ratio above")


def test_zip_bomb_by_total():
    members = [(f"m{i}", b"\0" * (1 << 20)) for i in range(30)]
    data = _zip(members, compression=zipfile.ZIP_DEFLATED)  # 30 MiB from ~30 KiB
    _refused(data, "in all")


def test_absolute_caps():
    data = _zip([("a", b"x" * 1000)])
    _refused(data, "more than the limit of 100", max_member_bytes=100)
    _refused(_zip([("a", "1"), ("b", "2"), ("c", "3")]), "3 members", max_members=2)
    with open_zip(data) as zf, pytest.raises(UnsafeFileError, match="cap of 10"):
        zf.read("a", max_bytes=10)


def _central_entry(data: bytes, name: bytes) -> int:
    """Offset of a member's central-directory header."""
    at = 0
    while True:
        at = data.index(b"PK\x01\x02", at)
        n = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + n] == name:
            break
        at += 4
    return at


def _patch_central_sizes(data: bytes, name: bytes, *, file_size=None, compress_size=None):
    """Rewrite a member's sizes in the central directory (what zipfile trusts)."""
    at = _central_entry(data, name)
    out = bytearray(data)
    if compress_size is not None:
        struct.pack_into("<I", out, at + 20, compress_size)
    if file_size is not None:
        struct.pack_into("<I", out, at + 24, file_size)
    return bytes(out)


def test_header_claims_a_huge_stored_member():
    data = _patch_central_sizes(_zip([("w.h5", b"x" * 100)]), b"w.h5", file_size=0xFFFFFFF0)
    _refused(data, "'w.h5'")


def test_header_understates_a_deflated_member():
    """The reader stops at the declared size; the CRC then shows the data was cut."""
    real = np.random.default_rng(0).bytes(5000)
    data = _zip([("w.h5", real)], compression=zipfile.ZIP_DEFLATED)
    data = _patch_central_sizes(data, b"w.h5", file_size=10)
    _refused(data, "'w.h5'", "corrupt")


def test_overlapping_members():
    def alias(z):  # the second entry points at the first one's bytes
        z.filelist[1].header_offset = z.filelist[0].header_offset

    data = _zip([("a", "x" * 50), ("b", "y" * 50)], tweak=alias)
    _refused(data, "overlaps")


# -- not a zip at all ------------------------------------------------------------------


def test_nonexistent(tmp_path):
    err = _refused(tmp_path / "missing.keras", "no such file")
    assert str(tmp_path / "missing.keras") in str(err)


def test_directory(tmp_path):
    _refused(tmp_path, "cannot be read")


def test_empty():
    _refused(b"", "empty file")


def test_random_bytes():
    _refused(np.random.default_rng(0).bytes(4096), "not a zip")


def test_an_hdf5_file():
    _refused((FIXTURES / "basic_rnn.weights.h5").read_bytes(), "HDF5 file")


@pytest.mark.parametrize("cut", [10, 0.5, -10, -1])
def test_truncated(cut):
    data = (FIXTURES / "basic_rnn.keras").read_bytes()
    n = int(len(data) * cut) if isinstance(cut, float) else cut
    _refused(data[:n], "truncated")


def test_corrupt_member_data():
    data = bytearray(_zip([("config.json", "{}" * 100)]))
    at = data.index(b"{}{}")
    data[at] = ord("[")  # same size, wrong CRC
    _refused(bytes(data), "'config.json'", "corrupt")
