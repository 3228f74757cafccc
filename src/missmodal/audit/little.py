"""Little's (1988) test of MCAR for multivariate data with missing values.

With ``μ, Σ`` the maximum-likelihood mean and covariance under a multivariate normal model (EM), and the
rows grouped by missingness pattern j (``n_j`` rows, observed variables ``o_j``, mean ``ȳ_j`` of those)::

    d² = Σ_j n_j (ȳ_j - μ_{o_j})ᵀ Σ_{o_j o_j}⁻¹ (ȳ_j - μ_{o_j}),     df = Σ_j |o_j| - p

is asymptotically χ²(df) under MCAR. Large d² says the pattern groups differ in their means: not MCAR.
Covariance blocks are inverted by pseudo-inverse, so collinear inputs (one-hot codes) do not break it.
The test assumes (approximately) normal variables and sees only mean differences; on large samples it
rejects for tiny departures, hence the effect size ``sqrt(max(d² - df, 0) / (df (n - 1)))`` (an RMSEA-like
scale: about 0 under MCAR, 0.05 small, 0.1 large).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(500, 3))
>>> x[rng.random(500) < 0.3, 2] = np.nan
>>> result = little_mcar_test(x)
>>> result["df"], result["p_value"] > 0.01
(2, True)
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from ..errors import MissmodalError


def _patterns(observed: np.ndarray) -> list[np.ndarray]:
    """Row indices of each distinct missingness pattern (rows with at least one observed value)."""
    _, inverse = np.unique(observed, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return [np.flatnonzero(inverse == k) for k in range(inverse.max() + 1)]


def em_normal(x: np.ndarray, max_iter: int = 10000, tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """ML mean (p,) and covariance (p, p) of a multivariate normal from ``x`` (n, p) with NaNs, by EM."""
    observed = ~np.isnan(x)
    groups = _patterns(observed)
    n, p = x.shape
    mu = np.nanmean(x, axis=0)
    sigma = np.diag(np.nanvar(x, axis=0))
    for _ in range(max_iter):
        total, cross = np.zeros(p), np.zeros((p, p))
        for rows in groups:
            o = observed[rows[0]]
            m = ~o
            filled = np.where(observed[rows], x[rows], 0.0)
            if m.any():
                regression = (np.linalg.pinv(sigma[np.ix_(o, o)]) @ sigma[np.ix_(o, m)]).T  # Σ_mo Σ_oo⁻¹
                filled[:, m] = mu[m] + (filled[:, o] - mu[o]) @ regression.T
                residual = sigma[np.ix_(m, m)] - regression @ sigma[np.ix_(o, m)]
                cross[np.ix_(m, m)] += len(rows) * residual
            total += filled.sum(axis=0)
            cross += filled.T @ filled
        new_mu = total / n
        new_sigma = cross / n - np.outer(new_mu, new_mu)
        change = max(np.abs(new_mu - mu).max(), np.abs(new_sigma - sigma).max())
        mu, sigma = new_mu, new_sigma
        if change < tol:
            break
    return mu, sigma


def little_mcar_test(x: np.ndarray, names: list[str] | None = None) -> dict:
    """Little's MCAR test of ``x`` (n, p) with NaN for missing values.

    Returns ``statistic`` (d²), ``df``, ``p_value``, ``effect_size``, ``n_patterns``, ``n_rows`` (rows with
    at least one observed value) and ``variables``.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] == 0:
        raise MissmodalError(f"Little's test needs an (n, p) matrix with p >= 1, got shape {x.shape}")
    x = x[(~np.isnan(x)).any(axis=1)]
    observed = ~np.isnan(x)
    if (~observed.any(axis=0)).any():
        raise MissmodalError("Little's test: a variable is never observed")
    mu, sigma = em_normal(x)
    statistic, df = 0.0, -x.shape[1]
    for rows in _patterns(observed):
        o = observed[rows[0]]
        difference = x[rows][:, o].mean(axis=0) - mu[o]
        statistic += len(rows) * float(difference @ np.linalg.pinv(sigma[np.ix_(o, o)]) @ difference)
        df += int(o.sum())
    n = len(x)
    p_value = float(chi2.sf(statistic, df)) if df > 0 else None
    effect = float(np.sqrt(max(statistic - df, 0.0) / (df * (n - 1)))) if df > 0 else None
    return {"statistic": float(statistic), "df": int(df), "p_value": p_value, "effect_size": effect,
            "n_patterns": len(_patterns(observed)), "n_rows": int(n),
            "variables": list(names) if names is not None else None}


def modality_summaries(data) -> tuple[np.ndarray, list[str]]:
    """The covariates and one summary per modality (its first principal component over the rows where it is
    observed, NaN where missing): (n, p) and the column names."""
    from sklearn.decomposition import PCA

    columns, names = [], []
    if data.covariates is not None:
        columns.append(np.asarray(data.covariates, dtype=float))
        names += list(data.covariate_names or [f"covariate {j}" for j in range(data.covariates.shape[1])])
    for k, (name, values) in enumerate(data.modalities.items()):
        rows = data.observed[:, k]
        if not rows.any():
            continue
        x = np.asarray(values[rows], dtype=float)
        std = x.std(axis=0)
        x = (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)
        summary = np.full(data.n_samples, np.nan)
        summary[rows] = PCA(n_components=1, random_state=0).fit_transform(x)[:, 0] if x.shape[1] > 1 else x[:, 0]
        columns.append(summary[:, None])
        names.append(f"{name} (PC1)")
    return np.hstack(columns), names


def little_mcar(data, max_samples: int = 20000, seed: int = 0) -> dict:
    """Little's test on the always-observed variables and the modality summaries of ``data`` (a seeded
    subsample of at most ``max_samples`` rows); ``note`` says what it can and cannot see."""
    if data.n_samples > max_samples:
        data = data.subset(np.sort(np.random.default_rng(seed).choice(data.n_samples, max_samples, replace=False)))
    x, names = modality_summaries(data)
    result = little_mcar_test(x, names)
    result["note"] = ("tests whether the means of the covariates and of each modality's first principal component differ "
                      "between missingness patterns (multivariate normal model); a small p-value says not MCAR, a large one "
                      "is no proof of MCAR, and MNAR is invisible to it")
    return result
