"""The training state as one pytree: what it holds, and that restoring it resumes exactly."""

import jax
import numpy as np
import optax
import pytest

from rnnlab.callbacks import Callback
from rnnlab.layers import GRU, Dense, Dropout
from rnnlab.models import Sequential
from rnnlab.optimizers import SGD, Adam, get_learning_rate, set_learning_rate
from rnnlab.training.state import TrainState
from rnnlab.utils import clear_session

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 5, 1)).astype(np.float32)
Y = X[:, -1, :] * 0.5


def _model(seed):
    clear_session()  # the same layer names, as in a rerun of the same script
    model = Sequential(
        [GRU(4, input_shape=(None, 1), dropout=0.2), Dropout(0.3), Dense(1)], seed=seed
    )
    model.compile(optimizer=Adam(0.01), loss="mse")
    return model


def _host_copy(state):
    """The state's arrays copied to NumPy: what a checkpoint would write."""
    return jax.tree.map(
        lambda a: a if jax.dtypes.issubdtype(a.dtype, jax.dtypes.prng_key) else np.array(a), state
    )


def test_the_state_holds_weights_optimizer_step_epoch_and_key():
    model = _model(seed=1)
    model.fit(X, Y, batch_size=16, epochs=2, verbose=0)
    state = model.train_state
    assert isinstance(state, TrainState)
    assert jax.tree.structure(state.params) == jax.tree.structure(model.params)
    assert state.opt_state is model.optimizer.state
    assert int(state.step) == 2 * 3  # 40 samples in batches of 16: 3 steps an epoch
    assert int(state.epoch) == 2  # the next epoch to train
    assert int(model.optimizer.iterations) == 6


def test_restoring_a_state_mid_run_resumes_exactly():
    # One run of 4 epochs, against 2 epochs + a restore into a *different* model + 2 more.
    whole = _model(seed=3)
    history = whole.fit(X, Y, batch_size=16, epochs=4, verbose=0)

    class Snapshot(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.saved = _host_copy(self.model.train_state)
                self.model.stop_training = True

    first = _model(seed=3)
    snap = Snapshot()
    first.fit(X, Y, batch_size=16, epochs=4, verbose=0, callbacks=[snap])

    class Restore(Callback):
        def on_train_begin(self, logs=None):
            self.model.train_state = snap.saved

    other = _model(seed=99)  # other initial weights and another fit key
    rest = other.fit(X, Y, batch_size=16, epochs=4, verbose=0, callbacks=[Restore()])
    assert rest.epoch == [2, 3]
    assert rest.history["loss"] == history.history["loss"][2:]
    for got, want in zip(other.get_weights(), whole.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_learning_rate_functions_are_pure_and_seen_by_the_optimizer():
    model = Sequential([Dense(1, input_shape=(2,))], seed=0)
    model.compile(optimizer=SGD(0.1), loss="mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0)
    before = model.optimizer.state
    after = set_learning_rate(before, 0.25)
    assert get_learning_rate(before) == pytest.approx(0.1)  # unchanged
    assert get_learning_rate(after) == pytest.approx(0.25)
    model.optimizer.learning_rate = 0.5
    assert get_learning_rate(model.train_state.opt_state) == pytest.approx(0.5)


def test_a_plain_optax_rate_cannot_be_read():
    model = Sequential([Dense(1, input_shape=(2,))], seed=0)
    model.compile(optimizer=optax.sgd(0.1), loss="mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"optimizer.learning_rate: the learning rate cannot"):
        _ = model.optimizer.learning_rate


def test_train_state_needs_a_compiled_model():
    model = Sequential([Dense(1, input_shape=(2,))])
    with pytest.raises(RuntimeError, match=r"train_state: the model must be compiled first"):
        _ = model.train_state
