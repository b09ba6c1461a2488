"""Subprocess side of tests/test_distribution.py: runs that need their own JAX start.

``python tests/distribution_worker.py devices OUT.json`` (with ``RNNLAB_CPU_DEVICES=3``):
the chapter-style LSTM and GRU trained on one device, on two of the three CPU devices
and (LSTM) on all three, where batch 32 is padded to 33; then one device again after
``set_distribution(None)``; then an Ensemble of 3 replicas on one device and split over
two (padded to 4), with and without a callback.

``python tests/distribution_worker.py multihost PORT N PID OUT.json``: process ``PID`` of
``N`` on localhost trains the LSTM on its part of the same data (CPU collectives, gloo).
"""

from __future__ import annotations

import json
import sys
from typing import Any

N_SERIES, STEPS, EPOCHS, BATCH = 256, 20, 3, 32


def chapter_data() -> tuple[Any, ...]:
    """The chapter's sine-wave series: 10-step forecasts, train and validation."""
    import numpy as np

    rng = np.random.default_rng(42)
    n = N_SERIES + 64
    freq1, freq2, off1, off2 = rng.random((4, n, 1))
    t = np.linspace(0, 1, STEPS + 10)
    s = 0.5 * np.sin((t - off1) * (freq1 * 10 + 10)) + 0.2 * np.sin((t - off2) * (freq2 * 20 + 20))
    s = (s + 0.1 * (rng.random((n, STEPS + 10)) - 0.5))[..., None].astype(np.float32)
    x, y = s[:, :STEPS], s[:, -10:, 0]
    return x[:N_SERIES], y[:N_SERIES], x[N_SERIES:], y[N_SERIES:]


def train(kind: str, dp: Any, parts: tuple[Any, ...] | None = None) -> dict[str, Any]:
    """Fit the chapter's 2-layer ``kind`` network from seed 0 under distribution ``dp``."""
    import jax
    import numpy as np

    import rnnlab as keras

    x, y, xv, yv = parts or chapter_data()
    keras.utils.set_random_seed(0)
    layer = getattr(keras.layers, kind)
    model = keras.models.Sequential(
        [
            layer(20, return_sequences=True, input_shape=[None, 1]),
            layer(20),
            keras.layers.Dense(10),
        ]
    )
    model.compile("adam", "mse")
    seen: list[list[int]] = []

    class WhereWeightsLive(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            leaf = jax.tree.leaves(self.model.train_state.params)[0]
            seen.append(sorted(d.id for d in leaf.sharding.device_set))

    keras.distribution.set_distribution(dp)
    history = model.fit(
        x, y, epochs=EPOCHS, batch_size=BATCH, validation_data=(xv, yv), verbose=0,
        callbacks=[WhereWeightsLive()],
    )  # fmt: skip
    out = {
        "history": history.history,
        "weights": [np.asarray(w).tolist() for w in model.get_weights()],
        "evaluate": model.evaluate(xv, yv),
        "predict": model.predict(xv[:7]).tolist(),
        "devices_during_fit": seen,
        "devices_after_fit": sorted(
            d.id for d in jax.tree.leaves(model.train_state.params)[0].sharding.device_set
        ),
    }
    keras.distribution.set_distribution(None)
    return out


def ensemble(dp: Any, synced: bool) -> dict[str, Any]:
    """3 replicas of a small GRU model (dropout, shuffling) under distribution ``dp``;
    ``synced``: with a callback, so states go to the models and back every epoch."""
    import numpy as np

    import rnnlab as keras
    from rnnlab.parallel import Ensemble

    x, y, xv, yv = chapter_data()

    def build() -> Any:
        return keras.models.Sequential(
            [keras.layers.GRU(8, input_shape=[None, 1], dropout=0.1), keras.layers.Dense(10)]
        )

    keras.distribution.set_distribution(dp)
    ens = Ensemble(build, seeds=[0, 1, 2])
    ens.compile("adam", "mse", learning_rate=[1e-3, 3e-3, 1e-2])
    callbacks = [keras.callbacks.Callback()] if synced else None
    ens.fit(x, y, epochs=2, batch_size=BATCH, validation_data=(xv, yv), callbacks=callbacks)
    keras.distribution.set_distribution(None)
    leaf = ens.models[2].params[ens.models[2].layers[0].name]["kernel"]
    return {
        "histories": [h.history for h in ens.histories],
        "weights": [[np.asarray(w).tolist() for w in m.get_weights()] for m in ens.models],
        "devices": [d.id for d in ens.devices],
        "devices_after_fit": sorted(d.id for d in leaf.sharding.device_set),
    }


def devices(path: str) -> None:
    import jax

    import rnnlab as keras

    dist = keras.distribution
    results: dict[str, Any] = {"device_count": jax.device_count()}
    for kind in ("LSTM", "GRU"):
        results[f"{kind}/one"] = train(kind, None)
        results[f"{kind}/two"] = train(kind, dist.DataParallel(devices=["cpu:0", "cpu:2"]))
    results["LSTM/three"] = train("LSTM", dist.DataParallel())  # 32 = 3 x 11 - 1 padding
    results["LSTM/one-again"] = train("LSTM", None)
    for synced in (False, True):
        results[f"ensemble/one/{synced}"] = ensemble(None, synced)
        results[f"ensemble/split/{synced}"] = ensemble(
            dist.DataParallel(devices=["cpu:0", "cpu:2"]), synced
        )
    with open(path, "w") as f:
        json.dump(results, f)


def multihost(port: str, n: str, pid: str, path: str) -> None:
    import numpy as np

    import rnnlab as keras

    keras.distribution.initialize(f"localhost:{port}", int(n), int(pid))
    x, y, xv, yv = chapter_data()
    mine = np.array_split(np.arange(len(x)), int(n))[int(pid)]
    val = np.array_split(np.arange(len(xv)), int(n))[int(pid)]
    out = train("LSTM", keras.distribution.DataParallel(), (x[mine], y[mine], xv[val], yv[val]))
    with open(path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    {"devices": devices, "multihost": multihost}[sys.argv[1]](*sys.argv[2:])
