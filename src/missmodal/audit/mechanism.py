"""Evidence about the missingness mechanism: is a modality's absence predictable from observed *values*?

Each sometimes-missing modality is tested once per *unit*: a block of modalities that go missing together
(:func:`~missmodal.audit.tables.missingness_blocks`) is one unit, so modalities with the same mask get the
same verdict. A classifier (logistic regression, or histogram gradient boosting) predicts "the unit is
missing" from the covariates and the values of the modalities outside the unit (standardised, 0 where
absent, PCA-reduced when wide). Co-missingness itself is allowed under MCAR (e.g. when every sample keeps
at least one modality), so it must not count as evidence: the cross-validated AUROC compares missing and
observed samples **within the same presence pattern of the other modalities** only
(:func:`~missmodal.informativeness.cv_auroc.stratified_auroc`), with a DeLong 95% interval.

Verdicts, a fixed vocabulary:

- ``"not MCAR"``: the interval's lower bound is above 0.5;
- ``"no evidence against MCAR"``: it is not (this is not evidence *for* MCAR; MNAR can never be told
  apart from the data alone);
- ``"too few missing rows to tell"``: fewer than ``min_rows`` missing (or observed) rows, or no pair of
  missing and observed samples sharing a presence pattern.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

from ..data.multimodal import MultimodalData
from ..errors import MissmodalError
from ..informativeness._threads import single_threaded
from ..informativeness.cv_auroc import cross_validated_auroc
from .tables import missingness_blocks

VERDICTS = ("not MCAR", "no evidence against MCAR", "too few missing rows to tell")
CLASSIFIERS = ("logistic", "boosting")
#: Fewer missing (or observed) rows than this: "too few missing rows to tell".
MIN_ROWS = 20


def _features_outside(data: MultimodalData, unit: list[int], max_components: int) -> np.ndarray:
    """Values of the modalities outside ``unit``, standardised on their observed rows, 0 (their mean) where
    absent, and the covariates: (n, p). Presence indicators are left out on purpose."""
    blocks = []
    for k, (name, values) in enumerate(data.modalities.items()):
        rows = data.observed[:, k]
        if k in unit or not rows.any():
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


def _classifier(name: str, seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=500))
    return HistGradientBoostingClassifier(max_iter=60, learning_rate=0.1, max_leaf_nodes=15, early_stopping=False,
                                          random_state=seed)


def _units(data: MultimodalData, blocks: list[dict]) -> list[list[int]]:
    """Blocks of co-missing modalities, then every other modality on its own, in modality order."""
    grouped = [[data.modality_index(n) for n in block["modalities"]] for block in blocks]
    seen = {k for unit in grouped for k in unit}
    units = grouped + [[k] for k in range(data.n_modalities) if k not in seen]
    return sorted(units, key=min)


def _test_unit(data: MultimodalData, unit: list[int], n_folds: int, seed: int, max_components: int,
               classifier: str, min_rows: int) -> dict:
    missing = (~data.observed[:, unit]).all(axis=1)
    counts = {"n_missing": int(missing.sum()), "n_observed": int((~missing).sum())}
    result = {"auroc": None, "interval": None, "auroc_std": None, "fold_aurocs": [], **counts}
    if min(counts.values()) < max(min_rows, n_folds):
        return {**result, "verdict": "too few missing rows to tell"}
    x = _features_outside(data, unit, max_components)
    others = [k for k in range(data.n_modalities) if k not in unit]
    strata = (data.observed[:, others].astype(np.int64) << np.arange(len(others))).sum(axis=1) if others else None
    if x.shape[1] == 0:
        return {**result, "verdict": "no evidence against MCAR", "note": "nothing else is observed to test against"}

    def fit_predict(train, test):
        model = _classifier(classifier, seed).fit(x[train], missing[train])
        return model.predict_proba(x[test])[:, 1]

    with single_threaded():  # many small fits: threads only fight over the cores
        evidence = cross_validated_auroc(fit_predict, missing, n_folds, seed, strata=strata)
    if evidence["auroc"] is None:
        return {**result, "verdict": "too few missing rows to tell",
                "note": "no missing and observed samples share a presence pattern of the other modalities"}
    verdict = "not MCAR" if evidence["interval"][0] > 0.5 else "no evidence against MCAR"
    return {**result, "auroc": evidence["auroc"], "interval": evidence["interval"],
            "auroc_std": float(np.std(evidence["fold_aurocs"])), "fold_aurocs": evidence["fold_aurocs"], "verdict": verdict}


def mechanism_evidence(data: MultimodalData, n_folds: int = 5, seed: int = 0, max_samples: int = 20000,
                       max_components: int = 20, classifier: str = "logistic", min_rows: int = MIN_ROWS,
                       blocks: list[dict] | None = None) -> list[dict]:
    """Per modality: ``name``, ``missing_rate``, ``block`` (the modalities tested with it), ``verdict``, the
    cross-validated ``auroc`` with its 95% ``interval``, ``auroc_std`` and ``fold_aurocs``, the counts
    ``n_missing`` / ``n_observed`` behind it and the ``classifier``.

    At most ``max_samples`` rows (a seeded subsample) are used; ``blocks`` defaults to
    :func:`~missmodal.audit.tables.missingness_blocks` of the data.
    """
    if classifier not in CLASSIFIERS:
        raise MissmodalError(f"classifier must be one of {CLASSIFIERS}, got {classifier!r}")
    rng = np.random.default_rng(seed)
    if data.n_samples > max_samples:
        data = data.subset(np.sort(rng.choice(data.n_samples, max_samples, replace=False)))
    blocks = missingness_blocks(data) if blocks is None else blocks
    rows = {}
    for unit in _units(data, blocks):
        tested = _test_unit(data, unit, n_folds, seed, max_components, classifier, min_rows)
        for k in unit:
            rows[k] = {"name": data.modality_names[k], "missing_rate": float(1 - data.observed[:, k].mean()),
                       "block": [data.modality_names[j] for j in unit], "classifier": classifier, **tested}
    return [rows[k] for k in range(data.n_modalities)]
