"""`rnnlab predict MODEL INPUT`: predictions of a saved model from .npy or .csv inputs."""

import numpy as np
import pytest

from rnnlab.apps.predict import read_input
from rnnlab.cli import main
from rnnlab.layers import GRU, Dense
from rnnlab.models import Sequential


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("predict")
    model = Sequential([GRU(3, input_shape=(None, 2)), Dense(2)], seed=0)
    model.compile(optimizer="adam", loss="mse")
    path = folder / "m.keras"
    model.save(path)
    return model, path, folder


def test_npy_input_predictions_go_to_stdout_as_csv(saved, capsys):
    model, path, folder = saved
    x = np.random.default_rng(0).normal(size=(3, 4, 2)).astype(np.float32)
    np.save(folder / "x.npy", x)
    assert main(["predict", str(path), str(folder / "x.npy")]) == 0
    printed = np.loadtxt(capsys.readouterr().out.splitlines(), delimiter=",", ndmin=2)
    np.testing.assert_allclose(printed, model.predict(x), rtol=1e-6, atol=1e-7)


def test_csv_rows_are_samples_in_time_order_and_out_is_written(saved):
    model, path, folder = saved
    rows = np.arange(16, dtype=np.float32).reshape(2, 8) / 10  # 2 samples, 4 steps × 2 features
    (folder / "x.csv").write_text(
        "h" + ",h" * 7 + "\n" + "\n".join(",".join(map(str, r)) for r in rows)
    )
    out = folder / "pred.npy"
    assert main(["predict", str(path), str(folder / "x.csv"), "--out", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out), model.predict(rows.reshape(2, 4, 2)))


def test_a_single_sample_without_batch_axis_is_accepted(tmp_path):
    np.save(tmp_path / "one.npy", np.zeros((5, 2), np.float32))
    assert read_input(tmp_path / "one.npy", (None, None, 2)).shape == (1, 5, 2)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: ("nope.keras", "x.npy"), "model file '{d}/nope.keras' does not exist"),
        (lambda d: ("m.keras", "nope.npy"), "input file '{d}/nope.npy' does not exist"),
        (lambda d: ("m.keras", "x.txt"), "input must be a .npy or .csv file, got '{d}/x.txt'"),
        (lambda d: ("x.npy", "x.npy"), "cannot load the model: "),
        (
            lambda d: ("m.keras", "bad.csv"),
            "{d}/bad.csv: line 2 holds a value that is not a number",
        ),
        (lambda d: ("m.keras", "odd.csv"), "rows have 3 values, not a multiple of the model's 2"),
    ],
)
def test_bad_files_get_one_line_and_exit_2(saved, capsys, make, message):
    folder = saved[2]
    np.save(folder / "x.npy", np.zeros((1, 3, 2), np.float32))
    (folder / "x.txt").write_text("1,2")
    (folder / "bad.csv").write_text("1,2\n3,x\n")
    (folder / "odd.csv").write_text("1,2,3\n")
    model_name, input_name = make(folder)
    assert main(["predict", str(folder / model_name), str(folder / input_name)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnlab predict: error: ")
    assert message.format(d=folder) in err
