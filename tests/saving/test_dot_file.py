"""A functional model with a Dot layer saves in Keras's config and loads back the same."""

import json
import zipfile

import numpy as np

import rnnlab as keras


def test_dot_round_trips_with_keras_config(tmp_path):
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    dot = keras.layers.Dot(axes=1, normalize=True, name="cos")
    model = keras.Model([a, b], dot([keras.layers.Dense(3, name="d")(a), b]))
    x = [np.random.default_rng(0).random((4, 3), np.float32) for _ in range(2)]
    path = tmp_path / "dot.keras"
    model.save(path)
    entry = next(
        e
        for e in json.loads(zipfile.ZipFile(path).read("config.json"))["config"]["layers"]
        if e["name"] == "cos"
    )
    assert (entry["module"], entry["class_name"]) == ("keras.layers", "Dot")
    assert {k: entry["config"][k] for k in ("axes", "normalize")} == {"axes": 1, "normalize": True}
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
