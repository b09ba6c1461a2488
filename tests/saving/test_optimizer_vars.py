"""Optimizer state in ``.weights.h5``: Optax leaves <-> Keras 3's ``optimizer/vars``.

Round trips are bit for bit (continuing after a load equals never stopping); from Keras's
``opt_*`` fixtures the slots land in the right Optax leaves and one more epoch reaches
``_next.npz`` within the tolerance each optimizer's math allows (see ``TOLERANCE``).
"""

from __future__ import annotations

import io
import pathlib

import h5py
import jax
import numpy as np
import pytest

import rnnlab as keras
from rnnlab import layers as L
from rnnlab import optimizers as O
from rnnlab.saving import optimizer_vars as ov
from rnnlab.saving.weights import write_weights

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "keras"

OPTIMIZERS = {
    "adam": lambda: O.Adam(1e-3),
    "adam_amsgrad": lambda: O.Adam(1e-3, amsgrad=True),
    "adamw": lambda: O.AdamW(1e-3, weight_decay=0.004),
    "adamax": lambda: O.Adamax(2e-3),
    "nadam": lambda: O.Nadam(2e-3),
    "sgd": lambda: O.SGD(0.01),
    "sgd_momentum": lambda: O.SGD(0.01, momentum=0.9),
    "sgd_nesterov": lambda: O.SGD(0.01, momentum=0.9, nesterov=True),
    "rmsprop": lambda: O.RMSprop(1e-3),
    "rmsprop_centered": lambda: O.RMSprop(1e-3, momentum=0.9, centered=True),
    "adagrad": lambda: O.Adagrad(0.01),
}


def small(frozen: bool = False) -> keras.Sequential:
    model = keras.Sequential(
        [
            L.SimpleRNN(3, return_sequences=True, input_shape=(None, 2), name="rnn"),
            L.GRU(2, name="gru"),
            L.Dense(2, name="out"),
        ]
    )
    model.layers[1].trainable = not frozen
    return model


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(32, 6, 2)).astype(np.float32), rng.normal(size=(32, 2)).astype(
        np.float32
    )


def _same_tree(a, b):
    la, ta = jax.tree.flatten(a)
    lb, tb = jax.tree.flatten(b)
    assert ta == tb
    for u, v in zip(la, lb, strict=True):
        assert np.asarray(u).dtype == np.asarray(v).dtype
        assert np.asarray(u).tobytes() == np.asarray(v).tobytes()


ROUND_TRIPS = [(name, False) for name in sorted(OPTIMIZERS)] + [
    (name, True) for name in ("adam_amsgrad", "sgd_momentum", "rmsprop_centered")
]


@pytest.mark.parametrize("opt, frozen", ROUND_TRIPS)
def test_round_trip_then_continue_bit_for_bit(opt, frozen, data, tmp_path):
    # frozen: the trainer wraps the transformation in optax.multi_transform (nested state).
    # One model (one compiled epoch): trained, saved, trained on as the reference, then
    # its whole state read back from the file and trained on again.
    x, y = data
    a = small(frozen)
    a.compile(optimizer=OPTIMIZERS[opt](), loss="mse")
    a.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    a.save_weights(tmp_path / "a.weights.h5")
    saved_state = jax.tree.map(np.array, a.optimizer.state)
    a.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    never_stopped = (a.get_weights(), jax.tree.map(np.array, a.optimizer.state))
    a.load_weights(tmp_path / "a.weights.h5")
    _same_tree(a.optimizer.state, saved_state)
    assert int(a.optimizer.iterations) == 2
    a.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    for u, v in zip(a.get_weights(), never_stopped[0], strict=True):
        assert u.tobytes() == v.tobytes()
    _same_tree(a.optimizer.state, never_stopped[1])


def test_uncompiled_or_untrained_models_write_no_optimizer(tmp_path):
    model = small()
    model.save_weights(tmp_path / "w.weights.h5")
    model.compile(optimizer="adam", loss="mse")
    model.save_weights(tmp_path / "c.weights.h5")
    for name in ("w", "c"):
        with h5py.File(tmp_path / f"{name}.weights.h5") as f:
            assert "optimizer" not in f


def test_other_optimizer_in_file_warns_and_keeps_fresh_state(data, tmp_path):
    x, y = data
    a = small()
    a.compile(optimizer=O.Adam(), loss="mse")
    a.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    a.save_weights(tmp_path / "a.weights.h5")
    b = small()
    b.compile(optimizer=O.RMSprop(), loss="mse")
    with pytest.warns(
        UserWarning, match=r"skipping the optimizer state .*\(adam, 18 variables\): .*RMSprop"
    ):
        b.load_weights(tmp_path / "a.weights.h5")
    assert b.optimizer.state is None
    for u, v in zip(a.get_weights(), b.get_weights(), strict=True):
        assert u.tobytes() == v.tobytes()  # the weights still came


def test_keras_order_of_slots():
    layout = ov.keras_layout(O.RMSprop(momentum=0.9, centered=True), 2)
    assert [(s.field, s.var) for s in layout.slots] == [
        ("nu", 0),
        ("nu", 1),
        ("trace", 0),
        ("trace", 1),
        ("mu", 0),
        ("mu", 1),
    ]
    assert ov.keras_layout(O.Nadam(), 1).count == 5  # iterations, lr, m, v, u_product
    assert ov.keras_layout(O.SGD(), 3).count == 2
    assert ov.keras_layout(O.OptaxOptimizer.__new__(O.OptaxOptimizer), 1) is None


def test_nadam_u_product_matches_keras():
    with h5py.File(io.BytesIO(_member("opt_nadam.keras"))) as f:
        assert ov.u_product(O.Nadam(), 2).tobytes() == f["optimizer/vars/6"][()].tobytes()


def _member(name: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(FIXTURES / name) as z:
        return z.read("model.weights.h5")


# Keras -> rnnlab, one more epoch (2 steps) against Keras's own: (weights, optimizer vars).
# Exact-math optimizers agree to float32 noise; the others differ as documented.
TOLERANCE = {
    "opt_sgd_nesterov": (1e-7, 1e-7),  # measured 2e-10 / 5e-10
    "opt_rmsprop_centered": (1e-6, 1e-7),  # 3e-8 / 4e-9
    "opt_adagrad": (1e-7, 1e-7),  # 0 / 0
    "opt_adamw": (1e-5, 1e-7),  # 3e-7 / 7e-9 (Adam's epsilon placement)
    "opt_adamax": (1e-6, 1e-7),  # 0 / 4e-9 (epsilon inside Optax's max)
    # amsgrad: the first step after loading is exact; the second uses Optax's
    # bias-corrected maximum: measured 9e-5 / 2.7e-5 (v-hat).
    "opt_adam_amsgrad": (2e-4, 5e-5),
    # Nadam: Optax's nadam is another algorithm (no momentum schedule): 1.4e-3 / 1.6e-4.
    "opt_nadam": (3e-3, 5e-4),
}
FIXTURE_OPTIMIZER = {
    "opt_sgd_nesterov": OPTIMIZERS["sgd_nesterov"],
    "opt_rmsprop_centered": OPTIMIZERS["rmsprop_centered"],
    "opt_adagrad": OPTIMIZERS["adagrad"],
    "opt_adamw": OPTIMIZERS["adamw"],
    "opt_adamax": OPTIMIZERS["adamax"],
    "opt_adam_amsgrad": OPTIMIZERS["adam_amsgrad"],
    "opt_nadam": OPTIMIZERS["nadam"],
}


@pytest.mark.parametrize("name", sorted(TOLERANCE))
def test_keras_optimizer_state_continues(name):
    model = keras.Sequential([L.Dense(2, input_shape=(12,))])
    model.compile(optimizer=FIXTURE_OPTIMIZER[name](), loss="mse")
    model.load_weights(FIXTURES / f"{name}.keras")
    x, y = np.load(FIXTURES / f"{name}_x.npy"), np.load(FIXTURES / f"{name}_y.npy")
    np.testing.assert_allclose(model.predict(x), y, atol=1e-5, rtol=0)
    # The slots landed in the right leaves: writing them back gives Keras's values.
    loaded = _written(model)
    with h5py.File(io.BytesIO(_member(f"{name}.keras"))) as f:
        for key in loaded:
            if key.startswith("optimizer/"):
                np.testing.assert_allclose(loaded[key], f[key][()], rtol=1e-6, atol=1e-12)
    train = np.load(FIXTURES / f"{name}_train.npz")
    model.fit(train["x"], train["y"], epochs=1, batch_size=16, shuffle=False, verbose=0)
    got, want = _written(model), np.load(FIXTURES / f"{name}_next.npz")
    assert sorted(k for k in got if not k.startswith("rnnlab_")) == sorted(want.files)
    tol_weights, tol_slots = TOLERANCE[name]
    for key in want.files:
        tol = tol_weights if key.startswith("layers/") else tol_slots
        np.testing.assert_allclose(got[key], want[key], atol=tol, rtol=0, err_msg=key)


def _written(model) -> dict[str, np.ndarray]:
    buf = io.BytesIO()
    out: dict[str, np.ndarray] = {}
    with h5py.File(buf, "w") as f:
        write_weights(f, model, include_optimizer=True)
        f.visititems(
            lambda k, v: out.__setitem__(k, v[()]) if isinstance(v, h5py.Dataset) else None
        )
    return out
