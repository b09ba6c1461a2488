"""safe_h5: real Keras files read; every crafted attack is refused with a clear message."""

from __future__ import annotations

import glob
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from rnnlab.saving.errors import UnsafeFileError
from rnnlab.saving.safe_h5 import open_h5, read_arrays, read_attrs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"


def _good(path: Path) -> Path:
    with h5py.File(path, "w") as f:
        f["layers/dense/vars/0"] = np.arange(6, dtype="float32").reshape(2, 3)
        f["layers/dense/vars/1"] = np.zeros(3, "float32")
        f["layers/dense/vars"].attrs["name"] = "dense"
        f["optimizer/vars/0"] = np.int32(5)
    return path


def test_reads_every_dataset_by_path(tmp_path):
    arrays = read_arrays(_good(tmp_path / "w.h5"))
    assert sorted(arrays) == ["layers/dense/vars/0", "layers/dense/vars/1", "optimizer/vars/0"]
    np.testing.assert_array_equal(arrays["layers/dense/vars/0"], np.arange(6).reshape(2, 3))
    assert arrays["optimizer/vars/0"].dtype == np.int32 and arrays["optimizer/vars/0"] == 5


def test_reads_from_bytes_and_under_a_group(tmp_path):
    data = _good(tmp_path / "w.h5").read_bytes()
    assert sorted(read_arrays(data, "optimizer")) == ["optimizer/vars/0"]
    with open_h5(data) as h5:
        assert h5.attrs("layers/dense/vars") == {"name": "dense"}
        kinds = {e.path: e.kind for e in h5.entries}
        assert kinds["layers"] == "group" and kinds["optimizer/vars/0"] == "dataset"


def test_unknown_inner_path_names_it(tmp_path):
    with pytest.raises(UnsafeFileError, match=r"'nope'.*no such object"):
        read_arrays(_good(tmp_path / "w.h5"), "nope")


@pytest.mark.parametrize("name", sorted(Path(p).name for p in glob.glob(str(FIXTURES / "*.h5"))))
def test_real_keras_h5_files_pass(name):
    with open_h5(FIXTURES / name) as h5:
        arrays = h5.read_arrays()
        assert arrays and all(a.dtype.kind in "fi" for a in arrays.values())
        if name.endswith(".weights.h5"):
            assert h5.attrs("vars") == {"name": "sequential"}
        else:  # legacy whole-model file
            root = h5.attrs()
            assert root["keras_version"] == "3.15.1" and root["backend"] == "jax"
            assert root["model_config"].startswith('{"class_name": "Sequential"')
            assert "layer_names" in h5.attrs("model_weights")


@pytest.mark.parametrize("name", sorted(Path(p).name for p in glob.glob(str(FIXTURES / "*.keras"))))
def test_weights_inside_real_keras_archives_pass(name):
    data = zipfile.ZipFile(FIXTURES / name).read("model.weights.h5")
    arrays = read_arrays(data, name=f"{name}/model.weights.h5")
    assert arrays["optimizer/vars/0"].dtype == np.int32  # iterations
    assert int(arrays["optimizer/vars/0"]) == 2  # one epoch of 32 series, batch 16


# -- attacks ---------------------------------------------------------------------


def _refused(path, *match: str) -> UnsafeFileError:
    with pytest.raises(UnsafeFileError) as info:
        read_arrays(path)
    message = str(info.value)
    assert str(path) in message
    for m in match:
        assert m in message, message
    assert isinstance(info.value, ValueError)
    return info.value


def test_external_link(tmp_path):
    other = _good(tmp_path / "other.h5")
    path = tmp_path / "evil.h5"
    with h5py.File(path, "w") as f:
        f["layers/x"] = h5py.ExternalLink(str(other), "/layers")
    err = _refused(path, "'layers/x'", "external link", "other.h5")
    assert err.inner == "layers/x"


def test_soft_link(tmp_path):
    path = tmp_path / "evil.h5"
    with h5py.File(path, "w") as f:
        f["data"] = np.ones(2)
        f["layers/alias"] = h5py.SoftLink("/data")
        f["layers/dangling"] = h5py.SoftLink("/nowhere")
    _refused(path, "soft link")


def test_hard_link_cycle(tmp_path):
    path = tmp_path / "evil.h5"
    with h5py.File(path, "w") as f:
        g = f.create_group("a")
        g["loop"] = g  # a hard link from the group to itself
    _refused(path, "'a/loop'", "linked more than once")


def test_external_dataset(tmp_path):
    raw = tmp_path / "secret.bin"
    raw.write_bytes(np.arange(10, dtype="float32").tobytes())
    path = tmp_path / "evil.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("layers/w", shape=(10,), dtype="float32", external=[(str(raw), 0, 40)])
    _refused(path, "'layers/w'", "external raw file", "secret.bin")


def test_virtual_dataset(tmp_path):
    src = _good(tmp_path / "src.h5")
    path = tmp_path / "evil.h5"
    layout = h5py.VirtualLayout(shape=(3,), dtype="float32")
    layout[:] = h5py.VirtualSource(str(src), "layers/dense/vars/1", shape=(3,))
    with h5py.File(path, "w") as f:
        f.create_virtual_dataset("layers/v", layout, fillvalue=0)
    _refused(path, "'layers/v'", "virtual dataset")


def test_declared_size_bomb_stays_tiny_on_disk(tmp_path):
    path = tmp_path / "bomb.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset(
            "layers/big",
            shape=(1 << 28,),
            dtype="float32",
            chunks=(1 << 16,),
            compression="gzip",
            fillvalue=0.0,
        )  # 1 GiB declared, no chunk ever written
    assert path.stat().st_size < 100_000
    _refused(path, "'layers/big'", "declares 1073741824 bytes", "limit")


def test_many_moderate_datasets_add_up(tmp_path):
    path = tmp_path / "bomb.h5"
    with h5py.File(path, "w") as f:
        for i in range(40):
            f.create_dataset(
                f"d{i:02d}",
                shape=(1 << 17,),
                dtype="float32",
                chunks=True,
                compression="gzip",
                fillvalue=0.0,
            )  # 512 KiB each, 20 MiB in all
    _refused(path, "in all")


def test_absolute_cap(tmp_path):
    path = _good(tmp_path / "w.h5")
    with pytest.raises(UnsafeFileError, match="limit of 16"):
        read_arrays(path, max_bytes=16)


@pytest.mark.parametrize(
    "dtype, what",
    [
        (h5py.vlen_dtype(np.dtype("float32")), "vlen"),
        (h5py.string_dtype(), "strings"),
        (np.dtype("S8"), "numbers expected"),
        (h5py.ref_dtype, "numbers expected"),
        (np.dtype([("a", "f4"), ("b", "i4")]), "numbers expected"),
        (np.dtype("V4"), "numbers expected"),
    ],
)
def test_non_numeric_datasets(tmp_path, dtype, what):
    path = tmp_path / "evil.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("layers/w", shape=(2,), dtype=dtype)
    _refused(path, "'layers/w'", what)


def test_non_numeric_attribute(tmp_path):
    path = tmp_path / "evil.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.ones(1)
        f.attrs["ref"] = f["x"].ref
    with pytest.raises(UnsafeFileError, match="@ref"):
        read_attrs(path)


def test_unknown_filter(tmp_path):
    """A filter HDF5 does not build in would make it load a plugin from disk."""
    path = tmp_path / "evil.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("w", data=np.ones(64, "float32"), chunks=(64,), compression="lzf")
    # Swap LZF's id (32000) for an unregistered one in the file's filter pipeline message.
    data = path.read_bytes()
    marker = (32000).to_bytes(2, "little")
    assert data.count(marker) >= 1
    path.write_bytes(data.replace(marker, (31999).to_bytes(2, "little")))
    _refused(path, "filter 31999")


# -- not HDF5 at all -----------------------------------------------------------------


def test_nonexistent(tmp_path):
    _refused(tmp_path / "missing.h5", "no such file")


def test_directory(tmp_path):
    _refused(tmp_path, "cannot be read")


def test_empty(tmp_path):
    (tmp_path / "e.h5").write_bytes(b"")
    _refused(tmp_path / "e.h5", "empty file")


def test_random_bytes(tmp_path):
    (tmp_path / "r.h5").write_bytes(np.random.default_rng(0).bytes(4096))
    _refused(tmp_path / "r.h5", "not an HDF5 file")


def test_a_zip(tmp_path):
    path = tmp_path / "m.h5"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", "{}")
    _refused(path, "zip archive")


@pytest.mark.parametrize("keep", [8, 100, 0.5, 0.9])
def test_truncated(tmp_path, keep):
    data = (FIXTURES / "lstm.weights.h5").read_bytes()
    cut = keep if isinstance(keep, int) else int(len(data) * keep)
    path = tmp_path / "t.h5"
    path.write_bytes(data[:cut])
    _refused(path, "truncated")
