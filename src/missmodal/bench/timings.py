"""Where a bench run's time went: every cell's wall-clock and CPU seconds, the time by section and method,
and the slowest cells.

A cell's ``seconds`` is its wall-clock time in the process that computed it and ``cpu_seconds`` the CPU time
of that process meanwhile (one thread: a busy machine stretches the first, hardly the second). A cell read
from the cache keeps the times of the run that computed it and is marked ``cached``. With ``jobs`` cells at
a time, the run's wall-clock time is about the sum of the cells' over ``jobs``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from .scenarios import dataset_label


def cell_rows(cells: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per cell: section, dataset, scenario, method, seed, seconds, cpu_seconds, cached, failed."""
    rows = []
    for cell in cells:
        spec = cell["spec"]
        rows.append({"section": spec["kind"], "dataset": dataset_label(spec["dataset"]), "scenario": spec["scenario"]["name"],
                     "method": spec.get("method", ""), "seed": spec["seed"], "seconds": float(cell.get("seconds") or 0.0),
                     "cpu_seconds": cell.get("cpu_seconds"), "cached": bool(cell.get("from_cache")), "failed": "error" in cell})
    return rows


def by_section_and_method(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (section, method): cells, total and largest wall-clock seconds, total CPU seconds (None when no
    cell of the group recorded it), in order of total seconds, largest first."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        groups[(row["section"], row["method"])].append(row)
    table = []
    for (section, method), group in groups.items():
        cpu = [r["cpu_seconds"] for r in group if r["cpu_seconds"] is not None]
        table.append({"section": section, "method": method, "cells": len(group),
                      "seconds": sum(r["seconds"] for r in group), "max_seconds": max(r["seconds"] for r in group),
                      "cpu_seconds": sum(cpu) if cpu else None})
    return sorted(table, key=lambda r: -r["seconds"])


def summarise(cells: Iterable[dict[str, Any]], jobs: int) -> dict[str, Any]:
    """The ``timings`` part of results.json: ``jobs``, ``cell_seconds`` (sum over cells), ``by_section_method``
    and ``cells`` (see :func:`cell_rows`)."""
    rows = cell_rows(cells)
    return {"jobs": jobs, "cell_seconds": sum(r["seconds"] for r in rows),
            "cell_cpu_seconds": sum(r["cpu_seconds"] or 0.0 for r in rows),
            "by_section_method": by_section_and_method(rows), "cells": rows}


def slowest(timings: dict[str, Any], n: int = 5) -> list[dict[str, Any]]:
    """The ``n`` cells of longest wall-clock time (ties in plan order)."""
    return sorted(timings["cells"], key=lambda r: -r["seconds"])[:n]


def describe(row: dict[str, Any]) -> str:
    """``models mfeat/mcar50 gbdt seed 0``: one cell, as the progress lines name it."""
    return " ".join(str(x) for x in (row["section"], f"{row['dataset']}/{row['scenario']}", row["method"], f"seed {row['seed']}") if x != "")


def _cpu(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def table_rows(timings: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and formatted rows of the time by section and method."""
    header = ["section", "method", "cells", "seconds", "largest cell (s)", "CPU seconds"]
    rows = [[r["section"], r["method"] or "–", str(r["cells"]), f"{r['seconds']:.1f}", f"{r['max_seconds']:.1f}",
             _cpu(r["cpu_seconds"])] for r in timings["by_section_method"]]
    return header, rows


def headline(timings: dict[str, Any], seconds: float) -> str:
    """One sentence: the run's time, the cells' summed time and the processes that shared it."""
    return (f"The run took {seconds:.0f} s; its cells took {timings['cell_seconds']:.0f} s of wall-clock time "
            f"({timings['cell_cpu_seconds']:.0f} s of CPU) in {timings['jobs']} process(es) at a time. Cells read "
            "from the cache keep the times of the run that computed them.")


def markdown(timings: dict[str, Any], seconds: float) -> list[str]:
    from ..report.text import markdown_table

    header, rows = table_rows(timings)
    slow = [f"- {describe(r)}: {r['seconds']:.1f} s" + (" (cached)" if r["cached"] else "") for r in slowest(timings)]
    return (["## Time by section and method", "", headline(timings, seconds), ""] + markdown_table(header, rows)
            + ["", "Slowest cells:", ""] + slow + [""])


def report(page, timings: dict[str, Any], seconds: float) -> None:
    page.heading("Time by section and method")
    page.paragraph(headline(timings, seconds))
    header, rows = table_rows(timings)
    page.table([dict(zip(header, row)) for row in rows])
    page.paragraph("Slowest cells: " + "; ".join(f"{describe(r)} ({r['seconds']:.1f} s)" for r in slowest(timings)) + ".")
