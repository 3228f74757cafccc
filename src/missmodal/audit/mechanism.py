"""Evidence about the missingness mechanism: can a modality's presence be predicted from what is observed?

For each modality m that is sometimes missing, a logistic regression predicts ``observed[:, m]`` from the
values of the other modalities (standardised, mean-filled where absent) and the covariates; its
stratified k-fold cross-validated AUROC is about 0.5 under MCAR and higher when missingness depends on
observed values (MAR). MNAR cannot be told apart from data alone; this test does not claim to.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..data.multimodal import MultimodalData

MCAR_AUROC_THRESHOLD = 0.6


def _features_without(data: MultimodalData, m: int, max_components: int) -> np.ndarray:
    """Other modalities' values, standardised on their observed rows and set to 0 (their mean) where absent.

    Missing indicators are left out on purpose: whenever samples must keep at least one modality, the
    presence patterns depend on each other even under MCAR, and the test is about dependence on *values*.
    """
    blocks = []
    for k, (name, values) in enumerate(data.modalities.items()):
        rows = data.observed[:, k]
        if k == m or not rows.any():
            continue
        mean, std = values[rows].mean(axis=0), values[rows].std(axis=0)
        standardised = np.where(rows[:, None], (values - mean) / np.where(std > 0, std, 1.0), 0.0)
        if standardised.shape[1] > max_components:
            pca = PCA(n_components=max_components, random_state=0).fit(standardised[rows])
            standardised = np.where(rows[:, None], pca.transform(standardised), 0.0)
        blocks.append(standardised)
    if data.covariates is not None:
        blocks.append(data.covariates)
    return np.hstack(blocks) if blocks else np.zeros((data.n_samples, 0))


def mechanism_evidence(data: MultimodalData, n_folds: int = 5, seed: int = 0, max_samples: int = 20000,
                       max_components: int = 20) -> list[dict]:
    """Per modality: ``name``, ``missing_rate``, ``auroc`` (mean over folds), ``auroc_std``, ``verdict``.

    Modalities with more than ``max_components`` dims are reduced by PCA (fitted on their observed rows);
    at most ``max_samples`` rows (a seeded subsample) are used. ``verdict`` is ``"consistent with MCAR"``
    when the AUROC is below 0.6, else ``"predictable from observed data (not MCAR)"``; modalities that are
    always or never observed get ``auroc`` None.
    """
    rng = np.random.default_rng(seed)
    if data.n_samples > max_samples:
        data = data.subset(np.sort(rng.choice(data.n_samples, max_samples, replace=False)))
    rows = []
    for m, name in enumerate(data.modality_names):
        y = data.observed[:, m].astype(int)
        rate = float(1 - y.mean())
        minority = min(y.sum(), len(y) - y.sum())
        if minority < n_folds:
            rows.append({"name": name, "missing_rate": rate, "auroc": None, "auroc_std": None,
                         "verdict": "always observed" if rate == 0 else "too few missing/observed rows to test"})
            continue
        x = _features_without(data, m, max_components)
        if x.shape[1] == 0:
            rows.append({"name": name, "missing_rate": rate, "auroc": None, "auroc_std": None,
                         "verdict": "nothing else observed to test against"})
            continue
        scores = []
        for train, test in StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(x, y):
            model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=500))
            model.fit(x[train], y[train])
            scores.append(roc_auc_score(y[test], model.predict_proba(x[test])[:, 1]))
        auroc = float(np.mean(scores))
        verdict = "consistent with MCAR" if auroc < MCAR_AUROC_THRESHOLD else "predictable from observed data (not MCAR)"
        rows.append({"name": name, "missing_rate": rate, "auroc": auroc, "auroc_std": float(np.std(scores)), "verdict": verdict})
    return rows
