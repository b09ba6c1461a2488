"""fit's progress display: live per-batch bar on a terminal, lines otherwise."""

import io

import numpy as np
import pytest
from rich.console import Console

import rnnlab
import rnnlab.training.trainer as trainer_module
from rnnlab.training.progress import EpochProgress


def _model():
    model = rnnlab.Sequential(
        [rnnlab.layers.SimpleRNN(4, input_shape=(None, 1)), rnnlab.layers.Dense(1)], seed=0
    )
    model.compile("adam", "mse")
    x = np.random.default_rng(0).normal(size=(100, 10, 1)).astype(np.float32)
    return model, x, x[:, -1]


def test_live_bar_counts_batches_and_shows_the_running_loss(monkeypatch):
    screen = io.StringIO()

    class OnTerminal(EpochProgress):
        def __init__(self, *args, **kwargs):
            console = Console(file=screen, force_terminal=True, width=120)
            super().__init__(*args, console=console, **kwargs)

    monkeypatch.setattr(trainer_module, "EpochProgress", OnTerminal)
    model, x, y = _model()
    history = model.fit(x, y, epochs=2, batch_size=32, verbose=1)
    out = screen.getvalue()
    assert "4/4" in out  # 100 samples in batches of 32: 4 batches per epoch
    for epoch, loss in enumerate(history.history["loss"]):
        # The bar's running loss at the last batch is the epoch's loss...
        assert f"loss: {loss:.4f}" in out
        # ...and each finished epoch leaves a line, as Keras does.
        assert f"Epoch {epoch + 1}/2 - " in out
    assert model.trainer.train_epoch_live is not None


def test_not_a_terminal_prints_one_line_per_epoch_without_batch_callbacks(capsys):
    model, x, y = _model()
    history = model.fit(x, y, epochs=2, batch_size=32, verbose=1)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Epoch")]
    assert len(lines) == 2
    assert lines[1].endswith(f"loss: {history.history['loss'][1]:.4f}")
    assert model.trainer.train_epoch_live is None  # the plain compiled epoch ran


@pytest.mark.parametrize("verbose", [0, 2])
def test_only_verbose_1_on_a_terminal_is_live(verbose):
    console = Console(file=io.StringIO(), force_terminal=True)
    assert not EpochProgress(3, verbose, console=console).live
    assert EpochProgress(3, 1, console=console).live
