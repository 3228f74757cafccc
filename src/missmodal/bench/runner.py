"""Run a benchmark grid: plan the cells, reuse cached ones, run the rest in ``jobs`` processes.

Every cell runs on one thread, in a spawned worker process or (``jobs=1``) in this one
(:mod:`missmodal._parallel`), and seeds the global generators from its own spec, so a cell's result does
not depend on ``jobs`` nor on which cells ran before it. A failing cell is recorded with its error and the
others go on. Only one run may write into an output folder at a time (:func:`missmodal._atomic.folder_lock`).
"""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .._atomic import folder_lock
from .._parallel import process_map, resolve_jobs
from .cache import CellCache
from .config import NATURAL, BenchConfig
from .scenarios import is_natural, prepare
from .sections import section_module


def plan(config: BenchConfig) -> list[dict[str, Any]]:
    """Every cell spec of the grid, in a stable order (dataset, scenario, seed, section, method); a spec
    that several scenarios share (the full-data informativeness of a seed) appears once, at its first place."""
    specs = {}
    for entry in config.datasets:
        scenarios = [NATURAL] if is_natural(entry) else config.scenarios
        for scenario in scenarios:
            for seed in config.seeds:
                for section in config.sections:
                    for spec in section_module(section).cells(config, entry, scenario, int(seed)):
                        specs.setdefault(json.dumps(spec, sort_keys=True, default=str), spec)
    return list(specs.values())


def _seed_globals(spec: dict[str, Any]) -> None:
    """Seed the global numpy and torch generators from the cell, so that a cell's result does not depend
    on which cells the same process ran before it (a resumed run computes a different subset)."""
    import numpy as np
    import torch

    seed = int(spec["seed"])
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def run_cell(spec: dict[str, Any]) -> dict[str, Any]:
    """Compute one cell: ``{"result": ...}`` or ``{"error": ...}``, with the wall-clock ``seconds`` it took
    and the CPU time of this process meanwhile (``cpu_seconds``, not inflated by a busy machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    _seed_globals(spec)
    try:
        prepared = prepare(spec["dataset"], spec["scenario"], spec["seed"])
        outcome = {"result": section_module(spec["kind"]).run(spec, prepared)}
    except Exception as error:  # a failing cell is reported, the grid goes on
        outcome = {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc(limit=8)}
    return {**outcome, "seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu}


@dataclass
class GridRun:
    """Cells of a run with their results (``from_cache`` marks those read from the cache), how many were
    computed now vs read from the cache, and the processes that computed them at a time (``jobs``)."""

    cells: list[dict[str, Any]] = field(default_factory=list)
    computed: int = 0
    cached: int = 0
    jobs: int = 1

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [c for c in self.cells if c["spec"]["kind"] == kind]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [c for c in self.cells if "error" in c]


def run_grid(config: BenchConfig, out: str | Path, jobs: int | None = 1,
             on_cell: Callable[[dict[str, Any], bool], None] | None = None,
             compute: Callable[[dict[str, Any]], dict[str, Any]] = run_cell) -> GridRun:
    """Run every cell of ``config`` not yet cached under ``out``; ``on_cell(cell, from_cache)`` reports progress.

    ``jobs`` cells run at a time in spawned single-threaded processes (None or -1: one per available core;
    ``compute`` must then pickle); with ``jobs=1`` they run here, one thread, one after another. The
    results are the same either way."""
    with folder_lock(out, "bench run"):
        return _run_grid(config, CellCache(out), jobs, on_cell, compute)


#: Sections by the usual cost of their cells, dearest first (the default run: models 3-30 s a cell,
#: informativeness 2-20 s, imputation 0.1-4 s, audit 1-2 s).
SECTION_COST_ORDER = ("models", "informativeness", "imputation", "audit")


def longest_first(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``specs`` with the dearer sections first (stable within a section), so that the cheap cells fill the
    workers at the end instead of one long cell running alone; a cell's result does not depend on its turn."""
    rank = {section: i for i, section in enumerate(SECTION_COST_ORDER)}
    return sorted(specs, key=lambda spec: rank.get(spec["kind"], len(rank)))


def _run_grid(config: BenchConfig, cache: CellCache, jobs: int, on_cell, compute) -> GridRun:
    run = GridRun(jobs=resolve_jobs(jobs))
    pending = []
    specs = plan(config)
    for spec in specs:
        cached = cache.get(spec)
        if cached is not None and "error" not in cached:
            run.cells.append({**cached, "from_cache": True})
            run.cached += 1
            if on_cell:
                on_cell(cached, True)
        else:
            pending.append(spec)

    def record(spec: dict[str, Any], outcome: dict[str, Any]) -> None:
        cell = {**cache.put(spec, outcome), "from_cache": False}  # as stored, so that a resumed run sees the same values
        run.cells.append(cell)
        run.computed += 1
        if on_cell:
            on_cell(cell, False)

    pending = longest_first(pending)
    for index, outcome in process_map(compute, pending, jobs):
        record(pending[index], outcome)
    position = {cache.path(s).name: i for i, s in enumerate(specs)}
    run.cells.sort(key=lambda c: position[cache.path(c["spec"]).name])
    return run


# Fields that measure time or record how a run went rather than what it found: the only ones in which a
# resumed run's results.json may differ from an uninterrupted run's (see docs/guarantees.md).
TIMING_FIELDS = ("seconds", "cpu_seconds", "train_seconds", "fit_transform_seconds", "timings_s", "timings")
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
