"""Time-to-event (survival) targets: a follow-up time and whether the event was seen, with censoring.

A survival target is stored as one ``(n, 2)`` float64 array: column 0 the follow-up ``time`` (finite, >= 0,
any unit; days in the bundled cohort), column 1 the ``event`` indicator (1: the event was seen at ``time``,
0: censored, i.e. event-free when follow-up ended). ``MultimodalData(task="survival")`` holds it as
``target`` and offers ``data.time`` and ``data.event``.

Flat tables give the two columns with ``--time COL --event COL[=VALUE]`` (``from_table(..., time=, event=)``);
:func:`event_indicator` reads the event column: 0/1, True/False, or, with ``VALUE``, a column of exactly
two values where ``VALUE`` means the event. Anything else is a one-line error naming the row.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataFormatError

SURVIVAL = "survival"
TIME_COLUMN, EVENT_COLUMN = 0, 1


def check_survival_target(target: np.ndarray, source: str = "target", row_offset: int = 0) -> np.ndarray:
    """``target`` as a validated ``(n, 2)`` float64 array of (time, event); errors name the row."""
    target = np.asarray(target)
    if target.ndim != 2 or target.shape[1] != 2 or target.dtype.kind not in "biuf":
        raise DataFormatError(f"{source}: a survival target must be an (n, 2) numeric array of (time, event), "
                              f"got shape {target.shape} and dtype {target.dtype}")
    target = target.astype(np.float64)
    time, event = target[:, TIME_COLUMN], target[:, EVENT_COLUMN]
    bad = ~np.isfinite(time) | (time < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataFormatError(f"{source}, row {row_offset + row}: follow-up time {time[row]} must be finite and >= 0")
    bad = ~np.isin(event, (0.0, 1.0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataFormatError(f"{source}, row {row_offset + row}: event indicator {event[row]} must be 0 (censored) or 1")
    return target


def parse_event_option(text: str) -> tuple[str, str | None]:
    """``"status=dead"`` -> ``("status", "dead")``; ``"died"`` -> ``("died", None)`` (the ``--event`` option)."""
    column, sep, value = str(text).partition("=")
    if not column.strip() or (sep and not value.strip()):
        raise DataFormatError(f"--event {text!r}: expected COLUMN or COLUMN=VALUE (the value that means the event)")
    return column.strip(), value.strip() if sep else None


def follow_up_time(series, column: str, source: str) -> np.ndarray:
    """``(n,)`` float64 follow-up times of a table column; missing, non-numeric or negative is an error."""
    import pandas as pd

    numeric = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(numeric) | (numeric < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = series.iloc[row]
        shown = repr(value) if isinstance(value, str) else f"{float(value):g}"
        problem = "is missing" if pd.isna(value) else f"{shown} is not a finite time >= 0"
        raise DataFormatError(f"{source}, column {column!r}, row {row}: follow-up time {problem}")
    return numeric


def event_indicator(series, column: str, value: str | None, source: str) -> np.ndarray:
    """``(n,)`` float64 0/1 event flags of a table column.

    Without ``value`` the column must hold 0/1 or True/False (numbers or text); with ``value`` it must hold
    exactly two distinct values, ``value`` (the event) and one other (censored). Missing cells are errors.
    """
    import pandas as pd

    missing = series.isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise DataFormatError(f"{source}, column {column!r}, row {row}: event status is missing")
    text = series.astype(str).str.strip()
    if series.dtype.kind == "f":  # 1.0 / 0.0 read from a CSV with gaps elsewhere
        text = pd.Series(np.where(series == np.round(series), series.astype(np.int64).astype(str), text), index=series.index)
    if value is None:
        lookup = {"1": 1.0, "0": 0.0, "true": 1.0, "false": 0.0}
        lowered = text.str.lower()
        bad = ~lowered.isin(list(lookup)).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataFormatError(f"{source}, column {column!r}, row {row}: event value {series.iloc[row]!r} is not 0/1 or "
                                  f"True/False; name the event value with --event {column}=VALUE")
        return lowered.map(lookup).to_numpy(dtype=np.float64)
    levels = list(dict.fromkeys(text.tolist()))
    if value not in levels:
        raise DataFormatError(f"{source}, column {column!r}: event value {value!r} does not occur (values: "
                              f"{', '.join(map(repr, levels[:10]))})")
    others = [level for level in levels if level != value]
    if len(others) > 1:
        row = int(np.flatnonzero((text != value).to_numpy() & (text != others[0]).to_numpy())[0])
        raise DataFormatError(f"{source}, column {column!r}, row {row}: value {series.iloc[row]!r} is neither the event "
                              f"{value!r} nor the censored value {others[0]!r} (an event column holds two values)")
    return (text == value).to_numpy(dtype=np.float64)


def survival_summary(target: np.ndarray) -> str:
    """``"survival (418 patients, 153 events, 265 censored; follow-up 30 to 4499, median 1710)"``."""
    time, event = target[:, TIME_COLUMN], target[:, EVENT_COLUMN]
    events = int(event.sum())
    return (f"survival ({len(time)} samples, {events} events, {len(time) - events} censored; follow-up "
            f"{time.min():g} to {time.max():g}, median {np.median(time):g})")
