"""`missmodal bench`: the whole pipeline (audit, informativeness, imputation, models) over a grid of
datasets x scenarios x methods x seeds, cached per cell, written as JSON, Markdown and one HTML report.

Examples
--------
>>> from missmodal.bench import BenchConfig, run_bench
>>> results = run_bench(BenchConfig(sections=["audit"]), "missmodal-bench")  # doctest: +SKIP
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from .._atomic import folder_lock
from .config import BenchConfig, default_scenarios, load_config
from .results import build_results, write_outputs
from .runner import GridRun, plan, run_cell, run_grid

DEFAULT_OUT = "missmodal-bench"


def run_bench(config: BenchConfig, out: str | Path = DEFAULT_OUT, jobs: int | None = 1, command: str = "",
              on_cell: Callable[[dict, bool], None] | None = None) -> dict[str, Any]:
    """Run (or resume) the grid of ``config`` under ``out`` and write results.json, results.md, report.html;
    ``jobs`` cells at a time in single-threaded processes (None: one per available core), see :func:`run_grid`."""
    start = time.perf_counter()
    with folder_lock(out, "bench run"):
        run = run_grid(config, out, jobs=jobs, on_cell=on_cell)
        results = build_results(config, run, command, time.perf_counter() - start)
        write_outputs(out, config, run, results)
    return results


__all__ = ["BenchConfig", "DEFAULT_OUT", "GridRun", "default_scenarios", "load_config", "plan", "run_bench", "run_cell", "run_grid"]
