"""atomic_write: the target holds the old bytes or the new ones, never a mix, never litter."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rnnlab.saving.atomic import TEMP_NAME_RE, atomic_write, is_temp_name, write_bytes_atomic

ATOMIC_PY = Path(__file__).resolve().parents[2] / "rnnlab" / "saving" / "atomic.py"
OLD = b"old model bytes\x00\x01\x02" * 100


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_writes_a_new_file(tmp_path):
    target = tmp_path / "m.keras"
    with atomic_write(target) as f:
        f.write(b"abc")
    assert target.read_bytes() == b"abc"
    assert _listing(tmp_path) == ["m.keras"]


def test_replaces_an_existing_file_and_keeps_its_permissions(tmp_path):
    target = tmp_path / "m.keras"
    target.write_bytes(OLD)
    target.chmod(0o640)
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert _listing(tmp_path) == ["m.keras"]


def test_text_mode(tmp_path):
    target = tmp_path / "config.json"
    with atomic_write(target, "w", encoding="utf-8") as f:
        f.write('{"é": 1}')
    assert target.read_text(encoding="utf-8") == '{"é": 1}'


def test_failure_mid_write_leaves_old_file_byte_identical_and_no_litter(tmp_path):
    target = tmp_path / "m.keras"
    target.write_bytes(OLD)
    with pytest.raises(RuntimeError, match="injected"), atomic_write(target) as f:
        f.write(b"half of the new")
        f.flush()
        # The temp file exists beside the target while writing, named recognisably.
        temps = [n for n in _listing(tmp_path) if n != "m.keras"]
        assert len(temps) == 1 and is_temp_name(temps[0])
        assert TEMP_NAME_RE.match(temps[0])["target"] == "m.keras"
        raise RuntimeError("injected")
    assert target.read_bytes() == OLD
    assert _listing(tmp_path) == ["m.keras"]


def test_failure_when_no_old_file_leaves_nothing(tmp_path):
    target = tmp_path / "m.keras"
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as f:
        f.write(b"x")
        raise KeyboardInterrupt
    assert _listing(tmp_path) == []


def test_failure_in_fsync_is_cleaned_up(tmp_path, monkeypatch):
    target = tmp_path / "m.keras"
    target.write_bytes(OLD)

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"), atomic_write(target) as f:
        f.write(b"new")
    monkeypatch.undo()
    assert target.read_bytes() == OLD
    assert _listing(tmp_path) == ["m.keras"]


def test_exclusive_mode_refuses_an_existing_target(tmp_path):
    target = tmp_path / "m.keras"
    with atomic_write(target, "xb") as f:
        f.write(b"first")
    with pytest.raises(FileExistsError), atomic_write(target, "xb") as f:
        f.write(b"second")
    assert target.read_bytes() == b"first"
    assert _listing(tmp_path) == ["m.keras"]


@pytest.mark.parametrize("mode", ["ab", "r", "rb+", "w+"])
def test_rejects_other_modes(tmp_path, mode):
    with pytest.raises(ValueError, match="mode"), atomic_write(tmp_path / "x", mode):
        pass


def test_temp_names():
    assert is_temp_name("/some/where/.m.keras.tmp-12-deadbeef")
    assert not is_temp_name("m.keras")
    assert not is_temp_name(".m.keras.tmp-12")
    assert not is_temp_name("m.keras.tmp-12-deadbeef")


def test_sigkill_mid_write_leaves_old_file_and_a_recognisable_temp(tmp_path):
    """A writer killed by SIGKILL cannot clean up: the old file must still be whole,
    and what it left must be recognisable as a temp file (and so ignored by readers)."""
    target = tmp_path / "m.keras"
    target.write_bytes(OLD)
    ready = tmp_path / "ready.flag"
    # Load atomic.py by path: it needs only the standard library, not the rnnlab package.
    script = textwrap.dedent(
        f"""
        import importlib.util, pathlib, time
        spec = importlib.util.spec_from_file_location("atomic", {str(ATOMIC_PY)!r})
        atomic = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(atomic)
        with atomic.atomic_write({str(target)!r}) as f:
            f.write(b"N" * 1_000_000)
            f.flush()
            pathlib.Path({str(ready)!r}).write_text("x")
            time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert proc.poll() is None, "writer exited early"
            assert time.monotonic() < deadline, "writer never got mid-write"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert target.read_bytes() == OLD
    left = [n for n in _listing(tmp_path) if n not in ("m.keras", "ready.flag")]
    assert len(left) == 1
    match = TEMP_NAME_RE.match(left[0])
    assert match and match["target"] == "m.keras" and int(match["pid"]) == proc.pid
    # A later write works and does not trip over the leftover.
    write_bytes_atomic(target, b"after")
    assert target.read_bytes() == b"after"
