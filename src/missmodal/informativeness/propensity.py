"""Propensity of being a complete case and the stabilised inverse-probability weights (ICYM2I).

A sample is *complete* when every modality under study is observed. Under MAR (missingness depends only on
always-observed variables C) and positivity, weighting each complete case by::

    w_i = P(complete) / P̂(complete | C_i),    P̂ clipped to [lo, hi],    then w / mean(w)

makes the complete cases stand for the whole population, in training and in evaluation.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from ..errors import InsufficientDataError, MissmodalError
from ._threads import single_threaded
from .cv_auroc import cross_validated_auroc
from .logistic import fit_ridge_logistic

PROPENSITY_METHODS = ("logistic", "boosting")
WEIGHT_QUANTILES = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)
#: Positivity is flagged when more than this share of complete cases hit a clipping bound ...
MAX_CLIPPED_SHARE = 0.05
#: ... or when the effective sample size falls below this share of the complete cases.
MIN_ESS_SHARE = 0.3


class PropensityModel:
    """Calibrated, clipped estimate of P(complete | C).

    Parameters
    ----------
    method : {"logistic", "boosting"}
        ``logistic``: standardised L2 logistic regression, strength ``C`` chosen among ``Cs`` by log loss on
        a stratified validation split, then refitted on all rows. ``boosting``: histogram gradient
        boosting (early stopping on a validation split) calibrated by isotonic regression (3-fold).
    clip : (float, float)
        Propensities are clipped to this interval.
    Cs : sequence of float
        Candidate inverse regularisation strengths of the logistic model.
    validation_fraction : float
    seed : int

    Attributes
    ----------
    model_ : fitted scikit-learn classifier
    C_ : float or None
        The chosen strength (logistic only).
    validation_auroc_ : float
        AUROC of the candidate picked, on the validation split that picked it (optimistic: report
        :meth:`cross_validated_auroc` instead).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(500, 1))
    >>> complete = np.random.default_rng(1).random(500) < 1 / (1 + np.exp(-x[:, 0]))
    >>> p = PropensityModel().fit(x, complete).predict_proba(x)
    >>> bool(p.min() >= 0.05 and p.max() <= 0.95)
    True
    """

    def __init__(self, method: str = "logistic", clip: tuple[float, float] = (0.05, 0.95),
                 Cs: Sequence[float] = (0.001, 0.01, 0.1, 1.0, 10.0), validation_fraction: float = 0.25, seed: int = 0):
        self.method = method
        self.clip = clip
        self.Cs = Cs
        self.validation_fraction = validation_fraction
        self.seed = seed

    def fit(self, features: np.ndarray, complete: np.ndarray, sample_weight: np.ndarray | None = None) -> "PropensityModel":
        """Fit on all samples: ``features`` (n, p) always-observed variables, ``complete`` (n,) bool,
        optional frequency weights ``sample_weight`` (n,) (bootstrap counts)."""
        with single_threaded():
            return self._fit(features, complete, sample_weight)

    def cross_validated_auroc(self, features: np.ndarray, complete: np.ndarray, n_folds: int = 5) -> dict:
        """Out-of-sample AUROC of this model (see :func:`~missmodal.informativeness.cv_auroc.cross_validated_auroc`):
        refitted on each training fold, ``C`` chosen inside it (nested), scored on the held-out fold."""
        x = np.asarray(features, dtype=np.float64)
        y = np.asarray(complete, dtype=bool)

        def fit_predict(train, test):
            params = {k: getattr(self, k) for k in ("method", "clip", "Cs", "validation_fraction", "seed")}
            return PropensityModel(**params).fit(x[train], y[train]).predict_proba(x[test], clipped=False)

        with single_threaded():
            return {**cross_validated_auroc(fit_predict, y, n_folds, self.seed),
                    "method": f"{n_folds}-fold cross-validated, hyper-parameters chosen inside each training fold (nested); "
                              "95% interval from DeLong's variance per fold"}

    def _fit(self, features: np.ndarray, complete: np.ndarray, sample_weight: np.ndarray | None) -> "PropensityModel":
        if self.method not in PROPENSITY_METHODS:
            raise MissmodalError(f"propensity method must be one of {PROPENSITY_METHODS}, got {self.method!r}")
        lo, hi = self.clip
        if not 0 < lo < hi < 1:
            raise MissmodalError(f"clip must satisfy 0 < lo < hi < 1, got {self.clip}")
        x = np.asarray(features, dtype=np.float64)
        y = np.asarray(complete, dtype=bool).astype(int)
        if x.ndim != 2 or x.shape[1] == 0 or len(x) != len(y):
            raise MissmodalError("propensity features must be a non-empty (n, p) matrix with one row per sample")
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if min(y.sum(), len(y) - y.sum()) < 10:
            raise InsufficientDataError(f"propensity needs at least 10 complete and 10 incomplete samples, got {y.sum()} and {len(y) - y.sum()}")
        train, val = train_test_split(np.arange(len(y)), test_size=self.validation_fraction, stratify=y, random_state=self.seed)
        if self.method == "logistic":
            scores = {}
            for C in self.Cs:
                model = fit_ridge_logistic(x[train], y[train], w[train], C, max_iter=1000)
                p_val = model.predict_proba(x[val])[:, 1]
                scores[C] = (log_loss(y[val], p_val, labels=[0, 1], sample_weight=w[val]), p_val)
            self.C_ = min(scores, key=lambda C: scores[C][0])
            self.validation_auroc_ = float(roc_auc_score(y[val], scores[self.C_][1], sample_weight=w[val]))
            self.model_ = fit_ridge_logistic(x, y, w, self.C_, max_iter=1000)
        else:
            from sklearn.calibration import CalibratedClassifierCV
            from sklearn.ensemble import HistGradientBoostingClassifier

            def booster():
                return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, early_stopping=True,
                                                      validation_fraction=0.2, random_state=self.seed)

            self.C_ = None
            held_out = CalibratedClassifierCV(booster(), method="isotonic", cv=3).fit(x[train], y[train], sample_weight=w[train])
            self.validation_auroc_ = float(roc_auc_score(y[val], held_out.predict_proba(x[val])[:, 1], sample_weight=w[val]))
            self.model_ = CalibratedClassifierCV(booster(), method="isotonic", cv=3).fit(x, y, sample_weight=w)
        return self

    def predict_proba(self, features: np.ndarray, clipped: bool = True) -> np.ndarray:
        """P̂(complete | C) of shape (n,), clipped to ``clip`` unless ``clipped=False``."""
        p = self.model_.predict_proba(np.asarray(features, dtype=np.float64))[:, 1]
        return np.clip(p, *self.clip) if clipped else p


def ipw_weights(propensity: np.ndarray, complete: np.ndarray, frequency: np.ndarray | None = None) -> np.ndarray:
    """Stabilised, self-normalised weights of the complete cases, shape (n_complete,), mean 1.

    ``w_i = P(complete) / propensity_i`` for the complete rows, divided by its mean; ``propensity`` (n,)
    is the clipped P̂(complete | C) of every sample and ``complete`` (n,) bool marks the complete cases.
    With ``frequency`` (n,) multiplicities (bootstrap counts) both means are frequency-weighted.
    """
    propensity = np.asarray(propensity, dtype=np.float64)
    complete = np.asarray(complete, dtype=bool)
    if propensity.shape != complete.shape or not ((propensity > 0) & (propensity <= 1)).all():
        raise MissmodalError("propensity must hold one probability in (0, 1] per sample")
    frequency = np.ones(complete.shape) if frequency is None else np.asarray(frequency, dtype=np.float64)
    weights = np.average(complete, weights=frequency) / propensity[complete]
    return weights / np.average(weights, weights=frequency[complete])


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²``."""
    weights = np.asarray(weights, dtype=np.float64)
    return float(weights.sum() ** 2 / np.square(weights).sum())


def weight_diagnostics(weights: np.ndarray, raw_propensity: np.ndarray, complete: np.ndarray,
                       clip: tuple[float, float], auroc: dict | None = None) -> dict:
    """Diagnostics of the weights: ESS, quantiles, share clipped, and a positivity warning (or None).

    ``auroc`` is the propensity's :meth:`PropensityModel.cross_validated_auroc` (reported as
    ``propensity_auroc``, ``propensity_auroc_interval`` and ``propensity_auroc_method``)."""
    complete = np.asarray(complete, dtype=bool)
    raw = np.asarray(raw_propensity)[complete]
    clipped_share = float(np.mean((raw < clip[0]) | (raw > clip[1])))
    ess = effective_sample_size(weights)
    problems = []
    if clipped_share > MAX_CLIPPED_SHARE:
        problems.append(f"{clipped_share:.1%} of complete cases have a propensity outside {list(clip)}, so their weights "
                        "are capped and the samples they stand for are under-represented")
    if ess < MIN_ESS_SHARE * complete.sum():
        problems.append(f"the effective sample size is {ess:.0f} of {int(complete.sum())} complete cases: corrected "
                        "estimates rest on few, heavily weighted samples")
    warning = ("positivity is doubtful: " + "; ".join(problems)) if problems else None
    return {
        "propensity_auroc": None if auroc is None else auroc["auroc"],
        "propensity_auroc_interval": None if auroc is None else auroc["interval"],
        "propensity_auroc_method": None if auroc is None else auroc["method"],
        "n_samples": int(complete.size),
        "n_complete": int(complete.sum()),
        "effective_sample_size": ess,
        "weight_quantiles": {f"q{int(q * 100):02d}": float(v) for q, v in zip(WEIGHT_QUANTILES, np.quantile(weights, WEIGHT_QUANTILES))},
        "share_clipped": clipped_share,
        "clip": list(clip),
        "positivity_warning": warning,
    }
