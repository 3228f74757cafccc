"""Run a benchmark grid: plan the cells, reuse cached ones, run the rest (optionally in parallel).

A failing cell is recorded with its error and the others go on. Only one run may write into an output
folder at a time (:func:`missmodal._atomic.folder_lock`).
"""

from __future__ import annotations

import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .._atomic import folder_lock
from .cache import CellCache
from .config import NATURAL, BenchConfig
from .scenarios import is_natural, prepare
from .sections import section_module


def plan(config: BenchConfig) -> list[dict[str, Any]]:
    """Every cell spec of the grid, in a stable order (dataset, scenario, seed, section, method)."""
    specs = []
    for entry in config.datasets:
        scenarios = [NATURAL] if is_natural(entry) else config.scenarios
        for scenario in scenarios:
            for seed in config.seeds:
                for section in config.sections:
                    specs.extend(section_module(section).cells(config, entry, scenario, int(seed)))
    return specs


def _seed_globals(spec: dict[str, Any]) -> None:
    """Seed the global numpy and torch generators from the cell, so that a cell's result does not depend
    on which cells the same process ran before it (a resumed run computes a different subset)."""
    import numpy as np
    import torch

    seed = int(spec["seed"])
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def run_cell(spec: dict[str, Any]) -> dict[str, Any]:
    """Compute one cell: ``{"result": ...}`` or ``{"error": ...}``, with the seconds it took."""
    start = time.perf_counter()
    _seed_globals(spec)
    try:
        prepared = prepare(spec["dataset"], spec["scenario"], spec["seed"])
        result = section_module(spec["kind"]).run(spec, prepared)
        return {"result": result, "seconds": time.perf_counter() - start}
    except Exception as error:  # a failing cell is reported, the grid goes on
        return {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc(limit=8),
                "seconds": time.perf_counter() - start}


def _init_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


@dataclass
class GridRun:
    """Cells of a run with their results, and how many were computed now vs read from the cache."""

    cells: list[dict[str, Any]] = field(default_factory=list)
    computed: int = 0
    cached: int = 0

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [c for c in self.cells if c["spec"]["kind"] == kind]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [c for c in self.cells if "error" in c]


def run_grid(config: BenchConfig, out: str | Path, jobs: int = 1,
             on_cell: Callable[[dict[str, Any], bool], None] | None = None,
             compute: Callable[[dict[str, Any]], dict[str, Any]] = run_cell) -> GridRun:
    """Run every cell of ``config`` not yet cached under ``out``; ``on_cell(cell, from_cache)`` reports progress."""
    with folder_lock(out, "bench run"):
        return _run_grid(config, CellCache(out), jobs, on_cell, compute)


def _run_grid(config: BenchConfig, cache: CellCache, jobs: int, on_cell, compute) -> GridRun:
    run = GridRun()
    pending = []
    specs = plan(config)
    for spec in specs:
        cached = cache.get(spec)
        if cached is not None and "error" not in cached:
            run.cells.append(cached)
            run.cached += 1
            if on_cell:
                on_cell(cached, True)
        else:
            pending.append(spec)

    def record(spec: dict[str, Any], outcome: dict[str, Any]) -> None:
        cell = cache.put(spec, outcome)  # as stored, so that a resumed run sees the same values
        run.cells.append(cell)
        run.computed += 1
        if on_cell:
            on_cell(cell, False)

    if jobs <= 1 or len(pending) <= 1:
        for spec in pending:
            record(spec, compute(spec))
    else:
        threads = max(1, (os.cpu_count() or 1) // jobs)
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(threads,)) as pool:
            futures = {pool.submit(compute, spec): spec for spec in pending}
            for future in as_completed(futures):
                record(futures[future], future.result())
    position = {cache.path(s).name: i for i, s in enumerate(specs)}
    run.cells.sort(key=lambda c: position[cache.path(c["spec"]).name])
    return run


# Fields that measure time or record how a run went rather than what it found: the only ones in which a
# resumed run's results.json may differ from an uninterrupted run's (see docs/guarantees.md).
TIMING_FIELDS = ("seconds", "train_seconds", "fit_transform_seconds", "timings_s")
BOOKKEEPING_FIELDS = (("command",), ("cells", "computed"), ("cells", "cached"))


def without_timings(value: Any, path: tuple[str, ...] = ()) -> Any:
    """``value`` (a results.json payload) without :data:`TIMING_FIELDS` at any depth and without the
    :data:`BOOKKEEPING_FIELDS`: equal for a resumed and an uninterrupted run of the same grid."""
    if isinstance(value, dict):
        return {k: without_timings(v, path + (k,)) for k, v in value.items()
                if k not in TIMING_FIELDS and path + (k,) not in BOOKKEEPING_FIELDS}
    if isinstance(value, list):
        return [without_timings(v, path) for v in value]
    return value
