"""The ``summary()`` table, laid out as tf.keras 2 prints it (the chapter's look).

Example:
    >>> rows = [("simple_rnn (SimpleRNN)", "(None, 1)", 3)]
    >>> print(format_summary("sequential", rows, trainable=3, non_trainable=0))
    Model: "sequential"
    _________________________________________________________________
    Layer (type)                 Output Shape              Param #
    =================================================================
    simple_rnn (SimpleRNN)       (None, 1)                 3
    =================================================================
    Total params: 3
    Trainable params: 3
    Non-trainable params: 0
    _________________________________________________________________
"""

from __future__ import annotations

from collections.abc import Sequence

LINE_LENGTH = 65
# Column ends as fractions of the line, as tf.keras uses for sequential models.
POSITIONS = (0.45, 0.85, 1.0)


def _row(fields: Sequence[str], line_length: int) -> str:
    ends = [int(line_length * p) for p in POSITIONS]
    line = ""
    for field, end in zip(fields, ends, strict=True):
        line = (line + str(field))[:end]
        line += " " * (end - len(line))
    return line.rstrip()


def format_summary(
    name: str,
    rows: Sequence[tuple[str, str, int]],
    *,
    trainable: int,
    non_trainable: int,
    line_length: int = LINE_LENGTH,
) -> str:
    """Render the table: one row per layer ``(name (Type), output shape, param count)``."""
    lines = [f'Model: "{name}"', "_" * line_length]
    lines.append(_row(("Layer (type)", "Output Shape", "Param #"), line_length))
    lines.append("=" * line_length)
    for i, (layer, shape, count) in enumerate(rows):
        lines.append(_row((layer, shape, str(count)), line_length))
        lines.append(("=" if i == len(rows) - 1 else "_") * line_length)
    if not rows:
        lines.append("=" * line_length)
    lines += [
        f"Total params: {trainable + non_trainable:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {non_trainable:,}",
        "_" * line_length,
    ]
    return "\n".join(lines)
