"""``cox``: penalised Cox proportional hazards on the mean-imputed design matrix with missing indicators.

Features: the :func:`~missmodal.models.tabular.design_matrix` of the ``logistic`` baseline (standardised
modalities, 0 = the training mean where absent, one missing indicator per modality, standardised covariates).
Model ``h(t | x) = h0(t) exp(x beta)``; ``beta`` minimises the ridge-penalised negative Breslow partial
log-likelihood per sample,

    f(beta) = -l(beta) / n + (alpha / 2) ||beta||^2,
    l(beta) = sum_k [sum_{i in D_k} x_i beta - d_k log sum_{j: t_j >= u_k} exp(x_j beta)]

over the distinct event times ``u_k`` with ``d_k`` events ``D_k`` (scikit-survival's
``CoxPHSurvivalAnalysis(alpha=n * alpha, ties="breslow")`` solves the same problem). Newton's method with
step halving, using the closed forms ``grad l = X^T (d - w * A)`` and
``hess l = -(X^T diag(w * A) X - sum_k d_k xbar_k xbar_k^T)``, where ``w = exp(X beta)``, ``A_j`` the Breslow
cumulative hazard at ``t_j`` and ``xbar_k`` the risk-weighted mean of the risk set at ``u_k``.

``alpha`` is chosen among ``alphas`` by ``folds``-fold cross-validated partial likelihood (Verweij and van
Houwelingen 1993: ``cvl(alpha) = sum_k [l(beta_-k) - l_-k(beta_-k)]``, folds stratified by event). The
baseline hazard is the shared Breslow estimate (:mod:`missmodal.models.hazard`).
"""

from __future__ import annotations

import numpy as np

from ..errors import MissmodalError
from .registry import MODELS
from .tabular import TabularModel, shape_problem

DEFAULT_ALPHAS = (1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0)


def _sorted_by_time(X: np.ndarray, time: np.ndarray, event: np.ndarray):
    order = np.argsort(time, kind="stable")
    return X[order], time[order], event[order].astype(np.float64)


def breslow_terms(eta: np.ndarray, time: np.ndarray, event: np.ndarray) -> dict[str, np.ndarray]:
    """Risk-set quantities of log-risks ``eta`` on data sorted by increasing time: ``w = exp(eta - max eta)``,
    ``s0`` (the risk-set sum of ``w`` at each sample's time), ``hazard`` (the Breslow cumulative hazard ``A_j``
    at ``t_j``, on the same shifted scale), ``first`` (first index of each sample's tie), ``event_times`` (first
    index of each distinct event time) and ``deaths`` there."""
    shift = eta.max()
    w = np.exp(eta - shift)
    first = np.searchsorted(time, time, side="left")  # risk sets over t_j >= t_i start at the tie's first sample
    s0 = np.cumsum(w[::-1])[::-1][first]
    event_times = np.unique(first[event > 0])
    deaths = np.bincount(first, weights=event, minlength=len(time))[event_times]
    increments = np.zeros(len(time))
    increments[event_times] = deaths / s0[event_times]
    return {"shift": shift, "w": w, "s0": s0, "first": first, "event_times": event_times, "deaths": deaths,
            "hazard": np.cumsum(increments)}


def partial_likelihood(beta: np.ndarray, X: np.ndarray, time: np.ndarray, event: np.ndarray,
                       derivatives: bool = False):
    """Breslow partial log-likelihood ``l(beta)``; with ``derivatives`` also its gradient (F,) and Hessian (F, F).

    ``X``, ``time``, ``event`` must be sorted by increasing time (see :func:`_sorted_by_time`).
    """
    eta = X @ beta
    terms = breslow_terms(eta, time, event)
    loglik = float(np.sum(event * (eta - terms["shift"] - np.log(terms["s0"]))))
    if not derivatives:
        return loglik
    w, hazard, at, deaths = terms["w"], terms["hazard"], terms["event_times"], terms["deaths"]
    s1 = np.cumsum((w[:, None] * X)[::-1], axis=0)[::-1][terms["first"]]
    xbar = s1[at] / terms["s0"][at, None]
    gradient = X.T @ (event - w * hazard)
    hessian = -(X.T @ ((w * hazard)[:, None] * X) - (xbar * deaths[:, None]).T @ xbar)
    return loglik, gradient, hessian


def fit_cox(X: np.ndarray, time: np.ndarray, event: np.ndarray, alpha: float, max_iter: int = 100,
            tol: float = 1e-9) -> np.ndarray:
    """``beta`` (F,) minimising ``-l(beta) / n + alpha / 2 ||beta||^2`` by damped Newton steps."""
    X, time, event = _sorted_by_time(np.asarray(X, dtype=np.float64), np.asarray(time, dtype=np.float64), event)
    n, F = X.shape
    beta = np.zeros(F)

    def objective(b):
        return -partial_likelihood(b, X, time, event) / n + 0.5 * alpha * b @ b

    value = objective(beta)
    for _ in range(max_iter):
        _, gradient, hessian = partial_likelihood(beta, X, time, event, derivatives=True)
        g = -gradient / n + alpha * beta
        H = -hessian / n + alpha * np.eye(F)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        scale = 1.0
        while scale > 1e-8:
            candidate = beta - scale * step
            new_value = objective(candidate)
            if np.isfinite(new_value) and new_value <= value + 1e-12:
                break
            scale /= 2
        else:
            break
        beta, decrease, value = candidate, value - new_value, new_value
        if decrease < tol * max(1.0, abs(value)) and np.max(np.abs(scale * step)) < 1e-7:
            break
    return beta


def cross_validated_alpha(X: np.ndarray, time: np.ndarray, event: np.ndarray, alphas, folds: int, seed: int):
    """``(best alpha, [cvl per alpha], folds used)``: Verweij-van Houwelingen cross-validated partial likelihood."""
    from sklearn.model_selection import StratifiedKFold

    events = int(event.sum())
    folds = max(2, min(int(folds), events, len(event) - events)) if len(event) - events >= 2 else 2
    split = StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, event.astype(int))
    splits = list(split)
    full = _sorted_by_time(X, time, event)
    scores = []
    for alpha in alphas:
        total = 0.0
        for train, _ in splits:
            beta = fit_cox(X[train], time[train], event[train], alpha)
            total += partial_likelihood(beta, *full) - partial_likelihood(beta, *_sorted_by_time(X[train], time[train], event[train]))
        scores.append(total)
    return float(alphas[int(np.argmax(scores))]), scores, folds


@MODELS.register("cox", "penalised Cox proportional hazards on mean imputation + missing indicators + covariates, "
                 "Breslow ties, penalty by CV (survival)", kind="tabular")
class CoxBaseline(TabularModel):
    """Ridge Cox regression; see the module docstring. Output: the log-risk ``x beta`` (``(n, 1)``).

    Parameters (``model_params``)
    ----------
    alphas : candidate penalties (default :data:`DEFAULT_ALPHAS`); one value skips the cross-validation.
    folds : cross-validation folds (default 5, at most the number of events).
    """

    absent = "indicator"
    tasks = ("survival",)

    @staticmethod
    def fit_arrays(X, y, n_classes, seed, alphas=DEFAULT_ALPHAS, folds: int = 5):
        time, event = y[:, 0], y[:, 1]
        alphas = [float(a) for a in np.atleast_1d(alphas)]
        if not alphas or min(alphas) < 0:
            raise MissmodalError(f"model 'cox': alphas must be one or more penalties >= 0, got {alphas}")
        if len(alphas) == 1:
            alpha, scores, folds = alphas[0], None, 0
        else:
            alpha, scores, folds = cross_validated_alpha(X, time, event, alphas, folds, seed)
        beta = fit_cox(X, time, event, alpha)
        return {"coef": beta[None, :]}, {"alpha": alpha, "alphas": alphas, "cv_partial_likelihood": scores, "folds": folds}

    @staticmethod
    def array_problem(arrays, n_features, n_outputs):
        """``coef`` (1, F): one log-risk."""
        return shape_problem(arrays, {"coef": (1, n_features)})

    def decision(self, X):
        return X @ self.arrays["coef"].T
