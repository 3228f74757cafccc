"""Flat tables through a schema: every column one role, partly observed blocks, codings reused on new rows."""

import numpy as np
import pandas as pd
import pytest

from missmodal.data import read_data, write_data
from missmodal.data.clinical import CLINICAL_SCHEMA, clinical_table
from missmodal.data.schema import TableSchema, describe_roles, from_table
from missmodal.errors import DataFormatError

LABS = ["bili", "alb", "ast"]


def cohort() -> pd.DataFrame:
    """Six patients: labs (one partly observed block, one absent), vitals, string outcome and site, a time column."""
    return pd.DataFrame({
        "pid": ["a", "b", "c", "d", "e", "f"],
        "outcome": ["died", "alive", "alive", "died", "alive", "alive"],
        "age": [70, 50, 61, 44, 58, 66],
        "site": ["x", "y", "x", "z", "y", "x"],
        "time": [100, 2000, 1500, 300, 1800, 900],
        "bili": [1.0, np.nan, 2.0, 1.5, np.nan, 0.5],
        "alb": [3.1, np.nan, 2.9, np.nan, np.nan, 3.3],
        "ast": [40.0, np.nan, 35.0, 50.0, np.nan, 20.0],
        "hr": [80, 72, np.nan, 90, 65, 70],
    })


def read(frame=None, **overrides):
    roles = dict(modalities={"labs": LABS, "vitals": ["hr"]}, target="outcome", id="pid",
                 covariates=["age", "site"], ignore=["time"])
    roles.update(overrides)
    return from_table(cohort() if frame is None else frame, **roles)


def test_groups_follow_block_presence():
    data = read()
    assert data.group_names() == ["labs+vitals", "vitals", "labs", "labs+vitals", "vitals", "labs+vitals"]


def test_partial_block_is_observed_with_field_mask_and_mean_fill():
    data = read()
    labs = data.modalities["labs"]
    mask = data.field_observed["labs"]
    assert mask[3].tolist() == [True, False, True]            # patient d: alb missing inside a present block
    assert labs[3, 1] == pytest.approx(np.mean([3.1, 2.9, 3.3]))  # filled with the field mean over observed rows
    assert data.metadata["schema_report"]["partial_rows"] == {"labs": 1, "vitals": 0}
    assert not mask[1].any() and not data.observed[1, 0]       # patient b has no labs at all


def test_partial_policy_missing_drops_the_block_and_error_names_row_and_column():
    data = read(partial="missing")
    assert not data.observed[3, 0] and data.field_observed["labs"][3].tolist() == [True, False, True]  # mask kept
    assert data.modalities["labs"][3, 0] == pytest.approx(1.5) and np.isnan(data.masked("labs")[3]).all()
    assert data.metadata["schema_report"]["moved_rows"]["labs"] == 1
    with pytest.raises(DataFormatError, match=r"row 3 \(id d\), column 'alb': modality 'labs' is partly observed"):
        read(partial="error")


def test_every_observed_value_survives_convert_and_read(tmp_path):
    table = clinical_table(n_samples=200, seed=3)
    data = from_table(table, schema=CLINICAL_SCHEMA)
    write_data(data, tmp_path / "cohort.parquet")
    back = read_data(tmp_path / "cohort.parquet")
    for name, columns in back.metadata["schema"]["columns"].items():
        values = table[columns].to_numpy(dtype=float)
        present = ~np.isnan(values)
        np.testing.assert_array_equal(back.field_mask(name), present & back.observed[:, [back.modality_index(name)]])
        np.testing.assert_allclose(back.modalities[name][present], values[present].astype(np.float32))
    assert back.metadata["schema_report"]["partial_rows"]["labs"] > 0
    assert back.group_counts() == data.group_counts()


def test_csv_and_converted_parquet_count_the_same_groups(tmp_path):
    table = clinical_table(n_samples=150, seed=1)
    table.to_csv(tmp_path / "cohort.csv", index=False)
    from_csv = from_table(tmp_path / "cohort.csv", schema=CLINICAL_SCHEMA)
    table.to_parquet(tmp_path / "flat.parquet", index=False)
    from_flat = from_table(tmp_path / "flat.parquet", schema=CLINICAL_SCHEMA)
    assert from_csv.group_counts() == from_table(table, schema=CLINICAL_SCHEMA).group_counts() == from_flat.group_counts()
    assert list(from_csv.ids[:2]) == ["P0001", "P0002"]


def test_a_column_without_a_role_is_an_error_naming_every_such_column():
    with pytest.raises(DataFormatError, match=r"column\(s\) with no role: site, time"):
        read(covariates=["age"], ignore=[])


def test_a_column_with_two_roles_is_an_error():
    with pytest.raises(DataFormatError, match=r"column 'age': given two roles"):
        read(ignore=["time", "age"])


def test_globs_pick_columns_in_table_order():
    data = read(modalities={"labs": ["a[ls]*", "bili"], "vitals": ["hr"]})
    assert data.metadata["schema"]["columns"]["labs"] == ["alb", "ast", "bili"]


def test_string_target_and_categorical_covariates_keep_their_coding():
    data = read()
    assert data.task == "binary" and data.metadata["classes"] == ["alive", "died"]
    assert data.target.tolist() == [1, 0, 0, 1, 0, 0]
    assert data.covariate_names == ["age", "site=x", "site=y", "site=z"]
    assert data.covariates[3].tolist() == [44, 0, 0, 1]
    multi = cohort().assign(outcome=["a", "b", "c", "a", "b", "c"])
    assert read(multi).task == "multiclass"


def test_new_rows_are_read_with_the_stored_schema_one_row_included():
    train = read()
    one = cohort().iloc[[3]].drop(columns=["outcome"])
    row = from_table(one, schema=train.metadata["schema"], require_target=False)
    assert row.target is None and row.n_samples == 1
    assert row.modalities["labs"][0, 1] == pytest.approx(train.modalities["labs"][3, 1])  # training fill value reused
    assert row.covariates[0].tolist() == [44, 0, 0, 1]                                   # training levels reused
    unseen = one.assign(site="w")
    with pytest.raises(DataFormatError, match=r"column 'site', row 0: category 'w' was not seen"):
        from_table(unseen, schema=train.metadata["schema"], require_target=False)
    with pytest.raises(DataFormatError, match=r"modality 'labs' column 'ast' not found"):
        from_table(one.drop(columns=["ast"]), schema=train.metadata["schema"], require_target=False)


def test_time_to_event_targets_are_refused():
    with pytest.raises(DataFormatError, match="time-to-event"):
        read(target="time,outcome")


def test_string_inside_a_modality_field_names_row_and_column():
    frame = cohort()
    frame["hr"] = frame["hr"].astype(object)
    frame.loc[4, "hr"] = "high"
    with pytest.raises(DataFormatError, match=r"column 'hr', row 4: value 'high' of modality 'vitals' is not a number"):
        read(frame)


def test_missing_covariate_is_an_error_not_a_silent_fill():
    frame = cohort()
    frame.loc[2, "age"] = np.nan
    with pytest.raises(DataFormatError, match=r"column 'age', row 2: covariate is missing"):
        read(frame)


def test_csv_problems_are_one_line_errors(tmp_path):
    (tmp_path / "latin.csv").write_bytes("id,name\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataFormatError, match="not UTF-8"):
        from_table(tmp_path / "latin.csv", modalities={"m": ["name"]})
    (tmp_path / "dup.csv").write_text("id,a,a\n1,2,3\n")
    with pytest.raises(DataFormatError, match="duplicate column name"):
        from_table(tmp_path / "dup.csv", modalities={"m": ["a"]})
    (tmp_path / "ragged.csv").write_text("id,a\n1,2\n3,4,5,6\n")
    with pytest.raises(DataFormatError, match="cannot parse as a comma-delimited table"):
        from_table(tmp_path / "ragged.csv", modalities={"m": ["a"]}, id="id")


def test_schema_file_round_trip(tmp_path):
    (tmp_path / "schema.yaml").write_text(
        "modalities:\n  labs: [bili, alb, ast]\n  vitals: [hr]\ntarget: outcome\nid: pid\n"
        "covariates: [age, site]\nignore: [time]\npartial: missing\n")
    schema = TableSchema.from_file(tmp_path / "schema.yaml")
    assert from_table(cohort(), schema=schema).group_codes().tolist() == read(partial="missing").group_codes().tolist()
    (tmp_path / "bad.yaml").write_text("modalities: {m: [a]}\ntargets: y\n")
    with pytest.raises(DataFormatError, match="unknown schema key"):
        TableSchema.from_file(tmp_path / "bad.yaml")


def test_field_mask_follows_subsets_and_npz(tmp_path):
    data = read()
    part = data.subset([3, 0]).select_modalities(["labs"])
    assert part.field_observed["labs"][0].tolist() == [True, False, True]
    write_data(data, tmp_path / "d.npz")
    np.testing.assert_array_equal(read_data(tmp_path / "d.npz").field_observed["labs"], data.field_observed["labs"])


def test_unnamed_scalar_column_of_a_list_parquet_is_not_a_silent_covariate(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": [1, 2], "m": pa.array([[1.0, 2.0], [3.0, 4.0]], pa.list_(pa.float32())), "y": [0, 1],
                      "score": [0.3, 0.5]})
    pq.write_table(table, tmp_path / "plain.parquet")
    with pytest.raises(DataFormatError, match=r"column\(s\) with no role: score"):
        read_data(tmp_path / "plain.parquet", target="y")
    assert read_data(tmp_path / "plain.parquet", target="y", covariates=["score"]).covariate_names == ["score"]
    assert read_data(tmp_path / "plain.parquet", target="y", ignore=["score"]).covariates is None


def test_roles_line_names_every_role():
    line = describe_roles(read())
    assert line.startswith("roles | modalities: labs = bili, alb, ast; vitals = hr")
    for part in ("target: outcome (binary: alive, died)", "id: pid", "covariates: age, site (categorical)",
                 "ignored: time", "partial blocks (a block counts as observed when >= 50% of its fields are present): labs 1 partly observed"):
        assert part in line


def test_field_mask_where_the_modality_is_absent_marks_only_kept_values():
    from missmodal import MultimodalData

    a = np.array([[1.0, 1.0], [np.nan, 2.0]])
    data = MultimodalData({"a": a, "b": np.ones((2, 1))}, observed=np.array([[1, 1], [0, 1]], bool),
                          field_observed={"a": np.ones((2, 2), bool)})
    assert data.field_mask("a").tolist() == [[True, True], [False, True]]
    hidden = data.with_observed(np.array([[0, 1], [0, 1]], bool))  # hiding a block drops its values and mask
    assert not hidden.field_mask("a").any()
    assert data.field_mask("b").tolist() == [[True], [True]]


def test_partial_block_rule_moves_a_block_absent_but_for_one_field_to_missing(tmp_path):
    from missmodal.data.clinical import REGISTRY_SCHEMA, registry_table

    table = registry_table(400, seed=0)
    registry = (table["source"] == "registry").to_numpy()
    data = from_table(table, schema=REGISTRY_SCHEMA)
    exam = data.modality_index("exam")
    assert not data.observed[registry, exam].any()                       # 1 of 4 exam fields: below 0.5
    assert data.field_mask("exam")[registry, 0].all()                      # weight: mask kept ...
    np.testing.assert_allclose(data.modalities["exam"][registry, 0], table["weight"][registry].to_numpy(), rtol=1e-6)
    report = data.metadata["schema_report"]
    assert report["moved_rows"]["exam"] == int(registry.sum() + (~registry & table["sbp"].isna().to_numpy()).sum())
    assert report["partial_rows"]["lipids"] > 0 and not data.is_complete()[registry].any()
    assert "exam " + str(report["moved_rows"]["exam"]) + " moved to missing" in describe_roles(data)
    anything = from_table(table, schema=REGISTRY_SCHEMA.to_dict() | {"partial_min_share": 0.25})
    assert anything.observed[:, exam].all() and anything.metadata["schema_report"]["moved_rows"]["exam"] == 0
    write_data(data, tmp_path / "registry.parquet")                         # kept fields survive conversion
    back = read_data(tmp_path / "registry.parquet")
    np.testing.assert_array_equal(back.field_mask("exam"), data.field_mask("exam"))
    np.testing.assert_allclose(back.modalities["exam"][registry, 0], data.modalities["exam"][registry, 0])
    with pytest.raises(DataFormatError, match="partial_min_share"):
        TableSchema(modalities={"a": ["x"]}, partial_min_share=0)
