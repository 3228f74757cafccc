"""Blocks of modalities that go missing together, found on the **field-level** masks.

Every field's missing indicator (``~MultimodalData.field_mask``; fields never or always missing are left
out) is one variable; fields with identical indicators are merged first (a whole-block modality is one
variable). The variables are grouped by agglomerative hierarchical clustering with **average linkage** on
the distance ``1 - phi`` (phi: Pearson correlation of two 0/1 indicators), cut at ``1 - min_phi``: a
variable joins a cluster when its mean phi with the cluster's members is at least ``min_phi`` (0.7). A
cluster whose fields span two or more modalities is a block. So a block that is absent for a subgroup
except for one always-recorded field is found (that field is never missing, so it is simply not a member),
and a member whose phi with the rest is 0.85 is not dropped by a stricter pairwise rule; each member's phi
(mean phi of its fields with the block's other variables) is reported.
"""

from __future__ import annotations

import numpy as np

from ..data.multimodal import MultimodalData
from ..informativeness.conditioning import field_names

#: Clusters are cut where the average-linkage phi falls below this.
BLOCK_PHI = 0.7


def _indicators(data: MultimodalData) -> tuple[np.ndarray, list[list[tuple[str, str]]]]:
    """Distinct field missing indicators (n, V) that vary, and the (modality, field) pairs behind each."""
    columns: dict[bytes, int] = {}
    stack, owners = [], []
    for name in data.modality_names:
        missing = ~data.field_mask(name)
        for j, field in enumerate(field_names(data, name)):
            column = missing[:, j]
            if not column.any() or column.all():
                continue
            key = np.packbits(column).tobytes()
            if key not in columns:
                columns[key] = len(stack)
                stack.append(column)
                owners.append([])
            owners[columns[key]].append((name, field))
    matrix = np.column_stack(stack) if stack else np.zeros((data.n_samples, 0), dtype=bool)
    return matrix, owners


def missingness_blocks(data: MultimodalData, min_phi: float = BLOCK_PHI) -> list[dict]:
    """Blocks (see the module docstring), largest first.

    Per block: ``modalities``, ``members`` (per modality: ``fields`` in the block, ``n_fields`` of the
    modality, ``phi``), ``count`` (samples missing every field of the block), ``any_missing`` (samples
    missing at least one), ``phi`` (the smallest member phi), ``cut`` (``min_phi``) and ``linkage``.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    matrix, owners = _indicators(data)
    if matrix.shape[1] < 2:
        return []
    phi = np.atleast_2d(np.corrcoef(matrix.astype(float), rowvar=False))
    distance = np.clip(1.0 - phi, 0.0, 2.0)
    condensed = distance[np.triu_indices(len(phi), 1)]
    labels = fcluster(linkage(condensed, method="average"), t=1.0 - min_phi + 1e-9, criterion="distance")
    blocks = []
    for label in np.unique(labels):
        variables = np.flatnonzero(labels == label)
        modalities = [m for m in data.modality_names if any(o[0] == m for v in variables for o in owners[v])]
        if len(modalities) < 2:
            continue
        members = []
        for name in modalities:
            own = [v for v in variables if any(o[0] == name for o in owners[v])]
            others = [v for v in variables if v not in own] or own
            members.append({"modality": name, "fields": [f for v in own for m, f in owners[v] if m == name],
                            "n_fields": data.modalities[name].shape[1],
                            "phi": float(np.mean(phi[np.ix_(own, others)]))})
        block_missing = matrix[:, variables]
        blocks.append({"modalities": modalities, "members": members, "count": int(block_missing.all(axis=1).sum()),
                       "any_missing": int(block_missing.any(axis=1).sum()), "phi": min(m["phi"] for m in members),
                       "cut": min_phi, "linkage": "average"})
    return sorted(blocks, key=lambda block: -block["count"])


def block_line(block: dict) -> str:
    """``block: exam (3 of 4 fields) + lipids + enzymes missing together in 93 samples; member phi ...``."""
    parts = [m["modality"] + ("" if len(m["fields"]) == m["n_fields"] else f" ({len(m['fields'])} of {m['n_fields']} fields: "
                              f"{', '.join(m['fields'])})") for m in block["members"]]
    phis = ", ".join(f"{m['modality']} {m['phi']:.2f}" for m in block["members"])
    return (f"block: {' + '.join(parts)} missing together in {block['count']} samples (at least one in "
            f"{block['any_missing']}); member phi {phis} (average-linkage clustering of field missingness, cut at "
            f"phi {block['cut']:.2f})")
