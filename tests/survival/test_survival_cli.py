"""A clinician's export with follow-up time and event status through train, evaluate and predict (CLI),
and `auto` on a survival target."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from missmodal.cli import main
from missmodal.data import load_dataset
from missmodal.data.clinical import clinical_survival_table
from missmodal.models import load_model
from missmodal.train import fit_model

SCHEMA = ["--modality", "labs=bilirubin,albumin,alk_phos,ast,platelets,protime", "--modality", "vitals=sbp,heart_rate,weight",
          "--modality", "histology=stage,fibrosis_score", "--modality", "imaging=liver_stiffness,spleen_size,ascites_grade",
          "--modality", "genomics=gene_*", "--id", "id", "--covariates", "age,sex,site",
          "--time", "followup_days", "--event", "status=dead"]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("survival")
    table = clinical_survival_table(200, seed=5)
    table.to_csv(folder / "cohort.csv", index=False)
    table.iloc[:3].drop(columns=["followup_days", "status"]).to_csv(folder / "new.csv", index=False)
    return folder


def test_train_evaluate_predict_a_survival_export(export):
    result = invoke("train", export / "cohort.csv", *SCHEMA, "--model", "cox", "-o", export / "cox")
    assert result.exit_code == 0, result.output
    result = invoke("evaluate", export / "cox", export / "cohort.csv", "--horizons", "365,1825", "--bootstrap", "20",
                    "--json", export / "eval.json")
    assert result.exit_code == 0, result.output
    assert "c_harrell" in result.output and "auc_1825" in result.output and "calibration at 365" in result.output
    report = json.loads((export / "eval.json").read_text())
    assert report["task"] == "survival" and report["survival"]["horizons"] == [365.0, 1825.0]
    assert len(report["overall"]["c_harrell_ci"]) == 2 and report["kaplan_meier"]["overall"]["survival"][0] == 1.0
    assert {g["name"] for g in report["groups"]} <= set(report["kaplan_meier"])
    result = invoke("evaluate", export / "cox", export / "cohort.csv", "--all-combinations", "--bootstrap", "0")
    assert result.exit_code == 0 and "all combinations: 31 of 31 evaluated" in result.output
    result = invoke("predict", export / "cox", export / "new.csv", "--horizons", "365,1825", "-o", export / "p.csv")
    assert result.exit_code == 0, result.output
    predictions = pd.read_csv(export / "p.csv")
    assert list(predictions.columns[-3:]) == ["risk", "survival_365", "survival_1825"]
    assert (predictions["survival_1825"] <= predictions["survival_365"]).all()


def test_bad_survival_options_are_one_line_errors(export):
    result = invoke("train", export / "cohort.csv", *SCHEMA[:-2], "--event", "status", "--model", "cox", "-o", export / "x")
    assert result.exit_code == 2 and "column 'status', row 0: event value 'alive' is not 0/1" in result.output
    result = invoke("evaluate", export / "cox", export / "cohort.csv", "--horizons", "soon")
    assert result.exit_code == 2 and "--horizons 'soon'" in result.output


def test_auto_on_a_survival_target_selects_on_c_index_and_round_trips(tmp_path):
    train, test = load_dataset("clinical-survival", n_samples=200, seed=6).split((0.75, 0.25), seed=0)
    model = fit_model(train, model="auto", candidates=["logistic", "cox", "late"], epochs=3, seed=0)
    auto = model.info["auto"]
    assert auto["not_applicable_to_task"] == ["logistic"]
    assert [row["name"] for row in auto["candidates"]] == ["cox", "late"]
    assert all(0 < row["val_c_index"] <= 1 for row in auto["candidates"])
    assert model.baseline_hazard is not None
    model.save(tmp_path / "auto")
    np.testing.assert_allclose(load_model(tmp_path / "auto").survival_at(test, [700]), model.survival_at(test, [700]))


def test_baseline_guard_keeps_the_baseline_without_clear_validation_evidence():
    from missmodal.train.auto import baseline_guard

    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=n)
    time = rng.exponential(np.exp(-x))
    target = np.column_stack([time, np.ones(n)])
    weak, strong = x + 2.0 * rng.normal(size=n), x + 0.05 * rng.normal(size=n)
    weights, record = baseline_guard([weak, strong], np.array([0.0, 1.0]), 0, target)
    assert record["ensemble_kept"] and weights.tolist() == [0.0, 1.0]  # a clearly better ensemble is kept
    noise = weak + 0.01 * rng.normal(size=n)
    weights, record = baseline_guard([weak, noise], np.array([0.0, 1.0]), 0, target)
    assert not record["ensemble_kept"] and weights.tolist() == [1.0, 0.0]  # a tie goes to the baseline
