"""The manifest of an encode run: one row per sample, raw modality columns plus the table roles.

A manifest is a CSV/TSV or flat Parquet file (or a pandas DataFrame). Each raw modality is one column named by
the run (``--encoder MOD=SPEC``, column ``MOD`` unless ``--column MOD=COL``) holding inline text, a file path
(relative to the manifest's folder) or a list of numbers; an empty cell is an absent modality. Every other
column gets its role from the table reader's schema (:func:`missmodal.data.schema.from_table`): id, target,
covariates, ignored, or a tabular modality (``--modality labs=bili,alb``) carried through as it is.

The raw columns are handed to that reader as one-field presence indicators (1 when present, null when absent),
so the role checks, the target and covariate coding and the "sample with no modality" check are the reader's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..data.multimodal import MultimodalData
from ..errors import DataFormatError
from .inputs import CellLocation, presence


@dataclass
class Manifest:
    """A read manifest.

    Attributes
    ----------
    source : the manifest's name in messages; base_dir : folder that relative paths start from.
    cells : per raw modality, its column's values (length n, object array).
    columns : per raw modality, its column name.
    present : per raw modality, the (n,) bool mask of rows where it is present.
    missing_files : per raw modality, how many named files did not exist (recorded absent).
    side : `MultimodalData` with ids, target, covariates, tabular modalities, and each raw modality as an
        (n, 1) presence indicator to be replaced by its embeddings.
    sha256 : hash of the manifest file (of its CSV text for a DataFrame).
    """

    source: str
    base_dir: Path
    cells: dict[str, np.ndarray]
    columns: dict[str, str]
    present: dict[str, np.ndarray]
    missing_files: dict[str, int]
    side: MultimodalData
    sha256: str

    @property
    def n_rows(self) -> int:
        return self.side.n_samples

    def location(self, modality: str) -> CellLocation:
        return CellLocation(self.source, self.columns[modality])


def read_manifest(source: Any, raw: Mapping[str, str], input_kinds: Mapping[str, str], missing_files: str = "error",
                  modalities: Mapping[str, Sequence[str]] | None = None, target: str | None = None,
                  id: str | None = None, covariates: Sequence[str] | str | None = None,
                  ignore: Sequence[str] | str | None = None, partial: str = "observed",
                  task: str | None = None) -> Manifest:
    """Read a manifest: ``raw`` maps modality -> column, ``input_kinds`` modality -> its encoder's input kind."""
    from ..data.schema import from_table, read_table
    from .hashing import file_sha256

    frame, name = read_table(source)
    frame.columns = [str(c) for c in frame.columns]
    tabular = dict(modalities or {})
    clash = sorted(set(tabular) & set(raw))
    if clash:
        raise DataFormatError(f"{name}: modality {clash[0]!r} is both encoded (--encoder) and tabular (--modality)")
    base_dir = Path(source).resolve().parent if isinstance(source, (str, Path)) else Path.cwd()
    cells, present, missing, columns = {}, {}, {}, {}
    indicators = frame.copy()
    for modality, column in raw.items():
        if column not in frame.columns:
            raise DataFormatError(f"{name}: column {column!r} for modality {modality!r} not found; columns: "
                                  f"{', '.join(frame.columns[:30])} (name it with --column {modality}=COL)")
        if input_kinds[modality] in ("text", "image") and frame[column].dtype.kind in "biuf" and frame[column].notna().any():
            raise DataFormatError(f"{name}, column {column!r}: holds numbers, expected "
                                  f"{'text' if input_kinds[modality] == 'text' else 'file paths'}")
        values = frame[column].to_numpy(dtype=object)
        location = CellLocation(name, column)
        present[modality], missing[modality] = presence(values, input_kinds[modality], base_dir, location, missing_files)
        cells[modality], columns[modality] = values, column
        indicators[column] = np.where(present[modality], 1.0, np.nan)
    side = from_table(indicators, modalities={**tabular, **{m: [c] for m, c in raw.items()}}, target=target, id=id,
                      covariates=covariates, ignore=ignore, partial=partial, task=task, name=name)
    _mark_encoded(side.metadata, columns)
    if isinstance(source, (str, Path)):
        sha = file_sha256(Path(source))
    else:  # a DataFrame: its content, so that a cache made from another frame is never reused
        sha = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
    return Manifest(name, base_dir, cells, columns, present, missing, side, sha)


def _mark_encoded(metadata: dict, columns: Mapping[str, str]) -> None:
    """Record in the stored schema which modalities were encoded from which raw column."""
    if metadata.get("schema") is not None:
        metadata["schema"]["encoded_columns"] = dict(columns)
