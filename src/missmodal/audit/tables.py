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
    """Per modality: ``name``, ``dim``, ``n_observed``, ``missing_rate``."""
    observed = data.observed.sum(axis=0)
    return [{"name": name, "dim": data.dims[name], "n_observed": int(observed[m]),
             "missing_rate": float(1 - observed[m] / data.n_samples)} for m, name in enumerate(data.modality_names)]


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


#: Modalities whose missing indicators correlate at least this much (phi) form a block.
BLOCK_PHI = 0.9


def missingness_blocks(data: MultimodalData, min_phi: float = BLOCK_PHI) -> list[dict]:
    """Sets of modalities that go missing together: connected components of ``phi >= min_phi`` between missing
    indicators, two or more modalities each.

    Per block: ``modalities``, ``count`` (samples missing all of them), ``any_missing`` (samples missing at
    least one) and ``phi`` (the smallest pairwise phi inside the block).
    """
    missing = ~data.observed
    varying = missing.any(axis=0) & ~missing.all(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.atleast_2d(np.corrcoef(missing.astype(float), rowvar=False))
    parent = list(range(data.n_modalities))

    def root(k: int) -> int:
        while parent[k] != k:
            k = parent[k]
        return k

    for a in range(data.n_modalities):
        for b in range(a + 1, data.n_modalities):
            if varying[a] and varying[b] and phi[a, b] >= min_phi:
                parent[root(b)] = root(a)
    members: dict[int, list[int]] = {}
    for k in range(data.n_modalities):
        members.setdefault(root(k), []).append(k)
    blocks = []
    for group in members.values():
        if len(group) < 2:
            continue
        pairs = [phi[a, b] for i, a in enumerate(group) for b in group[i + 1:]]
        blocks.append({"modalities": [data.modality_names[k] for k in group],
                       "count": int(missing[:, group].all(axis=1).sum()),
                       "any_missing": int(missing[:, group].any(axis=1).sum()), "phi": float(min(pairs))})
    return sorted(blocks, key=lambda block: -block["count"])
