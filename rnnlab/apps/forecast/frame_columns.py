"""Reading long-format data and checking its columns, row by row, for :func:`.frame.prepare`.

Each check is vectorised over the rows of the whole panel and raises a
:class:`ForecastDataError` that names the column, the series and the rows as the user sees
them (a CSV's line numbers, header = line 1; a DataFrame's index labels): a file that is not
a CSV, missing or doubled columns, empty or clashing ids, values that are not timestamps or
not numbers, infinite values, duplicate timestamps. :func:`_report` words the "first series,
its rows, n more series" part that the frequency and gap checks share.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .calendar import SHOW, ForecastDataError, _values, _Where


def _names(arg: str, names: Sequence[str] | str) -> tuple:
    names = (names,) if isinstance(names, str) else tuple(names)
    if len(set(names)) < len(names):
        raise ForecastDataError(f"{arg} names a column twice: {list(names)}")
    return names


def _read(data: object, id_col: str | None) -> tuple[pd.DataFrame, _Where]:
    if isinstance(data, pd.DataFrame):
        return data, _Where(data.index, "row")
    if not isinstance(data, str | os.PathLike):
        raise ForecastDataError(
            f"data must be a pandas DataFrame or the path of a CSV file; got {type(data).__name__}"
        )
    path = os.fspath(data)
    try:  # ids stay text: "007" is not the number 7
        frame = pd.read_csv(path, dtype=None if id_col is None else {id_col: str}, low_memory=False)
    except FileNotFoundError:
        raise ForecastDataError(f"no such file: {path}") from None
    except pd.errors.EmptyDataError:
        raise ForecastDataError(f"{path} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise ForecastDataError(f"{path} cannot be read as CSV: {e}") from None
    return frame, _Where(range(2, len(frame) + 2), "line")  # the header is line 1


def _check_columns(frame: pd.DataFrame, columns: list[tuple[object, str]]) -> None:
    present = list(frame.columns)
    seen: dict[object, str] = {}
    for col, role in columns:
        if col in seen:
            raise ForecastDataError(f"column {col!r} is given as both {seen[col]} and {role}")
        seen[col] = role
        if col not in frame.columns:
            hint = " (it is the index: pass data.reset_index())" if col == frame.index.name else ""
            raise ForecastDataError(
                f"column {col!r} ({role}) is not in the data; its columns are "
                f"{', '.join(map(repr, present))}{hint}"
            )
        if present.count(col) > 1:
            raise ForecastDataError(f"the data has {present.count(col)} columns named {col!r}")


def _report(mask: np.ndarray, codes: np.ndarray, ids: Sequence[str]) -> tuple[str, np.ndarray, str]:
    """The first series with a flagged row, its flagged positions, and 'n more series' words."""
    bad = np.flatnonzero(mask)
    mine = bad[codes[bad] == codes[bad[0]]]
    more = len(np.unique(codes[bad])) - 1
    tail = f"; {more} more series {'has' if more == 1 else 'have'} them too" if more else ""
    return ids[codes[bad[0]]], mine, tail


def _series_codes(raw: pd.Series, id_col: str, where: _Where) -> tuple[np.ndarray, tuple]:
    """Series codes 0..S-1 in the order of the ids as text, and those ids."""
    empty = raw.isna().to_numpy()
    if empty.any():
        raise ForecastDataError(
            f"column {id_col!r} (id_col) is empty at {where(np.flatnonzero(empty))}"
        )
    codes, uniques = pd.factorize(raw)
    text = np.array([str(u) for u in uniques], dtype=object)
    order = np.argsort(text, kind="stable")
    if len(set(text)) < len(text):
        raise ForecastDataError(
            f"column {id_col!r} (id_col) has different ids that read the same as text"
        )
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[codes].astype(np.int64), tuple(text[order])


def _timestamps(col: pd.Series, name: str, codes, ids, where: _Where) -> pd.DatetimeIndex:
    if pd.api.types.is_datetime64_any_dtype(col):
        parsed = col
    elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        v = col.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = v[~np.isnan(v)]
        if not ((ok == np.round(ok)) & (ok >= 1000) & (ok <= 9999)).all():
            raise ForecastDataError(
                f"column {name!r} (time_col) holds numbers, not timestamps; convert it first "
                "(e.g. pd.to_datetime(data[...], unit='s'))"
            )
        parsed = pd.to_datetime(col.astype("Int64").astype(str), format="%Y", errors="coerce")
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "could not infer format": the rows say which
                parsed = pd.to_datetime(col, errors="coerce")
        except (ValueError, TypeError) as e:
            raise ForecastDataError(f"column {name!r} (time_col): {e}") from None
    empty = col.isna().to_numpy()
    bad = pd.isna(parsed).to_numpy() & ~empty
    if bad.any():
        series, rows, tail = _report(bad, codes, ids)
        raise ForecastDataError(
            f"series {series!r}: column {name!r} (time_col) has values that are not timestamps"
            f" at {where(rows)}: {_values(list(col.to_numpy()[rows]))}{tail}"
        )
    if empty.any():
        series, rows, tail = _report(empty, codes, ids)
        raise ForecastDataError(
            f"series {series!r}: column {name!r} (time_col) is empty at {where(rows)}{tail}"
        )
    return pd.DatetimeIndex(parsed).as_unit("ns")


def _numbers(col: pd.Series, name: str, role: str, codes, ids, where: _Where) -> np.ndarray:
    """float64 (N,) of a target or covariate column, NaN where empty."""
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        v = col.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        num = pd.to_numeric(col, errors="coerce")
        bad = (num.isna() & col.notna()).to_numpy()
        if bad.any():
            series, rows, tail = _report(bad, codes, ids)
            raise ForecastDataError(
                f"series {series!r}: column {name!r} ({role}) has values that are not numbers"
                f" at {where(rows)}: {_values(list(col.to_numpy()[rows]))}{tail}"
            )
        v = num.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(v).any():
        series, rows, tail = _report(np.isinf(v), codes, ids)
        raise ForecastDataError(
            f"series {series!r}: column {name!r} ({role}) has infinite values at "
            f"{where(rows)}{tail}"
        )
    return v


def _check_duplicates(ts: pd.DatetimeIndex, codes, ids, where: _Where) -> None:
    dup = np.r_[False, (codes[1:] == codes[:-1]) & (ts.asi8[1:] == ts.asi8[:-1])]
    if dup.any():
        series, rows, tail = _report(dup, codes, ids)
        pairs = ", ".join(f"{ts[r]} at {where(np.array([r - 1, r]))}" for r in rows[:SHOW])
        raise ForecastDataError(f"series {series!r} has duplicate timestamps: {pairs}{tail}")
