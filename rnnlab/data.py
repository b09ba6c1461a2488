"""Old path, kept working: the code lives in the chapter app, :mod:`rnnlab.apps.chapter.data`."""

from rnnlab.apps.chapter.data import (
    SeedLike,
    SeriesSplit,
    chapter_datasets,
    generate_time_series,
    seq2seq_datasets,
    seq2seq_targets,
    split_series,
)

__all__ = [
    "SeedLike",
    "SeriesSplit",
    "chapter_datasets",
    "generate_time_series",
    "seq2seq_datasets",
    "seq2seq_targets",
    "split_series",
]
