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

import re
from collections.abc import Sequence

LINE_LENGTH = 65
# Column ends as fractions of the line, as tf.keras uses for sequential models.
POSITIONS = (0.45, 0.85, 1.0)


#: The functional table's line and column ends (tf.keras 2's ``Connected to`` layout).
FUNCTIONAL_LINE_LENGTH = 98
FUNCTIONAL_POSITIONS = (0.33, 0.55, 0.67, 1.0)


def _row(fields: Sequence[str], line_length: int, positions: Sequence[float] = POSITIONS) -> str:
    ends = [int(line_length * p) for p in positions]
    line = ""
    for field, end in zip(fields, ends, strict=True):
        line = (line + str(field))[:end]
        line += " " * (end - len(line))
    return line.rstrip()


def _wrap_shapes(text: str, width: int) -> list[str]:
    """``"[(None, 8), (None, 8)]"`` in lines of at most ``width`` characters, broken only
    between shapes (a single shape longer than ``width`` stays whole)."""
    lines: list[str] = []
    for part in re.split(r"(?<=\)), ", text):
        if lines and len(lines[-1]) + 2 + len(part) <= width:
            lines[-1] += ", " + part
        else:
            if lines:
                lines[-1] += ","
            lines.append(part)
    return lines or [""]


def _totals(trainable: int, non_trainable: int, line_length: int) -> list[str]:
    """The parameter totals that close every table."""
    return [
        f"Total params: {trainable + non_trainable:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {non_trainable:,}",
        "_" * line_length,
    ]


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
    return "\n".join(lines + _totals(trainable, non_trainable, line_length))


def format_functional_summary(
    name: str,
    rows: Sequence[tuple[str, str, int, Sequence[str]]],
    *,
    trainable: int,
    non_trainable: int,
) -> str:
    """The functional model's table: rows ``(name (Type), output shape, param count,
    inbound tensors)``, each inbound tensor as ``layer[node][tensor]``, one per line.

    Example:
        >>> rows = [("x (InputLayer)", "[(None, 3)]", 0, []),
        ...         ("d (Dense)", "(None, 1)", 4, ["x[0][0]"])]
        >>> print(format_functional_summary("functional", rows, trainable=4, non_trainable=0))
        ... # doctest: +NORMALIZE_WHITESPACE
        Model: "functional"
        __________________________________________________________________________________________________
        Layer (type)                    Output Shape         Param #     Connected to
        ==================================================================================================
        x (InputLayer)                  [(None, 3)]          0
        __________________________________________________________________________________________________
        d (Dense)                       (None, 1)            4           x[0][0]
        ==================================================================================================
        Total params: 4
        Trainable params: 4
        Non-trainable params: 0
        __________________________________________________________________________________________________
    """
    length, pos = FUNCTIONAL_LINE_LENGTH, FUNCTIONAL_POSITIONS
    lines = [f'Model: "{name}"', "_" * length]
    lines.append(_row(("Layer (type)", "Output Shape", "Param #", "Connected to"), length, pos))
    lines.append("=" * length)
    shape_width = int(length * pos[1]) - int(length * pos[0]) - 1
    for i, (layer, shape, count, inbound) in enumerate(rows):
        # a long shape (a layer with several outputs) wraps after its commas, as
        # tf.keras 2.11+ wraps, instead of running into the next column
        shapes = _wrap_shapes(shape, shape_width)
        for j in range(max(len(shapes), len(inbound), 1)):
            fields = (
                layer if j == 0 else "",
                shapes[j] if j < len(shapes) else "",
                str(count) if j == 0 else "",
                inbound[j] if j < len(inbound) else "",
            )
            lines.append(_row(fields, length, pos))
        lines.append(("=" if i == len(rows) - 1 else "_") * length)
    return "\n".join(lines + _totals(trainable, non_trainable, length))
