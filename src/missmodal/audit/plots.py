"""Figures: an UpSet-style chart of the combination groups and a missingness matrix."""

from __future__ import annotations

import numpy as np

from ..data.multimodal import MultimodalData


def upset_figure(data: MultimodalData, max_groups: int = 40, head_coverage: float = 0.8):
    """Bars of group counts (largest first, tail groups lighter) above a dot matrix of their modalities."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .tables import group_table

    rows = group_table(data, head_coverage)[:max_groups]
    names = data.modality_names
    width = max(6.0, 0.28 * len(rows) + 2)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(width, 2.5 + 0.3 * len(names)), sharex=True,
                                      gridspec_kw={"height_ratios": [3, max(1, 0.25 * len(names))]})
    x = np.arange(len(rows))
    colours = ["#9bb7d4" if r["tail"] else "#1f4e79" for r in rows]
    top.bar(x, [r["count"] for r in rows], color=colours)
    top.set_ylabel("samples")
    top.set_title(f"Combination groups ({len(data.group_counts())} occur; dark = head, light = tail)")
    for i, row in enumerate(rows):
        present = [names.index(n) for n in row["modalities"]]
        bottom.scatter([i] * len(names), range(len(names)), color="#dddddd", s=25)
        bottom.scatter([i] * len(present), present, color="#222222", s=25)
        if len(present) > 1:
            bottom.plot([i, i], [min(present), max(present)], color="#222222", lw=1.5)
    bottom.set_yticks(range(len(names)))
    bottom.set_yticklabels(names)
    bottom.set_xticks([])
    bottom.invert_yaxis()
    fig.tight_layout()
    return fig


def missingness_matrix_figure(data: MultimodalData, max_rows: int = 2000, seed: int = 0):
    """Samples (rows, a seeded subsample sorted by group) x modalities: dark = observed, white = missing."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    index = np.arange(data.n_samples)
    if data.n_samples > max_rows:
        index = np.sort(rng.choice(data.n_samples, max_rows, replace=False))
    observed = data.observed[index]
    codes = data.group_codes()[index]
    observed = observed[np.argsort(-codes, kind="stable")]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.7 * data.n_modalities + 1.5), 4.5))
    ax.imshow(observed, aspect="auto", cmap="Greys", interpolation="nearest", vmin=0, vmax=1)
    ax.set_xticks(range(data.n_modalities))
    ax.set_xticklabels(data.modality_names, rotation=45, ha="right")
    ax.set_ylabel(f"samples ({len(index)} shown, sorted by group)")
    ax.set_title("Missingness matrix (dark = observed)")
    fig.tight_layout()
    return fig


def mechanism_figure(rows: list[dict]):
    """Cross-validated AUROC of predicting each modality's absence (error bars: 95% interval); 0.5 = MCAR."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tested = [r for r in rows if r["auroc"] is not None]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.8 * len(rows) + 1.5), 3.2))
    values = np.array([r["auroc"] for r in tested])
    bounds = np.array([r["interval"] for r in tested]).reshape(-1, 2)
    ax.bar([r["name"] for r in tested], values, yerr=np.abs(np.vstack([values - bounds[:, 0], bounds[:, 1] - values])),
           color=["#c0392b" if r["verdict"] == "not MCAR" else "#7f8c8d" for r in tested], capsize=3)
    ax.axhline(0.5, color="black", lw=1, ls="--", label="0.5: no evidence against MCAR")
    ax.set_ylim(0.3, 1.0)
    ax.set_ylabel("CV AUROC of absence")
    ax.set_title("Is missingness predictable from the observed values? (red: not MCAR)")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig
