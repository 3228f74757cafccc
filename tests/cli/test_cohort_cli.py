"""A flat CSV cohort through the command line: schema options, convert, a model that keeps its schema."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from missmodal.cli import main
from missmodal.data import read_data
from missmodal.data.clinical import clinical_table

SCHEMA = ["--modality", "labs=bilirubin,albumin,alk_phos,ast,platelets,protime", "--modality", "vitals=sbp,heart_rate,weight",
          "--modality", "histology=stage,fibrosis_score", "--modality", "imaging=liver_stiffness,spleen_size,ascites_grade",
          "--modality", "genomics=gene_*", "--target", "outcome", "--id", "id", "--covariates", "age,sex,site",
          "--ignore", "followup_days"]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def errors(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cohort")
    table = clinical_table(n_samples=160, seed=2)
    table.to_csv(folder / "cohort.csv", index=False)
    table.iloc[[5]].drop(columns=["outcome"]).to_csv(folder / "one.csv", index=False)
    return folder


def test_csv_without_a_schema_says_which_options_give_one(cohort):
    result = invoke("audit", cohort / "cohort.csv")
    assert result.exit_code == 2 and "a flat table needs a schema: --modality NAME=COL1,COL2" in errors(result)[0]


def test_unassigned_column_is_named_in_one_line(cohort):
    result = invoke("audit", cohort / "cohort.csv", *SCHEMA[:-2])
    assert result.exit_code == 2 and errors(result) == [
        f"error: {cohort / 'cohort.csv'}: column(s) with no role: followup_days; give each one with --modality NAME=COLS, "
        "--covariates, --ignore (or --target / --id)"]


def test_convert_then_audit_counts_the_groups_of_the_csv(cohort, tmp_path):
    result = invoke("convert", cohort / "cohort.csv", *SCHEMA, "--output", tmp_path / "cohort.parquet")
    assert result.exit_code == 0, result.output
    assert "roles | modalities: labs = bilirubin" in result.output and "partly observed rows: labs" in result.output
    invoke("audit", cohort / "cohort.csv", *SCHEMA, "--json", tmp_path / "csv.json", "--no-mechanism")
    invoke("audit", tmp_path / "cohort.parquet", "--json", tmp_path / "parquet.json", "--no-mechanism")
    from_csv = json.loads((tmp_path / "csv.json").read_text())["groups"]
    from_parquet = json.loads((tmp_path / "parquet.json").read_text())["groups"]
    assert from_csv == from_parquet and sum(g["count"] for g in from_csv) == 160
    assert read_data(tmp_path / "cohort.parquet").field_observed["labs"].sum() > 0


def test_model_keeps_its_schema_and_predicts_one_patient_without_target(cohort, tmp_path):
    run = tmp_path / "run"
    result = invoke("train", cohort / "cohort.csv", *SCHEMA, "--epochs", "2", "--width", "8", "--no-diagnostics",
                    "--output", run)
    assert result.exit_code == 0, result.output
    assert json.loads((run / "model.json").read_text())["info"]["data_schema"]["columns"]["genomics"] == [
        "gene_1", "gene_2", "gene_3", "gene_4"]
    result = invoke("predict", run, cohort / "one.csv", "--output", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert len(lines) == 2 and lines[1].startswith("P0006,") and lines[0].endswith("p_alive,p_died")
    result = invoke("evaluate", run, cohort / "cohort.csv", "--json", tmp_path / "e.json")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "e.json").read_text())["overall"]["count"] == 160
    no_labs = tmp_path / "no_labs.csv"
    pd.read_csv(cohort / "one.csv").drop(columns=["ast"]).to_csv(no_labs, index=False)
    result = invoke("predict", run, no_labs, "--output", tmp_path / "q.csv")
    assert result.exit_code == 2 and "modality 'labs' column 'ast' not found" in errors(result)[0]
    assert not (tmp_path / "q.csv").exists()


def test_predict_on_a_converted_row_without_target_and_with_absent_modalities(cohort, tmp_path):
    import pyarrow.parquet as pq

    invoke("convert", cohort / "cohort.csv", *SCHEMA, "--output", tmp_path / "c.parquet")
    run = tmp_path / "run"
    assert invoke("train", tmp_path / "c.parquet", "--epochs", "1", "--width", "8", "--no-diagnostics",
                  "--output", run).exit_code == 0
    table = pq.read_table(tmp_path / "c.parquet")
    groups = read_data(tmp_path / "c.parquet").group_names()
    row = next(i for i, g in enumerate(groups) if g == "labs+vitals")   # histology, imaging, genomics absent
    pq.write_table(table.drop(["target"]).slice(row, 1), tmp_path / "one.parquet")
    result = invoke("predict", run, tmp_path / "one.parquet", "--output", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    assert "target: none (column 'outcome' absent)" in result.output
    assert (tmp_path / "p.csv").read_text().splitlines()[1].split(",")[1] == "labs+vitals"
    result = invoke("evaluate", run, tmp_path / "one.parquet")
    assert result.exit_code == 2 and "names target column 'target', which is absent" in errors(result)[0]


def test_bench_on_a_csv_converts_it_once_and_names_the_file(cohort, tmp_path):
    (tmp_path / "b.yaml").write_text("sections: [audit]\nseeds: [0]\n")
    result = invoke("bench", cohort / "cohort.csv", *SCHEMA, "--config", tmp_path / "b.yaml", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "cohort.parquet").is_file()
    findings = json.loads((tmp_path / "out" / "results.json").read_text())["findings"]
    assert any(line.startswith("cohort.csv/natural: ") for lines in findings.values() for line in lines)
