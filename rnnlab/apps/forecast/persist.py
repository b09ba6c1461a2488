"""A fitted Forecaster on disk: a folder with a Keras-format model and plain data files.

``model.keras``   the trained network, in Keras's own file format (rnnlab.saving)
``forecaster.json``  the settings, frequency, series ids, covariate scaling and
                  conformal widths (JSON: nothing in it can run)
``history.csv.gz``  the training data (gzip), so ``predict()`` after ``load`` needs no
                  data and gives the same forecast — the target's scaler at an origin is
                  fitted on all of the series before it (``predict(df=...)``: new data)

Every file is written to a temporary name, synced and renamed, so a crash leaves the
folder's old files or the new ones, never half of one; loading reads JSON, CSV and the
model file's allowlisted config only.

Example:
    >>> import tempfile
    >>> fc = Forecaster.load(tempfile.mkdtemp())  # doctest: +SKIP
"""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rnnlab.apps.forecast import engine
from rnnlab.apps.forecast.models import LastStep
from rnnlab.saving import load_model
from rnnlab.saving.atomic import write_bytes_atomic

__all__ = ["FORMAT", "load_forecaster", "save_forecaster"]

FORMAT = "rnnlab-forecaster-1"
_ARRAYS = ("exog_center", "exog_scale", "conformal")


def save_forecaster(fc: Any, directory: str | os.PathLike[str]) -> None:
    """Write fitted ``fc`` into ``directory`` (created; its files replaced atomically)."""
    fc._require_fit("save")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    settings = dict(fc.settings)
    if not isinstance(settings["model"], str):
        settings["model"] = None  # a user's builder: the architecture lives in model.keras
    settings["quantiles"] = list(settings["quantiles"])
    settings["futr_exog"], settings["hist_exog"] = (
        list(settings["futr_exog"]),
        list(settings["hist_exog"]),
    )
    trained = fc.trained_
    meta = {
        "format": FORMAT,
        "settings": settings,
        "data_args": {**fc.data_args, "freq": fc.panel_.freq},
        "drop_short": fc.drop_short,
        "ids": list(fc.panel_.ids),
        "history": trained.history.history,
        "season": trained.season,
    }
    for name in _ARRAYS:
        value = getattr(trained, name)
        meta[name] = None if value is None else np.asarray(value).tolist()
    buffer = io.StringIO()
    fc.panel_.to_frame().to_csv(buffer, index=False)
    trained.model.save(folder / "model.keras")
    # mtime=0: the same data gives the same bytes.
    data = gzip.compress(buffer.getvalue().encode(), mtime=0)
    write_bytes_atomic(folder / "history.csv.gz", data)
    # Last: a folder with forecaster.json is complete.
    write_bytes_atomic(folder / "forecaster.json", json.dumps(meta, indent=1).encode())


def load_forecaster(cls: type, directory: str | os.PathLike[str]) -> Any:
    """Read a forecaster written by :func:`save_forecaster` (see the module docs)."""
    folder = Path(directory)
    meta_path = folder / "forecaster.json"
    if not meta_path.is_file():
        raise FileNotFoundError(
            f"Forecaster.load: {str(folder)!r} holds no saved forecaster (no forecaster.json)"
        )
    meta = json.loads(meta_path.read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(
            f"Forecaster.load: {str(meta_path)!r} is not an rnnlab forecaster file "
            f"(format {meta.get('format')!r}, expected {FORMAT!r})"
        )
    settings = dict(meta["settings"])
    model = load_model(folder / "model.keras", custom_objects={"LastStep": LastStep}, compile=False)
    builder = settings.pop("model") or (lambda: model)
    settings["quantiles"] = settings["quantiles"] or None  # a point forecast saves []
    args = meta["data_args"]
    fc = cls(
        model=builder,
        **{k: v for k, v in settings.items() if k not in ("intervals",)},
        intervals=settings["intervals"] or "quantile",
        drop_short=meta["drop_short"],
        **{k: v for k, v in args.items()},
    )
    history = pd.read_csv(folder / "history.csv.gz", dtype={"unique_id": str})
    panel = fc.prepare(history.rename(columns=_back_to(args)), {"lookback": fc.lookback})
    fc.spec_ = fc.spec(panel)
    arrays = {
        name: None if meta[name] is None else np.asarray(meta[name], np.float64) for name in _ARRAYS
    }
    arrays["exog_center"] = arrays["exog_center"].reshape(len(panel), -1)
    arrays["exog_scale"] = arrays["exog_scale"].reshape(len(panel), -1)
    trained = engine.Trained(model, arrays["exog_center"], arrays["exog_scale"], None)
    trained.conformal = arrays["conformal"]
    trained.season = int(meta["season"])
    trained.history = _History(meta["history"])
    fc.trained_, fc.panel_ = trained, panel
    return fc


def _back_to(args: dict[str, Any]) -> dict[str, str]:
    """Panel.to_frame's column names -> the user's (so ``prepare`` reads them back)."""
    return {"unique_id": args["id_col"], "ds": args["time_col"], "y": args["target_col"]}


class _History:
    """The saved History's values (``history.history``), as after ``fit``."""

    def __init__(self, values: dict[str, list[float]]) -> None:
        self.history = values
