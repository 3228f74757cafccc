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


def test_results_carry_cell_timings_by_section_and_method(tmp_path):
    config = small_config(sections=["audit", "imputation"], imputers=["zero", "mean"], scenarios=small_config().scenarios[:1])
    first = run_bench(config, tmp_path)
    timings = first["timings"]
    assert timings["jobs"] == 1 and len(timings["cells"]) == first["cells"]["total"] == 3
    assert all(r["seconds"] > 0 and r["cpu_seconds"] is not None and not r["cached"] for r in timings["cells"])
    table = {(r["section"], r["method"]): r for r in timings["by_section_method"]}
    assert set(table) == {("audit", ""), ("imputation", "zero"), ("imputation", "mean")}
    assert abs(sum(r["seconds"] for r in table.values()) - timings["cell_seconds"]) < 1e-9
    assert [r["seconds"] for r in timings["by_section_method"]] == sorted((r["seconds"] for r in table.values()), reverse=True)
    assert "## Time by section and method" in (tmp_path / "results.md").read_text()
    assert "Time by section and method" in (tmp_path / "report.html").read_text()
    again = run_bench(config, tmp_path)  # from the cache: the times of the run that computed the cells
    assert all(r["cached"] for r in again["timings"]["cells"])
    assert [r["seconds"] for r in again["timings"]["cells"]] == [r["seconds"] for r in timings["cells"]]


def test_cli_takes_output_and_out_and_prints_the_slowest_cells(tmp_path):
    from click.testing import CliRunner

    from missmodal.cli import main

    config = tmp_path / "grid.yaml"
    config.write_text(json.dumps({"datasets": [small_config().datasets[0]], "scenarios": small_config().scenarios[:1],
                                  "seeds": [0], "sections": ["audit", "imputation"], "imputers": ["mean"]}))
    for flag in ("-o", "--output", "--out"):
        out = tmp_path / flag.strip("-")
        result = CliRunner().invoke(main, ["bench", "--config", str(config), flag, str(out), "--jobs", "1"])
        assert result.exit_code == 0, result.output
        assert (out / "results.json").is_file()
        assert "Slowest cells (1 at a time): " in result.output and "imputation latent" in result.output
    result = CliRunner().invoke(main, ["bench", "--config", str(config), "-o", str(tmp_path / "x"), "--jobs", "0"])
    assert result.exit_code == 2 and "--jobs must be >= 1" in result.output
