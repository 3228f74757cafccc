"""Helpers shared by the section modules: cell specs, grouping over seeds, mean ± std."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Iterable

import numpy as np

from ...report.text import fmt_stat
from ..scenarios import dataset_label


def cell_spec(kind: str, dataset: Any, scenario: dict, seed: int, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "dataset": dataset, "scenario": scenario, "seed": seed, **extra}


def by_setting(cells: Iterable[dict], *keys: str) -> dict[tuple, list[dict]]:
    """Successful cells grouped by (dataset label, scenario name, *spec[keys]) across seeds."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for cell in cells:
        if "result" not in cell:
            continue
        spec = cell["spec"]
        groups[(dataset_label(spec["dataset"]), spec["scenario"]["name"], *(spec[k] for k in keys))].append(cell)
    return dict(groups)


def mean_std(values: Iterable[float | None]) -> dict[str, float | int | None]:
    """``{"mean", "std", "n"}`` of the non-missing values: the sample sd over seeds (ddof=1), None for a
    single value; mean and sd None when there is none."""
    kept = np.array([v for v in values if v is not None], dtype=float)
    if kept.size == 0:
        return {"mean": None, "std": None, "n": 0}
    return {"mean": float(kept.mean()), "std": float(kept.std(ddof=1)) if kept.size > 1 else None, "n": int(kept.size)}


def aggregate(cells: list[dict], getter: Callable[[dict], float | None]) -> dict:
    """mean ± std over the cells' results of ``getter(result)``."""
    return mean_std(getter(c["result"]) for c in cells)


#: ``0.912 ± 0.004`` (mean ± sd over seeds), ``(n = 2)`` when fewer seeds than the rest; see :func:`fmt_stat`.
fmt = fmt_stat


def over_seeds(n: int) -> str:
    """How a chart's bars were made: ``mean ± sd over 3 seeds``, or ``one seed, no sd``."""
    return f"mean ± sd over {n} seeds" if n > 1 else "one seed, no sd"


def headline_metrics(task: str | None) -> list[str]:
    """The metrics a table leads with: AUROC first for a binary task (then accuracy, balanced accuracy,
    Brier score), Harrell's C first for survival (then Uno's C, integrated Brier score), accuracy first
    otherwise (for one label per sample it equals F1-micro)."""
    if task == "survival":
        return ["c_harrell", "c_uno", "ibs"]
    if task == "binary":
        return ["auroc", "accuracy", "balanced_accuracy", "brier"]
    return ["accuracy", "balanced_accuracy", "f1_macro"]


def part_metric(task: str | None) -> str:
    """The per-group metric of a task's head/tail/worst-group columns: Harrell's C for survival, accuracy otherwise."""
    return "c_harrell" if task == "survival" else "accuracy"


def rows_by_setting(rows: Iterable[dict]) -> dict[tuple[str, str], list[dict]]:
    """Summary rows grouped by their (dataset, scenario), in first-seen order."""
    settings: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        settings[(row["dataset"], row["scenario"])].append(row)
    return dict(settings)


def setting_label(dataset: str, scenario: str) -> str:
    """``dataset/scenario``, the name of one setting in tables and findings."""
    return f"{dataset}/{scenario}"


def failed_cells(cells: Iterable[dict]) -> list[dict]:
    """``{"cell", "error"}`` rows for cells that failed."""
    rows = []
    for cell in cells:
        if "error" in cell:
            spec = cell["spec"]
            label = " / ".join(str(v) for v in (dataset_label(spec["dataset"]), spec["scenario"]["name"],
                                                 spec.get("method", ""), f"seed {spec['seed']}") if v != "")
            rows.append({"section": spec["kind"], "cell": label, "error": cell["error"]})
    return rows


def zoom_to_data(ax, stats: Iterable[dict | None], margin: float = 0.05, floor: Iterable[float] = ()) -> None:
    """Fit the y axis of scores in [0, 1] to the bars and their error bars (mean ± sd) and to the reference
    lines at ``floor``, starting just below the lowest, so that differences stay visible and no error bar
    is cut by the axis."""
    low, high = list(floor), list(floor)
    for stat in stats:
        if stat and stat.get("mean") is not None:
            spread = stat.get("std") or 0.0
            low.append(stat["mean"] - spread)
            high.append(stat["mean"] + spread)
    if low:
        ax.set_ylim(max(0.0, min(low) - margin), max(1.0, max(high)) + 0.02)
