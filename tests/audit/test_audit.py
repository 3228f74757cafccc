import numpy as np
import pytest

from missmodal import MultimodalData
from missmodal.audit import audit, audit_html, effective_number_of_groups, group_table, mechanism_evidence
from missmodal.data import simulate_missingness


def _data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    return MultimodalData({f"m{i}": rng.normal(size=(n, 4)) for i in range(3)}, target=rng.integers(0, 2, n))


def test_group_table_counts_shares_and_tail(tiny_data):
    rows = group_table(tiny_data, head_coverage=0.6)
    assert [r["count"] for r in rows] == [2, 2, 2]
    assert [r["name"] for r in rows] == ["a", "b", "a+b"]  # ties broken by code
    assert rows[-1]["cumulative_share"] == pytest.approx(1.0)
    assert [r["tail"] for r in rows] == [False, False, True]


def test_effective_number_of_groups_of_equal_groups_is_their_number():
    assert effective_number_of_groups({1: 5, 2: 5, 3: 5, 4: 5}) == pytest.approx(4.0)
    assert effective_number_of_groups({1: 100}) == pytest.approx(1.0)


def test_audit_reports_modalities_and_groups(tiny_data):
    result = audit(tiny_data, mechanism=False).to_dict()
    assert result["n_samples"] == 6 and result["n_groups"] == 3
    assert result["modalities"][0] == {"name": "a", "dim": 2, "n_observed": 4, "missing_rate": pytest.approx(1 / 3)}
    assert result["co_missingness"]["joint"][0][1] == 0.0


def test_mechanism_evidence_is_near_half_under_mcar():
    data = simulate_missingness(_data(), "mcar", rate=0.4, seed=0)
    rows = mechanism_evidence(data)
    assert all(abs(r["auroc"] - 0.5) < 0.07 for r in rows)
    assert all(r["verdict"] == "consistent with MCAR" for r in rows)


def test_mechanism_evidence_detects_mar():
    data = simulate_missingness(_data(), "mar", rate=0.4, seed=0, always_observed=["m0"], strength=3.0)
    rows = {r["name"]: r for r in mechanism_evidence(data)}
    assert rows["m0"]["auroc"] is None
    assert rows["m1"]["auroc"] > 0.75 and rows["m1"]["verdict"].startswith("predictable")


def test_html_report_embeds_its_figures(tiny_data):
    page = audit_html(tiny_data, audit(tiny_data, mechanism=False)).render()
    assert page.count('src="data:image/png;base64,') == 2  # no mechanism figure when mechanism=False
    assert "http" not in page.split("<body>")[1]
