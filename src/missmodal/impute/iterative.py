"""Iterative imputation: chained ridge regression of each modality block on the other blocks.

Regularisation is chosen per output column by exact leave-one-out error, and the number of rounds by
the error on held-out observed blocks, so the chain does not overfit when most blocks are missing.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.utils import check_random_state

from ..errors import MissmodalError
from .base import IMPUTERS, BaseImputer
from .blocks import Moments, expand, normalise
from .validation import hide_blocks

ALPHAS = (0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5)


@IMPUTERS.register("iterative", "Chained ridge regression per modality block, penalty by leave-one-out, "
                                "rounds by held-out blocks")
class IterativeImputer(BaseImputer):
    """Chained-equation imputation at the level of modality blocks, with self-tuned ridge regression.

    On normalised data ``z`` (per column over the rows where its modality is observed; missing blocks
    start at 0, the mean), one *round* visits each modality m in order: with ``F`` the other blocks
    (current values) and their observed indicators, over the rows where m is observed,

        W_j = argmin_w ||F_c w − z^m_{c,j}||² + α_j ||w||²     (centred: intercept unpenalised)

    for each column j of block m, with ``α_j`` chosen from ``alphas`` by the exact leave-one-out error
    ``e_i = (y_i − ŷ_i) / (1 − h_ii)``, ``h_ii = 1/n + Σ_k U_ik² s_k² / (s_k² + α)`` (thin SVD
    ``F_c = U S Vᵀ``, from the eigendecomposition of the smaller Gram matrix); the missing ``z^m`` are
    then replaced by ``F W + b``.

    Rounds: a share ``validation_share`` of the observed blocks is hidden (rows keep one block) and the
    chain runs on the rest for up to ``max_iter`` rounds, scoring the hidden blocks after each round; it
    stops when the score improves by less than ``tol`` (relative), and the round count with the lowest
    score is kept. The chain is then refitted on all observed blocks for that many rounds. The
    coefficients of every round are kept, so ``transform`` replays the same chain on new rows.

    Parameters
    ----------
    max_iter : int, default=10
        Most rounds over the modalities.
    alphas : sequence of float, default=(0.1, 1, 10, ..., 1e5)
        Ridge penalties tried per output column (normalised units).
    tol : float, default=1e-2
        Stop when the held-out error improves by less than this share of itself.
    validation_share : float in (0, 1), default=0.1
        Share of observed blocks held out to choose the number of rounds.
    random_state : int, RandomState or None
        Seeds the held-out blocks.
    modalities : list of int, optional
        Column-block widths for 2-D array input (``None``: every column its own modality).

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (D,)
        Normalisation statistics.
    n_iter_ : int
        Rounds in the fitted chain.
    validation_curve_ : list of float
        Held-out block error (normalised RMSE) after each monitored round (empty when no block could be
        held out; then ``max_iter`` rounds are run).
    converged_ : bool
        Whether the held-out error stopped improving before ``max_iter`` rounds.
    alphas_ : list of list of ndarray
        ``alphas_[r][m]`` (d_m,): the penalty chosen per column in round r of the final chain.
    coefs_ : list of list of ndarray
        ``coefs_[r][m]`` of shape (D − d_m + M − 1, d_m) and ``intercepts_[r][m]`` (d_m,).

    Examples
    --------
    >>> import numpy as np
    >>> from missmodal.impute import IterativeImputer
    >>> X = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0], [4.0, 8.0], [5.0, np.nan]])
    >>> float(IterativeImputer(alphas=(1e-6,), random_state=0).fit_transform(X)[4, 1].round(3))
    10.0
    """

    def __init__(self, max_iter: int = 10, alphas: Sequence[float] = ALPHAS, tol: float = 1e-2,
                 validation_share: float = 0.1, random_state: Any = None, *, modalities: list[int] | None = None):
        self.max_iter = max_iter
        self.alphas = alphas
        self.tol = tol
        self.validation_share = validation_share
        self.random_state = random_state
        self.modalities = modalities

    def _check_params(self) -> np.ndarray:
        if not isinstance(self.max_iter, (int, np.integer)) or self.max_iter < 1:
            raise MissmodalError(f"max_iter must be a positive int, got {self.max_iter!r}")
        alphas = np.asarray(self.alphas, dtype=np.float64).ravel()
        if alphas.size == 0 or not np.all(alphas > 0):
            raise MissmodalError(f"alphas must be a non-empty list of positive penalties, got {self.alphas!r}")
        if not self.tol >= 0:
            raise MissmodalError(f"tol must be >= 0, got {self.tol!r}")
        if not 0 < self.validation_share < 1:
            raise MissmodalError(f"validation_share must be in (0, 1), got {self.validation_share!r}")
        return alphas

    def _features(self, z: np.ndarray, observed: np.ndarray, m: int) -> np.ndarray:
        keep = np.repeat(np.arange(len(self.widths_)) != m, self.widths_)
        others = np.delete(np.arange(len(self.widths_)), m)
        return np.hstack([z[:, keep], observed[:, others]])

    def _start(self, z: np.ndarray, observed: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per modality m, the rows that have m as a copy with m hidden: ``(rows, z copy, mask copy)``."""
        bounds = np.cumsum([0] + self.widths_)
        copies = []
        for m in range(len(self.widths_)):
            rows = np.flatnonzero(observed[:, m])
            z_m, o_m = z[rows].copy(), observed[rows].copy()
            z_m[:, bounds[m]:bounds[m + 1]] = 0.0
            o_m[:, m] = False
            copies.append((rows, z_m, o_m))
        return copies

    def _predict_into(self, z: np.ndarray, observed: np.ndarray, m: int, coef: np.ndarray,
                      intercept: np.ndarray) -> None:
        """Replace block m of the rows of ``z`` lacking m by the regression's prediction (in place)."""
        missing = ~observed[:, m]
        if missing.any():
            block = slice(int(np.sum(self.widths_[:m])), int(np.sum(self.widths_[:m + 1])))
            z[missing, block] = self._features(z[missing], observed[missing], m) @ coef + intercept

    def _round(self, z: np.ndarray, observed: np.ndarray, copies: list, alphas: np.ndarray) -> tuple[list, list, list]:
        """One pass over the modalities, updating the missing blocks of ``z`` and of the copies in place.

        Block m's regression is trained on the copy in which m is hidden, so its features there were
        imputed without m, exactly as for a row that lacks m (no leak of the target into its features).
        """
        bounds = np.cumsum([0] + self.widths_)
        coefs, intercepts, chosen = [], [], []
        for m in range(len(self.widths_)):
            rows, z_m, o_m = copies[m]
            F = self._features(z_m, o_m, m)
            coef, intercept, alpha, _ = _ridge_loo(F, z[rows, bounds[m]:bounds[m + 1]], alphas)
            self._predict_into(z, observed, m, coef, intercept)
            for _, z_c, o_c in copies:
                self._predict_into(z_c, o_c, m, coef, intercept)
            coefs.append(coef)
            intercepts.append(intercept)
            chosen.append(alpha)
        return coefs, intercepts, chosen

    def _monitor(self, z: np.ndarray, observed: np.ndarray, alphas: np.ndarray) -> int:
        """Rounds to run, chosen on held-out observed blocks (sets ``validation_curve_``, ``converged_``)."""
        hidden = hide_blocks(observed, self.validation_share, check_random_state(self.random_state))
        self.validation_curve_, self.converged_ = [], False
        if not hidden.any():
            return int(self.max_iter)
        cells = expand(hidden, self.widths_)
        truth = z[cells]
        work = np.where(cells, 0.0, z)
        kept = observed & ~hidden
        copies = self._start(work, kept)
        for _ in range(int(self.max_iter)):
            self._round(work, kept, copies, alphas)
            self.validation_curve_.append(float(np.sqrt(np.mean((work[cells] - truth) ** 2))))
            if len(self.validation_curve_) > 1 and \
                    self.validation_curve_[-1] > (1.0 - self.tol) * min(self.validation_curve_[:-1]):
                self.converged_ = True
                break
        return int(np.argmin(self.validation_curve_)) + 1

    def _fit(self, X: np.ndarray, observed: np.ndarray) -> None:
        alphas = self._check_params()
        moments = Moments(self.widths_)
        moments.add(X, observed)
        self.mean_, self.scale_ = moments.mean_scale()
        z = normalise(X, observed, self.widths_, self.mean_, self.scale_).astype(np.float64)
        rounds = self._monitor(z, observed, alphas)
        self.coefs_, self.intercepts_, self.alphas_ = [], [], []
        copies = self._start(z, observed)
        for _ in range(rounds):
            coefs, intercepts, chosen = self._round(z, observed, copies, alphas)
            self.coefs_.append(coefs)
            self.intercepts_.append(intercepts)
            self.alphas_.append(chosen)
        self.n_iter_ = rounds

    def _fill(self, X: np.ndarray, observed: np.ndarray) -> np.ndarray:
        z = normalise(X, observed, self.widths_, self.mean_, self.scale_).astype(np.float64)
        for coefs, intercepts in zip(self.coefs_, self.intercepts_):
            for m, (coef, intercept) in enumerate(zip(coefs, intercepts)):
                self._predict_into(z, observed, m, coef, intercept)
        return (z * self.scale_ + self.mean_).astype(np.float32)


def _ridge_loo(F: np.ndarray, Y: np.ndarray, alphas: np.ndarray) -> tuple[np.ndarray, ...]:
    """Ridge fit of each column of ``Y`` (n, q) on ``F`` (n, p) with the penalty of least leave-one-out error.

    Returns the coefficients ``(p, q)``, the intercept ``(q,)``, the chosen penalty per column ``(q,)`` and
    the mean squared leave-one-out error of every penalty ``(len(alphas), q)``. With a single row the fit
    is the column mean (no slope can be learned) and the errors are NaN.
    """
    n = F.shape[0]
    f_mean, y_mean = F.mean(axis=0), Y.mean(axis=0)
    if n < 2:
        return (np.zeros((F.shape[1], Y.shape[1])), y_mean, np.full(Y.shape[1], alphas[-1]),
                np.full((alphas.size, Y.shape[1]), np.nan))
    Fc, Yc = F - f_mean, Y - y_mean
    U, s, Vt = _thin_svd(Fc)
    UtY = U.T @ Yc  # (r, q)
    best_error = np.full(Y.shape[1], np.inf)
    best_alpha = np.full(Y.shape[1], alphas[0])
    best_shrink = np.zeros((s.size, Y.shape[1]))
    errors = np.empty((alphas.size, Y.shape[1]))
    for a, alpha in enumerate(alphas):
        shrink = s**2 / (s**2 + alpha)  # (r,)
        fitted = U @ (shrink[:, None] * UtY)
        leverage = 1.0 / n + (U**2) @ shrink
        loo = (Yc - fitted) / np.maximum(1.0 - leverage, 1e-12)[:, None]
        error = errors[a] = np.mean(loo**2, axis=0)
        better = error < best_error
        best_error[better], best_alpha[better] = error[better], alpha
        best_shrink[:, better] = shrink[:, None]
    coef = Vt.T @ ((best_shrink / s[:, None]) * UtY)
    return coef, y_mean - f_mean @ coef, best_alpha, errors


def _thin_svd(Fc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``U (n, r), s (r,), Vt (r, p)`` of ``Fc`` from the eigendecomposition of ``FcᵀFc`` or ``Fc Fcᵀ``
    (whichever is smaller; several times faster than ``np.linalg.svd``), directions with
    ``s² <= 1e-12 · max s²`` dropped."""
    n, p = Fc.shape
    w, vectors = np.linalg.eigh(Fc.T @ Fc if p <= n else Fc @ Fc.T)
    keep = w > max(w.max(initial=0.0), 0.0) * 1e-12
    w, vectors = w[keep], vectors[:, keep]
    s = np.sqrt(w)
    if p <= n:
        return (Fc @ vectors) / s, s, vectors.T
    return vectors, s, ((Fc.T @ vectors) / s).T
