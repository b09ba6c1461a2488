"""Old path, kept working: the code lives in the chapter app's ``pipeline`` and ``recipes``."""

from rnnlab.apps.chapter.pipeline import (
    QUICK_EPOCHS,
    QUICK_SERIES,
    ChapterConfig,
    ChapterRun,
    ModelResult,
    Replica,
    RunObserver,
    run_chapter,
    versions,
)
from rnnlab.apps.chapter.recipes import (
    CHAPTER_MSE,
    MODEL_NAMES,
    RECIPES,
    Recipe,
    build_model,
    model_seed,
    parse_models,
    replica_seeds,
)

__all__ = [
    "CHAPTER_MSE",
    "MODEL_NAMES",
    "QUICK_EPOCHS",
    "QUICK_SERIES",
    "RECIPES",
    "ChapterConfig",
    "ChapterRun",
    "ModelResult",
    "Recipe",
    "Replica",
    "RunObserver",
    "build_model",
    "model_seed",
    "parse_models",
    "replica_seeds",
    "run_chapter",
    "versions",
]
