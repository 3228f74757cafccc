"""The conditioning variables C of every propensity model and mechanism diagnostic: only values really observed.

C is built from the field-level masks (``MultimodalData.field_mask``), never from a block's status:

- every covariate (always observed by definition);
- every field observed in **every** row (its mask all True), wherever its block counts as observed or not
  (e.g. an exam field recorded for everyone, the registry patients whose exam block counts as missing
  included);
- with ``outside=[...]`` (modalities not under study), each of their other fields as its value where
  observed (0 elsewhere) *and* its observed indicator, so a missing value is never read as a value.

A filled-in value (the mean fill of a partly observed block) is never read as if observed: a field with a
single missing row is not in C unless it enters with its mask. :attr:`Conditioning.variables` lists C
exactly, as the report prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..data.multimodal import MultimodalData
from ..errors import MissmodalError

#: A conditioning column with at most this many distinct values defines strata (positivity checks).
MAX_STRATUM_VALUES = 10


@dataclass
class Conditioning:
    """``features`` (n, p) float64, one ``names`` entry per column, and ``variables``: C as a reader sees it."""

    features: np.ndarray
    names: list[str]
    variables: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.features.shape[1] == 0

    def strata(self) -> list[tuple[str, np.ndarray]]:
        """``(label, rows)`` of every stratum of a discrete column (at most ``MAX_STRATUM_VALUES`` values);
        one-hot columns ``name=level`` give the stratum ``name=level`` (their 0 rows are the other levels)."""
        found, seen = [], set()
        for j, name in enumerate(self.names):
            column = self.features[:, j]
            values = np.unique(column)
            if values.size > MAX_STRATUM_VALUES or values.size < 2:
                continue
            one_hot = "=" in name and set(values.tolist()) == {0.0, 1.0}
            for value in ([1.0] if one_hot else values):
                rows = column == value
                key = rows.tobytes()
                if key not in seen:
                    seen.add(key)
                    found.append((name if one_hot else f"{name} = {value:g}", rows))
        return found


def field_names(data: MultimodalData, name: str) -> list[str]:
    """Names of modality ``name``'s fields: the table columns of a schema, else ``name[j]``."""
    schema = (data.metadata or {}).get("schema") or {}
    columns = (schema.get("columns") or {}).get(name) if isinstance(schema, dict) else None
    width = data.modalities[name].shape[1]
    if columns and len(columns) == width:
        return list(columns)
    return [name] if width == 1 else [f"{name}[{j}]" for j in range(width)]


def field_label(modality: str, field: str) -> str:
    """``exam.weight`` for a table column, the bare ``x1`` / ``a[0]`` for unnamed fields."""
    return field if field == modality or field.startswith(f"{modality}[") else f"{modality}.{field}"


def conditioning(data: MultimodalData, outside: Sequence[str] = (), names: Sequence[str] | None = None) -> Conditioning:
    """The conditioning variables of ``data`` (see the module docstring).

    ``names`` overrides the choice: covariate names, modality names (every field observed in every row) or
    field names (``exam.weight`` or the bare column name), each observed in every row.
    """
    covariate_names = list(data.covariate_names or [])
    columns, labels, variables = [], [], []
    if names is not None:
        return _named(data, list(names))
    for j, name in enumerate(covariate_names):
        columns.append(data.covariates[:, j])
        labels.append(name)
    if covariate_names:
        variables += covariate_names
    for name in data.modality_names:
        mask = data.field_mask(name)
        values = np.asarray(data.modalities[name], dtype=np.float64)
        fields = field_names(data, name)
        always = mask.all(axis=0)
        for j in np.flatnonzero(always):
            columns.append(values[:, j])
            labels.append(field_label(name, fields[j]))
        if always.all():
            variables.append(name)
        elif always.any():
            variables.append(f"{', '.join(field_label(name, fields[j]) for j in np.flatnonzero(always))} (observed in every row)")
        if name in outside:
            partial = np.flatnonzero(~always & mask.any(axis=0))
            for j in partial:
                rows = mask[:, j]
                mean = values[rows, j].mean()
                columns += [np.where(rows, values[:, j] - mean, 0.0), rows.astype(np.float64)]
                labels += [field_label(name, fields[j]), f"{field_label(name, fields[j])} observed"]
            if partial.size:
                variables.append(f"{', '.join(field_label(name, fields[j]) for j in partial)} (where observed, with their masks)")
    features = np.column_stack(columns) if columns else np.zeros((data.n_samples, 0))
    return Conditioning(features, labels, variables)


def _named(data: MultimodalData, names: list[str]) -> Conditioning:
    covariate_names = list(data.covariate_names or [])
    columns, labels = [], []
    lookup = {}
    for modality in data.modality_names:
        for j, f in enumerate(field_names(data, modality)):
            lookup[f"{modality}.{f}"] = (modality, j)
            lookup.setdefault(f, (modality, j))
    for name in names:
        if name in covariate_names:
            columns.append(data.covariates[:, covariate_names.index(name)])
            labels.append(name)
            continue
        if name in data.modalities:
            chosen = [(name, j) for j in range(data.modalities[name].shape[1])]
        elif name in lookup:
            chosen = [lookup[name]]
        else:
            raise MissmodalError(f"unknown propensity feature {name!r}; modalities: {data.modality_names}, "
                                 f"covariates: {covariate_names}")
        for modality, j in chosen:
            missing = int((~data.field_mask(modality)[:, j]).sum())
            if missing:
                raise MissmodalError(f"propensity feature {name!r} is missing in {missing} rows; propensity features "
                                     "must be always observed")
            columns.append(np.asarray(data.modalities[modality][:, j], dtype=np.float64))
            labels.append(field_label(modality, field_names(data, modality)[j]))
    features = np.column_stack(columns) if columns else np.zeros((data.n_samples, 0))
    return Conditioning(features, labels, list(names))
