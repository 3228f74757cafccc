"""Iterative imputation: chained ridge regression of each modality block on the other blocks."""

from __future__ import annotations

import numpy as np

from ..errors import MissmodalError
from .base import IMPUTERS, BaseImputer
from .blocks import Moments, normalise


@IMPUTERS.register("iterative", "Chained ridge regression per modality block from the other blocks")
class IterativeImputer(BaseImputer):
    """Chained-equation imputation at the level of modality blocks, with ridge regression.

    On normalised data (missing blocks start at 0, the mean), for ``max_iter`` rounds and for each
    modality m in order: regress ``z^m`` on the other blocks and their observed indicators over the rows
    where m is observed, ``W = argmin ||F W − z^m||² + alpha ||W||²`` (intercept unpenalised), then
    replace the missing ``z^m`` by ``F W``. The coefficients of every round are kept, so ``transform``
    replays the same chain on new rows.

    Parameters
    ----------
    max_iter : int, default=3
        Rounds over the modalities.
    alpha : float, default=1.0
        Ridge penalty (on normalised features).
    modalities : list of int, optional
        Column-block widths for 2-D array input (``None``: every column its own modality).

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (D,)
        Normalisation statistics.
    n_iter_ : int
        Rounds run (``max_iter``).
    coefs_ : list of list of ndarray
        ``coefs_[r][m]`` of shape (D − d_m + M, d_m) and ``intercepts_[r][m]`` (d_m,): round r, modality m.

    Examples
    --------
    >>> import numpy as np
    >>> from missmodal.impute import IterativeImputer
    >>> X = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0], [4.0, np.nan]])
    >>> float(IterativeImputer(alpha=1e-6).fit_transform(X)[3, 1].round(3))
    8.0
    """

    def __init__(self, max_iter: int = 3, alpha: float = 1.0, *, modalities: list[int] | None = None):
        self.max_iter = max_iter
        self.alpha = alpha
        self.modalities = modalities

    def _features(self, z: np.ndarray, observed: np.ndarray, m: int) -> np.ndarray:
        keep = np.repeat(np.arange(len(self.widths_)) != m, self.widths_)
        others = np.delete(np.arange(len(self.widths_)), m)
        return np.hstack([z[:, keep], observed[:, others]])

    def _fit(self, X: np.ndarray, observed: np.ndarray) -> None:
        if not isinstance(self.max_iter, (int, np.integer)) or self.max_iter < 1:
            raise MissmodalError(f"max_iter must be a positive int, got {self.max_iter!r}")
        if not self.alpha >= 0:
            raise MissmodalError(f"alpha must be >= 0, got {self.alpha!r}")
        moments = Moments(self.widths_)
        moments.add(X, observed)
        self.mean_, self.scale_ = moments.mean_scale()
        z = normalise(X, observed, self.widths_, self.mean_, self.scale_).astype(np.float64)
        bounds = np.cumsum([0] + self.widths_)
        self.coefs_, self.intercepts_ = [], []
        for _ in range(self.max_iter):
            coefs, intercepts = [], []
            for m in range(len(self.widths_)):
                rows = observed[:, m]
                F = self._features(z, observed, m).astype(np.float64)
                coef, intercept = _ridge(F[rows], z[rows, bounds[m]:bounds[m + 1]], self.alpha)
                z[~rows, bounds[m]:bounds[m + 1]] = F[~rows] @ coef + intercept
                coefs.append(coef)
                intercepts.append(intercept)
            self.coefs_.append(coefs)
            self.intercepts_.append(intercepts)
        self.n_iter_ = self.max_iter

    def _fill(self, X: np.ndarray, observed: np.ndarray) -> np.ndarray:
        z = normalise(X, observed, self.widths_, self.mean_, self.scale_).astype(np.float64)
        bounds = np.cumsum([0] + self.widths_)
        for coefs, intercepts in zip(self.coefs_, self.intercepts_):
            for m, (coef, intercept) in enumerate(zip(coefs, intercepts)):
                missing = ~observed[:, m]
                if missing.any():
                    F = self._features(z[missing], observed[missing], m)
                    z[missing, bounds[m]:bounds[m + 1]] = F @ coef + intercept
        return (z * self.scale_ + self.mean_).astype(np.float32)


def _ridge(F: np.ndarray, Y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Ridge coefficients ``(p, q)`` and intercept ``(q,)``; the dual form when rows are fewer than features."""
    f_mean, y_mean = F.mean(axis=0), Y.mean(axis=0)
    Fc, Yc = F - f_mean, Y - y_mean
    n, p = Fc.shape
    ridge = max(alpha, 1e-8 * max(1.0, float(np.abs(Fc).max(initial=0.0)) ** 2))
    if n < p:
        coef = Fc.T @ np.linalg.solve(Fc @ Fc.T + ridge * np.eye(n), Yc)
    else:
        coef = np.linalg.solve(Fc.T @ Fc + ridge * np.eye(p), Fc.T @ Yc)
    return coef, y_mean - f_mean @ coef
