"""Error paths: each mistake raises a precise message before any training starts."""

import jax
import numpy as np
import pytest

from rnnlab.initializers import constant
from rnnlab.layers import GRU, LSTM, Conv1D, Dense, SimpleRNN
from rnnlab.models import Sequential
from rnnlab.optimizers import SGD

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 5, 1)).astype(np.float32)
Y = RNG.normal(size=(8, 1)).astype(np.float32)


@pytest.fixture
def model():
    """A compiled recurrent model with known input (None, None, 1) and output (None, 1)."""
    m = Sequential([SimpleRNN(3, input_shape=(None, 1), name="rnn"), Dense(1, name="out")])
    m.compile(optimizer="adam", loss="mse")
    return m


class Untouched:
    """Context manager asserting the model's weights and optimizer state did not change."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.weights = [w.copy() for w in self.model.get_weights()]
        self.opt_state = getattr(self.model.optimizer, "state", None)
        self.history = self.model.history
        return self

    def __exit__(self, *exc):
        after = self.model.get_weights()
        assert all(np.array_equal(a, b) for a, b in zip(self.weights, after, strict=True))
        assert getattr(self.model.optimizer, "state", None) is self.opt_state
        assert self.model.history is self.history
        return False


# --- input shapes --------------------------------------------------------------------------

HINT_2D = (
    r"SimpleRNN 'rnn': expected input of shape \(batch, time, features\) \(3-D\), "
    r"got a 2-D input of shape \(8, 5\); add a features axis, e\.g\. x\[\.\.\., np\.newaxis\]"
)


def test_2d_input_to_recurrent_layer_fit(model):
    with Untouched(model), pytest.raises(ValueError, match=HINT_2D):
        model.fit(X[:, :, 0], Y, epochs=1, verbose=0)


def test_2d_input_to_recurrent_layer_predict_and_evaluate(model):
    with pytest.raises(ValueError, match=HINT_2D):
        model.predict(X[:, :, 0])
    with pytest.raises(ValueError, match=HINT_2D):
        model.evaluate(X[:, :, 0], Y)


def test_2d_input_to_unbuilt_recurrent_model():
    m = Sequential([LSTM(3, name="lstm_2d"), Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    with pytest.raises(
        ValueError,
        match=r"LSTM 'lstm_2d': expected input of shape \(batch, time, features\) \(3-D\), "
        r"got a 2-D input of shape \(None, 5\); add a features axis",
    ):
        m.fit(X[:, :, 0], Y, epochs=1, verbose=0)


def test_2d_input_to_standalone_layer():
    with pytest.raises(ValueError, match=r"GRU 'g2d': .*\(3-D\), got a 2-D input of shape"):
        GRU(2, name="g2d")(np.zeros((4, 7), np.float32))


def test_2d_input_shape_for_recurrent_first_layer():
    with pytest.raises(ValueError, match=r"got a 2-D input of shape \(None, 50\); add a features"):
        Sequential([SimpleRNN(3, input_shape=(50,))])


def test_feature_count_differs_from_input_shape(model):
    x3 = np.concatenate([X, X], axis=-1)
    with (
        Untouched(model),
        pytest.raises(
            ValueError,
            match=r"fit: x has shape \(8, 5, 2\), but the model expects \(None, None, 1\): "
            r"1 features, got 2",
        ),
    ):
        model.fit(x3, Y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"predict: x has shape \(8, 5, 2\).*1 features, got 2"):
        model.predict(x3)


def test_feature_count_in_validation_data(model):
    x3 = np.concatenate([X, X], axis=-1)
    with (
        Untouched(model),
        pytest.raises(
            ValueError, match=r"fit: validation_data\[0\] has shape \(8, 5, 2\).*1 features, got 2"
        ),
    ):
        model.fit(X, Y, epochs=1, verbose=0, validation_data=(x3, Y))


def test_conv1d_kernel_longer_than_sequence():
    m = Sequential([Conv1D(4, 5, input_shape=(None, 1), name="conv"), GRU(2), Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    message = (
        r"Conv1D 'conv': kernel_size 5 with dilation_rate 1 spans 5 steps, longer than "
        r"the input sequence of 3 steps \(padding='valid'\)"
    )
    with Untouched(m), pytest.raises(ValueError, match=message):
        m.fit(X[:, :3], Y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=message):
        m.predict(X[:, :3])
    with pytest.raises(ValueError, match=r"kernel_size 3 with dilation_rate 2 spans 5 steps"):
        Sequential([Conv1D(4, 3, dilation_rate=2, input_shape=(4, 1))])
    # the same lengths are fine with causal or same padding
    ok = Sequential([Conv1D(4, 5, padding="causal", input_shape=(None, 1))])
    assert ok.predict(X[:, :3]).shape == (8, 3, 4)


# --- data values and lengths ---------------------------------------------------------------


def test_x_and_y_of_different_lengths(model):
    with (
        Untouched(model),
        pytest.raises(
            ValueError,
            match=r"fit: x and y must have the same number of samples, got 8 in x \(8, 5, 1\) "
            r"and 7 in y \(7, 1\)",
        ),
    ):
        model.fit(X, Y[:7], epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: x and y must have the same number"):
        model.evaluate(X[:6], Y)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_x(model, bad):
    x = X.copy()
    x[3, 2, 0] = bad
    with (
        Untouched(model),
        pytest.raises(
            ValueError,
            match=r"fit: x contains 1 NaN or infinite value\(s\); clean or impute them first",
        ),
    ):
        model.fit(x, Y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"predict: x contains 1 NaN or infinite value"):
        model.predict(x)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_y(model, bad):
    y = Y.copy()
    y[0, 0] = bad
    y[5, 0] = bad
    with (
        Untouched(model),
        pytest.raises(ValueError, match=r"fit: y contains 2 NaN or infinite value\(s\)"),
    ):
        model.fit(X, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: y contains 2 NaN or infinite value"):
        model.evaluate(X, y)


def test_nan_in_validation_data(model):
    y = Y.copy()
    y[1, 0] = np.nan
    with (
        Untouched(model),
        pytest.raises(
            ValueError, match=r"fit: validation_data\[1\] contains 1 NaN or infinite value"
        ),
    ):
        model.fit(X, Y, epochs=1, verbose=0, validation_data=(X, y))


def test_empty_arrays(model):
    with (
        Untouched(model),
        pytest.raises(
            ValueError,
            match=r"fit: x is empty \(shape \(0, 5, 1\)\); expected at least one sample",
        ),
    ):
        model.fit(X[:0], Y[:0], epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"predict: x is empty \(shape \(0, 5, 1\)\)"):
        model.predict(X[:0])
    with pytest.raises(ValueError, match=r"fit: y is empty \(shape \(0,\)\)"):
        model.fit(X, [], epochs=1, verbose=0)


def test_missing_and_non_numeric_data(model):
    with pytest.raises(ValueError, match=r"fit: y is required, got None"):
        model.fit(X, None, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"predict: x must be a numeric array, got dtype <U"):
        model.predict(np.array([["a"]]))


def test_targets_not_matching_output_shape(model):
    with (
        Untouched(model),
        pytest.raises(
            ValueError,
            match=r"fit: y has shape \(8, 3\), but the model outputs \(n, 1\); "
            r"targets must match the model's output shape",
        ),
    ):
        model.fit(X, np.zeros((8, 3), np.float32), epochs=1, verbose=0)
    multistep = Sequential([SimpleRNN(3, input_shape=(None, 1)), Dense(10)])
    multistep.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match=r"y has shape \(8, 1\), but the model outputs \(n, 10\)"):
        multistep.fit(X, Y, epochs=1, verbose=0)
    seq = Sequential([SimpleRNN(3, return_sequences=True, input_shape=(None, 1))])
    seq.compile(optimizer="adam", loss="mse")
    with pytest.raises(
        ValueError, match=r"y has shape \(8, 3\), but the model outputs \(n, 5, 3\)"
    ):
        seq.fit(X, np.zeros((8, 3), np.float32), epochs=1, verbose=0)


# --- fit arguments -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -1, 2.5, "32", True])
def test_bad_batch_size(model, bad):
    with (
        Untouched(model),
        pytest.raises(
            ValueError, match=rf"fit: batch_size must be a positive integer, got {bad!r}"
        ),
    ):
        model.fit(X, Y, batch_size=bad, epochs=1, verbose=0)


def test_bad_batch_size_in_predict_and_evaluate(model):
    with pytest.raises(ValueError, match=r"predict: batch_size must be a positive integer, got 0"):
        model.predict(X, batch_size=0)
    with pytest.raises(ValueError, match=r"evaluate: batch_size must be a positive integer, got 0"):
        model.evaluate(X, Y, batch_size=0)


@pytest.mark.parametrize("bad", [0, -3, 1.5])
def test_bad_epochs(model, bad):
    with (
        Untouched(model),
        pytest.raises(ValueError, match=rf"fit: epochs must be a positive integer, got {bad!r}"),
    ):
        model.fit(X, Y, epochs=bad, verbose=0)


@pytest.mark.parametrize("split", [1.0, -0.1, 1.5])
def test_bad_validation_split(model, split):
    with (
        Untouched(model),
        pytest.raises(
            ValueError, match=rf"fit: validation_split must be in \[0, 1\), got {split!r}"
        ),
    ):
        model.fit(X, Y, validation_split=split, epochs=1, verbose=0)


def test_validation_split_leaving_no_sample(model):
    with (
        Untouched(model),
        pytest.raises(
            ValueError,
            match=r"fit: validation_split=0\.1 leaves 0 validation sample\(s\) out of 8",
        ),
    ):
        model.fit(X, Y, validation_split=0.1, epochs=1, verbose=0)


def test_bad_validation_data_structure(model):
    with (
        Untouched(model),
        pytest.raises(ValueError, match=r"fit: validation_data must be a tuple \(x_val, y_val\)"),
    ):
        model.fit(X, Y, validation_data=(X,), epochs=1, verbose=0)


def test_bad_verbose(model):
    with (
        Untouched(model),
        pytest.raises(ValueError, match=r"fit: verbose must be 0, 1, 2 or 'auto', got 3"),
    ):
        model.fit(X, Y, epochs=1, verbose=3)


# --- names: losses, optimizers, activations, paddings, initializers --------------------------


def test_unknown_loss_lists_valid_names():
    m = Sequential([Dense(1, input_shape=(2,))])
    m.compile(optimizer="sgd", loss="mae")
    previous = m.trainer
    with pytest.raises(
        ValueError,
        match=r"compile: unknown loss 'msq'; expected one of: huber, huber_loss, mae, mape, "
        r"mean_absolute_error, .*mse, msle",
    ):
        m.compile(optimizer="adam", loss="msq")
    # the failed compile left the previous configuration in place
    assert m.trainer is previous
    assert m.evaluate(np.ones((2, 2)), np.ones((2, 1))) >= 0.0


def test_missing_loss():
    m = Sequential([Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match=r"compile: loss is required, e\.g\. loss='mse'"):
        m.compile(optimizer="adam")


def test_unknown_metric_lists_valid_names():
    m = Sequential([Dense(1, input_shape=(2,))])
    with pytest.raises(
        ValueError, match=r"compile: unknown metric 'accuracy'; expected one of: huber, .*mse"
    ):
        m.compile(optimizer="adam", loss="mse", metrics=["accuracy"])


def test_unknown_optimizer_lists_valid_names():
    m = Sequential([Dense(1, input_shape=(2,))])
    with pytest.raises(
        ValueError,
        match=r"compile: unknown optimizer 'adamm'; expected one of: adagrad, adam, adamax, "
        r"adamw, nadam, rmsprop, sgd, an rnnlab\.optimizers\.Optimizer, "
        r"or an optax\.GradientTransformation",
    ):
        m.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match=r"compile: unknown optimizer 0\.01"):
        m.compile(optimizer=0.01, loss="mse")


@pytest.mark.parametrize(
    ("make", "owner"),
    [
        (lambda: SimpleRNN(3, activation="tanhh", name="a1"), "SimpleRNN 'a1'"),
        (lambda: LSTM(3, recurrent_activation="sigmod", name="a2"), "LSTM 'a2'"),
        (lambda: Dense(3, activation="Relu", name="a3"), "Dense 'a3'"),
        (lambda: Conv1D(3, 2, activation="rectifier", name="a4"), "Conv1D 'a4'"),
    ],
)
def test_unknown_activation_lists_valid_names(make, owner):
    with pytest.raises(
        ValueError,
        match=rf"{owner}: unknown activation '\w+'; expected one of: elu, exponential, gelu, "
        r".*relu, .*sigmoid, .*tanh",
    ):
        make()


def test_unknown_padding_lists_valid_names():
    with pytest.raises(
        ValueError,
        match=r"Conv1D 'c1': padding must be one of 'valid', 'same', 'causal', got 'full'",
    ):
        Conv1D(4, 3, padding="full", name="c1")


def test_unknown_initializer_lists_valid_names():
    with pytest.raises(
        ValueError,
        match=r"GRU 'g1': unknown initializer 'glorot'; expected one of: glorot_normal, "
        r"glorot_uniform, he_uniform, normal, ones, orthogonal, random_normal, random_uniform, "
        r"uniform, zeros",
    ):
        GRU(3, kernel_initializer="glorot", name="g1")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: SimpleRNN(0, name="u0"),
            r"SimpleRNN 'u0': units must be a positive integer, got 0",
        ),
        (lambda: Dense(2.5, name="u1"), r"Dense 'u1': units must be a positive integer, got 2\.5"),
        (lambda: Conv1D(0, 3, name="u2"), r"Conv1D 'u2': filters must be a positive integer"),
        (lambda: Conv1D(2, 3, strides=0, name="u3"), r"Conv1D 'u3': strides must be a positive"),
    ],
)
def test_bad_layer_sizes(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unexpected_layer_argument():
    with pytest.raises(TypeError, match=r"Dense: unexpected arguments \['unit'\]"):
        Dense(3, unit=4)


# --- model lifecycle -----------------------------------------------------------------------


def test_fit_before_compile():
    m = Sequential([SimpleRNN(3, input_shape=(None, 1)), Dense(1)])
    with (
        Untouched(m),
        pytest.raises(
            RuntimeError,
            match=r"fit: the model must be compiled first: call "
            r"model\.compile\(optimizer=\.\.\., loss=\.\.\.\) before fit\(\)",
        ),
    ):
        m.fit(X, Y, epochs=1, verbose=0)
    with pytest.raises(RuntimeError, match=r"evaluate: the model must be compiled first"):
        m.evaluate(X, Y)


def test_summary_and_weights_before_build():
    m = Sequential([SimpleRNN(3), Dense(1)], name="unbuilt")
    with pytest.raises(
        ValueError,
        match=r"summary: model 'unbuilt' is not built yet; give the first layer an input_shape",
    ):
        m.summary()
    with pytest.raises(ValueError, match=r"count_params: model 'unbuilt' is not built yet"):
        m.count_params()


def test_input_shape_on_non_first_layer_of_built_model():
    m = Sequential([SimpleRNN(20, input_shape=(None, 1))])
    with pytest.raises(
        ValueError,
        match=r"Sequential\.add: input_shape is only for the first layer; "
        r"Dense 'late' was given \(None, 20\)",
    ):
        m.add(Dense(1, input_shape=(20,), name="late"))
    assert len(m.layers) == 1


def test_duplicate_layer_names():
    with pytest.raises(
        ValueError,
        match=r"Sequential\.add: a layer named 'out' is already in model 'dup'; "
        r"layer names must be unique",
    ):
        Sequential(
            [Dense(2, input_shape=(3,), name="out"), Dense(1, name="out")],
            name="dup",
        )


def test_set_weights_wrong_shape_and_count(model):
    weights = model.get_weights()
    with (
        Untouched(model),
        pytest.raises(
            ValueError, match=r"set_weights: rnn/kernel must have shape \(1, 3\), got \(2, 3\)"
        ),
    ):
        model.set_weights([np.zeros((2, 3)), *weights[1:]])
    with (
        Untouched(model),
        pytest.raises(ValueError, match=r"set_weights: expected 5 arrays, got 4"),
    ):
        model.set_weights(weights[:4])


def test_failed_add_leaves_model_unchanged():
    m = Sequential([SimpleRNN(3, input_shape=(None, 1))])
    with pytest.raises(ValueError, match=r"\(3-D\), got a 2-D input of shape \(None, 3\)"):
        m.add(SimpleRNN(3))  # needs return_sequences=True on the first layer
    assert len(m.layers) == 1
    assert m.predict(X).shape == (8, 3)


# --- non-finite loss during training -------------------------------------------------------


def _exploding_model(lr):
    m = Sequential(
        [Dense(1, input_shape=(1,), kernel_initializer=constant(0.5), name="lin")], seed=0
    )
    m.compile(optimizer=SGD(learning_rate=lr), loss="mse")
    return m


def _all_finite(model):
    return all(np.all(np.isfinite(np.asarray(leaf))) for leaf in jax.tree.leaves(model.params))


def test_nan_loss_stops_fit_and_keeps_last_finite_weights():
    # x = 10, lr = 1: the weight grows ~200x per step until the loss overflows.
    x = np.full((40, 1), 10.0, np.float32)
    y = np.zeros((40, 1), np.float32)
    m = _exploding_model(1.0)
    initial = m.get_weights()
    with pytest.raises(
        FloatingPointError,
        match=r"fit: the loss became NaN or infinite at epoch 1, batch \d+; training stopped "
        r"and the model keeps the last finite weights",
    ):
        m.fit(x, y, batch_size=1, epochs=3, shuffle=False, verbose=0)
    assert _all_finite(m)
    assert not np.array_equal(m.get_weights()[0], initial[0])  # it did train first
    assert np.all(np.isfinite(m.predict(x[:2])))


def test_nan_loss_from_overflowing_update_keeps_finite_weights():
    # loss 2.5e9 and gradient 1e10 are finite, but 1e30 * 1e10 overflows float32.
    x = np.full((4, 1), 1e5, np.float32)
    y = np.zeros((4, 1), np.float32)
    m = _exploding_model(1e30)
    with pytest.raises(FloatingPointError, match=r"the loss became NaN or infinite"):
        m.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    assert _all_finite(m)
