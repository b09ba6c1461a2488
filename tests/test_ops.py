"""keras.ops and keras.activations: eagerly, under jit and on symbolic tensors of a
functional model, each against NumPy; KerasTensor operators and slicing; what an
operation node keeps for the savers, against the operations real Keras wrote
(tests/fixtures/keras/functional/func_ops.config.json); bad shapes at graph-building time."""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from pathlib import Path

import h5py
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rnnlab as keras
from rnnlab.layers.symbolic import is_symbolic

K = keras.ops
erf = np.vectorize(math.erf, otypes=[np.float64])
RNG = np.random.default_rng(0)
XA = RNG.normal(size=(5, 3, 4)).astype(np.float32)
XB = RNG.normal(size=(5, 3, 4)).astype(np.float32)
XB[..., 0] = XA[..., 0]  # some equal entries for equal / not_equal
XP = RNG.uniform(0.5, 2.0, size=(5, 3, 4)).astype(np.float32)  # positive: sqrt, log, power
W = RNG.normal(size=(4, 2)).astype(np.float32)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


_SELU = (1.6732632423543772, 1.0507009873554805)

# (id, f(a, b, p) written with keras.ops / operators, NumPy reference on the same arrays)
CASES = [
    ("add", lambda a, b, p: K.add(a, b), lambda a, b, p: a + b),
    ("add_scalar", lambda a, b, p: K.add(a, 1.5), lambda a, b, p: a + 1.5),
    ("subtract", lambda a, b, p: K.subtract(a, b), lambda a, b, p: a - b),
    ("multiply", lambda a, b, p: K.multiply(a, b), lambda a, b, p: a * b),
    ("divide", lambda a, b, p: K.divide(a, p), lambda a, b, p: a / p),
    ("true_divide", lambda a, b, p: K.true_divide(a, p), lambda a, b, p: a / p),
    ("negative", lambda a, b, p: K.negative(a), lambda a, b, p: -a),
    ("abs", lambda a, b, p: K.abs(a), lambda a, b, p: np.abs(a)),
    ("square", lambda a, b, p: K.square(a), lambda a, b, p: a * a),
    ("sqrt", lambda a, b, p: K.sqrt(p), lambda a, b, p: np.sqrt(p)),
    ("exp", lambda a, b, p: K.exp(a), lambda a, b, p: np.exp(a)),
    ("log", lambda a, b, p: K.log(p), lambda a, b, p: np.log(p)),
    ("power", lambda a, b, p: K.power(p, b), lambda a, b, p: p**b),
    ("maximum", lambda a, b, p: K.maximum(a, b), lambda a, b, p: np.maximum(a, b)),
    ("minimum", lambda a, b, p: K.minimum(a, 0.0), lambda a, b, p: np.minimum(a, 0.0)),
    ("clip", lambda a, b, p: K.clip(a, -0.5, 0.5), lambda a, b, p: np.clip(a, -0.5, 0.5)),
    (
        "matmul",
        lambda a, b, p: K.matmul(a, K.transpose(b, (0, 2, 1))),
        lambda a, b, p: np.einsum("bik,bjk->bij", a, b),
    ),
    ("dot", lambda a, b, p: K.dot(a, W), lambda a, b, p: np.dot(a, W)),
    (
        "einsum",
        lambda a, b, p: K.einsum("btf,btf->bt", a, b),
        lambda a, b, p: (a * b).sum(-1),
    ),
    ("tanh", lambda a, b, p: K.tanh(a), lambda a, b, p: np.tanh(a)),
    ("sigmoid", lambda a, b, p: K.sigmoid(a), lambda a, b, p: _sigmoid(a)),
    ("relu", lambda a, b, p: K.relu(a), lambda a, b, p: np.maximum(a, 0)),
    ("relu6", lambda a, b, p: K.relu6(a * 4), lambda a, b, p: np.clip(a * 4, 0, 6)),
    ("softmax", lambda a, b, p: K.softmax(a), lambda a, b, p: _softmax(a)),
    ("softmax_axis1", lambda a, b, p: K.softmax(a, axis=1), lambda a, b, p: _softmax(a, 1)),
    ("log_softmax", lambda a, b, p: K.log_softmax(a), lambda a, b, p: np.log(_softmax(a))),
    ("softplus", lambda a, b, p: K.softplus(a), lambda a, b, p: np.log1p(np.exp(a))),
    ("softsign", lambda a, b, p: K.softsign(a), lambda a, b, p: a / (1 + np.abs(a))),
    ("silu", lambda a, b, p: K.silu(a), lambda a, b, p: a * _sigmoid(a)),
    (
        "gelu",
        lambda a, b, p: K.gelu(a),
        lambda a, b, p: 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a**3))),
    ),
    (
        "gelu_exact",
        lambda a, b, p: K.gelu(a, approximate=False),
        lambda a, b, p: 0.5 * a * (1 + erf(a / math.sqrt(2))),
    ),
    ("leaky_relu", lambda a, b, p: K.leaky_relu(a), lambda a, b, p: np.where(a > 0, a, 0.2 * a)),
    ("elu", lambda a, b, p: K.elu(a), lambda a, b, p: np.where(a > 0, a, np.expm1(a))),
    (
        "selu",
        lambda a, b, p: K.selu(a),
        lambda a, b, p: _SELU[1] * np.where(a > 0, a, _SELU[0] * np.expm1(a)),
    ),
    (
        "hard_sigmoid",
        lambda a, b, p: K.hard_sigmoid(a * 4),
        lambda a, b, p: np.clip(a * 4 + 3, 0, 6) / 6,
    ),
    ("mean", lambda a, b, p: K.mean(a, axis=1), lambda a, b, p: a.mean(1)),
    (
        "mean_keepdims",
        lambda a, b, p: K.mean(a, axis=-1, keepdims=True),
        lambda a, b, p: a.mean(-1, keepdims=True),
    ),
    ("sum", lambda a, b, p: K.sum(a, axis=(1, 2)), lambda a, b, p: a.sum((1, 2))),
    ("max", lambda a, b, p: K.max(a, axis=1), lambda a, b, p: a.max(1)),
    ("min", lambda a, b, p: K.min(a, axis=-1), lambda a, b, p: a.min(-1)),
    ("prod", lambda a, b, p: K.prod(p, axis=-1), lambda a, b, p: p.prod(-1)),
    ("any", lambda a, b, p: K.any(a > 1.0, axis=-1), lambda a, b, p: (a > 1.0).any(-1)),
    (
        "all_keepdims",
        lambda a, b, p: K.all(a > -1.0, axis=[1], keepdims=True),
        lambda a, b, p: (a > -1.0).all(1, keepdims=True),
    ),
    ("reshape", lambda a, b, p: K.reshape(a, (-1, 12)), lambda a, b, p: a.reshape(-1, 12)),
    ("transpose", lambda a, b, p: K.transpose(a, (0, 2, 1)), lambda a, b, p: a.transpose(0, 2, 1)),
    ("expand_dims", lambda a, b, p: K.expand_dims(a, 1), lambda a, b, p: a[:, None]),
    ("squeeze", lambda a, b, p: K.squeeze(a[:, :1], axis=1), lambda a, b, p: a[:, 0]),
    ("stack", lambda a, b, p: K.stack([a, b], axis=1), lambda a, b, p: np.stack([a, b], 1)),
    (
        "concatenate",
        lambda a, b, p: K.concatenate([a, b], axis=-1),
        lambda a, b, p: np.concatenate([a, b], -1),
    ),
    ("split", lambda a, b, p: K.split(a, 2, axis=-1)[1], lambda a, b, p: a[..., 2:]),
    ("split_at", lambda a, b, p: K.split(a, [1], axis=1)[1], lambda a, b, p: a[:, 1:]),
    (
        "where",
        lambda a, b, p: K.where(K.greater(a, 0.0), a, b),
        lambda a, b, p: np.where(a > 0, a, b),
    ),
    (
        "cast",
        lambda a, b, p: K.cast(K.greater(a, b), "float32"),
        lambda a, b, p: (a > b).astype(np.float32),
    ),
    ("zeros_like", lambda a, b, p: K.zeros_like(a), lambda a, b, p: np.zeros_like(a)),
    ("ones_like", lambda a, b, p: K.ones_like(a), lambda a, b, p: np.ones_like(a)),
    ("take", lambda a, b, p: K.take(a, [2, 0], axis=1), lambda a, b, p: a[:, [2, 0]]),
    (
        "get_item",
        lambda a, b, p: K.get_item(a, (Ellipsis, slice(1, 3))),
        lambda a, b, p: a[..., 1:3],
    ),
    ("greater", lambda a, b, p: K.greater(a, b), lambda a, b, p: a > b),
    ("less_equal", lambda a, b, p: K.less_equal(a, b), lambda a, b, p: a <= b),
    ("equal", lambda a, b, p: K.equal(a, b), lambda a, b, p: a == b),
    ("not_equal", lambda a, b, p: K.not_equal(a, b), lambda a, b, p: a != b),
    ("floor_divide", lambda a, b, p: K.floor_divide(a, p), lambda a, b, p: np.floor(a / p)),
    ("mod", lambda a, b, p: K.mod(a, p), lambda a, b, p: np.mod(a, p)),
    ("stop_gradient", lambda a, b, p: K.stop_gradient(a), lambda a, b, p: a),
    # operators and slicing (on arrays these are jax's own; on KerasTensors, ours)
    ("op_add", lambda a, b, p: a + b, lambda a, b, p: a + b),
    ("op_radd", lambda a, b, p: 1.0 + a, lambda a, b, p: 1.0 + a),
    ("op_sub", lambda a, b, p: a - 1.0, lambda a, b, p: a - 1.0),
    ("op_rsub", lambda a, b, p: 2.0 - a, lambda a, b, p: 2.0 - a),
    ("op_mul", lambda a, b, p: a * b, lambda a, b, p: a * b),
    ("op_rmul_np", lambda a, b, p: np.float32(3.0) * a, lambda a, b, p: 3.0 * a),
    ("op_truediv", lambda a, b, p: a / p, lambda a, b, p: a / p),
    ("op_rtruediv", lambda a, b, p: 1.0 / p, lambda a, b, p: 1.0 / p),
    ("op_pow", lambda a, b, p: a**2, lambda a, b, p: a**2),
    ("op_rpow", lambda a, b, p: 2.0**a, lambda a, b, p: 2.0**a),
    ("op_neg", lambda a, b, p: -a, lambda a, b, p: -a),
    ("op_abs", lambda a, b, p: abs(a), lambda a, b, p: np.abs(a)),
    ("op_matmul", lambda a, b, p: a @ W, lambda a, b, p: a @ W),
    ("op_gt", lambda a, b, p: a > b, lambda a, b, p: a > b),
    ("op_le", lambda a, b, p: a <= 0.0, lambda a, b, p: a <= 0.0),
    ("slice_last", lambda a, b, p: a[..., :2], lambda a, b, p: a[..., :2]),
    ("slice_step", lambda a, b, p: a[:, -1], lambda a, b, p: a[:, -1]),
    ("slice_newaxis", lambda a, b, p: a[:, None, 1:3], lambda a, b, p: a[:, None, 1:3]),
    ("slice_stride", lambda a, b, p: a[:, ::2, 0], lambda a, b, p: a[:, ::2, 0]),
    (
        "gated",
        lambda a, b, p: K.tanh(a[..., :2]) * K.sigmoid(a[..., 2:]),
        lambda a, b, p: np.tanh(a[..., :2]) * _sigmoid(a[..., 2:]),
    ),
]
IDS = [c[0] for c in CASES]


def _close(got, want):
    got = np.asarray(got)
    assert got.shape == np.shape(want)
    if got.dtype == bool:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize(("name", "fn", "ref"), CASES, ids=IDS)
def test_op_eager_on_numpy_arrays(name, fn, ref):
    out = fn(XA, XB, XP)
    if not name.startswith(("op_", "slice_")):  # jax's own operators on NumPy stay NumPy
        assert isinstance(out, jax.Array), type(out)
    _close(out, ref(XA, XB, XP))


def test_ops_under_jit():
    fns = [fn for _, fn, _ in CASES]
    outs = jax.jit(lambda a, b, p: [f(a, b, p) for f in fns])(XA, XB, XP)
    for (name, _, ref), out in zip(CASES, outs, strict=True):
        assert isinstance(out, jax.Array), name
        _close(out, ref(XA, XB, XP))


@pytest.fixture(scope="module")
def symbolic_model():
    a = keras.Input(shape=(3, 4), name="a")
    b = keras.Input(shape=(3, 4), name="b")
    p = keras.Input(shape=(3, 4), name="p")
    outs = [fn(a, b, p) for _, fn, _ in CASES]
    return keras.Model([a, b, p], outs), outs


def test_ops_on_symbolic_tensors_in_a_functional_model(symbolic_model):
    model, outs = symbolic_model
    got = jax.jit(model.apply)(model.params, [XA, XB, XP])
    for (name, _, ref), t, y in zip(CASES, outs, got, strict=True):
        want = ref(XA, XB, XP)
        assert is_symbolic(t), name
        assert t.shape == (None, *np.shape(want)[1:]), name
        assert t.dtype == str(np.asarray(y).dtype), name
        _close(y, want)


def test_operators_record_keras_operation_classes():
    a, b = keras.Input(shape=(3, 4)), keras.Input(shape=(3, 4))
    cases = {
        "Add": a + b,
        "Subtract": 2.0 - a,
        "Multiply": a * 0.5,
        "TrueDivide": a / b,
        "Power": a**2,
        "Matmul": a @ W,
        "Negative": -a,
        "Absolute": abs(a),
        "Greater": a > b,
        "GetItem": a[..., :2],
    }
    for cls, t in cases.items():
        op = t.node.layer
        assert (op.keras_class, op.keras_module, op.is_operation) == (
            cls,
            "keras.src.ops.numpy",
            True,
        )
        assert op.count_params() == 0 and op.params == {}
    assert cases["Subtract"].node.layer.call_args == (2.0, a)  # constants inline, in order
    assert cases["Multiply"].node.layer.call_args == (a, 0.5)
    assert cases["GetItem"].node.layer.call_args == (a, (Ellipsis, slice(None, 2, None)))
    assert cases["Add"].node.inputs == [a, b] and cases["Multiply"].node.inputs == [a]


def test_a_none_time_axis_and_keras_shape():
    x = keras.Input(shape=(None, 8))
    g = K.tanh(x[..., :4]) * K.sigmoid(x[..., 4:])
    m = K.mean(g, axis=1)
    assert g.shape == (None, None, 4) and m.shape == (None, 4)
    assert K.shape(g) == (None, None, 4) and K.shape(XA) == (5, 3, 4)
    model = keras.Model(x, [g, m])
    for steps in (3, 7):
        xs = RNG.normal(size=(2, steps, 8)).astype(np.float32)
        want = np.tanh(xs[..., :4]) * _sigmoid(xs[..., 4:])
        got_g, got_m = model.apply(model.params, xs)
        _close(got_g, want)
        _close(got_m, want.mean(1))


def test_eager_only_ops():
    assert K.zeros((2, 3)).dtype == jnp.float32 and K.ones(4).tolist() == [1.0] * 4
    assert K.arange(4).tolist() == [0, 1, 2, 3] and K.arange(0.0, 1.0, 0.5).tolist() == [0.0, 0.5]
    _close(K.slice(XA, (1, 0, 2), (2, 3, 2)), XA[1:3, :, 2:4])
    assert K.convert_to_numpy(K.convert_to_tensor([1, 2])).tolist() == [1, 2]
    idx = K.where(jnp.array([0.0, 1.0, 2.0]) > 0.5)
    assert [i.tolist() for i in idx] == [[1, 2]]


def test_activations_eagerly_and_on_symbolic_tensors():
    act = keras.activations
    _close(act.relu(XA), np.maximum(XA, 0))
    _close(act.relu(XA, negative_slope=0.1), np.where(XA > 0, XA, 0.1 * XA))
    _close(act.relu(XA, max_value=0.5), np.clip(XA, 0, 0.5))
    _close(act.relu(XA, threshold=0.5), np.where(XA > 0.5, XA, 0.0))
    _close(act.gelu(XA), 0.5 * XA * (1 + erf(XA / math.sqrt(2))))  # Keras: exact by default
    _close(act.leaky_relu(XA), np.where(XA > 0, XA, 0.2 * XA))
    _close(act.get("gelu")(XA), act.gelu(XA))  # names mean what Keras's names mean
    _close(act.get("leaky_relu")(XA), act.leaky_relu(XA))
    _close(act.mish(XA), XA * np.tanh(np.log1p(np.exp(XA))))
    _close(act.softmax(XA, axis=1), _softmax(XA, 1))
    x = keras.Input(shape=(3, 4))
    kinds = {
        act.relu(x): ("ReLU", "keras.src.activations.activations"),
        act.tanh(x): ("Tanh", "keras.src.ops.numpy"),
        act.sigmoid(x): ("Sigmoid", "keras.src.ops.nn"),
        act.softmax(x): ("Softmax", "keras.src.ops.nn"),
        act.exponential(x): ("Exp", "keras.src.ops.numpy"),
    }
    for t, kind in kinds.items():
        assert (t.node.layer.keras_class, t.node.layer.keras_module) == kind
    assert act.linear(x) is x
    model = keras.Model(x, list(kinds))
    got = model.apply(model.params, XA)
    for y, want in zip(
        got, [np.maximum(XA, 0), np.tanh(XA), _sigmoid(XA), _softmax(XA), np.exp(XA)], strict=True
    ):
        _close(y, want)


def test_activation_functions_resolve_to_the_fused_kernels_functions():
    # Dense(activation=keras.activations.relu) runs jax.nn.relu; LSTM with
    # keras.activations.tanh keeps the hand-written backward pass (identity checks)
    from rnnlab.core.cells import is_sigmoid, is_tanh

    act = keras.activations
    assert act.get(act.relu) is act.get("relu") is jax.nn.relu
    assert is_tanh(act.tanh) and is_sigmoid(act.sigmoid)
    assert act.name_of(act.softmax) == "softmax" and act.name_of(act.get("gelu")) == "gelu"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: keras.Input((3,), name="r") + keras.Input((4,), name="s"),
            "Add 'add': cannot be applied to KerasTensor (None, 3) from 'r', KerasTensor "
            "(None, 4) from 's': add got incompatible shapes for broadcasting: (None, 3), "
            "(None, 4).",
        ),
        (
            lambda: K.matmul(keras.Input((3, 4), name="u"), keras.Input((5, 2), name="v")),
            "Matmul 'matmul': cannot be applied to KerasTensor (None, 3, 4) from 'u', "
            "KerasTensor (None, 5, 2) from 'v': dot_general requires contracting dimensions "
            "to have the same shape, got (4,) and (5,).",
        ),
        (
            lambda: K.concatenate([keras.Input((3,), name="p"), keras.Input((4, 1), name="q")]),
            "Concatenate 'concatenate': cannot be applied to KerasTensor (None, 3) from 'p', "
            "KerasTensor (None, 4, 1) from 'q': Cannot concatenate arrays with different "
            "numbers of dimensions: got (None, 3), (None, 4, 1).",
        ),
        (
            lambda: K.reshape(keras.Input((3, 4), name="w"), (-1, 5)),
            "Reshape 'reshape': cannot be applied to KerasTensor (None, 3, 4) from 'w': ",
        ),
    ],
    ids=["add", "matmul", "concatenate", "reshape"],
)
def test_incompatible_shapes_are_refused_while_building(fresh_names, build, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        build()


def test_operation_replays_from_its_class_and_config():
    # what a loader does: REGISTRY[(module, class)](**config)(*call_args)
    x = keras.Input(shape=(3, 4))
    t = K.concatenate([x, x * 2.0], axis=-1)
    op = t.node.layer
    entry = op.keras_config()
    assert entry["config"] == {"name": op.name, "axis": -1}
    cls = K.REGISTRY[(entry["module"], entry["class_name"])]
    config = {k: v for k, v in entry["config"].items() if k != "name"}
    again = cls(**config)(*op.call_args)
    assert again.shape == t.shape == (None, 3, 8)
    _close(cls(**config)([XA, XA * 2.0]), np.concatenate([XA, 2 * XA], -1))
    with pytest.raises(ValueError, match="already called; an operation has one node"):
        op(*op.call_args)


# -- the gated-activation WaveNet of the func_ops fixture (Keras 3.15.1) --------------------
FIX = Path(__file__).parent / "fixtures" / "keras" / "functional"


def _wavenet() -> keras.Model:
    # tests/fixtures/keras/make_functional_fixtures.py build_func_ops, unchanged but imports
    L = keras.layers
    inp = keras.Input((16, 1), name="series")
    z = L.Conv1D(8, 2, padding="causal", name="stem")(inp)
    skips = []
    for rate in (1, 2):
        a = L.Conv1D(8, 2, padding="causal", dilation_rate=rate)(z)
        gated = keras.ops.tanh(a[..., :4]) * keras.ops.sigmoid(a[..., 4:])
        skips.append(L.Conv1D(4, 1)(gated))
        z = L.Add()([z, L.Conv1D(8, 1)(gated)])
    h = keras.activations.relu(L.Add()(skips))
    h = keras.ops.concatenate([h, z], axis=-1)
    out = L.Conv1D(1, 1, name="head")(h) * 0.5
    return keras.Model(inp, out, name="wavenet")


@pytest.fixture(scope="module")
def wavenet():
    """The WaveNet with Keras's trained weights, read from the .keras zip's weights.h5
    (each layers/<key>/vars group names its layer in its ``name`` attribute)."""
    keras.utils.clear_session()  # Keras's automatic names: conv1d, get_item_1, re_lu...
    model = _wavenet()
    keras.utils.clear_session()
    with (
        zipfile.ZipFile(FIX / "func_ops.keras") as archive,
        h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as f,
    ):
        for group in f["layers"].values():
            weights = [group["vars"][str(i)][()] for i in range(len(group["vars"]))]
            if weights:
                model.get_layer(group["vars"].attrs["name"]).set_weights(weights)
    return model


def test_wavenet_reproduces_keras_predictions(wavenet):
    x, y = np.load(FIX / "func_ops_x.npy"), np.load(FIX / "func_ops_y.npy")
    np.testing.assert_allclose(wavenet.predict(x, verbose=0), y, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(jax.jit(wavenet.apply)(wavenet.params, x), y, atol=1e-5)


def _keras_rows(text: str) -> list[tuple[str, ...]]:
    """Rows of Keras 3's rich summary table: (name (Type), shape, params)."""
    rows, cells = [], None
    for line in text.splitlines():
        if line.startswith(("├", "└")) and cells:
            rows.append(tuple(" ".join(c).strip() for c in cells[:3]))
        if line.startswith(("├", "┡")):
            cells = [[], [], [], []]
        elif line.startswith("│") and cells is not None:
            for i, part in enumerate(line.strip("│").split("│")):
                if part.strip():
                    cells[i].append(part.strip())
    return rows


def _rnnlab_rows(model: keras.Model) -> list[tuple[str, ...]]:
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    pattern = re.compile(r"^(\S+ \(\w+\))\s+(\[?\(.*?\)\]?|multiple)\s+([\d,]+)")
    rows = [m.groups() for m in map(pattern.match, "\n".join(lines).splitlines()) if m]
    return [(name, shape.strip("[]"), params) for name, shape, params in rows]


def test_wavenet_summary_has_keras_rows(wavenet):
    want = _keras_rows((FIX / "func_ops.summary.txt").read_text())
    got = _rnnlab_rows(wavenet)
    assert len(want) == 25 and ("get_item_1 (GetItem)", "(None, 16, 4)", "0") in want
    # the same rows (names, types, shapes, parameters) in the same order (Keras's, by depth)
    assert got == want
    assert wavenet.count_params() == 429


def _as_keras(value):
    """A call argument as Keras's config.json writes it (the fixture's node args)."""
    if is_symbolic(value):
        history = [value.node.layer.name, 0, value.index]
        config = {"shape": list(value.shape), "dtype": value.dtype, "keras_history": history}
        return {"class_name": "__keras_tensor__", "config": config}
    if isinstance(value, list | tuple):
        return [_as_keras(v) for v in value]
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, slice):
        return {
            "class_name": "__slice__",
            "config": dict(start=value.start, stop=value.stop, step=value.step),
        }
    return value


def test_wavenet_operations_keep_what_keras_writes(wavenet):
    config = json.loads((FIX / "func_ops.config.json").read_text())
    entries = {e["name"]: e for e in config["config"]["layers"]}
    ops = [layer for layer in wavenet.operations if getattr(layer, "is_operation", False)]
    assert not [layer for layer in wavenet.layers if getattr(layer, "is_operation", False)]
    assert sorted(op.name for op in ops) == sorted(
        name for name, e in entries.items() if e["module"].startswith("keras.src")
    )
    for op in ops:
        entry = entries[op.name]
        assert op.keras_config() == {
            k: entry[k] for k in ("module", "class_name", "config", "registered_name")
        }
        (node,) = entry["inbound_nodes"]
        assert _as_keras(list(op.call_args)) == node["args"], op.name
        assert op.call_kwargs == node["kwargs"] == {}


def test_wavenet_fits_in_the_compiled_step():
    train = np.load(FIX / "func_ops_train.npz")
    keras.utils.set_random_seed(0)
    model = _wavenet()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    history = model.fit(train["x"], train["y"], epochs=6, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0], losses


class _Gated(keras.layers.Layer):
    """A custom layer whose call uses keras.ops on its (traced) weights and inputs."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=(input_shape[-1], 2 * self.units), initializer="glorot_uniform"
        )

    def call(self, x):
        a, b = K.split(K.matmul(x, self.kernel), 2, axis=-1)
        return K.tanh(a) * K.sigmoid(b)


def test_ops_in_a_custom_layers_call_train_in_the_compiled_step():
    keras.utils.set_random_seed(1)
    x, y = RNG.normal(size=(32, 6)).astype(np.float32), RNG.normal(size=(32, 3))
    inp = keras.Input(shape=(6,))
    layer = _Gated(3)
    model = keras.Model(inp, layer(inp))
    (kernel,) = layer.get_weights()
    z = x @ kernel
    want = np.tanh(z[:, :3]) * _sigmoid(z[:, 3:])
    _close(model.predict(x, verbose=0), want)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    losses = model.fit(x, y.astype(np.float32), epochs=5, verbose=0).history["loss"]
    assert losses[-1] < losses[0]


def test_a_symbolic_tensor_is_not_iterable(fresh_names):
    # __getitem__ alone would let Python iterate t[0], t[1], ... making an op per index
    x = keras.Input(shape=(3,), name="x")
    message = "KerasTensor (None, 3) from 'x' cannot be iterated or unpacked"
    with pytest.raises(TypeError, match=re.escape(message)):
        list(x)
    with pytest.raises(TypeError, match=re.escape(message)):
        _a, _b = x
    with pytest.raises(
        ValueError,
        match=re.escape("Add 'add': expects a list of at least 2 inputs, got one input of shape"),
    ):
        keras.layers.Add()(x)
