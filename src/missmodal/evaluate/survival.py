"""Survival metrics for right-censored data: Kaplan–Meier, C-indices, time-dependent AUROC, Brier scores.

Notation: sample ``i`` has follow-up time ``t_i``, event flag ``d_i`` (1: event seen, 0: censored), a risk
score ``r_i`` (higher = earlier event expected) and predicted survival ``S_i(h) = P(T_i > h)``.
``G`` is the Kaplan–Meier estimate of the *censoring* distribution, ``G(t) = P(C > t)``, fitted on a
reference set (the training data when given, else the evaluated data), and evaluated as a right-continuous
step function. Every inverse-probability-of-censoring weight (IPCW) assumes censoring independent of the
event time and of the covariates (random censoring); where ``G`` reaches 0 the weight is undefined and the
sample gets weight 0 (reported in ``ipcw_dropped``).

- **Harrell's C**: over comparable pairs (``d_i = 1`` and ``t_j > t_i``, or ``t_j = t_i`` with ``d_j = 0``),
  the share with ``r_i > r_j`` (ties in ``r`` count 1/2).
- **Uno's C**: the same pairs weighted by ``G(t_i)^-2`` (restricted to ``t_i < tau``), which removes the
  dependence on the censoring distribution (Uno et al. 2011).
- **Cumulative/dynamic AUROC at h**: cases ``t_i <= h, d_i = 1`` weighted by ``1 / G(t_i)``, controls ``t_j > h``:
  ``AUC(h) = sum_ij w_i [r_i > r_j] / (sum_i w_i * #controls)`` (ties 1/2) (Uno et al. 2007).
- **Brier score at h** (Graf et al. 1999): ``mean_i [S_i(h)^2 d_i 1(t_i <= h) / G(t_i) + (1 - S_i(h))^2 1(t_i > h) / G(h)]``;
  the **integrated Brier score** is its trapezoidal mean over a time grid.
- **Calibration at h**: samples binned by predicted risk ``1 - S_i(h)``; per bin the mean prediction against
  the Kaplan–Meier estimate of ``P(T <= h)`` in the bin.

The definitions follow scikit-survival (``concordance_index_censored``, ``concordance_index_ipcw``,
``cumulative_dynamic_auc``, ``brier_score``), against which the tests check them to 1e-6.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..errors import MissmodalError

TIED_TOL = 1e-8


def kaplan_meier(time: np.ndarray, event: np.ndarray, reverse: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier estimate ``S(t) = prod_{u <= t} (1 - d_u / n_u)``: the ``(K,)`` unique times and ``S`` there.

    ``reverse=True`` estimates the censoring distribution ``G``: censorings are the events, and samples with an
    event at ``u`` leave the risk set before the censorings at ``u``.
    """
    time = np.asarray(time, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    times, inverse = np.unique(time, return_inverse=True)
    n_events = np.bincount(inverse, weights=event, minlength=len(times))
    n_total = np.bincount(inverse, minlength=len(times)).astype(np.float64)
    at_risk = len(time) - np.concatenate([[0.0], np.cumsum(n_total)[:-1]])
    if reverse:
        at_risk, n_events = at_risk - n_events, n_total - n_events
    ratio = np.divide(n_events, at_risk, out=np.zeros_like(n_events), where=n_events > 0)
    return times, np.cumprod(1.0 - ratio)


def step_function(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Right-continuous step function through ``(times, values)`` at ``at``; 1 before the first time."""
    index = np.searchsorted(times, np.asarray(at, dtype=np.float64), side="right") - 1
    return np.where(index >= 0, np.asarray(values)[np.clip(index, 0, None)], 1.0)


def censoring_survival(time: np.ndarray, event: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """``G(t) = P(C > t)``, the Kaplan–Meier estimate of the censoring distribution, as a function."""
    times, values = kaplan_meier(time, event, reverse=True)
    return lambda at: step_function(times, values, at)


def _inverse(values: np.ndarray) -> np.ndarray:
    """``1 / values`` with 0 where ``values`` is 0 (undefined weights are dropped)."""
    return np.divide(1.0, values, out=np.zeros_like(values, dtype=np.float64), where=values > 0)


def concordance(time: np.ndarray, event: np.ndarray, risk: np.ndarray, weights: np.ndarray | None = None) -> float | None:
    """Weighted concordance over comparable pairs (see the module docstring); None without a comparable pair.

    ``weights[i]`` weights the pairs whose earlier member is the event ``i`` (1: Harrell's C).
    """
    time, risk = np.asarray(time, dtype=np.float64), np.asarray(risk, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    weights = np.ones(len(time)) if weights is None else np.asarray(weights, dtype=np.float64)
    numerator = denominator = 0.0
    for i in np.flatnonzero(event & (weights > 0)):
        comparable = (time > time[i]) | ((time == time[i]) & ~event)
        if not comparable.any():
            continue
        difference = risk[i] - risk[comparable]
        ties = np.abs(difference) <= TIED_TOL
        numerator += weights[i] * (np.sum((difference > 0) & ~ties) + 0.5 * np.sum(ties))
        denominator += weights[i] * comparable.sum()
    return float(numerator / denominator) if denominator > 0 else None


def harrell_c(time: np.ndarray, event: np.ndarray, risk: np.ndarray) -> float | None:
    """Harrell's C-index (None without a comparable pair)."""
    return concordance(time, event, risk)


def uno_c(time: np.ndarray, event: np.ndarray, risk: np.ndarray, reference: tuple[np.ndarray, np.ndarray] | None = None,
          tau: float | None = None) -> float | None:
    """Uno's censoring-adjusted C-index, pairs weighted by ``G(t_i)^-2`` for ``t_i < tau``.

    ``reference``: the (time, event) the censoring distribution ``G`` is fitted on (default: these data).
    """
    time = np.asarray(time, dtype=np.float64)
    G = censoring_survival(*(reference or (time, event)))
    weights = _inverse(G(time)) ** 2
    if tau is not None:
        weights[time >= tau] = 0.0
    return concordance(time, event, risk, weights)


def cumulative_dynamic_auc(time: np.ndarray, event: np.ndarray, risk: np.ndarray, horizon: float,
                           reference: tuple[np.ndarray, np.ndarray] | None = None) -> float | None:
    """Cumulative/dynamic AUROC at ``horizon`` (IPCW cases); None without a weighted case or a control."""
    time, risk = np.asarray(time, dtype=np.float64), np.asarray(risk, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    G = censoring_survival(*(reference or (time, event)))
    cases = event & (time <= horizon)
    controls = time > horizon
    weights = _inverse(G(time[cases]))
    if not controls.any() or weights.sum() <= 0:
        return None
    difference = risk[cases][:, None] - risk[controls][None, :]
    ties = np.abs(difference) <= TIED_TOL
    wins = ((difference > 0) & ~ties).sum(axis=1) + 0.5 * ties.sum(axis=1)
    return float((weights * wins).sum() / (weights.sum() * controls.sum()))


def brier_scores(time: np.ndarray, event: np.ndarray, survival: np.ndarray, horizons: Sequence[float],
                 reference: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """IPCW Brier score at each horizon: ``survival`` ``(n, H)`` holds ``S_i(h)`` for the ``H`` horizons."""
    time = np.asarray(time, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    horizons = np.asarray(horizons, dtype=np.float64)
    survival = np.asarray(survival, dtype=np.float64).reshape(len(time), len(horizons))
    G = censoring_survival(*(reference or (time, event)))
    at_time, at_horizon = _inverse(G(time)), _inverse(G(horizons))
    cases = event[:, None] & (time[:, None] <= horizons[None, :])
    controls = time[:, None] > horizons[None, :]
    terms = survival ** 2 * cases * at_time[:, None] + (1 - survival) ** 2 * controls * at_horizon[None, :]
    return terms.mean(axis=0)


def integrated_brier_score(time: np.ndarray, event: np.ndarray, survival: np.ndarray, grid: Sequence[float],
                           reference: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """``(1 / (g_K - g_1)) * integral of BS(t) dt`` over the sorted ``grid`` (trapezoids); ``survival`` is ``(n, K)``."""
    grid = np.asarray(grid, dtype=np.float64)
    if grid.size < 2 or not np.all(np.diff(grid) > 0):
        raise MissmodalError("the integrated Brier score needs an increasing grid of at least two times")
    scores = brier_scores(time, event, survival, grid, reference)
    return float(np.sum((scores[1:] + scores[:-1]) / 2 * np.diff(grid)) / (grid[-1] - grid[0]))


def km_at(time: np.ndarray, event: np.ndarray, horizon: float) -> float | None:
    """Kaplan–Meier ``S(horizon)``; None when follow-up ends before ``horizon`` with survivors left (undefined)."""
    times, values = kaplan_meier(time, event)
    if horizon > times[-1] and values[-1] > 0:
        return None
    return float(step_function(times, values, [horizon])[0])


def calibration_at(time: np.ndarray, event: np.ndarray, survival_at_horizon: np.ndarray, horizon: float,
                   bins: int = 5) -> dict:
    """Predicted against observed risk of an event by ``horizon`` in ``bins`` quantile bins of predicted risk.

    Returns ``{"horizon", "bins": [{"count", "predicted", "observed"}], "error"}`` where ``observed`` is the
    bin's Kaplan–Meier ``1 - S(horizon)`` (None when undefined) and ``error`` the count-weighted mean
    ``|observed - predicted|`` over the bins where it is defined (None if none is).
    """
    risk = 1.0 - np.asarray(survival_at_horizon, dtype=np.float64)
    order = np.argsort(risk, kind="stable")
    rows = []
    for part in np.array_split(order, min(bins, len(order))):
        survived = km_at(np.asarray(time)[part], np.asarray(event)[part], horizon) if len(part) else None
        rows.append({"count": int(len(part)), "predicted": float(risk[part].mean()) if len(part) else None,
                     "observed": None if survived is None else 1.0 - survived})
    defined = [r for r in rows if r["observed"] is not None and r["count"]]
    error = (sum(r["count"] * abs(r["observed"] - r["predicted"]) for r in defined) / sum(r["count"] for r in defined)
             if defined else None)
    return {"horizon": float(horizon), "bins": rows, "error": error}
