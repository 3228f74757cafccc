"""Bootstrap intervals of the headline metrics, counts-only small groups, and the training-data fingerprint."""

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score

from missmodal.cli import main
from missmodal.data.clinical import REGISTRY_SCHEMA, registry_table
from missmodal.data.schema import from_table
from missmodal.evaluate import classification_metrics, group_report
from missmodal.evaluate.bootstrap import headline_intervals, headline_metrics
from missmodal.models import load_model
from missmodal.train import evaluate_model, fit_model


def binary_case(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(0.5 + 0.3 * (2 * y - 1) + 0.3 * rng.normal(size=n), 0.01, 0.99)
    return y, p


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_headline_metrics_are_those_of_the_full_metrics(task):
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3 if task == "multiclass" else 2, 50)
    scores = rng.dirichlet(np.ones(3), 50) if task == "multiclass" else rng.random(50)
    full, head = classification_metrics(y, scores, task), headline_metrics(y, scores, task, np.unique(y))
    assert head == {k: pytest.approx(full[k]) for k in ("accuracy", "auroc", "brier")}


def test_intervals_are_the_percentiles_of_a_brute_force_bootstrap():
    y, p = binary_case()
    intervals = headline_intervals(y, p, "binary", None, n_boot=50, seed=3)
    rng = np.random.default_rng(3)
    aucs, accs, briers = [], [], []
    for _ in range(50):  # the same resamples, scored by scikit-learn and by hand
        rows = rng.integers(0, len(y), len(y))
        if 0 < y[rows].sum() < len(rows):
            aucs.append(roc_auc_score(y[rows], p[rows]))
        accs.append(np.mean((p[rows] >= 0.5) == y[rows]))
        briers.append(np.mean((p[rows] - y[rows]) ** 2))
    for key, values in (("auroc_ci", aucs), ("accuracy_ci", accs), ("brier_ci", briers)):
        assert intervals[key] == pytest.approx([np.quantile(values, 0.025), np.quantile(values, 0.975)])
    assert headline_intervals(y, p, "binary", None, n_boot=50, seed=3) == intervals  # seeded
    assert headline_intervals(y, p, "binary", None, n_boot=50, seed=4) != intervals


def test_group_report_intervals_and_counts_only_for_small_groups():
    y, p = binary_case(60)
    observed = np.ones((60, 2), bool)
    observed[:6, 1] = False  # group "a": 6 samples
    report = group_report(y, p, observed, ["a", "b"], "binary", min_group_size=10, n_boot=100, seed=0)
    lo, hi = report["overall"]["auroc_ci"]
    assert lo < report["overall"]["auroc"] < hi and report["complete"]["brier_ci"] is not None
    small = next(g for g in report["groups"] if g["name"] == "a")
    assert small["too_few"] and small["count"] == 6 and "auroc" not in small and "accuracy" not in small
    assert report["incomplete"]["count"] == 6 and report["incomplete"]["auroc"] is not None  # summary rows keep theirs
    assert "auroc_ci" not in group_report(y, p, observed, ["a", "b"], "binary", min_group_size=10)["overall"]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    table = registry_table(160, seed=3)
    data = from_table(table, schema=REGISTRY_SCHEMA)
    model = fit_model(data.subset(np.arange(120)), model="logistic", seed=0)
    folder = tmp_path_factory.mktemp("model")
    model.save(folder / "model")
    return table, data, folder


def test_a_model_records_its_training_fingerprint_and_evaluate_says_when_scored_on_it(fitted):
    _, data, folder = fitted
    model = load_model(folder / "model")
    recorded = model.info["train_fingerprint"]
    assert recorded["n_samples"] == 120 and len({recorded["data"], recorded["train"], recorded["val"]}) == 3
    assert evaluate_model(model, data.subset(np.arange(120)), n_boot=0)["training_data"] == "train"
    assert evaluate_model(model, data.subset(np.arange(120, 160)), n_boot=0)["training_data"] is None


def test_cli_evaluate_warns_on_training_data_and_prints_intervals(fitted, tmp_path):
    table, _, folder = fitted
    table.iloc[:120].to_csv(tmp_path / "train.csv", index=False)
    table.iloc[120:].to_csv(tmp_path / "test.csv", index=False)
    schema = [a for name, cols in REGISTRY_SCHEMA.modalities.items() for a in ("--modality", f"{name}={','.join(cols)}")]
    schema += ["--target", "outcome", "--id", "id", "--covariates", "age,sex,source"]
    model = tmp_path / "m"
    runner = CliRunner()
    result = runner.invoke(main, ["train", str(tmp_path / "train.csv"), *schema, "--model", "logistic", "-o", str(model)],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    on_train = runner.invoke(main, ["evaluate", str(model), str(tmp_path / "train.csv"), *schema, "--bootstrap", "0"],
                             catch_exceptions=False)
    assert "is the data this model was trained on" in on_train.output and "[low, high]" not in on_train.output
    on_test = runner.invoke(main, ["evaluate", str(model), str(tmp_path / "test.csv"), *schema, "--bootstrap", "50"],
                            catch_exceptions=False)
    assert "trained on" not in on_test.output
    assert "95% percentile bootstrap intervals over the test samples of each row (50 resamples, seed 0)" in on_test.output
    assert "get counts only, no metric (too few to tell)" in on_test.output


def test_the_model_folder_schema_declares_the_fingerprint(fitted):
    import json

    from missmodal import MissmodalError
    from missmodal.models.schema import validate_model_config

    _, _, folder = fitted
    payload = json.loads((folder / "model" / "model.json").read_text())
    validate_model_config(payload, "model.json")
    payload["info"]["train_fingerprint"]["train"] = "not hex"
    with pytest.raises(MissmodalError, match="info.train_fingerprint.train must be 16 hex digits"):
        validate_model_config(payload, "model.json")
