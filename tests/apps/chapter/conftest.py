"""Fixtures of the chapter app's tests (the shared ones are in tests/conftest.py)."""

from __future__ import annotations

import pytest

from rnnlab.apps.chapter import pipeline
from rnnlab.callbacks import Callback


class Recorder(pipeline.RunObserver):
    def __init__(self):
        self.events = []

    def model_started(self, name, index, total, summary):
        self.events.append(("start", name, index, total, summary.splitlines()[0]))

    def callbacks(self, name, epochs):
        events = self.events

        class Epochs(Callback):
            def on_epoch_end(self, epoch, logs=None):
                events.append(("epoch", name, epoch, sorted(logs)))

        return [Epochs()]

    def model_finished(self, result):
        self.events.append(("done", result.name))


@pytest.fixture(scope="package")
def small_run():
    """A quick run of basic_rnn and gru, one at a time, with every observer event recorded."""
    recorder = Recorder()
    config = pipeline.ChapterConfig(epochs=2, models=("basic_rnn", "gru"), quick=True, workers=1)
    return pipeline.run_chapter(config, recorder), recorder
