"""bench on a survival cohort (audit with Kaplan-Meier curves, imputation by downstream C-index, models with
the Cox baseline) and informativeness refusing survival targets in one line."""

import json

from click.testing import CliRunner

from missmodal.bench import run_bench
from missmodal.bench.config import BenchConfig
from missmodal.cli import main


def test_bench_on_a_survival_cohort(tmp_path):
    config = BenchConfig(datasets=["clinical-survival:n_samples=160"], seeds=[0], imputers=["mean"],
                         sections=["audit", "informativeness", "imputation", "models"],
                         models=[{"model": "late", "loss": "erm"}], training={"epochs": 2})
    results = run_bench(config, tmp_path / "bench")
    assert not results["cells"]["failed"]
    setting = "clinical-survival:n_samples=160/natural"
    curves = results["audit"][setting]["kaplan_meier"]
    assert curves["overall"]["survival"][0] == 1.0 and len(curves) > 2
    assert results["imputation"]["rows"][0]["c_harrell"]["mean"] > 0.5
    methods = {row["method"]: row for row in results["models"]["rows"]}
    assert set(methods) == {"late+erm", "cox", "cox-gbdt"}  # the survival baselines run beside the configured models
    assert methods["cox"]["c_harrell"]["mean"] > 0.6 and "worst_group_c_harrell" in methods["cox"]
    assert "not supported by informativeness" in json.dumps(results["informativeness"])
    markdown = (tmp_path / "bench" / "results.md").read_text()
    assert "C-index (Harrell)" in markdown and "Kaplan" in (tmp_path / "bench" / "report.html").read_text()


def test_informativeness_refuses_survival_in_one_line():
    result = CliRunner().invoke(main, ["informativeness", "clinical-survival:n_samples=100"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith("error: informativeness does not support survival")
