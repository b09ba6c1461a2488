"""Old path, kept working: the code lives in the chapter app, :mod:`rnnlab.apps.chapter.report`."""

from rnnlab.apps.chapter.report import (
    MARKERS,
    discard_folder,
    plural,
    publish_folder,
    render_markdown,
    results_dict,
    stage_folder,
    write_figures,
    write_report,
)

__all__ = [
    "MARKERS",
    "discard_folder",
    "plural",
    "publish_folder",
    "render_markdown",
    "results_dict",
    "stage_folder",
    "write_figures",
    "write_report",
]
