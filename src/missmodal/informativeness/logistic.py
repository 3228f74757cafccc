"""Weighted L2 logistic regression on standardised inputs, solved directly with L-BFGS.

The informativeness estimates fit thousands of small logistic regressions (every subset, fold, repeat,
candidate ``C`` and bootstrap resample); scikit-learn's input validation costs more than the optimisation on
a few hundred rows, so the same objective is minimised here on numpy arrays. With ``z = (x - mean) / scale``
(mean and scale of the training inputs, a constant column keeping scale 1), sample weights ``w_i`` and
``S = sum_i w_i``:

- two classes: ``p_i = sigmoid(z_i . beta + b)``, minimise
  ``(1/S) sum_i w_i [log(1 + e^{s_i}) - y_i s_i] + |beta|^2 / (2 C S)`` with ``s_i = z_i . beta + b``;
- K > 2 classes: ``p_i = softmax(z_i B + c)`` (B of shape (d, K)), minimise
  ``-(1/S) sum_i w_i log p_{i, y_i} + |B|_F^2 / (2 C S)``;

the intercepts are not penalised. This is scikit-learn's ``LogisticRegression(C=C)`` objective (divided by
``C S``, which leaves the minimiser unchanged); ``tests/informativeness/test_logistic_solver.py`` checks the
probabilities against it.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit, logsumexp


#: Two classes and at most this many inputs: Newton's method (a (d+1) x (d+1) solve per step, a handful of
#: steps) instead of L-BFGS, whose per-iteration overhead dominates on small problems.
NEWTON_MAX_FEATURES = 200


class RidgeLogistic:
    """A fitted model: ``classes_`` (the class codes seen in training), ``predict_proba(x)`` of shape
    ``(n, len(classes_))``; ``coef_`` (d, 1) for two classes, (d, K) otherwise, and ``intercept_``."""

    def __init__(self, mean: np.ndarray, scale: np.ndarray, classes: np.ndarray, coef: np.ndarray, intercept: np.ndarray):
        self.mean_, self.scale_, self.classes_, self.coef_, self.intercept_ = mean, scale, classes, coef, intercept

    def decision(self, x: np.ndarray) -> np.ndarray:
        """Linear scores ``z B + c``: (n, 1) for two classes, (n, K) otherwise."""
        return ((np.asarray(x, dtype=np.float64) - self.mean_) / self.scale_) @ self.coef_ + self.intercept_

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        if len(self.classes_) == 1:
            return np.ones((len(x), 1))
        scores = self.decision(x)
        if len(self.classes_) == 2:
            positive = expit(scores[:, 0])
            return np.c_[1.0 - positive, positive]
        return np.exp(scores - logsumexp(scores, axis=1, keepdims=True))


def fit_ridge_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, C: float, previous: RidgeLogistic | None = None,
                       max_iter: int = 300, tol: float = 1e-4) -> RidgeLogistic:
    """Fit on ``x`` (n, d), class codes ``y`` (n,) and weights ``w`` (n,) with inverse penalty ``C``.

    ``previous`` (a fit on the same training data, e.g. the candidate ``C`` before) gives the scaling and the
    starting coefficients (a warm start). A single class gives a constant model."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    classes, codes = np.unique(y, return_inverse=True)
    if previous is not None:
        mean, scale = previous.mean_, previous.scale_
    else:
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
    d, k = x.shape[1], len(classes)
    if k == 1:
        return RidgeLogistic(mean, scale, classes, np.zeros((d, 0)), np.zeros(0))
    z = (x - mean) / scale
    columns = 1 if k == 2 else k
    total = w.sum()
    penalty = 1.0 / (C * total)
    share = w / total

    start = np.zeros(d * columns + columns)
    if previous is not None and previous.coef_.shape == (d, columns):
        start = np.r_[previous.coef_.ravel(), previous.intercept_]
    if k == 2 and d <= NEWTON_MAX_FEATURES:
        theta = _newton_binary(z, (codes == 1).astype(np.float64), share, penalty, start, max_iter, tol)
        return RidgeLogistic(mean, scale, classes, theta[:d, None], theta[d:])
    if k == 2:
        target = (codes == 1).astype(np.float64)

        def objective(theta):
            beta, b = theta[:d], theta[d]
            s = z @ beta + b
            loss = -(share * (target * log_expit(s) + (1 - target) * log_expit(-s))).sum() + 0.5 * penalty * beta @ beta
            residual = share * (expit(s) - target)
            return loss, np.concatenate([z.T @ residual + penalty * beta, [residual.sum()]])
    else:
        rows = np.arange(len(codes))

        def objective(theta):
            B, c = theta[:d * k].reshape(d, k), theta[d * k:]
            s = z @ B + c
            s -= s.max(axis=1, keepdims=True)
            e = np.exp(s)
            total_e = e.sum(axis=1)
            loss = -(share * (s[rows, codes] - np.log(total_e))).sum() + 0.5 * penalty * (B * B).sum()
            residual = e * (share / total_e)[:, None]
            residual[rows, codes] -= share
            return loss, np.concatenate([(z.T @ residual + penalty * B).ravel(), residual.sum(axis=0)])

    result = minimize(objective, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iter, "gtol": tol, "ftol": 64 * np.finfo(float).eps})
    theta = result.x
    return RidgeLogistic(mean, scale, classes, theta[:d * columns].reshape(d, columns), theta[d * columns:])


def _newton_binary(z: np.ndarray, target: np.ndarray, share: np.ndarray, penalty: float, theta: np.ndarray,
                   max_iter: int, tol: float) -> np.ndarray:
    """Damped Newton steps on the two-class objective (see the module docstring) from ``theta`` = (beta, b):
    the step halves until the objective decreases; stops when the largest gradient entry is below ``tol``."""
    design = np.c_[z, np.ones(len(z))]
    ridge = np.full(design.shape[1], penalty)
    ridge[-1] = 0.0  # the intercept is not penalised

    def loss(theta):
        s = design @ theta
        return -(share * (target * log_expit(s) + (1 - target) * log_expit(-s))).sum() + 0.5 * (ridge * theta * theta).sum()

    value = loss(theta)
    for _ in range(max_iter):
        p = expit(design @ theta)
        gradient = design.T @ (share * (p - target)) + ridge * theta
        if np.abs(gradient).max() < tol:
            break
        hessian = (design.T * (share * p * (1 - p))) @ design + np.diag(ridge)
        hessian[np.diag_indices_from(hessian)] += 1e-12  # a constant column with no penalty stays solvable
        step = np.linalg.solve(hessian, gradient)
        for _ in range(30):
            candidate = theta - step
            new_value = loss(candidate)
            if new_value <= value:
                break
            step = step / 2
        else:
            break
        theta, value = candidate, new_value
    return theta
