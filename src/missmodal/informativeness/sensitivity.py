"""How far from MAR would the data have to be to change the answer? A tilting sensitivity analysis.

Model of departure (exponential tilting of the observation odds). MAR says ``P(complete | C, X, Y) =
π(C)``. The departure lets the log-odds of being a complete case also move with the sample's outcome as
predicted by the modalities that go missing::

    logit P_δ(complete | C, X, Y) = logit π̂(C) + δ (Z - mean_cc(Z))

with ``Z`` the standardised (over complete cases) out-of-fold score of the corrected predictor on all
modalities under study: for a binary label ``logit P̂(Y = 1 | X_all)``, for more classes ``log P̂(y | X_all)``
of the observed label. ``δ`` is a log-odds shift per standard deviation of Z (δ > 0: samples predicted
positive were more likely to be complete). ``δ = 0`` is MAR and reproduces the corrected estimate.

Under each δ the corrected quantities are re-evaluated with the tilted weights
``w_δ = 1 / P_δ(complete | ·)`` (normalised to mean 1) on the complete cases; the predictors' out-of-fold
probabilities are kept from the MAR fit (only the evaluation is re-weighted). The **tipping point** is
the smallest |δ| on the grid at which the top-ranked modality (largest gain given the rest) changes,
refined by bisection between that grid point and its neighbour towards 0; None when no δ in the grid
changes it. It is reported only when there is a ranking to tip: when the two largest gains at MAR differ by
at most ``TIE_BITS`` the gains tie and there is no top modality (a "tipping point" would only measure which
way a tie happens to break).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from scipy.special import expit, logit

#: Default grid of δ (log-odds per standard deviation of Z).
DEFAULT_DELTAS = (-2.0, -1.5, -1.0, -0.75, -0.5, -0.25, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
BISECTION_STEPS = 30
#: Two gains closer than this (bits) tie: no ranking between them.
TIE_BITS = 1e-3

MODEL = ("logit P_delta(complete | C, X, Y) = logit pi_hat(C) + delta * (Z - mean(Z)), Z = standardised "
         "out-of-fold score of the corrected predictor on all modalities (binary: logit P(Y=1 | X); else "
         "log P(y | X)); predictors kept, evaluation re-weighted by 1 / P_delta")


def outcome_score(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``Z`` (n_cc,): standardised logit of P̂(Y=1 | X) (binary) or log P̂(y | X) (more classes)."""
    proba = np.clip(np.asarray(proba, dtype=float), 1e-9, 1 - 1e-9)
    raw = logit(proba[:, 1]) if proba.shape[1] == 2 else np.log(proba[np.arange(len(y)), y])
    std = raw.std()
    return (raw - raw.mean()) / std if std > 0 else np.zeros_like(raw)


def tilted_weights(propensity: np.ndarray, score: np.ndarray, delta: float) -> np.ndarray:
    """``w_δ`` (n_cc,) mean 1 from the MAR propensities (n_cc,) of the complete cases and their scores Z."""
    p = expit(logit(np.asarray(propensity, dtype=float)) + delta * score)
    weights = 1.0 / p
    return weights / weights.mean()


def tipping_point(top_at: Callable[[float], str], deltas: Sequence[float]) -> dict:
    """Smallest |δ| that changes ``top_at(δ)`` from ``top_at(0)``: grid search, then bisection."""
    reference = top_at(0.0)
    for delta in sorted(deltas, key=lambda d: (abs(d), d)):
        if delta != 0 and top_at(delta) != reference:
            inner = max([d for d in deltas if d * delta > 0 and abs(d) < abs(delta)], key=abs, default=0.0)
            lo, hi = inner, delta
            for _ in range(BISECTION_STEPS):
                middle = 0.5 * (lo + hi)
                lo, hi = (lo, middle) if top_at(middle) != reference else (middle, hi)
            return {"tipping_point": float(abs(hi)), "direction": "positive" if delta > 0 else "negative",
                    "top_at_mar": reference, "top_after": top_at(hi)}
    return {"tipping_point": None, "direction": None, "top_at_mar": reference, "top_after": None}


def sensitivity_analysis(evaluate: Callable[[np.ndarray], dict], propensity: np.ndarray, score: np.ndarray,
                         deltas: Sequence[float] = DEFAULT_DELTAS) -> dict:
    """Estimates, ranking and tipping point under the departure model.

    ``evaluate(weights) -> {"information_bits": {subset: bits}, "gain_bits": {modality: bits}}`` re-scores
    the corrected predictions with complete-case weights (n_cc,); ``propensity`` (n_cc,) are the clipped
    MAR propensities of the complete cases and ``score`` their Z.
    """
    cache: dict[float, dict] = {}

    def at(delta: float) -> dict:
        if delta not in cache:
            cache[delta] = evaluate(tilted_weights(propensity, score, delta))
        return cache[delta]

    def top_at(delta: float) -> str | None:
        gains = at(delta)["gain_bits"]
        return max(gains, key=gains.get) if gains else None

    grid = sorted(set(deltas) | {0.0})
    rows = []
    for delta in grid:
        values = at(delta)
        ranking = sorted(values["gain_bits"], key=values["gain_bits"].get, reverse=True)
        rows.append({"delta": float(delta), "information_bits": values["information_bits"],
                     "gain_bits": values["gain_bits"], "ranking": ranking})
    none = {"tipping_point": None, "direction": None, "top_at_mar": None, "top_after": None}
    at_mar = sorted(at(0.0)["gain_bits"].values(), reverse=True)
    if not at_mar:
        result = {**none, "note": "a single modality under study: there is no ranking to change"}
    elif len(at_mar) > 1 and at_mar[0] - at_mar[1] <= TIE_BITS:
        result = {**none, "note": f"gains tie: no ranking (the two largest gains at MAR differ by {at_mar[0] - at_mar[1]:.4f} "
                                  f"bits, at most {TIE_BITS:g}), so there is no top modality to tip"}
    else:
        result = tipping_point(top_at, grid)
    return {**result, "model": MODEL, "deltas": [float(d) for d in grid], "grid": rows}
