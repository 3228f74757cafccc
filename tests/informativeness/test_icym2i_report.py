"""The naive-vs-corrected report: correction status, MCAR agreement, more than two modalities, the CLI."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from missmodal import MultimodalData
from missmodal.cli import main
from missmodal.data import load_dataset, simulate_missingness
from missmodal.errors import MissmodalError
from missmodal.informativeness import Informativeness, informativeness_figure, informativeness_report, summary_lines

CONTRACT = ("auroc", "auprc", "accuracy", "cross_entropy", "information_bits", "gain_bits")


def overlap(a, b):
    return a[0] <= b[1] and b[0] <= a[1]


@settings(max_examples=3, deadline=None)
@given(st.integers(0, 1000))
def test_under_mcar_naive_and_corrected_agree_within_their_intervals(seed):
    data = simulate_missingness(load_dataset("logic", gate="or", n_samples=3000, seed=seed), "mcar", rate=0.5,
                                always_observed=["x1"], seed=seed)
    report = informativeness_report(data, pair=("x1", "x2"), bootstrap=60, predictor="frequency", interval="fixed", seed=seed)
    for metric in ("auroc", "information_bits"):
        for subset in report["subsets"]:
            assert overlap(report["intervals"]["naive"][metric][subset], report["intervals"]["corrected"][metric][subset])
    for term in ("redundancy", "synergy"):
        assert overlap(report["intervals"]["naive"]["pid"][term], report["intervals"]["corrected"]["pid"][term])


def test_without_always_observed_variables_the_correction_does_not_apply():
    rng = np.random.default_rng(0)
    observed = rng.random((400, 2)) < 0.7
    observed[~observed.any(axis=1), 0] = True
    data = MultimodalData({"a": rng.normal(size=(400, 2)), "b": rng.normal(size=(400, 3))}, observed=observed,
                          target=rng.integers(0, 2, 400))
    report = informativeness_report(data, bootstrap=10, interval="fixed")
    assert report["corrected"] is None
    assert report["correction"]["status"] == "not applicable"
    assert "MCAR" in report["correction"]["message"]
    assert report["naive"]["information_bits"]
    assert any("cannot apply" in line for line in summary_lines(report))
    informativeness_figure(report)


def test_without_missingness_corrected_equals_naive_and_says_why():
    report = informativeness_report(load_dataset("logic", gate="and", n_samples=1000), bootstrap=10, predictor="frequency")
    assert report["correction"]["status"] == "not needed"
    assert report["corrected"] == report["naive"]


@pytest.fixture(scope="module")
def three_modalities():
    data = load_dataset("mfeat").select_modalities(["fou", "kar", "mor"])
    data = data.subset(np.random.default_rng(0).permutation(data.n_samples)[:900])
    data = simulate_missingness(data, "mar", rate=0.3, always_observed=["mor"], seed=0)
    return informativeness_report(data, pair=("fou+kar", "mor"), bootstrap=30, seed=0, interval="fixed",
                                  batch_pid={"n_steps": 40, "batch_size": 128})


def test_more_than_two_modalities_report_follows_the_json_contract(three_modalities):
    report = three_modalities
    assert report["subsets"][:3] == ["fou", "kar", "mor"]
    assert {"fou+kar", "fou+mor", "kar+mor", "fou+kar+mor"} <= set(report["subsets"])
    for variant in ("naive", "corrected"):
        for key in CONTRACT:
            assert key in report[variant]
        assert set(report[variant]["gain_bits"]) == {"fou", "kar", "mor"}
        pid = report[variant]["pid"]
        assert set(pid["unique"]) == {"fou+kar", "mor"}
        assert pid["total"] == pytest.approx(pid["unique"]["fou+kar"] + pid["unique"]["mor"] + pid["redundancy"] + pid["synergy"])
        assert min(pid["unique"]["fou+kar"], pid["unique"]["mor"], pid["redundancy"], pid["synergy"]) >= 0
    assert report["diagnostics"]["pid_estimator"] == "batch"
    assert report["diagnostics"]["propensity"]["features"] == ["mor"]
    json.dumps(report)


def test_gain_is_full_information_minus_leave_one_out(three_modalities):
    corrected = three_modalities["corrected"]
    full = corrected["information_bits"]["fou+kar+mor"]
    assert corrected["gain_bits"]["kar"] == pytest.approx(full - corrected["information_bits"]["fou+mor"])


def test_ranking_orders_modalities_by_corrected_gain_with_intervals(three_modalities):
    ranking = three_modalities["ranking"]
    gains = [row["gain_bits"] for row in ranking]
    assert gains == sorted(gains, reverse=True)
    assert [row["rank"] for row in ranking] == [1, 2, 3]
    assert all(row["interval"][0] <= row["interval"][1] for row in ranking)


def test_input_errors_name_the_problem():
    data = load_dataset("logic", n_samples=500)
    with pytest.raises(MissmodalError, match="disjoint"):
        Informativeness(pair=("x1", "x1+x2")).fit(data)
    with pytest.raises(MissmodalError, match="unknown modality 'x3'"):
        Informativeness(subsets=["x3"]).fit(data)
    with pytest.raises(MissmodalError, match="binary or multi-class"):
        Informativeness().fit(data.replace(target=data.target.astype(float), task="regression"))
    with pytest.raises(MissmodalError, match="unknown informativeness predictor"):
        Informativeness(predictor="forest").fit(data)


def test_a_single_class_or_nothing_estimable_is_an_insufficient_data_error():
    from missmodal.errors import InsufficientDataError

    data = load_dataset("logic", gate="and", n_samples=500)
    one_class = data.subset(np.flatnonzero(data.target == 0))
    with pytest.raises(InsufficientDataError, match="needs at least two classes"):
        Informativeness().fit(one_class)
    with pytest.raises(InsufficientDataError, match="nothing could be estimated: only 12 samples"):
        Informativeness().fit(data.subset(np.arange(12)))


def test_cli_writes_the_json_contract_and_an_html_report(tmp_path):
    json_path, html_path = tmp_path / "inf.json", tmp_path / "inf.html"
    result = CliRunner().invoke(main, ["informativeness", "logic:gate=or,n_samples=2000", "--pair", "x1", "x2",
                                       "--bootstrap", "10", "--predictor", "frequency", "--jobs", "1", "--json", str(json_path), "--html", str(html_path)])
    assert result.exit_code == 0, result.output
    assert "PID of I(Y; x1, x2)" in result.output
    report = json.loads(json_path.read_text())
    assert report["data"] == "logic:gate=or,n_samples=2000"
    for variant in ("naive", "corrected"):
        assert set(CONTRACT) <= set(report[variant])
        assert set(report[variant]["pid"]) == {"unique", "redundancy", "synergy", "total"}
    assert "intervals" in report and "diagnostics" in report
    html = html_path.read_text()
    assert "<img" in html and "naive" in html


def test_cli_input_error_is_one_line_and_exit_code_2():
    result = CliRunner().invoke(main, ["informativeness", "logic:n_samples=500", "--pair", "x1", "x3"])
    assert result.exit_code == 2
    assert "unknown modality 'x3'" in result.output
