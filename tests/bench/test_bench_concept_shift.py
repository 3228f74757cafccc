"""The simulated concept-shift cohort in `missmodal bench`: its own data per seed, Bayes accuracy beside
every result, no all-combinations re-evaluation, gradient cosines head vs tail."""

import pytest

from missmodal.bench import BenchConfig, run_bench
from missmodal.bench.scenarios import prepare
from missmodal.data.concept_shift import bayes_accuracy
from missmodal.errors import MissmodalError

COHORT = {"simulator": "concept-shift", "name": "concept-shift", "n_train": 300, "n_val": 100, "n_test_per_group": 20,
          "n_modalities": 3, "dim": 3}


def test_concept_shift_entry_reports_bayes_accuracy_and_head_tail_gradient_cosines(tmp_path):
    config = BenchConfig(datasets=[COHORT], seeds=[0], sections=["models"], models=[{"model": "film", "loss": "erm"}],
                         training={"epochs": 2, "diagnostics": True, "diagnostics_every": 1, "min_group_size": 5})
    results = run_bench(config, tmp_path / "out")
    rows = {r["method"]: r for r in results["models"]["rows"]}
    assert set(rows) == {"film+erm", "logistic", "gbdt"} and rows["film+erm"]["scenario"] == "natural"
    expected = (3 * bayes_accuracy(1, 0.6) + 3 * bayes_accuracy(2, 0.6) + bayes_accuracy(3, 0.6)) / 7
    assert rows["gbdt"]["bayes_accuracy"]["mean"] == pytest.approx(expected)
    assert rows["gbdt"]["bayes_lowest_group"]["mean"] == pytest.approx(bayes_accuracy(1, 0.6))
    assert rows["film+erm"]["allcomb_accuracy"]["mean"] is None  # labels depend on the group: not re-evaluated
    assert -1 <= rows["film+erm"]["gradient_cosine_tail"]["mean"] <= 1
    assert any("Bayes accuracy" in line for line in results["findings"]["models"])
    assert "Bayes acc." in (tmp_path / "out" / "results.md").read_text()


def test_simulated_cohort_per_seed_and_bad_entries():
    a, b = prepare(COHORT, {"name": "natural", "mechanism": "none"}, 0), prepare(COHORT, {"name": "natural", "mechanism": "none"}, 1)
    assert a.group_concepts and a.bayes and a.test.n_samples == 7 * 20
    assert not (a.train.target == b.train.target).all()
    with pytest.raises(MissmodalError, match="unknown simulator"):
        prepare({"simulator": "nope"}, {"name": "natural", "mechanism": "none"}, 0)
    with pytest.raises(MissmodalError, match="bad simulator parameters"):
        prepare({"simulator": "concept-shift", "colour": 1}, {"name": "natural", "mechanism": "none"}, 0)
