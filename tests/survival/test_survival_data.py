"""Survival targets in the data model: flat tables (--time/--event), Parquet/NPZ round trips, bad input."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from missmodal import MultimodalData
from missmodal.cli import main
from missmodal.data import load_dataset, read_data, write_data
from missmodal.data.clinical import CLINICAL_SCHEMA, clinical_survival_table, clinical_table
from missmodal.data.schema import from_table
from missmodal.errors import DataFormatError, MissmodalError


def cohort() -> pd.DataFrame:
    return pd.DataFrame({"pid": ["a", "b", "c", "d", "e"], "days": [10, 20, 5, 40, 33],
                         "status": ["dead", "alive", "alive", "dead", "alive"],
                         "x": [1.0, np.nan, 2.0, 3.0, 0.5], "y": [1.0, 2.0, np.nan, 4.0, 1.5]})


def read(frame=None, **roles):
    options = dict(modalities={"m1": ["x"], "m2": ["y"]}, time="days", event="status=dead", id="pid")
    options.update(roles)
    return from_table(cohort() if frame is None else frame, **options)


def test_time_and_event_columns_make_a_survival_target():
    data = read()
    assert data.task == "survival"
    assert data.time.tolist() == [10, 20, 5, 40, 33]
    assert data.event.tolist() == [True, False, False, True, False]
    numeric = cohort().assign(status=[1, 0, 0, 1, 0])
    assert read(numeric, event="status").event.tolist() == data.event.tolist()
    assert read(cohort().assign(status=[True, False, False, True, False]), event="status").event.tolist() == data.event.tolist()


@pytest.mark.parametrize("column, value, message", [
    ("days", -1, r"column 'days', row 2: follow-up time -1 is not a finite time >= 0"),
    ("days", np.nan, r"column 'days', row 2: follow-up time is missing"),
    ("status", "lost", r"column 'status', row 2: value 'lost' is neither the event 'dead' nor the censored value"),
    ("status", None, r"column 'status', row 2: event status is missing"),
])
def test_bad_times_and_events_name_the_row(column, value, message):
    frame = cohort()
    frame[column] = frame[column].astype(object)
    frame.loc[2, column] = value
    with pytest.raises(DataFormatError, match=message):
        read(frame)


def test_event_column_without_value_must_be_zero_one():
    with pytest.raises(DataFormatError, match=r"row 0: event value 'dead' is not 0/1 or True/False; name the event value"):
        read(event="status")
    with pytest.raises(DataFormatError, match="either --target"):
        read(target="status", event="status=dead", time="days")
    with pytest.raises(DataFormatError, match="needs both --time"):
        read(time=None)


def test_data_model_checks_the_pairs():
    with pytest.raises(MissmodalError, match="row 1: event indicator 2.0"):
        MultimodalData({"a": np.ones((2, 1))}, target=np.array([[1.0, 0], [2.0, 2]]), task="survival")
    with pytest.raises(MissmodalError, match=r"must be an \(n, 2\)"):
        MultimodalData({"a": np.ones((2, 1))}, target=np.array([1.0, 2.0]), task="survival")


@pytest.mark.parametrize("suffix", [".parquet", ".npz"])
def test_files_carry_time_and_event_exactly(tmp_path, suffix):
    data = read().replace(target=np.array([[10.1, 1], [20.25, 0], [5.3, 0], [40.0, 1], [33.3, 0]]))
    back = read_data(write_data(data, tmp_path / f"d{suffix}"))
    assert back.task == "survival"
    np.testing.assert_array_equal(back.target, data.target)


def test_split_stratifies_by_event():
    event = np.zeros(100)
    event[np.random.default_rng(0).permutation(100)[:30]] = 1
    data = MultimodalData({"a": np.ones((100, 1))}, target=np.column_stack([np.arange(100.0), event]), task="survival")
    for seed in range(5):
        parts = data.split((0.5, 0.5), seed=seed)
        assert [abs(int(part.event.sum()) - 15) <= 1 for part in parts] == [True, True]


def test_clinical_survival_has_the_clinical_fields_and_censoring():
    survival, clinical = clinical_survival_table(120, seed=4), clinical_table(120, seed=4)
    fields = [c for c in clinical.columns if c not in ("outcome", "followup_days")]
    pd.testing.assert_frame_equal(survival[fields], clinical[fields])
    data = load_dataset("clinical-survival", n_samples=418)
    assert 0.3 < data.event.mean() < 0.6 and (data.time >= 1).all()
    assert data.modality_names == list(CLINICAL_SCHEMA.modalities)


def test_cli_reads_time_and_event_options(tmp_path):
    path = tmp_path / "cohort.csv"
    clinical_survival_table(60, seed=0).to_csv(path, index=False)
    schema = ["--modality", "labs=bilirubin,albumin,alk_phos,ast,platelets,protime", "--modality", "rest=sbp,heart_rate,weight,stage,"
              "fibrosis_score,liver_stiffness,spleen_size,ascites_grade,gene_*", "--id", "id", "--covariates", "age,sex,site"]
    result = CliRunner().invoke(main, ["convert", str(path), "-o", str(tmp_path / "c.parquet"), *schema,
                                       "--time", "followup_days", "--event", "status=dead"])
    assert result.exit_code == 0, result.output
    assert read_data(tmp_path / "c.parquet").task == "survival"
    result = CliRunner().invoke(main, ["convert", str(path), "-o", str(tmp_path / "d.parquet"), *schema,
                                       "--time", "followup_days", "--event", "status"])
    assert result.exit_code == 2 and "error: " in result.output and "row 0" in result.output
