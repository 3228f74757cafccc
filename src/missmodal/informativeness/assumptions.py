"""The report's top-level ``warnings``: the assumptions the estimates rest on, and where the data doubt them.

Always: MAR cannot be tested from the data. Then, when they apply: MNAR recorded in the data's metadata
(the correction does not remove that bias), the correction not applicable, positivity problems (a
covariate stratum where a modality, or the complete cases, are almost never observed; extreme weights),
and few complete cases.
"""

from __future__ import annotations

import numpy as np

from ..data.multimodal import MultimodalData
from .conditioning import Conditioning

#: A stratum of a discrete covariate is flagged when its observed share of a modality is below this ...
MIN_STRATUM_OBSERVED_SHARE = 0.02
#: ... and it holds at least this many samples.
MIN_STRATUM_SIZE = 10
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


def stratum_positivity(data: MultimodalData, modalities: list[str], complete: np.ndarray,
                       given: Conditioning | None) -> tuple[list[str], list[dict]]:
    """Positivity per stratum of a discrete conditioning variable (``given.strata()``, at least
    ``MIN_STRATUM_SIZE`` samples): the warnings, and one record per flagged stratum (``stratum``,
    ``n_samples``, ``n_complete``, ``unobserved`` modalities, ``overlap`` samples outside it).

    A stratum where under ``MIN_STRATUM_OBSERVED_SHARE`` of the samples are complete cases cannot be
    represented by weighting: the corrected estimate then describes the overlap population only (the
    samples outside that stratum); modalities almost never observed there are named (the dr estimate of a
    subset with them describes the samples outside that stratum too)."""
    if given is None:
        return [], []
    columns = {m: data.observed[:, data.modality_index(m)] for m in modalities}
    messages, records = [], []
    for label, rows in given.strata():
        size = int(rows.sum())
        if size < MIN_STRATUM_SIZE:
            continue
        flagged = [m for m, observed in columns.items() if observed[rows].mean() < MIN_STRATUM_OBSERVED_SHARE]
        n_complete = int(complete[rows].sum())
        if complete[rows].mean() < MIN_STRATUM_OBSERVED_SHARE:
            records.append({"stratum": label, "n_samples": size, "n_complete": n_complete, "unobserved": flagged,
                            "overlap": int(complete.size - size)})
            missing = (f" ({', '.join(flagged)} observed in under {MIN_STRATUM_OBSERVED_SHARE:.0%} of them: so do the dr "
                       "estimates of subsets with them)" if flagged else "")
            messages.append(f"positivity violated: the {size} samples with {label} include {n_complete} complete cases"
                            "; no weighting can represent them, so the corrected estimate describes the overlap "
                            f"population only (the {complete.size - size} samples outside {label}), not the whole cohort"
                            f"{missing}")
            continue
        for m in flagged:
            messages.append(f"positivity: {m} is observed in {int(columns[m][rows].sum())} of the {size} samples with "
                            f"{label}; no weighting can recover {m}'s informativeness in that stratum")
    return messages, records


def assumption_warnings(data: MultimodalData, modalities: list[str], complete: np.ndarray, correction: dict,
                        given: Conditioning | None = None) -> list[str]:
    """The ``warnings`` list of an informativeness report (strings, most important first); ``given`` are the
    propensity models' conditioning variables (their discrete strata are checked for positivity)."""
    messages = [MAR_UNTESTABLE]
    mnar = _recorded_mnar(data)
    if mnar:
        messages.append(mnar)
    if correction["status"] == "not applicable":
        messages.append(correction["message"])
    messages += stratum_positivity(data, modalities, complete, given)[0]
    if correction.get("warning"):
        messages.append(correction["warning"])
    n_complete = int(complete.sum())
    if n_complete < MIN_COMPLETE_CASES or n_complete < MIN_COMPLETE_SHARE * complete.size:
        messages.append(f"few complete cases: {n_complete} of {complete.size} samples ({n_complete / complete.size:.1%}) "
                        "have every modality under study; naive and corrected estimates rest on them alone "
                        "(the dr variant uses every sample where each subset is observed)")
    return messages
