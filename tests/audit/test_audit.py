import numpy as np
import pytest

from missmodal import MultimodalData
from missmodal.audit import VERDICTS, audit, audit_html, effective_number_of_groups, group_table, mechanism_evidence
from missmodal.data import simulate_missingness


def _data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    return MultimodalData({f"m{i}": rng.normal(size=(n, 4)) for i in range(3)}, target=rng.integers(0, 2, n),
                          covariates=rng.normal(size=(n, 2)), covariate_names=["c0", "c1"])


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
    assert result["modalities"][0] == {"name": "a", "dim": 2, "n_observed": 4, "missing_rate": pytest.approx(1 / 3),
                                       "fully_observed": pytest.approx(2 / 3), "partly_observed": 0.0,
                                       "not_observed": pytest.approx(1 / 3)}
    assert result["co_missingness"]["joint"][0][1] == 0.0


def test_mechanism_evidence_is_near_half_under_mcar():
    data = simulate_missingness(_data(), "mcar", rate=0.4, seed=0)
    rows = mechanism_evidence(data)
    assert all(abs(r["auroc"] - 0.5) < 0.07 for r in rows)
    assert all(r["verdict"] == "no evidence against MCAR" for r in rows)


def test_mechanism_evidence_detects_mar():
    data = simulate_missingness(_data(), "mar", rate=0.4, seed=0, always_observed=["m0"], strength=3.0)
    rows = {r["name"]: r for r in mechanism_evidence(data)}
    assert rows["m0"]["auroc"] is None and rows["m0"]["verdict"] == "too few to tell"
    assert rows["m1"]["auroc"] > 0.75 and rows["m1"]["verdict"] == "evidence against MCAR"
    assert rows["m1"]["power"] > 0.99 and rows["m1"]["conditioning"] == ["c0", "c1", "m0"]
    assert rows["m1"]["interval"][0] > 0.5 and rows["m1"]["n_missing"] + rows["m1"]["n_observed"] == 3000


def test_html_report_embeds_its_figures(tiny_data):
    page = audit_html(tiny_data, audit(tiny_data, mechanism=False)).render()
    assert page.count('src="data:image/png;base64,') == 2  # no mechanism figure when mechanism=False
    assert "http" not in page.split("<body>")[1]


def _cohort(n=1200, seed=0):
    """Five modalities; labs, vitals and notes go missing together for the same ~106 patients (one of them
    for a couple more), histology misses 6 rows, imaging is MAR on the covariate."""
    rng = np.random.default_rng(seed)
    age = rng.normal(size=n)
    names = ["labs", "vitals", "notes", "histology", "imaging"]
    observed = np.ones((n, 5), dtype=bool)
    block = rng.choice(n, 106, replace=False)
    observed[block, :3] = False
    observed[rng.choice(np.setdiff1d(np.arange(n), block), 2, replace=False), 2] = False
    observed[rng.choice(n, 6, replace=False), 3] = False
    observed[:, 4] = rng.random(n) < 1 / (1 + np.exp(-(0.5 + 2 * age)))
    observed[~observed.any(axis=1), 3] = True
    modalities = {name: rng.normal(size=(n, 3)) + (age[:, None] if name == "labs" else 0) for name in names}
    return MultimodalData(modalities, observed=observed, target=rng.integers(0, 2, n), covariates=age[:, None],
                          covariate_names=["age"])


def test_blocks_report_modalities_that_go_missing_together():
    blocks = audit(_cohort(), mechanism=False).to_dict()["blocks"]
    assert len(blocks) == 1
    assert blocks[0]["modalities"] == ["labs", "vitals", "notes"]
    assert blocks[0]["count"] == 106 and blocks[0]["phi"] > 0.98


def test_few_missing_rows_cannot_tell_and_mar_on_the_covariate_is_found():
    rows = {r["name"]: r for r in audit(_cohort()).to_dict()["mechanism"]}
    assert rows["histology"]["verdict"] == "too few to tell" and rows["histology"]["n_missing"] == 6
    assert rows["imaging"]["verdict"] == "evidence against MCAR"
    assert rows["labs"]["verdict"] != "evidence against MCAR"  # the block is MCAR given age
    assert {r["verdict"] for r in rows.values()} <= set(VERDICTS)


def test_a_wide_interval_is_too_few_to_tell():
    rng = np.random.default_rng(1)
    n = 120
    age = rng.normal(size=n)
    observed = np.c_[np.ones(n, bool), rng.random(n) >= 0.2]
    data = MultimodalData({"a": rng.normal(size=(n, 2)), "b": rng.normal(size=(n, 2))}, observed=observed,
                          target=rng.integers(0, 2, n), covariates=age[:, None])
    row = {r["name"]: r for r in mechanism_evidence(data)}["b"]
    assert row["auroc"] is not None and row["power"] < 0.8 and row["verdict"] == "too few to tell"


@pytest.mark.parametrize("classifier", ["logistic", "boosting"])
def test_co_missingness_under_mcar_is_not_counted_as_evidence(classifier):
    # Two modalities, MCAR at 45% each with at least one kept: presence of one strongly predicts absence of the
    # other, which MCAR allows; values carry no information about it.
    data = simulate_missingness(_data(n=1200).select_modalities(["m0", "m1"]), "mcar", rate=0.45, seed=3)
    rows = mechanism_evidence(data, method=classifier)
    assert all(r["verdict"] != "evidence against MCAR" for r in rows)


def test_boosting_finds_a_non_linear_dependence_that_the_logistic_model_misses():
    rng = np.random.default_rng(0)
    n = 3000
    c = rng.normal(size=n)
    observed = np.c_[np.ones(n, bool), np.abs(c) < 0.8 + 0.2 * rng.random(n)]
    data = MultimodalData({"a": rng.normal(size=(n, 2)), "b": rng.normal(size=(n, 2))}, observed=observed,
                          target=rng.integers(0, 2, n), covariates=c[:, None])
    linear = {r["name"]: r for r in mechanism_evidence(data)}["b"]
    boosted = {r["name"]: r for r in mechanism_evidence(data, method="boosting")}["b"]
    assert abs(linear["auroc"] - 0.5) < 0.06
    assert boosted["verdict"] == "evidence against MCAR" and boosted["auroc"] > 0.85


def test_audit_json_carries_little_mcar():
    result = audit(_cohort()).to_dict()
    test = result["little_mcar"]
    assert set(test) >= {"statistic", "df", "p_value", "effect_size"}
    assert test["p_value"] < 0.01  # imaging's absence shifts the mean of age between patterns


def test_registry_cohort_block_field_rates_and_rule_are_reported():
    from missmodal.data.clinical import REGISTRY_SCHEMA, registry_table
    from missmodal.data.schema import from_table

    table = registry_table(400, seed=0)
    result = audit(from_table(table, schema=REGISTRY_SCHEMA), mechanism=False)
    summary = result.to_dict()
    block = summary["blocks"][0]
    assert block["modalities"] == ["exam", "lipids", "enzymes"] and block["cut"] == 0.7
    exam = block["members"][0]
    assert exam["fields"] == ["sbp", "dbp", "heart_rate"] and exam["n_fields"] == 4   # weight is never missing
    assert all(m["phi"] >= 0.7 for m in block["members"])
    registry = (table["source"] == "registry").to_numpy()
    assert block["count"] >= registry.sum()
    rates = {m["name"]: m for m in summary["modalities"]}
    assert rates["exam"]["field_missing_rates"]["weight"] == 0.0
    assert rates["exam"]["field_missing_rates"]["sbp"] == pytest.approx(table["sbp"].isna().mean())
    assert rates["exam"]["partly_observed"] == pytest.approx(table["sbp"].isna().mean()) and rates["exam"]["not_observed"] == 0
    assert summary["partial_blocks"]["moved_rows"]["exam"] >= registry.sum()
    text = "\n".join(result.modality_lines() + result.evidence_lines())
    assert "block: exam (3 of 4 fields: sbp, dbp, heart_rate) + lipids + enzymes" in text
    assert "counted missing: exam" in text
