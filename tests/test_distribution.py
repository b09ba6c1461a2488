"""Data parallelism (rnnlab.distribution): several devices and hosts train as one device.

Runs that need a JAX of their own (more CPU devices, a distributed runtime) go through
tests/distribution_worker.py in subprocesses; the device-count run is shared by the
tests that read it (once per session, whichever xdist worker gets there first).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import jax
import numpy as np
import pytest

import rnnlab as keras
from rnnlab.distribution import DataParallel, set_distribution, use_cpu_devices

WORKER = Path(__file__).with_name("distribution_worker.py")
REPO = WORKER.parent.parent
RTOL, ATOL = 1e-4, 1e-5  # sums over the batch in another order: float32 rounding only


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "RNNLAB_CPU_DEVICES"}
    # the suite's compile flags (tests/conftest.py) stay; a device count set by hand goes
    flags = env.pop("XLA_FLAGS", "").split()
    env["XLA_FLAGS"] = " ".join(f for f in flags if "device_count" not in f)
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def _worker(*args: str, timeout: int = 180, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(WORKER), *args],
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def devices_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> dict[str, Any]:
    """The worker's ``devices`` run (3 CPU devices from RNNLAB_CPU_DEVICES), once."""
    root = tmp_path_factory.getbasetemp()
    root = root if worker_id == "master" else root.parent
    out = root / "distribution-devices.json"
    with open(root / "distribution-devices.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.is_file():
            proc = _worker("devices", str(out), RNNLAB_CPU_DEVICES="3")
            assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(out.read_text())


def _same_training(a: dict[str, Any], b: dict[str, Any]) -> None:
    for name in ("loss", "val_loss"):
        np.testing.assert_allclose(a["history"][name], b["history"][name], rtol=RTOL, atol=ATOL)
    assert len(a["weights"]) == len(b["weights"])
    for wa, wb in zip(a["weights"], b["weights"], strict=True):
        np.testing.assert_allclose(wa, wb, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(a["evaluate"], b["evaluate"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(a["predict"], b["predict"], rtol=RTOL, atol=ATOL)


def test_the_environment_variable_gives_the_cpu_devices(devices_run):
    assert devices_run["device_count"] == 3


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_two_cpu_devices_train_as_one(devices_run, kind):
    one, two = devices_run[f"{kind}/one"], devices_run[f"{kind}/two"]
    _same_training(one, two)
    # devices= a subset: the weights lived on cpu:0 and cpu:2 while training, and
    # come back to one device after fit, as without a distribution
    assert two["devices_during_fit"] == [[0, 2]] * 3
    assert two["devices_after_fit"] == [0]
    assert one["devices_during_fit"] == [[0]] * 3


def test_a_batch_not_divisible_by_the_devices_is_padded_with_weight_zero(devices_run):
    # batch 32 over 3 devices: padded to 33 with one weight-0 sample, the same training
    three = devices_run["LSTM/three"]
    assert three["devices_during_fit"] == [[0, 1, 2]] * 3
    _same_training(devices_run["LSTM/one"], three)


def test_set_distribution_none_restores_the_single_device_path(devices_run):
    again, one = devices_run["LSTM/one-again"], devices_run["LSTM/one"]
    assert again["devices_during_fit"] == [[0]] * 3
    assert again["history"] == one["history"]  # bit for bit, not within tolerance
    assert again["weights"] == one["weights"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_two_processes_on_localhost_train_as_one_process_on_all_the_data(devices_run, tmp_path):
    port, outs = str(_free_port()), [tmp_path / f"p{i}.json" for i in range(2)]
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "multihost", port, "2", str(i), str(outs[i])],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    try:
        errors = [p.communicate(timeout=120)[1] for p in procs]
    finally:
        for p in procs:
            p.kill()
    for p, err in zip(procs, errors, strict=True):
        assert p.returncode == 0, err[-3000:]
    first, second = (json.loads(o.read_text()) for o in outs)
    # each process fed half the series; the result is one process's on all of them
    _same_training(devices_run["LSTM/one"], first)
    assert first["weights"] == second["weights"]
    assert first["history"] == second["history"]


def test_use_cpu_devices_after_jax_started_says_what_to_do():
    have = len(jax.devices("cpu"))  # JAX has started here
    use_cpu_devices(have)  # the count it has: nothing to do
    message = (
        f"use_cpu_devices({have + 1}): JAX has already started with {have} CPU device(s), "
        "and its device count cannot change once it has started. Call "
        f"rnnlab.distribution.use_cpu_devices({have + 1}) before anything runs in JAX (right "
        f"after `import rnnlab`), or set RNNLAB_CPU_DEVICES={have + 1} in the environment "
        "before starting Python."
    )
    with pytest.raises(RuntimeError, match=f"^{re.escape(message)}$"):
        use_cpu_devices(have + 1)
    with pytest.raises(ValueError, match="n must be a positive int, got 0"):
        use_cpu_devices(0)


def test_use_cpu_devices_before_jax_starts():
    code = "import rnnlab as k; k.distribution.use_cpu_devices(2); import jax; print(jax.devices())"
    proc = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("CpuDevice") == 2


def test_bad_devices_and_distributions_are_named():
    with pytest.raises(ValueError, match=r"no device 'cpu:99'; this job has \['cpu:0'"):
        DataParallel(devices=["cpu:99"])
    with pytest.raises(ValueError, match="devices is empty"):
        DataParallel(devices=[])
    with pytest.raises(ValueError, match="a name like 'cpu:0'"):
        DataParallel(devices=[3])
    with pytest.raises(TypeError, match=r"expected a rnnlab\.distribution\.DataParallel or None"):
        set_distribution("data_parallel")
    with pytest.raises(ValueError, match=r"process_id must be in \[0, num_processes=2\), got 2"):
        keras.distribution.initialize("localhost:1234", num_processes=2, process_id=2)


def test_a_one_device_distribution_in_process_equals_none():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 3)).astype(np.float32), rng.normal(size=(40, 2)).astype(np.float32)

    def run(dp: DataParallel | None) -> tuple[Any, ...]:
        keras.utils.set_random_seed(1)
        m = keras.models.Sequential([keras.layers.Dense(2, input_shape=(3,))])
        m.compile("adam", "mse")
        set_distribution(dp)
        try:
            h = m.fit(x, y, batch_size=7, epochs=2, verbose=0)
            return h.history["loss"], m.get_weights(), m.evaluate(x, y), m.predict(x[:3])
        finally:
            set_distribution(None)

    plain, dp = run(None), run(DataParallel(devices=keras.distribution.list_devices()[:1]))
    np.testing.assert_allclose(plain[0], dp[0], rtol=RTOL)
    for a, b in zip(plain[1], dp[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(plain[2], dp[2], rtol=RTOL)
    np.testing.assert_allclose(plain[3], dp[3], rtol=RTOL, atol=ATOL)
    assert keras.distribution.distribution() is None


def test_initialize_after_jax_started_says_what_to_do():
    jax.devices()  # JAX has started in this process
    message = (
        "initialize: JAX has already started in this process; call "
        "rnnlab.distribution.initialize(...) first, before any array is created or function "
        "compiled (right after `import rnnlab`)"
    )
    with pytest.raises(RuntimeError, match=f"^{re.escape(message)}$"):
        keras.distribution.initialize("localhost:1234", num_processes=2, process_id=0)


def test_a_device_jax_lacks_says_how_to_get_more():
    have = keras.distribution.list_devices()
    missing = f"cpu:{len(jax.devices('cpu'))}"
    message = (
        f"DataParallel: no device {missing!r}; this job has {have}. On a CPU, more devices "
        "come from rnnlab.distribution.use_cpu_devices(n) before JAX starts"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        DataParallel(devices=[*have, missing])


def test_a_bad_device_count_in_the_environment_is_named():
    proc = subprocess.run(
        [sys.executable, "-c", "import rnnlab"],
        env=_env(RNNLAB_CPU_DEVICES="two"),
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert (
        last == "ValueError: RNNLAB_CPU_DEVICES must be a positive integer (CPU devices), got 'two'"
    )


def test_the_batch_rule_is_documented_where_users_look():
    # the rule the padding test above checks, in the docstring and in docs/distribution.md
    assert "padded with weight-0 samples up to the next" in " ".join(DataParallel.__doc__.split())
    doc = " ".join((REPO / "docs" / "distribution.md").read_text().split())
    assert (
        "A batch whose size does not divide by the device count is **padded, not refused**" in doc
    )
    assert "test_a_batch_not_divisible_by_the_devices_is_padded_with_weight_zero" in doc


@pytest.mark.parametrize("synced", [False, True], ids=["no-callbacks", "callbacks"])
def test_ensemble_replicas_split_over_two_devices_train_as_on_one(devices_run, synced):
    one, split = devices_run[f"ensemble/one/{synced}"], devices_run[f"ensemble/split/{synced}"]
    assert one["devices"] == [0]
    assert split["devices"] == [0, 2]  # 3 replicas padded to 4, two per device
    assert split["devices_after_fit"] == [0]  # the models hold their weights at home
    for ha, hb in zip(one["histories"], split["histories"], strict=True):
        for name in ("loss", "val_loss"):
            np.testing.assert_allclose(ha[name], hb[name], rtol=RTOL, atol=ATOL)
    for wa, wb in zip(one["weights"], split["weights"], strict=True):
        for a, b in zip(wa, wb, strict=True):
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    # the replicas differ (seeds, learning rates): equality above is not trivial
    assert one["histories"][0]["loss"] != one["histories"][2]["loss"]
