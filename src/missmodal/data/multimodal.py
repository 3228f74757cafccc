"""`MultimodalData`: per-modality arrays, the observed mask, the target, covariates and ids.

This is the one data model every part of missmodal reads and returns.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..errors import MissmodalError
from .groups import group_codes, group_name
from .survival import EVENT_COLUMN, SURVIVAL, TIME_COLUMN, check_survival_target

TASKS = ("binary", "multiclass", "multilabel", "regression", SURVIVAL)


def infer_task(target: np.ndarray | None) -> str | None:
    """Task implied by a target array: 2-D 0/1 -> multilabel, integer/bool -> binary or multiclass, float -> regression."""
    if target is None:
        return None
    if target.ndim == 2:
        return "multilabel"
    if target.dtype.kind in "biu":
        return "binary" if np.unique(target).size <= 2 else "multiclass"
    return "regression"


@dataclass(eq=False)
class MultimodalData:
    """Samples with several modalities, any of which may be missing.

    Parameters
    ----------
    modalities : mapping of str to array of shape (n, d_m)
        Ordered per-modality features (cast to float32). Rows of absent modalities may hold anything;
        missmodal writes NaN there.
    observed : array of shape (n, M), bool, optional
        ``observed[i, m]`` is True when sample ``i`` has modality ``m``. Authoritative. When omitted, a
        modality is observed in the rows where all its values are finite.
    target : array of shape (n,) or (n, C), optional
        Class labels (int), regression values (float), a 0/1 multi-label matrix, or for ``task="survival"``
        the ``(n, 2)`` (time, event) pairs of :mod:`missmodal.data.survival` (``data.time``, ``data.event``).
    covariates : array of shape (n, p), optional
        Always-observed side information.
    covariate_names : list of str, optional
        Names of the covariate columns (default ``c0, c1, ...``).
    ids : array of shape (n,), optional
        Sample identifiers (default ``0..n-1``), kept through every transform.
    task : {"binary", "multiclass", "multilabel", "regression", "survival"}, optional
        Inferred from the target when omitted (never as survival: give ``task="survival"``).
    metadata : dict
        Free-form provenance (dataset name, simulated missingness mechanism and its parameters, ...).
    field_observed : mapping of str to array of shape (n, d_m), bool, optional
        Field-level mask of modalities whose blocks can be *partly* observed (flat tables read with
        ``partial="observed"``): True where the field itself was observed. Rows where the modality is
        absent are all False; missing fields of a present block hold a fill value. Modalities not listed
        are whole whenever present.

    Examples
    --------
    >>> import numpy as np
    >>> from missmodal import MultimodalData
    >>> data = MultimodalData({"a": np.ones((3, 2)), "b": np.zeros((3, 1))},
    ...                       observed=np.array([[1, 1], [1, 0], [0, 1]], bool), target=np.array([0, 1, 1]))
    >>> data.group_names()
    ['a+b', 'a', 'b']
    """

    modalities: dict[str, np.ndarray]
    observed: np.ndarray | None = None
    target: np.ndarray | None = None
    covariates: np.ndarray | None = None
    covariate_names: list[str] | None = None
    ids: np.ndarray | None = None
    task: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    field_observed: dict[str, np.ndarray] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.modalities, Mapping) or not self.modalities:
            raise MissmodalError("modalities must be a non-empty mapping of name -> (n, d) array")
        arrays: dict[str, np.ndarray] = {}
        n = None
        for name, values in self.modalities.items():
            if not isinstance(name, str) or not name or "+" in name:
                raise MissmodalError(f"modality name {name!r} must be a non-empty string without '+'")
            values = np.asarray(values, dtype=np.float32)
            if values.ndim == 1:
                values = values[:, None]
            if values.ndim != 2 or values.shape[1] == 0:
                raise MissmodalError(f"modality {name!r} must be a 2-D (n, d) array with d >= 1, got shape {values.shape}")
            if n is None:
                n = values.shape[0]
            elif values.shape[0] != n:
                raise MissmodalError(f"modality {name!r} has {values.shape[0]} rows, expected {n}")
            arrays[name] = values
        self.modalities = arrays
        if self.observed is None:
            self.observed = np.stack([np.isfinite(v).all(axis=1) for v in arrays.values()], axis=1)
        observed = np.asarray(self.observed)
        if observed.shape != (n, len(arrays)):
            raise MissmodalError(f"observed mask must have shape {(n, len(arrays))}, got {observed.shape}")
        if observed.dtype != bool:
            if not np.isin(observed, (0, 1)).all():
                raise MissmodalError("observed mask must hold only True/False (or 0/1)")
            observed = observed.astype(bool)
        self.observed = observed
        for m, (name, values) in enumerate(arrays.items()):
            bad = self.observed[:, m] & ~np.isfinite(values).all(axis=1)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise MissmodalError(f"modality {name!r}, row {row}: NaN or inf inside an observed embedding")
        if self.target is not None:
            self.target = np.asarray(self.target)
            if self.target.shape[0] != n or self.target.ndim not in (1, 2):
                raise MissmodalError(f"target must have shape ({n},) or ({n}, C), got {self.target.shape}")
            if self.target.dtype.kind not in "biuf":
                raise MissmodalError(f"target must be numeric (int classes, float values or 0/1 labels), got dtype {self.target.dtype}")
            if self.target.dtype.kind == "f" and not np.isfinite(self.target).all():
                row = int(np.flatnonzero(~np.isfinite(self.target).reshape(n, -1).all(axis=1))[0])
                raise MissmodalError(f"target, row {row}: NaN or inf")
        if self.task is None:
            self.task = infer_task(self.target)
        elif self.task not in TASKS:
            raise MissmodalError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.task == SURVIVAL and self.target is not None:
            self.target = check_survival_target(self.target)
        if self.task == "multilabel":
            if self.target is None or self.target.ndim != 2 or not np.isin(self.target, (0, 1)).all():
                raise MissmodalError("a multilabel target must be an (n, C) matrix of 0/1")
            self.target = self.target.astype(np.int64)
        if self.covariates is not None:
            cov = np.asarray(self.covariates, dtype=np.float64)
            if cov.ndim == 1:
                cov = cov[:, None]
            if cov.shape[0] != n:
                raise MissmodalError(f"covariates must have {n} rows, got {cov.shape[0]}")
            if not np.isfinite(cov).all():
                row, col = map(int, np.argwhere(~np.isfinite(cov))[0])
                raise MissmodalError(f"covariates, row {row}, column {col}: covariates must always be observed (NaN/inf found)")
            self.covariates = cov
            if self.covariate_names is None:
                self.covariate_names = [f"c{j}" for j in range(cov.shape[1])]
            if len(self.covariate_names) != cov.shape[1]:
                raise MissmodalError(f"{len(self.covariate_names)} covariate names for {cov.shape[1]} covariate columns")
        elif self.covariate_names:
            raise MissmodalError("covariate_names given without covariates")
        self.ids = np.arange(n) if self.ids is None else np.asarray(self.ids)
        if self.ids.shape != (n,):
            raise MissmodalError(f"ids must have shape ({n},), got {self.ids.shape}")
        self.field_observed = self._checked_field_observed(self.field_observed)

    def _checked_field_observed(self, masks: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray] | None:
        """Field masks as (n, d_m) bool arrays, False wherever the modality itself is absent."""
        if not masks:
            return None
        checked = {}
        for name, mask in masks.items():
            m = self.modality_index(name)
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != self.modalities[name].shape:
                raise MissmodalError(f"field_observed[{name!r}] must have shape {self.modalities[name].shape}, got {mask.shape}")
            checked[name] = mask & self.observed[:, m][:, None]
        return checked

    # --- shape ----------------------------------------------------------------------------------------
    @property
    def n_samples(self) -> int:
        return self.observed.shape[0]

    @property
    def n_modalities(self) -> int:
        return self.observed.shape[1]

    @property
    def modality_names(self) -> list[str]:
        return list(self.modalities)

    @property
    def dims(self) -> dict[str, int]:
        """Feature width of each modality."""
        return {name: values.shape[1] for name, values in self.modalities.items()}

    def __len__(self) -> int:
        return self.n_samples

    def __repr__(self) -> str:
        dims = ", ".join(f"{k}:{v}" for k, v in self.dims.items())
        return f"MultimodalData(n={self.n_samples}, modalities=[{dims}], task={self.task}, groups={len(np.unique(self.group_codes()))})"

    def modality_index(self, name: str) -> int:
        try:
            return self.modality_names.index(name)
        except ValueError:
            raise MissmodalError(f"unknown modality {name!r}; modalities: {self.modality_names}") from None

    @property
    def time(self) -> np.ndarray | None:
        """``(n,)`` follow-up times of a survival target (None for other tasks)."""
        return self.target[:, TIME_COLUMN] if self.task == SURVIVAL and self.target is not None else None

    @property
    def event(self) -> np.ndarray | None:
        """``(n,)`` bool: the event was seen (False: censored) for a survival target (None for other tasks)."""
        return self.target[:, EVENT_COLUMN] > 0 if self.task == SURVIVAL and self.target is not None else None

    # --- groups ---------------------------------------------------------------------------------------
    def group_codes(self) -> np.ndarray:
        """Bitmask code ``sum(observed[i, m] << m)`` of each sample, shape ``(n,)``."""
        return group_codes(self.observed)

    def group_names(self) -> list[str]:
        """Readable group name (``"fac+pix"``) of each sample."""
        names = {code: group_name(code, self.modality_names) for code in np.unique(self.group_codes())}
        return [names[code] for code in self.group_codes()]

    def group_counts(self) -> dict[int, int]:
        """Number of samples in each group that occurs."""
        codes, counts = np.unique(self.group_codes(), return_counts=True)
        return {int(c): int(k) for c, k in zip(codes, counts)}

    def is_complete(self) -> np.ndarray:
        """``(n,)`` bool: the sample has every modality."""
        return self.observed.all(axis=1)

    # --- views and copies -----------------------------------------------------------------------------
    def masked(self, name: str) -> np.ndarray:
        """The ``(n, d)`` array of modality ``name`` with NaN in the rows where it is absent (a copy)."""
        m = self.modality_index(name)
        values = self.modalities[name].copy()
        values[~self.observed[:, m]] = np.nan
        return values

    def field_mask(self, name: str) -> np.ndarray:
        """``(n, d)`` bool: which fields of modality ``name`` were observed (whole blocks unless partly observed)."""
        if self.field_observed and name in self.field_observed:
            return self.field_observed[name].copy()
        m = self.modality_index(name)
        return np.repeat(self.observed[:, m][:, None], self.modalities[name].shape[1], axis=1)

    def to_array(self) -> tuple[np.ndarray, list[int]]:
        """All modalities side by side, ``(n, sum d_m)`` float32 with NaN where absent, and the block widths."""
        blocks = [self.masked(name) for name in self.modality_names]
        return np.concatenate(blocks, axis=1), [b.shape[1] for b in blocks]

    def replace(self, **changes: Any) -> "MultimodalData":
        """A new object with some fields replaced (others shared, metadata deep-copied)."""
        fields = dict(
            modalities=self.modalities, observed=self.observed, target=self.target, covariates=self.covariates,
            covariate_names=self.covariate_names, ids=self.ids, task=self.task, metadata=copy.deepcopy(self.metadata),
            field_observed=self.field_observed,
        )
        fields.update(changes)
        return MultimodalData(**fields)

    def subset(self, index: np.ndarray | Sequence[int] | slice) -> "MultimodalData":
        """The samples selected by an integer index, a boolean mask or a slice."""
        index = np.arange(self.n_samples)[index] if isinstance(index, slice) else np.asarray(index)
        if index.dtype == bool:
            if index.shape != (self.n_samples,):
                raise MissmodalError(f"boolean index must have shape ({self.n_samples},), got {index.shape}")
            index = np.flatnonzero(index)
        elif index.size == 0:
            index = index.astype(np.intp)  # an empty list is a float array to numpy
        return self.replace(
            modalities={k: v[index] for k, v in self.modalities.items()},
            observed=self.observed[index],
            target=None if self.target is None else self.target[index],
            covariates=None if self.covariates is None else self.covariates[index],
            ids=self.ids[index],
            field_observed=None if self.field_observed is None else {k: v[index] for k, v in self.field_observed.items()},
        )

    def select_modalities(self, names: Iterable[str]) -> "MultimodalData":
        """Only the named modalities, in the given order (samples left with none are kept; check before use)."""
        names = list(names)
        idx = [self.modality_index(n) for n in names]
        fields = {n: v for n, v in (self.field_observed or {}).items() if n in names}
        return self.replace(modalities={n: self.modalities[n] for n in names}, observed=self.observed[:, idx],
                            field_observed=fields or None)

    def with_observed(self, observed: np.ndarray) -> "MultimodalData":
        """The same samples with a new observed mask, which may only hide modalities, never reveal them.

        Newly hidden slots are set to NaN in the returned arrays.
        """
        observed = np.asarray(observed, dtype=bool)
        if observed.shape != self.observed.shape:
            raise MissmodalError(f"mask must have shape {self.observed.shape}, got {observed.shape}")
        revealed = observed & ~self.observed
        if revealed.any():
            row, m = map(int, np.argwhere(revealed)[0])
            raise MissmodalError(f"row {row}, modality {self.modality_names[m]!r}: mask marks an absent modality as observed")
        modalities = {}
        for m, (name, values) in enumerate(self.modalities.items()):
            values = values.copy()
            values[~observed[:, m]] = np.nan
            modalities[name] = values
        return self.replace(modalities=modalities, observed=observed)

    def split(
        self,
        fractions: Sequence[float] = (0.7, 0.15, 0.15),
        seed: int = 0,
        stratify: bool = True,
    ) -> tuple["MultimodalData", ...]:
        """Seeded split into parts (train/val/test by default), stratified by target class and group.

        Strata are (class, group) pairs; each stratum is shuffled and cut in the given proportions by the
        largest-remainder rule, so that every part keeps the class and group shares. Survival targets
        stratify by (event, group); regression and multi-label targets by group only.
        """
        from .split import stratified_split_indices

        parts = stratified_split_indices(self, fractions, seed, stratify)
        return tuple(self.subset(idx) for idx in parts)

    # --- pandas ---------------------------------------------------------------------------------------
    def to_pandas(self, layout: str = "list"):
        """A DataFrame: ``id``, ``target``, covariates, and modalities as list cells (``layout="list"``,
        None when absent) or column blocks ``<modality>__<j>`` (``layout="blocks"``, NaN when absent)."""
        from .pandas_io import to_pandas

        return to_pandas(self, layout)

    @classmethod
    def from_pandas(cls, frame, target: str | None = None, id_column: str | None = "id", modalities=None,
                    covariates=None, task: str | None = None, source: str = "DataFrame") -> "MultimodalData":
        """Inverse of :meth:`to_pandas`; list-cell and column-block layouts are both recognised.

        ``target`` names the target column (default: ``target``, ``label`` or ``y`` when present)."""
        from .pandas_io import from_pandas

        return from_pandas(frame, target=target, id_column=id_column, modalities=modalities,
                           covariates=covariates, task=task, source=source)
