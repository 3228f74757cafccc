"""One module per report section. Each defines ``cells(config, dataset, scenario, seed)`` (the cell specs it
needs), ``run(spec, prepared)`` (one cell's result), ``summarise(cells)`` (the section of results.json),
``findings(summary)`` (one-sentence key findings), ``markdown(summary)`` (lines of results.md) and ``report(page, summary, cells)`` (its part of report.html).

Modules are imported on first use, so a grid that skips a section never loads its dependencies."""

from __future__ import annotations

import importlib
from types import ModuleType


def section_module(name: str) -> ModuleType:
    """The module of section ``name`` (audit, informativeness, imputation, models)."""
    return importlib.import_module(f"{__name__}.{name}")
