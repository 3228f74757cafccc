"""Helpers shared by the section modules: cell specs, grouping over seeds, mean ± std."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Iterable

import numpy as np

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
    """``{"mean", "std", "n"}`` of the non-missing values (std with ddof=0; None when empty)."""
    kept = np.array([v for v in values if v is not None], dtype=float)
    if kept.size == 0:
        return {"mean": None, "std": None, "n": 0}
    return {"mean": float(kept.mean()), "std": float(kept.std()), "n": int(kept.size)}


def aggregate(cells: list[dict], getter: Callable[[dict], float | None]) -> dict:
    """mean ± std over the cells' results of ``getter(result)``."""
    return mean_std(getter(c["result"]) for c in cells)


def fmt(stat: dict | None, digits: int = 3) -> str:
    """``0.912 ± 0.004`` (or ``–``)."""
    if not stat or stat.get("mean") is None:
        return "–"
    if stat.get("n", 1) > 1:
        return f"{stat['mean']:.{digits}f} ± {stat['std']:.{digits}f}"
    return f"{stat['mean']:.{digits}f}"


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


def zoom_to_data(ax, values: Iterable[float | None], margin: float = 0.05) -> None:
    """Start the y axis just below the smallest of ``values`` (scores in [0, 1]) so differences stay visible."""
    kept = [v for v in values if v is not None]
    if kept:
        ax.set_ylim(max(0.0, min(kept) - margin), 1.0)
