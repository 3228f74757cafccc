"""The one mechanism diagnostic: can "is m observed" be predicted from the always-observed variables?

The audit's per-modality mechanism evidence, informativeness' propensity diagnostic and the bench's key
findings all call :func:`predictability` (and :func:`mechanism_table`), so the same data get the same
verdict everywhere. A :class:`~missmodal.informativeness.propensity.PropensityModel` (the propensity model
itself: logistic with its strength chosen inside each training fold, or boosting) predicts the indicator R
from the conditioning variables C (:mod:`~missmodal.informativeness.conditioning`); its K-fold
cross-validated AUROC has DeLong's 95% interval (:mod:`~missmodal.informativeness.cv_auroc`). Under MCAR
(R independent of C) the AUROC is 0.5.

Power: with the interval's standard error ``se = half-width / 1.96``, the power to detect a modest departure
``AUROC = 0.6`` at the 5% level is ``Φ(0.1 / se - 1.96)``. Verdicts, a fixed vocabulary:

- ``"evidence against MCAR"``: the interval lies above 0.5 (an interval below 0.5 is not evidence: out of
  sample, a model fitted to noise scores slightly below 0.5, a known artefact of cross-validated AUROC);
- ``"too few to tell"``: it does not, and the power was below 0.8 (or there are fewer than ``min_rows``
  observed or missing rows, or nothing is always observed to predict from);
- ``"no evidence against MCAR"``: otherwise (this is not evidence *for* MCAR; MNAR can never be told apart
  from the data alone).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.stats import norm

from ..data.multimodal import MultimodalData
from ..errors import InsufficientDataError, MissmodalError
from .conditioning import conditioning
from .cv_auroc import Z_95
from .propensity import PROPENSITY_METHODS, PropensityModel

VERDICTS = ("evidence against MCAR", "no evidence against MCAR", "too few to tell")
#: Fewer observed (or missing) rows than this: "too few to tell".
MIN_ROWS = 20
#: The departure from MCAR the power refers to, and the power below which the verdict is "too few to tell".
DETECTABLE_AUROC = 0.6
MIN_POWER = 0.8


def power_at(interval: Sequence[float]) -> float:
    """Power to detect ``AUROC = DETECTABLE_AUROC`` at the 5% level, from a 95% interval's half-width."""
    se = (interval[1] - interval[0]) / (2 * Z_95)
    if se <= 0:
        return 1.0
    return float(norm.cdf((DETECTABLE_AUROC - 0.5) / se - Z_95))


def predictability(observed: np.ndarray, features: np.ndarray, method: str = "logistic", n_folds: int = 5,
                   seed: int = 0, min_rows: int = MIN_ROWS) -> dict:
    """Cross-validated AUROC of the indicator ``observed`` (n,) bool from ``features`` (n, p), and its verdict.

    Returns ``auroc``, ``interval`` (95%), ``fold_aurocs``, ``power`` (at AUROC 0.6), ``verdict``,
    ``n_observed``, ``n_missing``, ``method`` and, where the AUROC could not be estimated, a ``note``.
    """
    if method not in PROPENSITY_METHODS:
        raise MissmodalError(f"classifier must be one of {PROPENSITY_METHODS}, got {method!r}")
    observed = np.asarray(observed, dtype=bool)
    result = {"auroc": None, "interval": None, "fold_aurocs": [], "power": None, "n_observed": int(observed.sum()),
              "n_missing": int((~observed).sum()), "method": method}
    if features.shape[1] == 0:
        return {**result, "verdict": "too few to tell", "note": "nothing is observed in every row to predict it from"}
    if min(result["n_observed"], result["n_missing"]) < max(min_rows, 2 * n_folds):
        return {**result, "verdict": "too few to tell",
                "note": f"{min(result['n_observed'], result['n_missing'])} rows in the smaller class (need {min_rows})"}
    try:
        evidence = PropensityModel(method, seed=seed).cross_validated_auroc(features, observed, n_folds)
    except InsufficientDataError as error:
        return {**result, "verdict": "too few to tell", "note": str(error)}
    if evidence["auroc"] is None:
        return {**result, "verdict": "too few to tell", "note": "no fold held both classes"}
    low, high = evidence["interval"]
    power = power_at(evidence["interval"])
    verdict = ("evidence against MCAR" if low > 0.5 else
               "too few to tell" if power < MIN_POWER else "no evidence against MCAR")
    return {**result, "auroc": evidence["auroc"], "interval": evidence["interval"], "fold_aurocs": evidence["fold_aurocs"],
            "power": power, "verdict": verdict}


def mechanism_table(data: MultimodalData, method: str = "logistic", seed: int = 0, n_folds: int = 5,
                    modalities: Sequence[str] | None = None, max_samples: int = 20000) -> list[dict]:
    """Per modality (default: all): ``name``, ``missing_rate`` and :func:`predictability` of its block being
    observed from the conditioning variables of :func:`~missmodal.informativeness.conditioning.conditioning`
    (listed in ``conditioning``). At most ``max_samples`` rows (a seeded subsample) are used."""
    if data.n_samples > max_samples:
        data = data.subset(np.sort(np.random.default_rng(seed).choice(data.n_samples, max_samples, replace=False)))
    given = conditioning(data)
    rows = []
    for name in modalities or data.modality_names:
        observed = data.observed[:, data.modality_index(name)]
        rows.append({"name": name, "missing_rate": float(1 - observed.mean()), "conditioning": given.variables,
                     **predictability(observed, given.features, method, n_folds, seed)})
    return rows
