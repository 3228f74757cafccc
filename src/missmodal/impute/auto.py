"""`AutoImputer`: the imputer (and its settings) with the lowest masked-block error on the fitting rows."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.utils import check_random_state

from ..errors import MissmodalError
from .base import IMPUTERS, BaseImputer, make_imputer
from .choose import choose_method
from .validation import notes_lines

# name -> (registry name, parameters); the candidates `auto` compares by default
CANDIDATES = {
    "mean": ("mean", {}),
    "knn": ("knn", {}),
    "iterative": ("iterative", {}),
    "cluster": ("cluster", {"n_clusters": "auto"}),
    "cluster-soft": ("cluster", {"n_clusters": "auto", "assignment": "soft"}),
}


@IMPUTERS.register("auto", "The imputer with the lowest masked-block error on the fitting rows (no label used)")
class AutoImputer(BaseImputer):
    """Choose the imputer by masked-block validation, then refit it on all fitting rows.

    Each candidate is scored by :func:`~missmodal.impute.masked_block_validation`: a share ``share`` of the
    observed (row, modality) blocks is hidden (the same blocks for every candidate), the candidate is
    fitted on the rest and fills them, and the error is the normalised RMSE on the hidden values averaged
    over modalities. The candidate with the lowest error is refitted on every observed block and used by
    ``transform``. Candidates with their own ``"auto"`` settings (the cluster imputer's k) choose them
    inside each fit, on the rows they are given.

    Parameters
    ----------
    candidates : sequence of str, optional
        Names in :data:`CANDIDATES` (default: all of them: mean, knn, iterative, cluster, cluster-soft).
    share : float in (0, 1), default=0.2
        Probability of hiding each observed block.
    n_repeats : int, default=1
        Independent hidings averaged per candidate.
    random_state : int, RandomState or None
        Seeds the hidings and the seeded candidates.
    modalities : list of int, optional
        Column-block widths for 2-D array input (``None``: every column its own modality).

    Attributes
    ----------
    choice_ : str
        The chosen candidate.
    scores_ : dict of str -> ValidationResult
        Masked-block validation of every candidate (``scores_[name].summary()`` prints it).
    best_estimator_ : BaseImputer
        The chosen candidate refitted on all fitting rows.

    When no observed block can be hidden (every row has a single modality) nothing can be scored: the mean
    imputer is used and ``choices()`` (hence ``metadata["imputation"]``) carries a warning saying so.

    Examples
    --------
    >>> import numpy as np
    >>> from missmodal.impute import AutoImputer
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 1))
    >>> X = np.hstack([x, 2 * x + 0.01 * rng.normal(size=(300, 1))])
    >>> X[rng.random(300) < 0.3, 1] = np.nan
    >>> AutoImputer(candidates=["mean", "iterative"], random_state=0).fit(X).choice_
    'iterative'
    """

    def __init__(self, candidates: Sequence[str] | None = None, share: float = 0.2, n_repeats: int = 1,
                 random_state: Any = None, *, modalities: list[int] | None = None):
        self.candidates = candidates
        self.share = share
        self.n_repeats = n_repeats
        self.random_state = random_state
        self.modalities = modalities

    def _build(self, seed: int) -> dict[str, BaseImputer]:
        names = list(CANDIDATES) if self.candidates is None else list(self.candidates)
        unknown = [name for name in names if name not in CANDIDATES]
        if unknown or not names:
            raise MissmodalError(f"candidates: unknown {unknown or 'empty list'}; known: {', '.join(CANDIDATES)}")
        imputers = {}
        for name in names:
            kind, params = CANDIDATES[name]
            imputer = make_imputer(kind, **params)
            if "random_state" in imputer.get_params():
                imputer.set_params(random_state=seed)
            imputers[name] = imputer
        return imputers

    def _fit(self, X: np.ndarray, observed: np.ndarray) -> None:
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        candidates = self._build(seed)
        self.choice_, self.scores_ = choose_method(candidates, X, self.widths_, self.share, self.n_repeats, seed,
                                                   self.modality_names_)
        best = candidates[self.choice_].set_params(modalities=list(self.widths_))
        self.best_estimator_ = best.fit(X)

    def _fill(self, X: np.ndarray, observed: np.ndarray) -> np.ndarray:
        return self.best_estimator_._fill(X, observed)

    def choices(self) -> dict:
        details = {"choice": self.choice_, "validation": {name: result.mean for name, result in self.scores_.items()},
                   **{f"chosen_{key}": value for key, value in self.best_estimator_.choices().items()}}
        if not self.scores_:
            details["warning"] = (f"no observed block could be hidden (every row has one modality): "
                                  f"{self.choice_} used without a score")
        return details

    def summary(self) -> str:
        """The masked-block scores of every candidate (modalities by name), their shared assumption and
        warnings once, and the choice."""
        if not self.scores_:
            return f"chosen: {self.choice_} ({self.choices()['warning']})"
        results = list(self.scores_.values())
        lines = [result.score_line() for result in results] + notes_lines(results)
        return "\n".join(lines + [f"chosen: {self.choice_} (lowest masked-block error)"])
