"""`rnnlab chapter --save-models`: each trained model as a .keras file beside the report.

(Without the flag no model is written: test_cli checks a quick run's exact file list.)"""

import json

import numpy as np

from rnnlab.apps.chapter import baselines, data
from rnnlab.cli import main
from rnnlab.models import load_model


def test_saved_models_load_and_score_as_the_report_says(tmp_path, capsys):
    out = tmp_path / "report"
    argv = ["chapter", "--quick", "--epochs", "1", "--models", "basic_rnn", "--save-models"]
    assert main([*argv, "--out", str(out), "--no-cache"]) == 0
    capsys.readouterr()
    report = (out / "report.md").read_text()
    assert "Saved model: [models/basic_rnn.keras](models/basic_rnn.keras)" in report
    assert sorted(p.name for p in (out / "models").iterdir()) == ["basic_rnn.keras"]
    results = json.loads((out / "results.json").read_text())
    val_mse = next(m["val_mse"] for m in results["models"] if m["name"] == "basic_rnn")
    single, _ = data.chapter_datasets(results["seed"], n_series=results["n_series"])
    model = load_model(out / "models" / "basic_rnn.keras")
    mse = baselines.mse(single.y_val, model.predict(single.x_val))
    np.testing.assert_allclose(mse, val_mse, rtol=1e-6)
