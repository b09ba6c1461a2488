"""Runner for PyTorch: the chapter's models rebuilt from the same layer specs.

SimpleRNN → ``nn.RNN(tanh)``, LSTM → ``nn.LSTM``, GRU → ``nn.GRU`` (all ``batch_first``),
Conv1D → ``nn.Conv1d`` on a channels-first view, Dense → ``nn.Linear``; a recurrent layer
without ``return_sequences`` keeps only its last step. Weights use PyTorch's default
initializers (Keras uses Glorot-uniform / orthogonal / zero biases), Adam uses PyTorch's
defaults (eps 1e-8 against Keras's 1e-7) at the chapter's learning rates.

Invoked as ``python -m benchmarks.torch_runner --spec <json>``; prints one JSON line.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from benchmarks.common import (
    CHAPTER_MODELS,
    LayerSpec,
    ModelSpec,
    compile_estimate,
    current_rss_mb,
    load_arrays,
    mse,
    runner_main,
    scaling_model,
)

RECURRENT = {"SimpleRNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}


class Recurrent(nn.Module):
    """A Keras-like recurrent layer: the whole sequence, or only its last step."""

    def __init__(self, kind: str, in_features: int, units: int, return_sequences: bool) -> None:
        super().__init__()
        kwargs = {"nonlinearity": "tanh"} if kind == "SimpleRNN" else {}
        self.rnn = RECURRENT[kind](in_features, units, batch_first=True, **kwargs)
        self.return_sequences = return_sequences

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return out if self.return_sequences else out[:, -1]


class Conv1D(nn.Module):
    """Keras ``Conv1D(padding="valid")`` on ``(batch, steps, channels)`` tensors."""

    def __init__(self, in_features: int, filters: int, kernel_size: int, strides: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_features, filters, kernel_size, stride=strides)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x.transpose(1, 2)).transpose(1, 2)


def build_layer(layer: LayerSpec, in_features: int) -> tuple[nn.Module, int]:
    """One PyTorch module for a Keras-style layer spec, and its output feature count."""
    kind, kw = layer
    if kind in RECURRENT:
        return Recurrent(kind, in_features, kw["units"], kw.get("return_sequences", False)), kw[
            "units"
        ]
    if kind == "Dense":
        return nn.Linear(in_features, kw["units"]), kw["units"]
    if kind == "Conv1D":
        if kw.get("padding", "valid") != "valid":
            raise ValueError("only padding='valid' is mirrored")
        conv = Conv1D(in_features, kw["filters"], kw["kernel_size"], kw.get("strides", 1))
        return conv, kw["filters"]
    raise ValueError(f"no PyTorch equivalent for layer {kind!r}")


def build_model(spec: ModelSpec) -> nn.Sequential:
    """The spec's layers, in order, on one input feature."""
    modules, features = [], 1
    for layer in spec.layers:
        module, features = build_layer(layer, features)
        modules.append(module)
    return nn.Sequential(*modules)


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def sync(dev: torch.device) -> None:
    """Wait for queued GPU work, so wall-clock timings are honest."""
    if dev.type == "cuda":
        torch.cuda.synchronize()


def evaluate(model: nn.Module, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Predictions in batches of ``batch_size`` (as Keras validates and predicts)."""
    model.eval()
    with torch.no_grad():
        out = torch.cat([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])
    model.train()
    return out


def train(
    model: nn.Module,
    opt: torch.optim.Optimizer,
    data: dict[str, torch.Tensor],
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    validate: bool,
) -> tuple[dict[str, list[float]], list[float]]:
    """MSE with a fresh random permutation of the training set each epoch.

    Returns the per-epoch history (``loss`` and, if validating, ``val_loss``) and wall
    seconds per epoch (validation included).
    """
    loss_fn = nn.MSELoss()
    gen = torch.Generator().manual_seed(seed)
    x, y = data["x_train"], data["y_train"]
    history: dict[str, list[float]] = {"loss": [], "val_loss": []} if validate else {"loss": []}
    seconds: list[float] = []
    model.train()
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(x), generator=gen).to(x.device)
        total = torch.zeros((), device=x.device)
        for i in range(0, len(x), batch_size):
            idx = perm[i : i + batch_size]
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
        history["loss"].append(float(total) / len(x))
        if validate:
            pred = evaluate(model, data["x_val"], batch_size)
            history["val_loss"].append(float(loss_fn(pred, data["y_val"])))
        sync(x.device)
        seconds.append(time.perf_counter() - t0)
    return history, seconds


def to_tensors(arrays: dict[str, np.ndarray], dev: torch.device) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(np.ascontiguousarray(v)).to(dev) for k, v in arrays.items()}


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one job described by ``spec`` (see ``benchmarks.run`` for its fields)."""
    if spec.get("torch_threads"):
        torch.set_num_threads(spec["torch_threads"])
    dev = device()
    info: dict[str, Any] = {
        "device": "cpu" if dev.type == "cpu" else f"cuda:{torch.cuda.get_device_name(0)}",
        "versions": {"torch": torch.__version__},
        "torch_threads": torch.get_num_threads(),
        "baseline_rss_mb": current_rss_mb(),
    }
    torch.manual_seed(spec["seed"])
    np.random.seed(spec["seed"])
    chapter = spec["workload"] == "chapter"
    model_spec = CHAPTER_MODELS[spec["model"]] if chapter else scaling_model(spec["units"])
    arrays = load_arrays(spec["data"], model_spec.horizon)
    data = to_tensors(arrays, dev)
    # Model and optimizer are built outside the timed fit, as Keras's compile() is; the
    # first Adam() of a process takes ~1 s of lazy imports, reported here as setup_s.
    t0 = time.perf_counter()
    model = build_model(model_spec).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=model_spec.learning_rate)
    info["setup_s"] = time.perf_counter() - t0
    info["n_params"] = sum(p.numel() for p in model.parameters())
    common = {"batch_size": spec["batch_size"]}
    if chapter:
        t0 = time.perf_counter()
        history, epoch_seconds = train(
            model, opt, data, epochs=spec["epochs"], seed=spec["seed"], validate=True, **common
        )
        info["fit_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        y_pred = evaluate(model, data["x_val"], spec["batch_size"]).cpu().numpy()
        info["predict_s"] = time.perf_counter() - t0
        info["compile_s"], info["epoch_s"] = compile_estimate(epoch_seconds)
        info.update(epoch_seconds=epoch_seconds, val_mse=mse(arrays["y_val"], y_pred), **history)
    else:
        t0 = time.perf_counter()
        train(model, opt, data, epochs=1, seed=spec["seed"], validate=False, **common)
        info["warmup_s"] = time.perf_counter() - t0
        _, epoch_seconds = train(
            model, opt, data, epochs=spec["epochs"], seed=spec["seed"] + 1, validate=False, **common
        )
        info.update(epoch_s=sum(epoch_seconds) / len(epoch_seconds), epoch_seconds=epoch_seconds)
    if dev.type == "cuda":
        info["device_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return info


def main(argv: Sequence[str] | None = None) -> int:
    return runner_main(run, argv)


if __name__ == "__main__":
    sys.exit(main())
