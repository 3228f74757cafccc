"""Flat tables (CSV/TSV, flat Parquet, pandas) onto the data model through an explicit column schema.

A real cohort arrives as one column per field. A :class:`TableSchema` gives every column exactly one role:

- a **modality field**: ``modalities={"labs": ["bili", "alb*"]}`` (column names or ``fnmatch`` globs, in
  table order); a modality's fields form one block;
- the **target** (or a time-to-event pair, **time** and **event**), the **id**, **covariates** (always observed; numeric, or categorical and then one-hot
  coded with the levels kept), or **ignored**.

A column with no role, or with two, is a one-line error naming every such column and the options that
would take it; roles are never guessed.

A block is *present* in a row when at least one of its fields is observed. A *partial* block (some fields
present, some not) follows the ``partial`` policy:

- ``"observed"`` (default): the block is present; its missing fields are filled with the field mean over
  the rows where that field is observed, and the field-level mask is kept in
  ``MultimodalData.field_observed`` so that no observed value is lost;
- ``"missing"``: the whole block counts as absent in that row (its observed fields are not used);
- ``"error"``: a partial block is an error naming the row and the missing field.

The resolved schema (columns per modality, categorical levels, fill values, class names) is kept in
``data.metadata["schema"]``; passing it back as ``from_table(..., schema=that)`` reads new rows the same
way, a single row included.

Examples
--------
>>> import pandas as pd
>>> from missmodal.data.schema import from_table
>>> frame = pd.DataFrame({"id": ["p1", "p2", "p3"], "died": ["yes", "no", "no"], "age": [70, 50, 61],
...                       "bili": [1.0, None, 2.0], "alb": [3.1, None, None], "hr": [80, 72, None]})
>>> data = from_table(frame, modalities={"labs": ["bili", "alb"], "vitals": ["hr"]}, target="died",
...                   id="id", covariates=["age"])
>>> data.group_names()
['labs+vitals', 'vitals', 'labs']
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pyarrow as pa

from ..errors import DataFormatError
from .arrow import _target_from_column
from .limits import check_magnitude
from .multimodal import MultimodalData
from .survival import SURVIVAL, event_indicator, follow_up_time, parse_event_option

PARTIAL_POLICIES = ("observed", "missing", "error")
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}


@dataclass
class TableSchema:
    """The role of every column of a flat table.

    Parameters
    ----------
    modalities : mapping of modality name to a list of column names or globs (``"lab_*"``).
    target, id : column names, optional.
    covariates : always-observed columns; numeric ones are used as they are, string/categorical ones are
        one-hot coded (``site=A``, ``site=B``, ...).
    ignore : columns read by nobody (names or globs).
    partial : policy for partly observed blocks, one of ``"observed"``, ``"missing"``, ``"error"``.
    task : override the task inferred from the target (``"binary"``, ``"multiclass"``, ``"regression"``).
    time, event : a time-to-event target instead of ``target``: the follow-up time column and the event
        column, ``"COL"`` (0/1 or True/False) or ``"COL=VALUE"`` (the value that means the event); the task
        is then ``"survival"`` (see :mod:`missmodal.data.survival`).
    """

    modalities: dict[str, list[str]]
    target: str | None = None
    id: str | None = None
    covariates: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    partial: str = "observed"
    task: str | None = None
    time: str | None = None
    event: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.modalities, Mapping) or not self.modalities:
            raise DataFormatError("schema: at least one modality is needed (--modality NAME=COL1,COL2,...)")
        self.modalities = {str(k): _as_list(v, f"modality {k!r}") for k, v in self.modalities.items()}
        for name, columns in self.modalities.items():
            if not name or "+" in name:
                raise DataFormatError(f"schema: modality name {name!r} must be non-empty and without '+'")
            if not columns:
                raise DataFormatError(f"schema: modality {name!r} has no columns")
        self.covariates = _as_list(self.covariates, "covariates")
        self.ignore = _as_list(self.ignore, "ignore")
        if self.partial not in PARTIAL_POLICIES:
            raise DataFormatError(f"schema: partial must be one of {', '.join(PARTIAL_POLICIES)}, got {self.partial!r}")
        if self.target is not None and "," in str(self.target):
            raise DataFormatError(f"schema: target {self.target!r} names several columns; give a time-to-event target "
                                  "as --time COLUMN --event COLUMN[=VALUE]")
        if (self.time is None) != (self.event is None):
            raise DataFormatError("schema: a survival target needs both --time COLUMN and --event COLUMN[=VALUE]")
        if self.time is not None:
            if self.target is not None:
                raise DataFormatError(f"schema: give either --target ({self.target!r}) or --time/--event, not both")
            if self.task not in (None, SURVIVAL):
                raise DataFormatError(f"schema: --time/--event make a survival target; --task {self.task} does not apply")
            parse_event_option(self.event)
            self.task = SURVIVAL
        elif self.task == SURVIVAL:
            raise DataFormatError("schema: task survival needs --time COLUMN --event COLUMN[=VALUE]")

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "TableSchema":
        """A schema from a YAML (or JSON) file with the keys of this class."""
        import yaml

        path = Path(path)
        try:
            content = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise DataFormatError(f"{path}: unreadable schema file ({str(error).splitlines()[0]})") from None
        if not isinstance(content, dict):
            raise DataFormatError(f"{path}: a schema file must be a mapping with a 'modalities' key")
        unknown = sorted(set(content) - {f for f in cls.__dataclass_fields__})
        if unknown:
            raise DataFormatError(f"{path}: unknown schema key(s) {', '.join(unknown)}; known: "
                                  f"{', '.join(cls.__dataclass_fields__)}")
        try:
            return cls(**content)
        except TypeError as error:
            raise DataFormatError(f"{path}: {error}") from None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _as_list(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    raise DataFormatError(f"schema: {what} must be a list of column names, got {type(value).__name__}")


def parse_modality_option(text: str) -> tuple[str, list[str]]:
    """``"labs=bili,alb*"`` -> ``("labs", ["bili", "alb*"])`` (the ``--modality`` option)."""
    name, sep, columns = text.partition("=")
    if not sep or not name.strip() or not columns.strip():
        raise DataFormatError(f"--modality {text!r}: expected NAME=COL1,COL2,... (globs like lab_* allowed)")
    return name.strip(), _as_list(columns, f"modality {name!r}")


# --- reading ---------------------------------------------------------------------------------------------

def read_table(source: Any, name: str | None = None):
    """A pandas DataFrame from a DataFrame, a CSV/TSV path or a flat Parquet path; errors name the file."""
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return source, name or "DataFrame"
    path = Path(source)
    if not path.exists():
        raise DataFormatError(f"{path}: no such file")
    if path.is_dir():
        raise DataFormatError(f"{path}: is a directory, expected a table file (.csv, .tsv, .parquet)")
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return _read_text_table(path, TABLE_SUFFIXES[suffix]), str(path)
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise DataFormatError(f"{path}: not a Parquet file and not a .csv/.tsv table "
                              f"({str(error).splitlines()[0]})") from None
    duplicated = sorted({c for c in table.column_names if table.column_names.count(c) > 1})
    if duplicated:
        raise DataFormatError(f"{path}: duplicate column name(s) {', '.join(map(repr, duplicated))}")
    return table.to_pandas(), str(path)


def _read_text_table(path: Path, sep: str | None):
    import pandas as pd

    try:
        with open(path, "rb") as handle:
            header = handle.readline()
        header.decode("utf-8")
        frame = pd.read_csv(path, sep=sep, encoding="utf-8-sig", engine="python" if sep is None else "c")
    except UnicodeDecodeError as error:
        raise DataFormatError(f"{path}: not UTF-8 text (byte {error.start}); re-save the table as UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        delimiter = {",": "comma", "\t": "tab", None: "sniffed"}[sep]
        raise DataFormatError(f"{path}: cannot parse as a {delimiter}-delimited table "
                              f"({str(error).splitlines()[0]}); .csv is comma-, .tsv tab-separated") from None
    _check_duplicate_header(path, header.decode("utf-8-sig"), sep)
    return frame


def _check_duplicate_header(path: Path, header: str, sep: str | None) -> None:
    import csv

    if sep is None:
        return
    names = next(csv.reader([header.rstrip("\r\n")], delimiter=sep), [])
    duplicated = sorted({c for c in names if names.count(c) > 1})
    if duplicated:
        raise DataFormatError(f"{path}: duplicate column name(s) {', '.join(map(repr, duplicated))}")


# --- roles -----------------------------------------------------------------------------------------------

def _expand(patterns: list[str], columns: list[str], what: str, source: str) -> list[str]:
    """Columns matched by names/globs, in table order; a pattern that matches nothing is an error."""
    chosen = []
    for pattern in patterns:
        matched = [c for c in columns if c == pattern or (any(ch in pattern for ch in "*?[") and fnmatch.fnmatchcase(c, pattern))]
        if not matched:
            raise DataFormatError(f"{source}: {what} column {pattern!r} not found; columns: {', '.join(columns[:30])}")
        chosen += [c for c in matched if c not in chosen]
    return chosen


def resolve_roles(schema: TableSchema, columns: list[str], source: str, require_target: bool = True) -> dict[str, Any]:
    """Concrete columns of every role; every column exactly one role."""
    roles: dict[str, str] = {}

    def claim(column: str, role: str) -> None:
        if column in roles and roles[column] != role:
            raise DataFormatError(f"{source}, column {column!r}: given two roles ({roles[column]} and {role})")
        roles[column] = role

    target = schema.target if (schema.target in columns or require_target) else None
    time = schema.time if (schema.time in columns or require_target) else None
    event = parse_event_option(schema.event)[0] if schema.event is not None else None
    event = event if (event in columns or require_target) else None
    for role, column in (("target", target), ("follow-up time", time), ("event", event), ("id", schema.id)):
        if column is not None:
            if column not in columns:
                raise DataFormatError(f"{source}: {role} column {column!r} not found; columns: {', '.join(columns[:30])}")
            claim(column, role)
    modalities = {}
    for name, patterns in schema.modalities.items():
        modalities[name] = _expand(patterns, columns, f"modality {name!r}", source)
        for column in modalities[name]:
            claim(column, f"modality {name}")
    covariates = _expand(schema.covariates, columns, "covariate", source)
    for column in covariates:
        claim(column, "covariate")
    for column in _expand(schema.ignore, columns, "ignored", source):
        claim(column, "ignored")
    unassigned = [c for c in columns if c not in roles]
    if unassigned:
        shown = ", ".join(unassigned[:20]) + (f" and {len(unassigned) - 20} more" if len(unassigned) > 20 else "")
        raise DataFormatError(f"{source}: column(s) with no role: {shown}; give each one with --modality NAME=COLS, "
                              "--covariates, --ignore (or --target / --id)")
    if (time is None) != (event is None):
        absent = schema.time if time is None else schema.event
        raise DataFormatError(f"{source}: survival column {absent!r} not found while its partner is present")
    return dict(target=target, time=time, event=event, id=schema.id, modalities=modalities, covariates=covariates,
                ignored=[c for c, r in roles.items() if r == "ignored"])


# --- conversion ------------------------------------------------------------------------------------------

def from_table(source: Any, modalities: Mapping[str, Sequence[str]] | None = None, target: str | None = None,
               id: str | None = None, covariates: Sequence[str] | str | None = None,
               ignore: Sequence[str] | str | None = None, partial: str = "observed", task: str | None = None,
               schema: TableSchema | Mapping[str, Any] | None = None, require_target: bool = True,
               name: str | None = None, time: str | None = None, event: str | None = None) -> MultimodalData:
    """`MultimodalData` from a flat table and a schema (see the module docstring).

    Parameters
    ----------
    source : pandas DataFrame or path of a ``.csv``/``.tsv`` or flat Parquet file.
    modalities, target, id, covariates, ignore, partial, task, time, event : the roles, as in :class:`TableSchema`
        (``time="days", event="status=dead"`` for a survival target).
    schema : a :class:`TableSchema`, or the resolved schema a previous read stored in
        ``data.metadata["schema"]`` (then categorical levels, fill values and class names are reused, so
        that new rows, one row included, are read exactly as the training rows were).
    require_target : when False a schema target absent from the table is allowed (prediction).

    Returns
    -------
    MultimodalData with ``modalities[name]`` of shape (n, number of fields), ``field_observed`` where a
    block is partly observed, and ``metadata["schema"]`` (the resolved roles and codings) and
    ``metadata["schema_report"]`` (partial-row counts per modality).
    """
    fitted: Mapping[str, Any] = {}
    if isinstance(schema, Mapping):
        fitted = schema
        given = {k: schema[k] for k in TableSchema.__dataclass_fields__ if k in schema}
        if "columns" in schema:  # a resolved schema: the exact fields it was fitted on, not the globs
            given["modalities"] = schema["columns"]
            given["covariates"] = schema.get("covariate_columns", given.get("covariates", []))
            given["ignore"] = [c for c in schema.get("ignored_columns", [])]
        schema = TableSchema(**given)
    if schema is None:
        schema = TableSchema(modalities=dict(modalities or {}), target=target, id=id, covariates=covariates or [],
                             ignore=ignore or [], partial=partial, task=task, time=time, event=event)
    frame, source_name = read_table(source, name)
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if len(set(columns)) != len(columns):
        duplicated = sorted({c for c in columns if columns.count(c) > 1})
        raise DataFormatError(f"{source_name}: duplicate column name(s) {', '.join(map(repr, duplicated))}")
    if not len(frame):
        raise DataFormatError(f"{source_name}: no rows (no samples to read)")
    roles = resolve_roles(schema, columns, source_name, require_target)
    arrays, observed, field_observed, fill_values, partial_rows = {}, [], {}, {}, {}
    for modality, fields in roles["modalities"].items():
        values = _numeric_block(frame, fields, modality, source_name)
        present = ~np.isnan(values)
        block_observed = present.any(axis=1)
        partial_mask = block_observed & ~present.all(axis=1)
        partial_rows[modality] = int(partial_mask.sum())
        if partial_mask.any() and schema.partial == "error":
            row = int(np.flatnonzero(partial_mask)[0])
            column = fields[int(np.flatnonzero(~present[row])[0])]
            raise DataFormatError(f"{source_name}, column {column!r}, row {row}: modality {modality!r} is partly "
                                  "observed (use --partial observed to keep it, or --partial missing to drop the block)")
        if schema.partial == "missing":
            block_observed = present.all(axis=1)
        elif partial_mask.any():
            fill = _fill_values(values, present & block_observed[:, None], fields, modality, source_name,
                                fitted.get("fill_values", {}).get(modality))
            fill_values[modality] = fill.tolist()
            values = np.where(present, values, fill[None, :])
            field_observed[modality] = present & block_observed[:, None]
        values[~block_observed] = np.nan
        arrays[modality] = values.astype(np.float32)
        observed.append(block_observed)
    observed = np.column_stack(observed)
    empty = ~observed.any(axis=1)
    if empty.any():
        raise DataFormatError(f"{source_name}, row {int(np.flatnonzero(empty)[0])}: sample has no modality observed "
                              f"(all fields of {', '.join(roles['modalities'])} are missing)")
    covariate_values, covariate_names, categories = _covariates(frame, roles["covariates"], source_name,
                                                                fitted.get("categories", {}))
    for j, name in enumerate(covariate_names or []):
        check_magnitude(covariate_values[:, j], None, source_name, name)
    target_values, task_, classes = None, schema.task, fitted.get("classes")
    if roles["target"] is not None:
        target_values, task_, classes = _target_from_column(pa.chunked_array([_arrow_column(frame[roles["target"]])]),
                                                            roles["target"], source_name, 0, schema.task, classes)
        task_ = task_ or fitted.get("task")
    elif roles["time"] is not None:
        target_values = np.column_stack([
            follow_up_time(frame[roles["time"]], roles["time"], source_name),
            event_indicator(frame[roles["event"]], roles["event"], parse_event_option(schema.event)[1], source_name)])
    ids = frame[roles["id"]].to_numpy() if roles["id"] else np.arange(len(frame))
    if ids.dtype.kind == "O":
        ids = ids.astype(str)
    resolved = dict(schema.to_dict(), columns=roles["modalities"], covariate_columns=roles["covariates"],
                    ignored_columns=roles["ignored"], categories=categories,
                    fill_values={**dict(fitted.get("fill_values", {})), **fill_values},
                    classes=list(classes) if classes is not None else None, task=task_)
    metadata = {"schema": resolved, "schema_report": {"source": source_name, "rows": len(frame),
                                                      "partial_rows": partial_rows}}
    if classes is not None:
        metadata["classes"] = list(classes)
    return MultimodalData(arrays, observed=observed, target=target_values, covariates=covariate_values,
                          covariate_names=covariate_names, ids=ids, task=task_, metadata=metadata,
                          field_observed=field_observed or None)


def _arrow_column(series) -> pa.Array:
    values = series.to_numpy()
    if values.dtype.kind == "O":
        return pa.array([None if _is_null(v) else str(v) for v in values], type=pa.string())
    return pa.array(values, from_pandas=True)


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _numeric_block(frame, fields: list[str], modality: str, source: str) -> np.ndarray:
    """``(n, len(fields))`` float64 with NaN where a field is missing; a non-numeric cell is an error."""
    import pandas as pd

    columns = []
    for column in fields:
        series = frame[column]
        if series.dtype == bool:
            series = series.astype(float)
        numeric = pd.to_numeric(series, errors="coerce")
        bad = numeric.isna().to_numpy() & series.notna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataFormatError(f"{source}, column {column!r}, row {row}: value {series.iloc[row]!r} of modality "
                                  f"{modality!r} is not a number (string fields belong in --covariates or --ignore)")
        values = numeric.to_numpy(dtype=np.float64)
        if np.isinf(values).any():
            row = int(np.flatnonzero(np.isinf(values))[0])
            raise DataFormatError(f"{source}, column {column!r}, row {row}: value is infinite")
        check_magnitude(values, None, source, column)
        columns.append(values)
    return np.column_stack(columns)


def _fill_values(values: np.ndarray, present: np.ndarray, fields: list[str], modality: str, source: str,
                 stored: Sequence[float] | None) -> np.ndarray:
    """Per-field fill value of a partly observed block: the stored one, else the mean over observed rows."""
    if stored is not None:
        if len(stored) != len(fields):
            raise DataFormatError(f"{source}: stored fill values of {modality!r} have {len(stored)} fields, "
                                  f"the table has {len(fields)}")
        return np.asarray(stored, dtype=np.float64)
    counts = present.sum(axis=0)
    if (counts == 0).any():
        column = fields[int(np.flatnonzero(counts == 0)[0])]
        raise DataFormatError(f"{source}, column {column!r}: field of modality {modality!r} is never observed, "
                              "so a partly observed block cannot be filled (--ignore it)")
    return np.where(present, values, 0.0).sum(axis=0) / counts


def _covariates(frame, columns: list[str], source: str, stored: Mapping[str, list[str]]):
    """Numeric covariates as they are, categorical ones one-hot coded with their levels (stored or sorted)."""
    import pandas as pd

    if not columns:
        return None, None, {}
    blocks, names, categories = [], [], {}
    for column in columns:
        series = frame[column]
        if series.isna().any():
            row = int(np.flatnonzero(series.isna().to_numpy())[0])
            raise DataFormatError(f"{source}, column {column!r}, row {row}: covariate is missing (covariates must always "
                                  "be observed; put the column in a --modality block or --ignore it)")
        numeric = series.dtype.kind in "biuf" and column not in stored
        if numeric:
            blocks.append(series.to_numpy(dtype=np.float64)[:, None])
            names.append(column)
            continue
        text = series.astype(str)
        levels = list(stored.get(column) or sorted(pd.unique(text)))
        unknown = ~text.isin(levels).to_numpy()
        if unknown.any():
            row = int(np.flatnonzero(unknown)[0])
            raise DataFormatError(f"{source}, column {column!r}, row {row}: category {text.iloc[row]!r} was not seen "
                                  f"when the schema was fitted (levels: {', '.join(levels)})")
        categories[column] = levels
        blocks.append((text.to_numpy()[:, None] == np.array(levels)[None, :]).astype(np.float64))
        names += [f"{column}={level}" for level in levels]
    return np.hstack(blocks), names, categories


def describe_roles(data: MultimodalData) -> str:
    """One line with the role of every column (printed at the start of every command)."""
    schema = data.metadata.get("schema") if isinstance(data.metadata, dict) else None
    if isinstance(schema, dict) and "columns" in schema:
        modalities = "; ".join(f"{m} = {', '.join(c)}" for m, c in schema["columns"].items())
        categorical = schema.get("categories") or {}
        covariates = ", ".join(f"{c} (categorical)" if c in categorical else c for c in schema.get("covariate_columns", []))
        parts = [f"modalities: {modalities}"]
    else:
        parts = [f"modalities: {', '.join(f'{m} ({d})' for m, d in data.dims.items())}"]
        covariates = ", ".join(data.covariate_names or [])
        schema = {}
    if data.task == SURVIVAL and data.target is not None:
        parts.append(f"target: time {schema.get('time') or 'target[0]'}, event {schema.get('event') or 'target[1]'} "
                     f"({int(data.event.sum())} events, {int((~data.event).sum())} censored)")
    elif data.target is not None:
        classes = data.metadata.get("classes")
        detail = f"{data.task}" + (f": {', '.join(map(str, classes))}" if classes else "")
        parts.append(f"target: {schema.get('target') or 'target'} ({detail})")
    else:
        parts.append("target: none" + (f" (column {schema['target']!r} absent)" if schema.get("target") else ""))
    if schema.get("id"):
        parts.append(f"id: {schema['id']}")
    parts.append(f"covariates: {covariates or 'none'}")
    if schema.get("ignored_columns"):
        parts.append(f"ignored: {', '.join(schema['ignored_columns'])}")
    partial = partial_row_counts(data)
    if any(partial.values()):
        policy = schema.get("partial", "observed")
        parts.append(f"partial blocks ({policy}): " + ", ".join(f"{m} {k}" for m, k in partial.items() if k))
    return "roles | " + " | ".join(parts)


def partial_row_counts(data: MultimodalData) -> dict[str, int]:
    """Rows of each modality whose block is present but partly observed (from the field mask)."""
    counts = {}
    for name, mask in (data.field_observed or {}).items():
        present = data.observed[:, data.modality_index(name)]
        counts[name] = int((present & ~mask.all(axis=1)).sum())
    return counts
