"""Bench cells run in parallel single-threaded processes give the same results as one after another."""

import json

from test_bench import small_config

from missmodal.bench import run_bench
from missmodal.bench.runner import without_timings


def test_parallel_cells_equal_serial_cells(tmp_path):
    config = small_config(sections=["imputation", "models"], imputers=["mean", "knn"], seeds=[0, 1],
                          scenarios=small_config().scenarios[:1], training={"epochs": 2})
    serial = run_bench(config, tmp_path / "serial", jobs=1)
    parallel = run_bench(config, tmp_path / "parallel", jobs=2)
    assert parallel["cells"]["computed"] == serial["cells"]["computed"] == 2 * (2 + 3)
    on_disk = [json.loads((tmp_path / name / "results.json").read_text()) for name in ("serial", "parallel")]
    assert without_timings(on_disk[0]) == without_timings(on_disk[1])
    cells = [sorted((tmp_path / name / "cells").rglob("*.json")) for name in ("serial", "parallel")]
    assert [p.name for p in cells[0]] == [p.name for p in cells[1]]
    for a, b in zip(*cells):
        assert without_timings(json.loads(a.read_text())) == without_timings(json.loads(b.read_text()))
