"""Tables that describe what is missing: groups, per-modality rates, co-missingness, effective groups."""

from __future__ import annotations

import numpy as np

from ..data.groups import group_modalities, group_name, head_groups
from ..data.multimodal import MultimodalData


def group_table(data: MultimodalData, head_coverage: float = 0.8) -> list[dict]:
    """One row per occurring combination group, by decreasing count.

    Columns: ``code``, ``name``, ``modalities`` (list), ``n_modalities``, ``count``, ``share``,
    ``cumulative_share``, ``tail`` (False for the most frequent groups that cover ``head_coverage``).
    """
    counts = data.group_counts()
    head = head_groups(counts, head_coverage)
    rows, cumulative = [], 0
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        cumulative += count
        modalities = group_modalities(code, data.modality_names)
        rows.append({
            "code": code, "name": group_name(code, data.modality_names), "modalities": modalities,
            "n_modalities": len(modalities), "count": count, "share": count / data.n_samples,
            "cumulative_share": cumulative / data.n_samples, "tail": code not in head,
        })
    return rows


def modality_table(data: MultimodalData) -> list[dict]:
    """Per modality: ``name``, ``dim``, ``n_observed`` and ``missing_rate`` of the block (as it counts), and from
    the field mask the shares of rows ``fully_observed`` (every field present), ``partly_observed`` (some) and
    ``not_observed`` (none), and ``field_missing_rates`` ({field: rate}, for modalities with a field mask)."""
    from ..informativeness.conditioning import field_names

    observed = data.observed.sum(axis=0)
    rows = []
    for m, name in enumerate(data.modality_names):
        mask = data.field_mask(name)
        present = mask.sum(axis=1)
        row = {"name": name, "dim": data.dims[name], "n_observed": int(observed[m]),
               "missing_rate": float(1 - observed[m] / data.n_samples),
               "fully_observed": float(np.mean(present == mask.shape[1])),
               "partly_observed": float(np.mean((present > 0) & (present < mask.shape[1]))),
               "not_observed": float(np.mean(present == 0))}
        if data.field_observed and name in data.field_observed:
            row["field_missing_rates"] = dict(zip(field_names(data, name), (1 - mask.mean(axis=0)).tolist()))
        rows.append(row)
    return rows


def co_missingness(data: MultimodalData) -> dict[str, list[list[float]]]:
    """M x M matrices: ``joint`` P(m and m' both missing), and ``correlation`` (phi) of the missing indicators."""
    missing = (~data.observed).astype(float)
    joint = missing.T @ missing / data.n_samples
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.corrcoef(missing, rowvar=False)
    correlation = np.atleast_2d(correlation)
    return {"joint": joint.tolist(), "correlation": [[None if not np.isfinite(v) else float(v) for v in row] for row in correlation]}


def effective_number_of_groups(counts: dict[int, int]) -> float:
    """exp(entropy) of the group shares: the number of equally sized groups with the same entropy."""
    shares = np.array(list(counts.values()), dtype=float)
    shares = shares[shares > 0] / shares.sum()
    return float(np.exp(-(shares * np.log(shares)).sum()))
