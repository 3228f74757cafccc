"""`missmodal bench`: grids, the cell cache, failures, natural data, and the report."""

import json
import subprocess
import sys

import pytest

from missmodal.bench import BenchConfig, load_config, plan, run_bench, run_cell, run_grid
from missmodal.errors import MissmodalError

SMALL_DATA = "latent:n_samples=240,n_modalities=3,dim=6,seed=1"


def small_config(**changes) -> BenchConfig:
    settings = dict(
        datasets=[SMALL_DATA],
        scenarios=[{"name": "mcar30", "mechanism": "mcar", "rate": 0.3},
                   {"name": "mar30", "mechanism": "mar", "rate": 0.3, "always_observed": ["m0"]}],
        seeds=[0], sections=["audit", "imputation"], imputers=["mean", "cluster"],
        models=[{"model": "late", "loss": "erm"}], training={"epochs": 2}, informativeness={"bootstrap": 0},
    )
    settings.update(changes)
    return BenchConfig(**settings)


def test_config_file_yaml_and_toml(tmp_path):
    (tmp_path / "grid.yaml").write_text("seeds: [1, 2]\nimputers: [mean]\n")
    (tmp_path / "grid.toml").write_text('seeds = [3]\nsections = ["audit"]\n')
    assert load_config(tmp_path / "grid.yaml").seeds == [1, 2]
    assert load_config(tmp_path / "grid.toml").sections == ["audit"]
    (tmp_path / "bad.yaml").write_text("seedz: [1]\n")
    with pytest.raises(MissmodalError, match="unknown key 'seedz'"):
        load_config(tmp_path / "bad.yaml")


def test_plan_covers_the_grid():
    config = small_config(seeds=[0, 1])
    kinds = [spec["kind"] for spec in plan(config)]
    assert kinds.count("audit") == 2  # one per scenario
    assert kinds.count("imputation") == 2 * 2 * 2  # scenarios x seeds x imputers


def test_the_full_data_oracle_is_one_cell_per_seed_shared_by_the_scenarios(tmp_path):
    from missmodal.bench.sections import informativeness

    config = small_config(seeds=[0, 1], sections=["informativeness"])
    specs = plan(config)
    oracles = [s for s in specs if s.get("method") == "oracle"]
    assert len(specs) == 2 * 2 + 2 and [s["seed"] for s in oracles] == [0, 1]  # scenarios x seeds + one oracle a seed
    assert all(s["scenario"] == informativeness.FULL_DATA for s in oracles)
    run = run_grid(config, tmp_path)
    summary = informativeness.summarise(run.of_kind("informativeness"))
    assert [r["scenario"] for r in summary["rows"]] == ["mcar30", "mar30"]  # the oracle is no setting of its own
    from missmodal.bench.results import settings_run

    assert settings_run(run) == {SMALL_DATA: ["mcar30", "mar30"]}  # nor a scenario in the report's header
    oracle = {r["scenario"]: r["quantities"]["information_bits"]["m0"]["oracle"] for r in summary["rows"]}
    assert oracle["mcar30"] == oracle["mar30"] and oracle["mar30"]["n"] == 2 and oracle["mar30"]["mean"] > 0
    full = run_cell(oracles[0])["result"]["oracle"]["naive"]["information_bits"]["m0"]
    assert full == pytest.approx(next(c for c in run.of_kind("informativeness") if c["spec"] == oracles[0])
                                 ["result"]["oracle"]["naive"]["information_bits"]["m0"])


def test_interrupted_grid_recomputes_only_missing_cells(tmp_path):
    config = small_config()
    total = len(plan(config))
    calls = []

    def interrupted(spec):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(spec)
        return run_cell(spec)

    with pytest.raises(KeyboardInterrupt):
        run_grid(config, tmp_path, compute=interrupted)
    recomputed = []

    def counting(spec):
        recomputed.append(spec)
        return run_cell(spec)

    run = run_grid(config, tmp_path, compute=counting)
    assert run.cached == 2 and run.computed == total - 2
    assert [s for s in recomputed if s in calls] == []
    again = run_grid(config, tmp_path, compute=counting)
    assert again.computed == 0 and again.cached == total


def test_failing_cell_is_reported_and_the_rest_go_on(tmp_path):
    results = run_bench(small_config(imputers=["mean", "no-such-imputer"], scenarios=small_config().scenarios[:1]), tmp_path)
    failed = results["cells"]["failed"]
    assert len(failed) == 1 and "no-such-imputer" in failed[0]["error"]
    assert [r["method"] for r in results["imputation"]["rows"]] == ["mean"]
    assert "Failed cells" in (tmp_path / "results.md").read_text()


def test_natural_missingness_has_no_oracle(tmp_path):
    from missmodal.data import load_dataset, simulate_missingness, write_data

    path = tmp_path / "mine.parquet"
    write_data(simulate_missingness(load_dataset(SMALL_DATA.split(":")[0], n_samples=200, n_modalities=3, dim=5),
                                    "mcar", rate=0.3, seed=0), path)
    config = small_config(datasets=[{"path": str(path), "target": "target"}], imputers=["mean"])
    results = run_bench(config, tmp_path / "out")
    assert results["oracle"] == {str(path): False}
    assert results["imputation"]["rows"][0]["scenario"] == "natural"
    assert results["imputation"]["rows"][0]["reconstruction_error"]["mean"] is None
    assert "natural missingness" in (tmp_path / "out" / "report.html").read_text()


def test_informativeness_with_too_few_complete_cases_reports_dr_and_names_what_is_refused(tmp_path):
    config = small_config(sections=["informativeness"], scenarios=[{"name": "mcar60", "mechanism": "mcar", "rate": 0.6}])
    results = run_bench(config, tmp_path)
    assert results["cells"]["failed"] == [] and results["informativeness"]["skipped"] == []
    (row,) = results["informativeness"]["rows"]
    assert "only 4 samples have all of m0+m1+m2 observed" in row["refused"]["naive"]["m0"]
    information = row["quantities"]["information_bits"]
    assert information["m0"]["naive"]["mean"] is None and information["m0"]["dr"]["mean"] is not None
    assert "not estimated (naive)" in (tmp_path / "report.html").read_text()


def test_cells_run_dearest_section_first_and_results_keep_the_plan_order(tmp_path):
    from missmodal.bench.runner import longest_first

    config = small_config(sections=["audit", "imputation", "models"])
    order = [spec["kind"] for spec in longest_first(plan(config))]
    assert order == sorted(order, key=["models", "imputation", "audit"].index)
    run = run_grid(config, tmp_path)
    assert [c["spec"] for c in run.cells] == plan(config)
