"""Figures: an UpSet-style chart of the combination groups and a missingness matrix."""

from __future__ import annotations

import numpy as np

from ..data.multimodal import MultimodalData
from ..report.palette import FLAGGED_COLOUR, HEAD_COLOUR, REFERENCE_COLOUR, TAIL_COLOUR, UNFLAGGED_COLOUR


def upset_figure(data: MultimodalData, max_groups: int = 40, head_coverage: float = 0.8):
    """Bars of group counts (largest first, tail groups lighter) above a dot matrix of their modalities."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .tables import group_table

    table = group_table(data, head_coverage)
    rows = table[:max_groups]
    names = data.modality_names
    width = max(6.0, 0.28 * len(rows) + 2)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(width, 2.5 + 0.3 * len(names)), sharex=True,
                                      gridspec_kw={"height_ratios": [3, max(1, 0.25 * len(names))]})
    x = np.arange(len(rows))
    colours = [TAIL_COLOUR if r["tail"] else HEAD_COLOUR for r in rows]
    top.bar(x, [r["count"] for r in rows], color=colours)
    top.set_ylabel("samples")
    top.set_title(upset_title(table, len(rows)), fontsize=9)
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


def upset_title(table: list[dict], shown: int) -> str:
    """The group chart's title; when only the largest groups are drawn it says how many, and how many
    groups and samples it leaves out."""
    title = f"Combination groups: {len(table)} occur (dark = head, light = tail)"
    if shown >= len(table):
        return title
    left = table[shown:]
    share = sum(r["share"] for r in left)
    tail = sum(r["tail"] for r in left)
    return (f"Combination groups: the {shown} largest of {len(table)} shown (dark = head, light = tail);\n"
            f"not drawn: {len(left)} smaller groups ({tail} of them tail) holding {share:.1%} of samples")


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
    longest = max((len(r["name"]) for r in tested), default=1)
    fig, ax = plt.subplots(figsize=(max(4.0, (0.8 + 0.06 * longest) * len(rows) + 1.5), 3.2))
    values = np.array([r["auroc"] for r in tested])
    bounds = np.array([r["interval"] for r in tested]).reshape(-1, 2)
    ax.bar([r["name"] for r in tested], values, yerr=np.abs(np.vstack([values - bounds[:, 0], bounds[:, 1] - values])),
           color=[FLAGGED_COLOUR if r["verdict"] == "evidence against MCAR" else UNFLAGGED_COLOUR for r in tested], capsize=3)
    ax.axhline(0.5, color=REFERENCE_COLOUR, lw=1, ls="--", label="0.5: no evidence against MCAR")
    ax.set_ylim(min([0.3] + list(bounds[:, 0])) - 0.02, max([1.0] + list(bounds[:, 1])) + 0.02)
    if len(tested) > 6 or longest > 6:  # long names side by side would collide
        plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    ax.set_ylabel("CV AUROC of presence")
    ax.set_title("Is missingness predictable from the always-observed variables? (red: evidence against MCAR)", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


#: Groups drawn in the Kaplan–Meier chart (the largest ones; the overall curve is always drawn).
MAX_KM_GROUPS = 8


def kaplan_meier_groups(data: MultimodalData, max_groups: int = MAX_KM_GROUPS) -> dict[str, dict]:
    """Kaplan–Meier curves of a survival target, overall and for the ``max_groups`` largest combination groups:
    name -> ``{"count", "events", "times", "survival"}``."""
    from ..evaluate.survival_report import kaplan_meier_curve

    curves = {"overall": kaplan_meier_curve(data.time, data.event)}
    names = np.array(data.group_names())
    values, counts = np.unique(names, return_counts=True)
    for name in values[np.argsort(-counts, kind="stable")][:max_groups]:
        rows = names == name
        curves[str(name)] = kaplan_meier_curve(data.time[rows], data.event[rows])
    return curves


def kaplan_meier_figure(curves: dict[str, dict], title: str):
    """Step curves of :func:`kaplan_meier_groups` (overall in black), labelled with samples and events."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    for k, (name, curve) in enumerate(curves.items()):
        overall = name == "overall"
        ax.step(curve["times"], curve["survival"], where="post", color="black" if overall else f"C{k % 10}",
                lw=2.0 if overall else 1.1, label=f"{name} (n={curve['count']}, {curve['events']} events)")
    ax.set_xlabel("follow-up time")
    ax.set_ylabel("Kaplan–Meier survival")
    ax.set_ylim(0, 1.02)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6.5, loc="lower left", frameon=False)
    fig.tight_layout()
    return fig
