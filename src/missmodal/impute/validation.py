"""Masked-block validation: score an imputer on observed modality blocks hidden from it (no label used).

A share of the *observed* (row, modality) blocks of the fitting rows is hidden, the imputer is fitted on
what is left and fills the hidden blocks, and the fill is compared with the hidden true values. For
modality m with hidden rows H_m and per-column standard deviation ``σ_mj`` over the rows where m is
observed::

    error_m = sqrt( mean_{i ∈ H_m, j} ((x̂_ij − x_ij) / σ_mj)² )

(1.0 is about the error of filling with the mean, 0 is perfect); ``mean`` averages ``error_m`` over the
modalities with hidden blocks. Only values actually observed are scored (the filled fields of a partly
observed block, ``MultimodalData.field_observed``, are not). This is what ``method="auto"``, ``n_clusters="auto"`` and
``missmodal impute --validate`` use.

Assumption: blocks hidden completely at random stand for the blocks that are really missing. Under MAR or
MNAR missingness the really missing blocks can be harder (or easier) to fill than the hidden ones, so
the score ranks imputers but need not equal their error on the missing blocks; the result carries that
warning when the observed pattern shows the rates differ across modalities or rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from ..data.multimodal import MultimodalData
from ..errors import MissmodalError
from .base import IMPUTERS
from .blocks import check_widths, expand, observed_blocks

ASSUMPTION = ("observed blocks hidden completely at random stand for the missing ones (exact for MCAR; "
              "under MAR/MNAR the missing blocks may be harder to fill than the hidden ones)")


def hide_blocks(observed: np.ndarray, share: float, random_state: Any = None) -> np.ndarray:
    """``(n, M)`` bool: observed blocks to hide, each with probability ``share``.

    A row always keeps at least one observed block (the one with the largest draw is kept), and a
    modality always keeps at least one observed row (if every observed block of a modality was drawn,
    none of that modality is hidden).
    """
    if not 0 < share < 1:
        raise MissmodalError(f"validation share must be in (0, 1), got {share!r}")
    rng = check_random_state(random_state)
    draw = rng.random_sample(observed.shape)
    hidden = observed & (draw < share)
    emptied = observed.any(axis=1) & ~(observed & ~hidden).any(axis=1)
    if emptied.any():
        keep = np.argmax(np.where(observed[emptied], draw[emptied], -1.0), axis=1)
        hidden[np.flatnonzero(emptied), keep] = False
    lost = observed.any(axis=0) & ~(observed & ~hidden).any(axis=0)
    hidden[:, lost] = False
    return hidden


def can_hide(X: np.ndarray, widths: list[int]) -> bool:
    """Whether some row of ``X`` (n, D) with NaN blocks has two observed blocks (one could be hidden)."""
    return bool((observed_blocks(X, widths).sum(axis=1) >= 2).any())


def block_errors(truth: np.ndarray, filled: np.ndarray, hidden: np.ndarray, widths: list[int],
                 scale: np.ndarray, fields: np.ndarray | None = None) -> list[float | None]:
    """Per modality: RMSE of ``filled`` against ``truth`` over the hidden blocks, in units of ``scale`` (D,).

    ``fields`` (n, D) bool, optional: the values actually observed (a partly observed block's filled fields
    are not scored).
    """
    bounds = np.cumsum([0] + list(widths))
    errors: list[float | None] = []
    for m in range(len(widths)):
        block = slice(bounds[m], bounds[m + 1])
        cells = np.repeat(hidden[:, m:m + 1], widths[m], axis=1)
        if fields is not None:
            cells &= fields[:, block]
        if not cells.any():
            errors.append(None)
            continue
        diff = (filled[:, block][cells].astype(np.float64) - truth[:, block][cells]) / np.broadcast_to(
            scale[block], cells.shape)[cells]
        errors.append(float(np.sqrt(np.mean(diff**2))))
    return errors


@dataclass
class ValidationResult:
    """Masked-block validation scores of one imputer (see the module docstring).

    Attributes
    ----------
    method : str
        The imputer's name (registry name, or the name given).
    per_modality : dict of modality name -> error (None when nothing of it was hidden)
        Mean over repeats.
    mean : float
        Average of the per-modality errors (lower is better); ``sd`` its standard deviation over repeats
        (ddof = 1; None with one repeat).
    hidden_slots : int
        Blocks hidden per repeat (mean); ``share`` the hiding probability, ``n_repeats`` the repeats.
    seconds : float
        Wall time of the fits and fills.
    assumption, warnings : str, list of str
        What the score assumes, and where the data say it may not hold.
    """

    method: str
    per_modality: dict[str, float | None]
    mean: float
    sd: float | None
    hidden_slots: float
    share: float
    n_repeats: int
    seconds: float
    params: dict = field(default_factory=dict)
    assumption: str = ASSUMPTION
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"method": self.method, "params": self.params, "per_modality": self.per_modality, "mean": self.mean,
                "sd": self.sd, "hidden_slots": self.hidden_slots, "share": self.share, "n_repeats": self.n_repeats,
                "seconds": self.seconds, "assumption": self.assumption, "warnings": list(self.warnings)}

    def score_line(self) -> str:
        """``<method>: masked-block error <mean>; <modality> <error>, ...``."""
        spread = f" ± {self.sd:.3f} (sd over {self.n_repeats} repeats)" if self.sd is not None else ""
        parts = ", ".join(f"{name} {value:.3f}" for name, value in self.per_modality.items() if value is not None)
        return f"{self.method}: masked-block error {self.mean:.3f}{spread}; {parts}"

    def summary(self) -> str:
        """The line of scores per modality, then the assumption and the warnings."""
        return "\n".join([self.score_line(), *notes_lines([self])])


def notes_lines(results: list[ValidationResult]) -> list[str]:
    """The assumption and the warnings of validation results, each line once however many results share it."""
    return [f"  assumption: {a}" for a in dict.fromkeys(r.assumption for r in results)] + [
        f"  warning: {w}" for w in dict.fromkeys(w for r in results for w in r.warnings)]


def as_blocks(X: Any, modalities: Any = None,
              names: list[str] | None = None) -> tuple[np.ndarray, list[int], np.ndarray, list[str], np.ndarray]:
    """``(values float32 (n, D) with NaN blocks, widths, observed (n, M), names, fields (n, D))`` of data or
    an array; ``fields`` marks the values actually observed (a partly observed block's filled fields are not);
    an array's modalities are named ``names`` (default ``m0, m1, ...``)."""
    if isinstance(X, MultimodalData):
        values, widths = X.to_array()
        fields = np.hstack([X.field_mask(name) for name in X.modality_names])
        return values.astype(np.float32, copy=False), widths, X.observed.copy(), list(X.modality_names), fields
    values = np.asarray(X, dtype=np.float32)
    if values.ndim != 2:
        raise MissmodalError(f"X must be a 2-D array or MultimodalData, got shape {values.shape}")
    widths = check_widths(modalities, values.shape[1])
    observed = observed_blocks(values, widths)
    names = [f"m{m}" for m in range(len(widths))] if names is None else list(names)
    return values, widths, observed, names, expand(observed, widths)


def pattern_warnings(observed: np.ndarray, names: list[str]) -> list[str]:
    """Where the observed pattern says hidden-at-random blocks may not stand for the missing ones."""
    warnings = []
    rates = 1.0 - observed.mean(axis=0)
    if rates.max() - rates.min() > 0.2:
        warnings.append(f"missing rates differ across modalities ({', '.join(f'{n} {r:.0%}' for n, r in zip(names, rates))}): "
                        "missingness is not uniform, so the hidden blocks may be easier to fill than the missing ones")
    single = float((observed.sum(axis=1) == 1).mean())
    if single > 0.5:
        warnings.append(f"{single:.0%} of rows have one observed modality: they cannot have a block hidden, so the "
                        "score reflects the rows with two or more")
    return warnings


def masked_block_validation(imputer: Any, X: Any, share: float = 0.2, n_repeats: int = 1, random_state: Any = None,
                            name: str | None = None, modality_names: list[str] | None = None) -> ValidationResult:
    """Score ``imputer`` by hiding observed blocks of ``X``, refitting a clone on the rest and filling them.

    Parameters
    ----------
    imputer : a missmodal imputer (unfitted or fitted; a clone is fitted in each repeat).
    X : MultimodalData or (n, D) array with NaN blocks (block widths from ``imputer.modalities``).
    share : float in (0, 1), default=0.2
        Probability of hiding each observed block (rows keep at least one block).
    n_repeats : int, default=1
        Independent hidings; the scores are averaged and their sd (ddof = 1) reported.
    random_state : int, RandomState or None
        Seeds the hidings.
    name : str, optional
        Name to report (default: the imputer's registry name).
    modality_names : list of str, optional
        Names of an array's modality blocks in the scores and warnings (default ``m0, m1, ...``).

    Returns
    -------
    ValidationResult

    Examples
    --------
    >>> import numpy as np
    >>> from missmodal.impute import MeanImputer, masked_block_validation
    >>> X = np.random.default_rng(0).normal(size=(200, 4))
    >>> round(masked_block_validation(MeanImputer(), X, random_state=0).mean, 1)
    1.0
    """
    if not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        raise MissmodalError(f"n_repeats must be a positive int, got {n_repeats!r}")
    values, widths, observed, names, columns = as_blocks(X, getattr(imputer, "modalities", None), modality_names)
    count = np.maximum(columns.sum(axis=0), 1)
    centred = np.where(columns, values, 0.0).astype(np.float64)
    mean = centred.sum(axis=0) / count
    scale = np.sqrt(np.maximum((np.where(columns, values - mean, 0.0) ** 2).sum(axis=0) / count, 0.0))
    scale[scale <= 1e-12] = 1.0
    rng = check_random_state(random_state)
    started = time.perf_counter()
    runs, hidden_counts = [], []
    for _ in range(n_repeats):
        hidden = hide_blocks(observed, share, rng)
        if not hidden.any():
            raise MissmodalError(f"masked-block validation (n_samples={values.shape[0]}): no observed block can be "
                                 "hidden (every row has a single observed modality, or a modality is observed once); "
                                 "the imputer cannot be scored")
        masked = np.where(expand(hidden, widths), np.float32(np.nan), values)
        model = clone(imputer).set_params(modalities=widths)
        filled = model.fit(masked).transform(masked)
        runs.append(block_errors(values, filled, hidden, widths, scale, columns))
        hidden_counts.append(int(hidden.sum()))
    seconds = time.perf_counter() - started
    per_modality = {}
    for m, modality in enumerate(names):
        scores = [run[m] for run in runs if run[m] is not None]
        per_modality[modality] = float(np.mean(scores)) if scores else None
    means = [float(np.mean([e for e in run if e is not None])) for run in runs]
    label = name or next((n for n in IMPUTERS if IMPUTERS.get(n) is type(imputer)), type(imputer).__name__)
    params = {k: v for k, v in imputer.get_params().items() if k != "modalities" and _plain(v)}
    return ValidationResult(method=label, per_modality=per_modality, mean=float(np.mean(means)),
                            sd=float(np.std(means, ddof=1)) if n_repeats > 1 else None,
                            hidden_slots=float(np.mean(hidden_counts)), share=float(share), n_repeats=int(n_repeats),
                            seconds=seconds, params=params, warnings=pattern_warnings(observed, names))


def _plain(value: Any) -> bool:
    """JSON-friendly parameter values (numbers, strings, None, lists/tuples of them)."""
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str, np.integer, np.floating))
