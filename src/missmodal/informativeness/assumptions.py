"""The report's top-level ``warnings``: the assumptions the estimates rest on, and where the data doubt them.

Always: MAR cannot be tested from the data. Then, when they apply: MNAR recorded in the data's metadata
(the correction does not remove that bias), the correction not applicable, positivity problems (a
covariate stratum where a modality, or the complete cases, are almost never observed; extreme weights),
and few complete cases.
"""

from __future__ import annotations

import numpy as np

from ..data.multimodal import MultimodalData

#: A stratum of a discrete covariate is flagged when its observed share of a modality is below this ...
MIN_STRATUM_OBSERVED_SHARE = 0.02
#: ... and it holds at least this many samples.
MIN_STRATUM_SIZE = 10
#: Covariates with at most this many distinct values are checked stratum by stratum.
MAX_STRATUM_VALUES = 10
#: Fewer complete cases than this (or than MIN_COMPLETE_SHARE of the samples) raises a warning.
MIN_COMPLETE_CASES = 100
MIN_COMPLETE_SHARE = 0.1

MAR_UNTESTABLE = ("MAR cannot be tested from the data: the corrected and dr estimates assume that, given the "
                  "always-observed variables, missingness does not depend on the missing values or the label "
                  "(run with sensitivity=True / --sensitivity to see how far from MAR the ranking holds)")


def _recorded_mnar(data: MultimodalData) -> str | None:
    record = (data.metadata or {}).get("missingness") or {}
    if record.get("mechanism") != "mnar":
        return None
    driver = (record.get("params") or {}).get("driver")
    return (f"the data's metadata records missingness not at random (mnar{f', driven by {driver}' if driver else ''}): "
            "the MAR correction does not remove this bias and can make it worse; read corrected and dr values as "
            "one scenario of the sensitivity analysis, not as unbiased estimates")


def stratum_positivity(data: MultimodalData, modalities: list[str], complete: np.ndarray) -> list[str]:
    """Warnings for discrete covariate strata where a modality (or the complete cases) is almost never observed."""
    if data.covariates is None:
        return []
    names = list(data.covariate_names or [f"covariate {j}" for j in range(data.covariates.shape[1])])
    columns = {m: data.observed[:, data.modality_index(m)] for m in modalities}
    messages = []
    for j, name in enumerate(names):
        values = np.unique(data.covariates[:, j])
        if values.size > MAX_STRATUM_VALUES:
            continue
        for value in values:
            rows = data.covariates[:, j] == value
            if rows.sum() < MIN_STRATUM_SIZE:
                continue
            flagged = [m for m, observed in columns.items() if observed[rows].mean() < MIN_STRATUM_OBSERVED_SHARE]
            label = f"{name} = {value:g}"
            for m in flagged:
                messages.append(f"positivity: {m} is observed in {int(columns[m][rows].sum())} of the {int(rows.sum())} samples "
                                f"with {label}; no weighting can recover {m}'s informativeness in that stratum")
            if not flagged and complete[rows].mean() < MIN_STRATUM_OBSERVED_SHARE:
                messages.append(f"positivity: only {int(complete[rows].sum())} of the {int(rows.sum())} samples with {label} "
                                "are complete cases; the corrected estimate cannot represent that stratum")
    return messages


def assumption_warnings(data: MultimodalData, modalities: list[str], complete: np.ndarray, correction: dict) -> list[str]:
    """The ``warnings`` list of an informativeness report (strings, most important first)."""
    messages = [MAR_UNTESTABLE]
    mnar = _recorded_mnar(data)
    if mnar:
        messages.append(mnar)
    if correction["status"] == "not applicable":
        messages.append(correction["message"])
    messages += stratum_positivity(data, modalities, complete)
    if correction.get("warning"):
        messages.append(correction["warning"])
    n_complete = int(complete.sum())
    if n_complete < MIN_COMPLETE_CASES or n_complete < MIN_COMPLETE_SHARE * complete.size:
        messages.append(f"few complete cases: {n_complete} of {complete.size} samples ({n_complete / complete.size:.1%}) "
                        "have every modality under study; naive and corrected estimates rest on them alone "
                        "(the dr variant uses every sample where each subset is observed)")
    return messages
